// Selection: which layers are selected, shared by the canvas, the inspector and the charts so that
// selecting in one selects in all. View state only — never part of the Document or its undo history.
#pragma once

#include "core/Network.h"

#include <QObject>

#include <vector>

namespace nc::widgets {

class Selection : public QObject {
    Q_OBJECT
public:
    explicit Selection(QObject* parent = nullptr) : QObject(parent) {}

    const std::vector<core::NodeId>& ids() const { return m_ids; }
    bool contains(core::NodeId id) const;
    core::NodeId current() const { return m_ids.empty() ? core::NodeId{} : m_ids.back(); }

    // Emits changed() only when the set actually changes. `centre` asks views to scroll the
    // primary node into view (a click on a chart bar does; a click on the canvas does not).
    void set(std::vector<core::NodeId> ids, bool centre = false);
    void clear() { set({}); }

signals:
    void changed(bool centre);

private:
    std::vector<core::NodeId> m_ids;
};

} // namespace nc::widgets

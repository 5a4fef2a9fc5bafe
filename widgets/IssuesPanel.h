// IssuesPanel: every layer the analysis rejected, with the core's message (what is wrong and where),
// listed in schedule order; a click selects the layer and brings it into view. A view over the
// Document's analysis; owned by its dock, borrows the Document and Selection. GUI thread only.
#pragma once

#include "core/Document.h"

#include <QListWidget>

namespace nc::widgets {

class Selection;

class IssuesPanel : public QListWidget {
    Q_OBJECT
public:
    IssuesPanel(core::Document& doc, Selection& sel, QWidget* parent = nullptr);

    // Layers with an error (not those only waiting on one), as listed.
    int errorCount() const { return m_errors; }

signals:
    // The number of rejected layers changed (the dock's title shows it).
    void errorCountChanged(int errors);

private:
    void refresh();
    core::Document& m_doc;
    Selection& m_sel;
    int m_errors = -1;
};

} // namespace nc::widgets

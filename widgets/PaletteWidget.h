// PaletteWidget: the searchable, grouped list of layer kinds (core::Catalogue::palette()). Drag an entry
// onto the canvas, or double-click it (or press Enter in the search field) to append it after the
// selected layer. Indices past core::Catalogue::palette() are core::blockTemplates() (several layers
// inserted as one edit, e.g. a transformer decoder block).
#pragma once

#include <QWidget>

#include <optional>

class QLineEdit;
class QMimeData;
class QTreeWidget;
class QTreeWidgetItem;

namespace nc::widgets {

class PaletteWidget : public QWidget {
    Q_OBJECT
public:
    static constexpr const char* kMimeType = "application/x-netcanvas-palette-entry";

    explicit PaletteWidget(QWidget* parent = nullptr);

    // Drag data for palette entry `index`, and back.
    static QMimeData* mimeFor(int index);
    static std::optional<int> entryFrom(const QMimeData* data);

    QLineEdit* searchField() const { return m_search; }
    QTreeWidget* tree() const { return m_tree; }
    // The tree row of a palette entry (for tests and keyboard focus).
    QTreeWidgetItem* itemFor(int index) const;
    // Entries still visible under the current search, in display order.
    std::vector<int> visibleEntries() const;

signals:
    void activated(int paletteIndex);

private:
    void filter(const QString& text);
    void activateFirstVisible();
    QLineEdit* m_search;
    QTreeWidget* m_tree;
};

} // namespace nc::widgets

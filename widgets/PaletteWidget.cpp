// PaletteWidget: grouping, search and drag data of the layer palette.
#include "PaletteWidget.h"

#include "core/BlockTemplates.h"
#include "core/Catalogue.h"

#include <QHeaderView>
#include <QLineEdit>
#include <QMimeData>
#include <QStyle>
#include <QStyledItemDelegate>
#include <QTreeWidget>
#include <QVBoxLayout>

#include <algorithm>
#include <map>

namespace nc::widgets {

namespace {

constexpr int kEntryRole = Qt::UserRole + 1;

QString q(std::string_view s) { return QString::fromUtf8(s.data(), static_cast<qsizetype>(s.size())); }

// A tree whose drags carry the palette entry index (QTreeWidget's own format carries only cells).
class PaletteTree : public QTreeWidget {
public:
    explicit PaletteTree(QWidget* parent) : QTreeWidget(parent)
    {
        // Row heights depend on the width the text wraps in: lay the rows out again when the column
        // changes width (the dock resized, a scroll bar came or went).
        connect(header(), &QHeaderView::sectionResized, this, [this] { scheduleDelayedItemsLayout(); });
    }

protected:
    QStringList mimeTypes() const override { return {QString::fromLatin1(PaletteWidget::kMimeType)}; }
    QMimeData* mimeData(const QList<QTreeWidgetItem*>& items) const override
    {
        for (QTreeWidgetItem* it : items)
            if (it->data(0, kEntryRole).isValid())
                return PaletteWidget::mimeFor(it->data(0, kEntryRole).toInt());
        return nullptr;
    }
};

// Wraps an entry's text in the width its row has (QTreeView asks the delegate for a row's height
// without telling it that width, so a long entry would be cut to one line).
class WrappingDelegate : public QStyledItemDelegate {
public:
    explicit WrappingDelegate(QTreeView* view) : QStyledItemDelegate(view), m_view(view) {}

    QSize sizeHint(const QStyleOptionViewItem& option, const QModelIndex& index) const override
    {
        QSize s = QStyledItemDelegate::sizeHint(option, index);
        int depth = 0;
        for (QModelIndex p = index.parent(); p.isValid(); p = p.parent())
            ++depth;
        const int indent = m_view->indentation() * (depth + (m_view->rootIsDecorated() ? 1 : 0));
        // The style's text margins on both sides of the cell (QCommonStyle: focus frame margin + 1).
        const int margin = 2 * (m_view->style()->pixelMetric(QStyle::PM_FocusFrameHMargin, nullptr, m_view) + 1);
        const int width = m_view->columnWidth(0) - indent - margin;
        if (width <= 0)
            return s;
        const QRect text = option.fontMetrics.boundingRect(QRect(0, 0, width, 1 << 20), Qt::TextWordWrap,
                                                           index.data(Qt::DisplayRole).toString());
        s.setHeight(std::max(s.height(), text.height() + 4));
        return s;
    }

private:
    QTreeView* m_view;
};

} // namespace

PaletteWidget::PaletteWidget(QWidget* parent) : QWidget(parent)
{
    m_search = new QLineEdit(this);
    m_search->setObjectName("paletteSearch");
    m_search->setPlaceholderText(tr("Search layers…"));
    m_search->setClearButtonEnabled(true);

    m_tree = new PaletteTree(this);
    m_tree->setObjectName("paletteTree");
    m_tree->setHeaderHidden(true);
    m_tree->setRootIsDecorated(true);
    m_tree->setDragEnabled(true);
    m_tree->setDragDropMode(QAbstractItemView::DragOnly);
    m_tree->setSelectionMode(QAbstractItemView::SingleSelection);
    // Long entries ("Transformer decoder block (pre-norm)") wrap onto a second line instead of being
    // cut at the dock's default width: the end of a name is what tells entries apart.
    m_tree->setUniformRowHeights(false);
    m_tree->setWordWrap(true);
    m_tree->setTextElideMode(Qt::ElideNone);
    m_tree->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_tree->setItemDelegate(new WrappingDelegate(m_tree));

    const core::Catalogue& cat = core::Catalogue::instance();
    std::map<int, QTreeWidgetItem*> groups;
    const auto palette = cat.palette();
    for (size_t i = 0; i < palette.size(); ++i) {
        const core::PaletteEntry& e = palette[i];
        QTreeWidgetItem*& group = groups[static_cast<int>(e.category)];
        if (!group) {
            group = new QTreeWidgetItem({q(core::categoryLabel(e.category))});
            QFont f = group->font(0);
            f.setBold(true);
            group->setFont(0, f);
            group->setFlags(Qt::ItemIsEnabled);
        }
        auto* item = new QTreeWidgetItem(group, {q(e.label)});
        item->setData(0, kEntryRole, static_cast<int>(i));
        item->setToolTip(0, "<b>" + q(e.label) + "</b> — " + q(e.help).toHtmlEscaped() + "<br><br>" +
                                q(cat.spec(e.type).doc).toHtmlEscaped());
        item->setFlags(Qt::ItemIsEnabled | Qt::ItemIsSelectable | Qt::ItemIsDragEnabled);
    }
    // Block templates (several existing layers inserted as one edit) follow the catalogue's entries:
    // their index is palette.size() + the template's position.
    const auto templates = core::blockTemplates();
    for (size_t i = 0; i < templates.size(); ++i) {
        const core::BlockTemplate& t = templates[i];
        QTreeWidgetItem* group = groups[static_cast<int>(t.category)];
        if (!group)
            continue; // every template's category has catalogue kinds
        auto* item = new QTreeWidgetItem(group, {q(t.label)});
        item->setData(0, kEntryRole, static_cast<int>(palette.size() + i));
        item->setToolTip(0, "<b>" + q(t.label) + "</b> — " + q(t.help).toHtmlEscaped() +
                                "<br><br>" + tr("Inserted after the selected T×D layer as separate layers "
                                                "under one name prefix; width and heads come from its D "
                                                "and are edited in the inspector."));
        item->setFlags(Qt::ItemIsEnabled | Qt::ItemIsSelectable | Qt::ItemIsDragEnabled);
    }
    for (auto& [cat, group] : groups)
        m_tree->addTopLevelItem(group);
    m_tree->expandAll();

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(m_search);
    layout->addWidget(m_tree);

    connect(m_search, &QLineEdit::textChanged, this, &PaletteWidget::filter);
    connect(m_search, &QLineEdit::returnPressed, this, &PaletteWidget::activateFirstVisible);
    connect(m_tree, &QTreeWidget::itemActivated, this, [this](QTreeWidgetItem* item) {
        if (item->data(0, kEntryRole).isValid())
            emit activated(item->data(0, kEntryRole).toInt());
    });
}

QMimeData* PaletteWidget::mimeFor(int index)
{
    auto* data = new QMimeData;
    data->setData(kMimeType, QByteArray::number(index));
    return data;
}

std::optional<int> PaletteWidget::entryFrom(const QMimeData* data)
{
    if (!data || !data->hasFormat(kMimeType))
        return std::nullopt;
    bool ok = false;
    const int index = data->data(kMimeType).toInt(&ok);
    if (!ok || index < 0 ||
        index >= static_cast<int>(core::Catalogue::instance().palette().size() + core::blockTemplates().size()))
        return std::nullopt;
    return index;
}

QTreeWidgetItem* PaletteWidget::itemFor(int index) const
{
    for (int g = 0; g < m_tree->topLevelItemCount(); ++g) {
        QTreeWidgetItem* group = m_tree->topLevelItem(g);
        for (int c = 0; c < group->childCount(); ++c)
            if (group->child(c)->data(0, kEntryRole).toInt() == index)
                return group->child(c);
    }
    return nullptr;
}

std::vector<int> PaletteWidget::visibleEntries() const
{
    std::vector<int> v;
    for (int g = 0; g < m_tree->topLevelItemCount(); ++g) {
        QTreeWidgetItem* group = m_tree->topLevelItem(g);
        for (int c = 0; c < group->childCount(); ++c)
            if (!group->child(c)->isHidden())
                v.push_back(group->child(c)->data(0, kEntryRole).toInt());
    }
    return v;
}

void PaletteWidget::filter(const QString& text)
{
    const auto palette = core::Catalogue::instance().palette();
    const QString needle = text.trimmed();
    for (int g = 0; g < m_tree->topLevelItemCount(); ++g) {
        QTreeWidgetItem* group = m_tree->topLevelItem(g);
        const bool groupMatches = group->text(0).contains(needle, Qt::CaseInsensitive);
        int shown = 0;
        for (int c = 0; c < group->childCount(); ++c) {
            QTreeWidgetItem* item = group->child(c);
            const auto index = static_cast<size_t>(item->data(0, kEntryRole).toInt());
            bool match = needle.isEmpty() || groupMatches || item->text(0).contains(needle, Qt::CaseInsensitive);
            if (index < palette.size()) {
                const core::PaletteEntry& e = palette[index];
                match = match || q(e.help).contains(needle, Qt::CaseInsensitive) ||
                        q(core::layerTypeKey(e.type)).contains(needle, Qt::CaseInsensitive);
            } else {
                match = match || q(core::blockTemplates()[index - palette.size()].help).contains(needle, Qt::CaseInsensitive);
            }
            item->setHidden(!match);
            shown += match;
        }
        group->setHidden(shown == 0);
    }
    m_tree->expandAll();
}

void PaletteWidget::activateFirstVisible()
{
    const auto v = visibleEntries();
    if (!v.empty())
        emit activated(v.front());
}

} // namespace nc::widgets

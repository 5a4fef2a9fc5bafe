// LayerTable: view set-up and selection mirroring.
#include "LayerTable.h"

#include "widgets/NameText.h"

#include <QHeaderView>
#include <QStyledItemDelegate>
#include <QItemSelectionModel>
#include <QScopedValueRollback>
#include <QSortFilterProxyModel>

namespace nc::widgets {

namespace {

// Shows a name cell as the last components that fit ("…3.conv2_bn"), not "layer…v1_bn"; the
// tooltip has the whole name.
class NameDelegate : public QStyledItemDelegate {
public:
    using QStyledItemDelegate::QStyledItemDelegate;

protected:
    void initStyleOption(QStyleOptionViewItem* option, const QModelIndex& index) const override {
        QStyledItemDelegate::initStyleOption(option, index);
        // The text rectangle's margins (about 3 px a side in the usual styles) plus a little slack.
        const qreal width = option->rect.width() - 10;
        option->text = fitName(option->text, QFontMetricsF(option->font), width);
    }
};

} // namespace

LayerTable::LayerTable(QWidget* parent)
    : QTableView(parent), m_model(new LayerTableModel(this)), m_proxy(new QSortFilterProxyModel(this)) {
    m_proxy->setSourceModel(m_model);
    m_proxy->setSortRole(LayerTableModel::SortRole);
    setModel(m_proxy);
    setSortingEnabled(true);
    sortByColumn(LayerTableModel::Step, Qt::AscendingOrder);
    setSelectionBehavior(QAbstractItemView::SelectRows);
    setSelectionMode(QAbstractItemView::ExtendedSelection);
    setAlternatingRowColors(true);
    setWordWrap(false);
    verticalHeader()->setVisible(false);
    verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 6);
    horizontalHeader()->setStretchLastSection(true);
    horizontalHeader()->setDefaultSectionSize(80);
    setColumnWidth(LayerTableModel::Step, 44);
    setColumnWidth(LayerTableModel::Id, 44);
    setColumnWidth(LayerTableModel::Name, 170);
    setItemDelegateForColumn(LayerTableModel::Name, new NameDelegate(this));
    setColumnWidth(LayerTableModel::Type, 110);
    setColumnWidth(LayerTableModel::OutputShape, 110);
    connect(selectionModel(), &QItemSelectionModel::selectionChanged, this, &LayerTable::onSelectionChanged);
}

void LayerTable::setAnalysis(const core::Network& net, const core::AnalysisResult& a) {
    // A reset of the model clears the view's selection; that is not a user selecting nothing.
    QScopedValueRollback guard(m_syncing, true);
    m_model->setAnalysis(net, a);
    fitColumns();
}

void LayerTable::showEvent(QShowEvent* e) {
    QTableView::showEvent(e);
    if (m_fitPending)
        fitColumns();
}

void LayerTable::fitColumns() {
    // Measuring every cell costs a few milliseconds per edit: only for a table on screen.
    m_fitPending = !isVisible();
    if (m_fitPending)
        return;
    // Figures as wide as their longest value ("4,089,184,256" MACs), never cut; the name column keeps
    // its width and shows the ends of long names; error messages run on in the last column.
    for (int c = 0; c < m_model->columnCount(); ++c)
        if (c != LayerTableModel::Name && c != LayerTableModel::Error)
            resizeColumnToContents(c);
}

void LayerTable::setExtraColumn(const QString& name, std::vector<double> perLayer, bool stale) {
    m_model->setExtraColumn(name, std::move(perLayer), stale);
    fitColumns();
}

void LayerTable::removeExtraColumn(const QString& name) {
    m_model->removeExtraColumn(name);
}

void LayerTable::selectLayers(const std::vector<core::NodeId>& ids, bool reveal) {
    QScopedValueRollback guard(m_syncing, true);
    QItemSelection sel;
    QModelIndex first;
    for (core::NodeId id : ids) {
        const int row = m_model->rowOf(id);
        if (row < 0)
            continue;
        const QModelIndex left = m_proxy->mapFromSource(m_model->index(row, 0));
        const QModelIndex right = m_proxy->mapFromSource(m_model->index(row, m_model->columnCount() - 1));
        sel.select(left, right);
        if (!first.isValid())
            first = left;
    }
    selectionModel()->select(sel, QItemSelectionModel::ClearAndSelect);
    if (reveal && first.isValid())
        scrollTo(first, QAbstractItemView::PositionAtCenter);
}

std::vector<core::NodeId> LayerTable::selectedLayers() const {
    std::vector<core::NodeId> ids;
    for (const QModelIndex& i : selectionModel()->selectedRows())
        ids.push_back(m_model->idAt(m_proxy->mapToSource(i).row()));
    return ids;
}

void LayerTable::onSelectionChanged() {
    if (!m_syncing)
        emit layersSelected(selectedLayers());
}

} // namespace nc::widgets

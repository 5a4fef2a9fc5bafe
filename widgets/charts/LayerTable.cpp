// LayerTable: view set-up and selection mirroring.
#include "LayerTable.h"

#include <QHeaderView>
#include <QItemSelectionModel>
#include <QScopedValueRollback>
#include <QSortFilterProxyModel>

namespace nc::widgets {

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
    setColumnWidth(LayerTableModel::Name, 150);
    setColumnWidth(LayerTableModel::Type, 110);
    setColumnWidth(LayerTableModel::OutputShape, 110);
    connect(selectionModel(), &QItemSelectionModel::selectionChanged, this, &LayerTable::onSelectionChanged);
}

void LayerTable::setAnalysis(const core::Network& net, const core::AnalysisResult& a) {
    // A reset of the model clears the view's selection; that is not a user selecting nothing.
    QScopedValueRollback guard(m_syncing, true);
    m_model->setAnalysis(net, a);
}

void LayerTable::setExtraColumn(const QString& name, std::vector<double> perLayer, bool stale) {
    m_model->setExtraColumn(name, std::move(perLayer), stale);
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

// LayerTable: the per-layer analysis as a sortable table, linked to the shared selection.
#pragma once

#include "LayerTableModel.h"

#include <QTableView>

#include <vector>

class QSortFilterProxyModel;

namespace nc::widgets {

// A QTableView over LayerTableModel (through a sorting proxy). Same columns as core::reportCsv, so
// what the table shows is what "Export CSV" and the CLI write; extra columns (measured latency) can be
// appended with setExtraColumn. Emits layersSelected when the user selects rows; selectLayers
// mirrors the shared selection without echoing it back. Owned by its parent widget; GUI thread only.
class LayerTable : public QTableView {
    Q_OBJECT
public:
    explicit LayerTable(QWidget* parent = nullptr);

    void setAnalysis(const core::Network& net, const core::AnalysisResult& a);
    // See LayerTableModel::setExtraColumn: e.g. setExtraColumn("latency_ms", perLayer, stale).
    void setExtraColumn(const QString& name, std::vector<double> perLayer, bool stale);
    void removeExtraColumn(const QString& name);
    // See LayerTableModel::setDeployNotes.
    void setDeployNotes(std::vector<QString> perLayer) { m_model->setDeployNotes(std::move(perLayer)); }
    // See LayerTableModel::setDeployParams.
    void setDeployParams(std::vector<double> params, std::vector<double> modelBytes)
    {
        m_model->setDeployParams(std::move(params), std::move(modelBytes));
    }

    // Selects the rows of `ids` (scrolling the first into view when `reveal`), without emitting.
    void selectLayers(const std::vector<core::NodeId>& ids, bool reveal);
    std::vector<core::NodeId> selectedLayers() const;

    LayerTableModel* layerModel() const { return m_model; }

signals:
    void layersSelected(const std::vector<nc::core::NodeId>& ids);

protected:
    void showEvent(QShowEvent* e) override;

private:
    void onSelectionChanged();
    void fitColumns();

    LayerTableModel* m_model;
    QSortFilterProxyModel* m_proxy;
    bool m_syncing = false;
    bool m_fitPending = false;
};

} // namespace nc::widgets

// LayerTableModel: the per-layer analysis as a table model — the columns of `netcanvas-cli analyze
// --format csv` (core::reportCsv), plus optional extra columns such as measured latency.
#pragma once

#include "core/Analysis.h"
#include "core/Network.h"

#include <QAbstractTableModel>
#include <QString>

#include <string>
#include <unordered_map>
#include <vector>

namespace nc::widgets {

// One row per layer in schedule order. Cells show LayerResult fields formatted by core/Format.h;
// SortRole gives the raw number so sorting is numeric. Extra columns (setExtraColumn) are appended
// after the CSV's: a per-layer vector of doubles from elsewhere (a kernel timing run), optionally
// marked stale when the design changed since it was measured. Owned by its LayerTable; GUI thread only.
class LayerTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    // In the order of core::reportCsv's header; kCsvKeys holds the header names.
    enum Column {
        Step,
        Id,
        Name,
        Type,
        OutputShape,
        Params,
        ModelBytes,
        Macs,
        Flops,
        OtherOps,
        Activations,
        ActivationBytes,
        RfH,
        RfW,
        JumpH,
        JumpW,
        StartH,
        StartW,
        LiveBytes,
        Bits,
        Status,
        Error,
        CsvColumnCount
    };
    static constexpr const char* kCsvKeys[CsvColumnCount] = {
        "step",        "id",   "name",   "type",      "output_shape", "params",
        "model_bytes", "macs", "flops",  "other_ops", "activations",  "activation_bytes",
        "rf_h",        "rf_w", "jump_h", "jump_w",    "start_h",      "start_w",
        "live_bytes",  "bits", "status", "error"};
    static constexpr int SortRole = Qt::UserRole + 1;
    // headerData(section, Horizontal, KeyRole): the CSV key of a column ("activation_bytes").
    static constexpr int KeyRole = Qt::UserRole + 2;

    explicit LayerTableModel(QObject* parent = nullptr);

    void setAnalysis(const core::Network& net, const core::AnalysisResult& a);
    // Adds or replaces the extra column `name`; values in schedule order (missing or NaN: blank).
    void setExtraColumn(const QString& name, std::vector<double> perLayer, bool stale);
    void removeExtraColumn(const QString& name);
    // Marks every extra column stale (the design changed after they were measured).
    void markExtraColumnsStale();
    bool extraColumnStale(const QString& name) const;
    // The deployment view's note per layer, schedule order ("folded into conv1"; empty: runs as it
    // is; no vector: the training view). A noted row's Status reads the note, in a muted colour.
    void setDeployNotes(std::vector<QString> perLayer);
    QString deployNote(int row) const;
    // The deployment view's parameters and model bytes per layer, schedule order (a folded BatchNorm
    // 0, its convolution with the bias it gains); empty vectors: the analysis' figures.
    void setDeployParams(std::vector<double> params, std::vector<double> modelBytes);

    core::NodeId idAt(int row) const;
    int rowOf(core::NodeId id) const; // -1 when absent

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    struct Row {
        core::LayerResult layer;
        QString name;
    };
    struct Extra {
        QString name;
        std::vector<double> values;
        bool stale = false;
    };
    QVariant cell(const Row& r, int row, int column, int role) const;
    QVariant extraCell(const Extra& e, int row, int role) const;

    std::vector<Row> m_rows;
    std::vector<Extra> m_extras;
    std::vector<QString> m_notes;
    std::vector<double> m_deployParams, m_deployModelBytes;
    std::unordered_map<uint32_t, int> m_rowById;
    int64_t m_batch = 1;
};

} // namespace nc::widgets

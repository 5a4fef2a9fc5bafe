// LayerTableModel: cells, headers and extra columns of the per-layer table.
#include "LayerTableModel.h"

#include "core/Format.h"
#include "core/Report.h"

#include <QBrush>
#include <QColor>
#include <QFont>

#include <cmath>
#include <optional>

namespace nc::widgets {

namespace {

QString qs(const std::string& s) {
    return QString::fromStdString(s);
}

const char* headerLabel(int column) {
    static constexpr const char* kLabels[LayerTableModel::CsvColumnCount] = {
        "Step",        "Id",   "Layer",  "Type",      "Output shape", "Params",
        "Model bytes", "MACs", "FLOPs",  "Other ops", "Activations",  "Activation bytes",
        "RF h",        "RF w", "Jump h", "Jump w",    "Start h",      "Start w",
        "Live bytes",  "Bits", "Status", "Error"};
    return kLabels[column];
}

bool isBytes(int column) {
    return column == LayerTableModel::ModelBytes || column == LayerTableModel::ActivationBytes ||
           column == LayerTableModel::LiveBytes;
}

} // namespace

LayerTableModel::LayerTableModel(QObject* parent) : QAbstractTableModel(parent) {}

void LayerTableModel::setAnalysis(const core::Network& net, const core::AnalysisResult& a) {
    std::vector<Row> rows;
    rows.reserve(a.layers.size());
    for (const core::LayerResult& l : a.layers)
        rows.push_back({l, qs(net.nodes()[static_cast<size_t>(l.nodeIndex)].name)});
    const bool sameShape = rows.size() == m_rows.size();
    if (!sameShape)
        beginResetModel();
    m_rows = std::move(rows);
    m_batch = a.batch;
    m_rowById.clear();
    for (size_t i = 0; i < m_rows.size(); ++i)
        m_rowById[m_rows[i].layer.id.v] = static_cast<int>(i);
    // A parameter edit keeps the rows: report changed cells instead of resetting, so the view keeps
    // its scroll position, sort order and selection.
    if (!sameShape)
        endResetModel();
    else if (!m_rows.empty())
        emit dataChanged(index(0, 0), index(rowCount() - 1, columnCount() - 1));
}

void LayerTableModel::setDeployNotes(std::vector<QString> perLayer) {
    if (perLayer == m_notes)
        return;
    m_notes = std::move(perLayer);
    if (!m_rows.empty())
        emit dataChanged(index(0, 0), index(rowCount() - 1, CsvColumnCount - 1));
}

void LayerTableModel::setDeployParams(std::vector<double> params, std::vector<double> modelBytes) {
    if (params == m_deployParams && modelBytes == m_deployModelBytes)
        return;
    m_deployParams = std::move(params);
    m_deployModelBytes = std::move(modelBytes);
    if (!m_rows.empty())
        emit dataChanged(index(0, Params), index(rowCount() - 1, ModelBytes));
}

QString LayerTableModel::deployNote(int row) const {
    return row >= 0 && static_cast<size_t>(row) < m_notes.size() ? m_notes[static_cast<size_t>(row)] : QString();
}

void LayerTableModel::setExtraColumn(const QString& name, std::vector<double> perLayer, bool stale) {
    for (size_t i = 0; i < m_extras.size(); ++i)
        if (m_extras[i].name == name) {
            m_extras[i].values = std::move(perLayer);
            m_extras[i].stale = stale;
            const int c = CsvColumnCount + static_cast<int>(i);
            if (!m_rows.empty())
                emit dataChanged(index(0, c), index(rowCount() - 1, c));
            emit headerDataChanged(Qt::Horizontal, c, c);
            return;
        }
    const int c = columnCount();
    beginInsertColumns({}, c, c);
    m_extras.push_back({name, std::move(perLayer), stale});
    endInsertColumns();
}

void LayerTableModel::removeExtraColumn(const QString& name) {
    for (size_t i = 0; i < m_extras.size(); ++i)
        if (m_extras[i].name == name) {
            const int c = CsvColumnCount + static_cast<int>(i);
            beginRemoveColumns({}, c, c);
            m_extras.erase(m_extras.begin() + static_cast<std::ptrdiff_t>(i));
            endRemoveColumns();
            return;
        }
}

void LayerTableModel::markExtraColumnsStale() {
    for (size_t i = 0; i < m_extras.size(); ++i)
        if (!m_extras[i].stale)
            setExtraColumn(m_extras[i].name, m_extras[i].values, true);
}

bool LayerTableModel::extraColumnStale(const QString& name) const {
    for (const Extra& e : m_extras)
        if (e.name == name)
            return e.stale;
    return false;
}

core::NodeId LayerTableModel::idAt(int row) const {
    return row >= 0 && row < rowCount() ? m_rows[static_cast<size_t>(row)].layer.id : core::NodeId{};
}

int LayerTableModel::rowOf(core::NodeId id) const {
    auto it = m_rowById.find(id.v);
    return it == m_rowById.end() ? -1 : it->second;
}

int LayerTableModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(m_rows.size());
}

int LayerTableModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : CsvColumnCount + static_cast<int>(m_extras.size());
}

QVariant LayerTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || section < 0 || section >= columnCount())
        return QAbstractTableModel::headerData(section, orientation, role);
    if (section >= CsvColumnCount) {
        const Extra& e = m_extras[static_cast<size_t>(section - CsvColumnCount)];
        if (role == Qt::DisplayRole || role == KeyRole)
            return e.stale ? e.name + tr(" (stale)") : e.name;
        if (role == Qt::ToolTipRole && e.stale)
            return tr("measured before the last edit of the design");
        return {};
    }
    if (role == Qt::DisplayRole)
        return QString::fromLatin1(headerLabel(section));
    if (role == KeyRole || role == Qt::ToolTipRole)
        return QString::fromLatin1(kCsvKeys[section]);
    return {};
}

QVariant LayerTableModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= rowCount() || index.column() >= columnCount())
        return {};
    if (index.column() >= CsvColumnCount)
        return extraCell(m_extras[static_cast<size_t>(index.column() - CsvColumnCount)], index.row(), role);
    return cell(m_rows[static_cast<size_t>(index.row())], index.row(), index.column(), role);
}

QVariant LayerTableModel::cell(const Row& r, int row, int column, int role) const {
    const core::LayerResult& l = r.layer;
    const bool ok = l.status == core::LayerStatus::Ok;
    const bool rf = ok && l.rf.valid;
    // Raw value of numeric columns (sorting, tooltips); invalid for text and for blank cells.
    auto number = [&]() -> std::optional<double> {
        switch (column) {
        case Step:
            return l.step;
        case Id:
            return l.id.v;
        case Bits:
            return l.bits;
        default:
            break;
        }
        if (!ok)
            return std::nullopt;
        switch (column) {
        case Params:
            return static_cast<size_t>(row) < m_deployParams.size() ? m_deployParams[static_cast<size_t>(row)]
                                                                     : static_cast<double>(l.params);
        case ModelBytes:
            return static_cast<size_t>(row) < m_deployModelBytes.size() ? m_deployModelBytes[static_cast<size_t>(row)]
                                                                         : static_cast<double>(l.modelBytes);
        case Macs:
            return static_cast<double>(l.macs);
        case Flops:
            return static_cast<double>(l.flops);
        case OtherOps:
            return static_cast<double>(l.otherOps);
        case Activations:
            return static_cast<double>(l.activations);
        case ActivationBytes:
            return static_cast<double>(l.activationBytes);
        case LiveBytes:
            return static_cast<double>(l.liveBytes);
        default:
            break;
        }
        if (!rf)
            return std::nullopt;
        switch (column) {
        case RfH:
            return static_cast<double>(l.rf.size[0]);
        case RfW:
            return static_cast<double>(l.rf.size[1]);
        case JumpH:
            return static_cast<double>(l.rf.jump[0]);
        case JumpW:
            return static_cast<double>(l.rf.jump[1]);
        case StartH:
            return l.rf.start[0];
        case StartW:
            return l.rf.start[1];
        default:
            return std::nullopt;
        }
    };

    switch (role) {
    case Qt::DisplayRole:
        switch (column) {
        case Name:
            return r.name;
        case Type:
            return QString::fromUtf8(core::layerTypeLabel(l.type));
        case OutputShape:
            return ok ? qs(l.output.toString()) : QString();
        case Status:
            if (const QString note = deployNote(row); ok && !note.isEmpty())
                return note;
            return ok                                     ? QStringLiteral("ok")
                   : l.status == core::LayerStatus::Error ? QStringLiteral("error")
                                                          : QStringLiteral("blocked");
        case Error:
            return qs(l.message);
        case StartH:
            return rf ? QVariant(l.rf.start[0]) : QVariant();
        case StartW:
            return rf ? QVariant(l.rf.start[1]) : QVariant();
        default:
            if (auto v = number())
                return qs(core::groupDigits(std::llround(*v)));
            return {};
        }
    case SortRole:
        if (auto v = number())
            return *v;
        return cell(r, row, column, Qt::DisplayRole); // text columns sort by their text
    case Qt::ToolTipRole:
        if (const QString note = deployNote(row); ok && !note.isEmpty() && (column == Name || column == Status))
            return tr("%1: %2 in the deployment view").arg(r.name, note);
        if (column == Error || column == Name)
            return ok ? r.name : qs(l.message);
        if (isBytes(column))
            if (auto v = number())
                return qs(core::humanBytes(std::llround(*v)));
        if (column == Params || column == Macs || column == Flops || column == OtherOps ||
            column == Activations)
            if (auto v = number())
                return qs(core::humanCount(std::llround(*v)));
        return {};
    case Qt::TextAlignmentRole:
        if (number() || column == StartH || column == StartW)
            return QVariant(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    case Qt::ForegroundRole:
        if (l.status == core::LayerStatus::Error)
            return QBrush(QColor(0xc0, 0x1f, 0x2f));
        if (l.status == core::LayerStatus::Blocked)
            return QBrush(QColor(0x77, 0x77, 0x77));
        if (!deployNote(row).isEmpty())
            return QBrush(QColor(0x15, 0x65, 0xc0)); // folded or fused: not an op of its own
        return {};
    default:
        return {};
    }
}

QVariant LayerTableModel::extraCell(const Extra& e, int row, int role) const {
    const auto i = static_cast<size_t>(row);
    const bool has = i < e.values.size() && !std::isnan(e.values[i]);
    switch (role) {
    case Qt::DisplayRole:
    case SortRole:
        return has ? QVariant(e.values[i]) : QVariant();
    case Qt::TextAlignmentRole:
        return QVariant(Qt::AlignRight | Qt::AlignVCenter);
    case Qt::ForegroundRole:
        return e.stale ? QBrush(QColor(0x99, 0x99, 0x99)) : QVariant();
    case Qt::FontRole:
        if (e.stale) {
            QFont f;
            f.setItalic(true);
            return f;
        }
        return {};
    case Qt::ToolTipRole:
        return e.stale ? tr("measured before the last edit of the design") : QVariant();
    default:
        return {};
    }
}

} // namespace nc::widgets

// Energy: the tables, their JSON form, and the per-layer estimate (model in Energy.h and README "Energy").
#include "Energy.h"

#include "core/BitWidth.h"
#include "core/deploy/Schedule.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <cmath>
#include <cstdio>

namespace nc::core::energy {

namespace {

int rowOf(int bits)
{
    for (size_t i = 0; i < kBitWidths.size(); ++i)
        if (kBitWidths[i].bits == bits)
            return static_cast<int>(i);
    return -1;
}

// Energy of `values` values of `bits` bits moved as 32-bit words costing `per32` each.
double moved(int64_t values, int bits, double per32)
{
    return static_cast<double>(values) * per32 * static_cast<double>(bits) / 32.0;
}

int64_t elementsOf(const Shape& s) { return s.elements().value_or(0); }

} // namespace

EnergyTable horowitz45()
{
    EnergyTable t;
    t.key = "horowitz45";
    t.name = "Horowitz 45 nm (8 KB SRAM)";
    t.source = "M. Horowitz, Computing's energy problem, ISSCC 2014, 45 nm; 32-bit SRAM (8 KB) and DRAM reads "
               "as quoted by Han et al., EIE, ISCA 2016";
    t.ops[0] = {0.9, 3.7};
    t.rowSource[0] = "Horowitz 2014: 32-bit float add 0.9 pJ, mult 3.7 pJ";
    t.ops[1] = {0.4, 1.1};
    t.rowSource[1] = "Horowitz 2014: 16-bit float add 0.4 pJ, mult 1.1 pJ";
    t.ops[2] = {0.03, 0.2};
    t.rowSource[2] = "Horowitz 2014: 8-bit int add 0.03 pJ, mult 0.2 pJ";
    // No 4-bit row in the paper: an adder grows linearly with the width, an array multiplier with its
    // square (the paper's own 8 → 32-bit multiply, 0.2 → 3.1 pJ, is 15.5×, close to 4² = 16).
    t.ops[3] = {0.015, 0.05};
    t.rowSource[3] = "derived from 8-bit int: add × 4/8 (linear in width), mult × (4/8)² (quadratic)";
    t.sramRead32 = 5;
    t.dramRead32 = 640;
    return t;
}

EnergyTable horowitz45LargeSram()
{
    EnergyTable t = horowitz45();
    t.key = "horowitz45-1mb";
    t.name = "Horowitz 45 nm (1 MB SRAM)";
    t.source = "M. Horowitz, ISSCC 2014, 45 nm: 64-bit cache access 10 pJ at 8 KB, 100 pJ at 1 MB; "
               "so 50 pJ per 32-bit access of a 1 MB SRAM";
    t.sramRead32 = 50;
    return t;
}

std::vector<EnergyTable> energyPresets() { return {horowitz45(), horowitz45LargeSram()}; }

Result<EnergyTable> energyTableFromJson(const std::string& json)
{
    QJsonParseError perr;
    const QJsonDocument doc = QJsonDocument::fromJson(QByteArray::fromStdString(json), &perr);
    if (perr.error != QJsonParseError::NoError)
        return Error{"energy table: not JSON at offset " + std::to_string(perr.offset) + ": " +
                     perr.errorString().toStdString()};
    if (!doc.isObject())
        return Error{"energy table: expected a JSON object"};
    const QJsonObject o = doc.object();
    if (o.value("format").toString() != "netcanvas-energy")
        return Error{"energy table: \"format\" must be \"netcanvas-energy\""};
    if (o.value("version").toInt(-1) != 1)
        return Error{"energy table: \"version\" must be 1"};
    EnergyTable t;
    t.key = "custom";
    t.name = o.value("name").toString("custom").toStdString();
    t.source = o.value("source").toString("entered by the user").toStdString();
    // Energies are finite and non-negative; a zero is allowed (a what-if: "free arithmetic").
    auto energy = [](const QJsonObject& obj, const char* field, const std::string& where, double& out) -> Status {
        const QJsonValue v = obj.value(field);
        if (!v.isDouble() || !std::isfinite(v.toDouble()) || v.toDouble() < 0 || v.toDouble() > 1e9)
            return Error{"energy table: " + where + "\"" + field + "\" must be a number of picojoules from 0 to 1e9"};
        out = v.toDouble();
        return {};
    };
    if (Status s = energy(o, "sram_read_32bit_pj", "", t.sramRead32); !s)
        return Error{s.error()};
    if (Status s = energy(o, "dram_read_32bit_pj", "", t.dramRead32); !s)
        return Error{s.error()};
    const QString onChip = o.value("on_chip").toString("once");
    if (onChip == "once")
        t.onChip = OnChipModel::Once;
    else if (onChip == "per-mac")
        t.onChip = OnChipModel::PerMac;
    else
        return Error{"energy table: \"on_chip\" must be \"once\" or \"per-mac\""};
    const QJsonValue rows = o.value("ops");
    if (!rows.isArray())
        return Error{"energy table: \"ops\" must be a list with one row for each of " + bitWidthList() + " bits"};
    bool seen[4] = {};
    for (const QJsonValue& rv : rows.toArray()) {
        if (!rv.isObject())
            return Error{"energy table: every row of \"ops\" must be an object"};
        const QJsonObject r = rv.toObject();
        const int bits = r.value("bits").toInt(-1);
        const int i = rowOf(bits);
        if (i < 0)
            return Error{"energy table: row \"bits\" must be " + bitWidthList()};
        if (seen[i])
            return Error{"energy table: two rows for " + std::to_string(bits) + " bits"};
        seen[i] = true;
        const std::string where = "the " + std::to_string(bits) + "-bit row's ";
        if (Status s = energy(r, "add_pj", where, t.ops[i].add); !s)
            return Error{s.error()};
        if (Status s = energy(r, "mult_pj", where, t.ops[i].mult); !s)
            return Error{s.error()};
        t.rowSource[i] = r.value("source").toString().toStdString();
    }
    for (size_t i = 0; i < kBitWidths.size(); ++i)
        if (!seen[i])
            return Error{"energy table: no row for " + std::to_string(kBitWidths[i].bits) + " bits in \"ops\""};
    return t;
}

std::string energyTableToJson(const EnergyTable& t)
{
    QJsonObject o;
    o["format"] = "netcanvas-energy";
    o["version"] = 1;
    o["name"] = QString::fromStdString(t.name);
    o["source"] = QString::fromStdString(t.source);
    o["on_chip"] = t.onChip == OnChipModel::Once ? "once" : "per-mac";
    o["sram_read_32bit_pj"] = t.sramRead32;
    o["dram_read_32bit_pj"] = t.dramRead32;
    QJsonArray rows;
    for (size_t i = 0; i < kBitWidths.size(); ++i) {
        QJsonObject r;
        r["bits"] = kBitWidths[i].bits;
        r["add_pj"] = t.ops[i].add;
        r["mult_pj"] = t.ops[i].mult;
        r["source"] = QString::fromStdString(t.rowSource[i]);
        rows.append(r);
    }
    o["ops"] = rows;
    return QJsonDocument(o).toJson(QJsonDocument::Indented).toStdString();
}

Result<EnergyTable> loadEnergyTable(const std::string& path)
{
    QFile f(QString::fromStdString(path));
    if (!f.open(QIODevice::ReadOnly))
        return Error{"cannot open energy table \"" + path + "\": " + f.errorString().toStdString()};
    // A table is a few hundred bytes; refuse anything that could not be one before reading it all.
    if (f.size() > (1 << 20))
        return Error{"energy table \"" + path + "\" is larger than 1 MiB; it is not a table"};
    auto t = energyTableFromJson(f.readAll().toStdString());
    if (!t)
        return Error{path + ": " + t.error()};
    return t;
}

Status saveEnergyTable(const EnergyTable& t, const std::string& path)
{
    QFile f(QString::fromStdString(path));
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return Error{"cannot write energy table \"" + path + "\": " + f.errorString().toStdString()};
    const std::string j = energyTableToJson(t);
    if (f.write(j.data(), static_cast<qint64>(j.size())) != static_cast<qint64>(j.size()))
        return Error{"cannot write energy table \"" + path + "\": " + f.errorString().toStdString()};
    return {};
}

Result<EnergyReport> estimateEnergy(const Network& net, const AnalysisResult& a, const EnergyTable& table,
                                    const EnergyOptions& options)
{
    // The deployment graph refuses analyses with errors, naming the first layer.
    auto graph = deploy::buildMemoryGraph(net, a, options.deploy);
    if (!graph)
        return Error{graph.error()};
    const deploy::MemoryGraph& g = *graph;
    const deploy::Timeline tl = deploy::evaluateOrder(g, deploy::defaultOrder(g));
    std::vector<int> stepOfOp(g.ops.size(), -1);
    for (size_t s = 0; s < tl.order.size(); ++s)
        stepOfOp[static_cast<size_t>(tl.order[s])] = static_cast<int>(s);

    EnergyReport rep;
    rep.deployPeakBytes = tl.peakBytes;
    rep.onChipBytes = options.onChipBytes;
    rep.layers.reserve(a.layers.size());
    for (const LayerResult& l : a.layers) {
        LayerEnergy e;
        e.nodeIndex = l.nodeIndex;
        e.bits = l.bits;
        const int row = rowOf(l.bits);
        const std::string& name = net.nodes()[static_cast<size_t>(l.nodeIndex)].name;
        if (row < 0)
            return Error{"layer \"" + name + "\": the energy table has no row for " + std::to_string(l.bits) +
                         " bits; use " + bitWidthList()};
        const OpEnergy& op = table.ops[row];
        // What the deployed network runs: a folded BatchNorm is gone (its scale and shift live in the
        // weights), a fused activation is computed in its op's output stage without a tensor of its
        // own, dropped and view layers do nothing.
        const deploy::Role role = g.layers[static_cast<size_t>(l.nodeIndex)].role;
        if (role != deploy::Role::FoldedBatchNorm)
            e.computePj = static_cast<double>(l.macs) * (op.mult + op.add) + static_cast<double>(l.otherOps) * op.add;

        const bool movesData = l.type != LayerType::Input && !isView(l.type) && role == deploy::Role::Op;
        if (movesData) {
            int64_t in = 0;
            for (const Shape& s : a.inputsOf(l))
                in += elementsOf(s) * a.batch;
            const int64_t weights = l.params + l.state;
            e.onChipValues = table.onChip == OnChipModel::Once ? in + weights + l.outputElements
                                                               : 2 * l.macs + l.outputElements;
            // Layers without multiply-accumulates (pooling, activations, Add) stream their tensors once
            // under either model.
            if (table.onChip == OnChipModel::PerMac && l.macs == 0)
                e.onChipValues = in + weights + l.outputElements;
            e.onChipPj = moved(e.onChipValues, l.bits, table.sramRead32);
            e.weightValues = weights;

            const int opIndex = g.layers[static_cast<size_t>(l.nodeIndex)].op;
            const int step = opIndex >= 0 ? stepOfOp[static_cast<size_t>(opIndex)] : -1;
            e.liveBytes = step >= 0 ? tl.liveBytes[static_cast<size_t>(step)] : 0;
            if (options.onChipBytes > 0 && step >= 0 && e.liveBytes > options.onChipBytes) {
                e.spilledValues = in + l.outputElements;
                ++rep.spilledLayers;
            }
            e.offChipPj = moved(e.weightValues + e.spilledValues, l.bits, table.dramRead32);
        }
        rep.totals.computePj += e.computePj;
        rep.totals.onChipPj += e.onChipPj;
        rep.totals.offChipPj += e.offChipPj;
        rep.layers.push_back(e);
    }
    return rep;
}

Result<EnergyTotals> totalEnergy(const Network& net, const EnergyTable& table, const EnergyOptions& options)
{
    const AnalysisResult a = analyze(net);
    auto r = estimateEnergy(net, a, table, options);
    if (!r)
        return Error{r.error()};
    return r->totals;
}

std::string formatEnergy(double pj)
{
    static const struct {
        double scale;
        const char* unit;
    } units[] = {{1e12, "J"}, {1e9, "mJ"}, {1e6, "µJ"}, {1e3, "nJ"}, {1, "pJ"}};
    for (const auto& u : units)
        if (std::abs(pj) >= u.scale || u.scale == 1) {
            const double v = pj / u.scale;
            char buf[32];
            std::snprintf(buf, sizeof buf, std::abs(v) >= 100 ? "%.0f %s" : std::abs(v) >= 10 ? "%.1f %s" : "%.2f %s", v,
                          u.unit);
            return buf;
        }
    return "0 pJ";
}

} // namespace nc::core::energy

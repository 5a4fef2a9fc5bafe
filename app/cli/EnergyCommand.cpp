// EnergyCommand: parses options, loads the design and an energy table (a preset or a JSON file),
// estimates the energy of one inference per layer and prints a table or JSON.
#include "EnergyCommand.h"

#include "CliCommon.h"

#include "core/BitWidth.h"
#include "core/Format.h"
#include "core/energy/Energy.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <cstdio>
#include <cstring>
#include <string>

namespace nc::app {

namespace {

using namespace nc::core;
using namespace nc::core::energy;

struct EnergyCliOptions {
    std::string spec, format = "table", table = "horowitz45", writeTable;
    long long bits = 0;
    long long budget = 0;
};

std::string presetKeys()
{
    std::string s;
    for (const EnergyTable& t : energyPresets())
        s += (s.empty() ? "" : ", ") + t.key;
    return s;
}

OptionResult parseOption(const std::string& a, const char* v, EnergyCliOptions& o)
{
    if (a == "--format") {
        if (!v || (std::strcmp(v, "table") != 0 && std::strcmp(v, "json") != 0))
            return {true, "--format takes table or json"};
        o.format = v;
        return {};
    }
    if (a == "--table") {
        if (!v || !*v)
            return {true, "--table takes a preset (" + presetKeys() + ") or a JSON file"};
        o.table = v;
        return {};
    }
    if (a == "--write-table") {
        if (!v || !*v)
            return {true, "--write-table takes a file name"};
        o.writeTable = v;
        return {};
    }
    if (a == "--bits") {
        if (!v || !parseInt(v, 1, 32, o.bits) || !isBitWidth(static_cast<int>(o.bits)))
            return {true, "--bits takes " + bitWidthList()};
        return {};
    }
    if (a == "--budget") {
        if (!v || !parseByteSize(v, o.budget))
            return {true, "--budget takes the on-chip memory in bytes, e.g. 262144 or 256KiB"};
        return {};
    }
    return {false, {}};
}

// Right-aligned in `width` columns; counts UTF-8 code points, so "µJ" takes two columns, not three.
std::string cell(const std::string& s, size_t width)
{
    size_t points = 0;
    for (unsigned char c : s)
        points += (c & 0xC0) != 0x80;
    return std::string(width > points ? width - points : 0, ' ') + s;
}

std::string energyCell(double pj) { return cell(pj == 0 ? "0" : formatEnergy(pj), 12); }

Result<EnergyTable> tableFor(const std::string& spec)
{
    for (const EnergyTable& t : energyPresets())
        if (t.key == spec)
            return t;
    return loadEnergyTable(spec);
}

} // namespace

int energyCommand(int argc, char** argv)
{
    EnergyCliOptions o;
    const std::string why = parseArguments(
        argc, argv, [&](const std::string& a, const char* v) { return parseOption(a, v, o); }, o.spec);
    if (!why.empty())
        return fail(why);
    auto table = tableFor(o.table);
    if (!table)
        return fail(table.error());
    if (!o.writeTable.empty()) {
        if (Status s = saveEnergyTable(*table, o.writeTable); !s)
            return fail(s.error());
        if (o.spec.empty())
            return 0;
    }
    if (o.spec.empty())
        return fail("say which design: energy FILE|zoo:NAME");
    auto net = loadAny(o.spec, {}, false);
    if (!net)
        return fail(net.error());
    if (o.bits)
        net->bits = static_cast<int>(o.bits);
    const AnalysisResult a = analyze(*net);
    EnergyOptions eo;
    eo.onChipBytes = o.budget;
    auto rep = estimateEnergy(*net, a, *table, eo);
    if (!rep)
        return fail(rep.error());
    const EnergyReport& r = *rep;
    auto nameOf = [&](int node) { return net->nodes()[static_cast<size_t>(node)].name; };

    if (o.format == "json") {
        QJsonObject root;
        QJsonObject t;
        t["name"] = QString::fromStdString(table->name);
        t["source"] = QString::fromStdString(table->source);
        t["on_chip"] = table->onChip == OnChipModel::Once ? "once" : "per-mac";
        root["table"] = t;
        root["unit"] = "pJ";
        root["batch"] = static_cast<qint64>(a.batch);
        root["deploy_peak_bytes"] = static_cast<qint64>(r.deployPeakBytes);
        root["budget_bytes"] = o.budget ? QJsonValue(static_cast<qint64>(o.budget)) : QJsonValue(QJsonValue::Null);
        root["spilled_layers"] = r.spilledLayers;
        QJsonArray layers;
        for (const LayerEnergy& e : r.layers) {
            QJsonObject j;
            j["layer"] = QString::fromStdString(nameOf(e.nodeIndex));
            j["bits"] = e.bits;
            j["compute_pj"] = e.computePj;
            j["on_chip_pj"] = e.onChipPj;
            j["off_chip_pj"] = e.offChipPj;
            j["total_pj"] = e.totalPj();
            j["activations_in_dram"] = e.spilledValues > 0;
            layers.append(j);
        }
        root["layers"] = layers;
        QJsonObject tot;
        tot["compute_pj"] = r.totals.computePj;
        tot["on_chip_pj"] = r.totals.onChipPj;
        tot["off_chip_pj"] = r.totals.offChipPj;
        tot["total_pj"] = r.totals.totalPj();
        root["totals"] = tot;
        const QByteArray j = QJsonDocument(root).toJson(QJsonDocument::Indented);
        std::fwrite(j.constData(), 1, static_cast<size_t>(j.size()), stdout);
        return 0;
    }

    std::printf("%s: energy of one inference (batch %lld), %s\n", net->name.c_str(), static_cast<long long>(a.batch),
                table->name.c_str());
    std::printf("on-chip traffic: %s; activations %s\n",
                table->onChip == OnChipModel::Once ? "inputs, weights and outputs once" : "two operands per MAC",
                o.budget ? ("in DRAM where the deployment step exceeds " + humanBinaryBytes(o.budget) +
                            " (peak " + humanBinaryBytes(r.deployPeakBytes) + ")")
                               .c_str()
                         : "on chip (no --budget)");
    std::printf("%-28s %5s %12s %12s %12s %12s %6s\n", "layer", "bits", "compute", "on-chip", "off-chip", "total",
                "off %");
    for (const LayerEnergy& e : r.layers) {
        if (e.totalPj() == 0)
            continue;
        std::printf("%-28s %5d %s %s %s %s %5.1f%%%s\n", nameOf(e.nodeIndex).c_str(), e.bits,
                    energyCell(e.computePj).c_str(), energyCell(e.onChipPj).c_str(),
                    energyCell(e.offChipPj).c_str(), energyCell(e.totalPj()).c_str(),
                    100.0 * e.offChipPj / e.totalPj(), e.spilledValues ? "  activations in DRAM" : "");
    }
    const EnergyTotals& t = r.totals;
    std::printf("%-28s %5s %s %s %s %s %5.1f%%\n", "total", "", energyCell(t.computePj).c_str(),
                energyCell(t.onChipPj).c_str(), energyCell(t.offChipPj).c_str(), energyCell(t.totalPj()).c_str(),
                t.totalPj() > 0 ? 100.0 * t.offChipPj / t.totalPj() : 0.0);
    std::printf("data movement (on-chip + off-chip): %.1f%% of the total\n",
                t.totalPj() > 0 ? 100.0 * (t.onChipPj + t.offChipPj) / t.totalPj() : 0.0);
    return 0;
}

} // namespace nc::app

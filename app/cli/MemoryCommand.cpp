// MemoryCommand: parses options, builds the training or deployment memory graph, schedules it, plans
// the arena and optionally the patch stage, and prints a table, JSON or a C header.
#include "MemoryCommand.h"

#include "CliCommon.h"

#include "core/Format.h"
#include "core/deploy/DeployView.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <cstdio>
#include <cstring>
#include <string>

namespace nc::app {

namespace {

using namespace nc::core;
using namespace nc::core::deploy;

struct MemoryOptions {
    std::string spec, format = "table";
    long long bits = 0;
    bool deploy = false;
    bool inplaceDepthwise = true;
    bool flashAttention = true;
    bool optimal = false;
    Planner planner = Planner::Greedy;
    long long patches = 0; // grid n; 0: none
    bool patchesAuto = false;
    long long patchLayers = 0;
    long long budget = 0;
};

OptionResult parseOption(const std::string& a, const char* v, MemoryOptions& o)
{
    auto is = [&](const char* x) { return v && std::strcmp(v, x) == 0; };
    if (a == "--deploy") {
        o.deploy = true;
        return {true, {}, false};
    }
    if (a == "--bits") {
        if (!v || !parseInt(v, 1, 32, o.bits) || (o.bits != 32 && o.bits != 16 && o.bits != 8 && o.bits != 4))
            return {true, "--bits takes 32, 16, 8 or 4"};
        return {};
    }
    if (a == "--inplace-depthwise") {
        if (!is("on") && !is("off"))
            return {true, "--inplace-depthwise takes on or off"};
        o.inplaceDepthwise = is("on");
        return {};
    }
    if (a == "--flash-attention") {
        if (!is("on") && !is("off"))
            return {true, "--flash-attention takes on or off"};
        o.flashAttention = is("on");
        return {};
    }
    if (a == "--schedule") {
        if (!is("default") && !is("optimal"))
            return {true, "--schedule takes default or optimal"};
        o.optimal = is("optimal");
        return {};
    }
    if (a == "--planner") {
        if (!is("greedy") && !is("best"))
            return {true, "--planner takes greedy or best"};
        o.planner = is("best") ? Planner::Best : Planner::Greedy;
        return {};
    }
    if (a == "--patches") {
        if (is("auto")) {
            o.patchesAuto = true;
            return {};
        }
        if (!v || !parseInt(v, 1, 64, o.patches))
            return {true, "--patches takes a grid size from 1 to 64, or auto"};
        return {};
    }
    if (a == "--patch-layers") {
        if (!v || !parseInt(v, 1, 100000, o.patchLayers))
            return {true, "--patch-layers takes a number of layers from 1 to 100000"};
        return {};
    }
    if (a == "--budget") {
        if (!v || !parseByteSize(v, o.budget))
            return {true, "--budget takes a size in bytes, e.g. 262144 or 256KiB"};
        return {};
    }
    if (a == "--format") {
        if (!is("table") && !is("json") && !is("header"))
            return {true, "--format takes table, json or header"};
        o.format = v;
        return {};
    }
    return {false, {}};
}

const std::string& nameOf(const Network& net, int node) { return net.nodes()[static_cast<size_t>(node)].name; }

} // namespace

int memoryCommand(int argc, char** argv)
{
    MemoryOptions o;
    std::string why = parseArguments(
        argc, argv, [&](const std::string& a, const char* v) { return parseOption(a, v, o); }, o.spec);
    if (!why.empty())
        return fail(why);
    if (o.spec.empty())
        return fail("say which design: memory FILE|zoo:NAME");
    if (o.patches && o.patchesAuto)
        return fail("--patches takes either a grid size or auto");
    if (o.patches && !o.patchLayers)
        return fail("--patches N needs --patch-layers K: how many layers run patch by patch");
    if (o.patchLayers && !o.patches)
        return fail("--patch-layers needs --patches N (or use --patches auto)");
    auto net = loadAny(o.spec, {}, false);
    if (!net)
        return fail(net.error());
    if (o.bits)
        net->bits = static_cast<int>(o.bits);
    const AnalysisResult a = analyze(*net);
    // The same derivation as the designer's Deployment memory dock (one home for every figure):
    // schedule, arena, patch plan and the peak they make.
    DeploySettings ds;
    ds.deploy = o.deploy;
    ds.inplaceDepthwise = o.inplaceDepthwise;
    ds.flashAttention = o.flashAttention;
    ds.optimalOrder = o.optimal;
    ds.planner = o.planner;
    ds.patchAuto = o.patchesAuto;
    ds.patchGrid = static_cast<int>(o.patches);
    ds.patchLayers = static_cast<int>(o.patchLayers);
    ds.patchBudget = o.budget;
    const DeployFigures f = computeDeployFigures(*net, a, ds, ScheduleOptions{}.maxStates, ExactSearch::Now);
    if (!f.error.empty())
        return fail(f.error);
    if (!f.ok())
        return fail("the design has no layer to schedule");
    if (!f.patchError.empty())
        return fail(f.patchError);
    const MemoryGraph& g = f.graph;
    const ScheduleResult& sched = f.schedule;
    const Timeline& t = sched.timeline;
    const ArenaPlan& plan = f.plan;
    const std::optional<PatchPlan>& patch = f.patch;
    const int64_t peak = f.peakBytes();
    const std::string peakLayer = f.peakNode() >= 0 ? nameOf(*net, f.peakNode()) : "";

    if (o.format == "header") {
        std::fputs(arenaHeader(plan, *net).c_str(), stdout);
        return 0;
    }
    if (o.format == "json") {
        QJsonObject root;
        root["peak_bytes"] = static_cast<qint64>(peak);
        root["peak_layer"] = QString::fromStdString(peakLayer);
        QJsonArray order;
        for (int op : t.order)
            order.append(QString::fromStdString(nameOf(*net, g.ops[static_cast<size_t>(op)].node)));
        root["schedule"] = order;
        root["default_peak_bytes"] = static_cast<qint64>(sched.defaultPeakBytes);
        root["arena_bytes"] = static_cast<qint64>(plan.arenaBytes);
        root["lower_bound_bytes"] = static_cast<qint64>(plan.lowerBoundBytes);
        QJsonArray buffers;
        for (const ArenaBlock& b : plan.blocks) {
            QJsonObject j;
            j["layer"] = QString::fromStdString(nameOf(*net, b.node));
            j["offset"] = static_cast<qint64>(b.offset);
            j["bytes"] = static_cast<qint64>(b.bytes);
            j["first_step"] = b.firstStep;
            j["last_step"] = b.lastStep;
            // Which of the layer's tensors the block holds: an output port (LSTM: 0 the sequence, 1
            // h_n, 2 c_n), the causal attention's KV cache, or an op's scratch while it runs.
            j["port"] = b.port;
            j["kind"] = b.buffer < 0                                          ? "scratch"
                        : g.buffers[static_cast<size_t>(b.buffer)].persistent ? "kv_cache"
                                                                              : "output";
            buffers.append(j);
        }
        root["buffers"] = buffers;
        if (patch) {
            QJsonObject p;
            p["grid"] = patch->grid;
            p["layers"] = patch->layers;
            p["patch_peak_bytes"] = static_cast<qint64>(patch->patchPeakBytes);
            p["rest_peak_bytes"] = static_cast<qint64>(patch->restPeakBytes);
            p["extra_macs"] = static_cast<qint64>(patch->extraMacs);
            root["patch"] = p;
        } else {
            root["patch"] = QJsonValue(QJsonValue::Null);
        }
        root["budget_bytes"] = o.budget ? QJsonValue(static_cast<qint64>(o.budget)) : QJsonValue(QJsonValue::Null);
        root["fits"] = o.budget ? QJsonValue(peak <= o.budget) : QJsonValue(QJsonValue::Null);
        QByteArray j = QJsonDocument(root).toJson(QJsonDocument::Indented);
        std::fwrite(j.constData(), 1, static_cast<size_t>(j.size()), stdout);
        return 0;
    }

    // Table: what runs at each step, what it absorbed, and the bytes live then.
    std::vector<std::string> absorbed(g.ops.size());
    for (size_t i = 0; i < g.layers.size(); ++i) {
        const LayerDeploy& d = g.layers[i];
        if (d.role != Role::FoldedBatchNorm && d.role != Role::FusedActivation)
            continue;
        std::string& s = absorbed[static_cast<size_t>(g.layers[static_cast<size_t>(d.into)].op)];
        s += (s.empty() ? "" : ", ") + net->nodes()[i].name + " (" + roleKey(d.role) + ")";
    }
    std::printf("%s: %s view, %d-bit, %s schedule\n", net->name.c_str(), o.deploy ? "deployment" : "training",
                net->bits, o.optimal ? "memory-optimal" : "default");
    if (o.deploy)
        std::printf("%d BatchNorm folded, %d activations fused; %s parameters\n", g.folded, g.fused,
                    groupDigits(g.params).c_str());
    std::printf("%5s  %-28s %14s %12s  %s\n", "step", "layer", "live bytes", "offset", "also runs");
    std::vector<int64_t> offsetOf(g.buffers.size(), 0);
    for (const ArenaBlock& b : plan.blocks)
        if (b.buffer >= 0)
            offsetOf[static_cast<size_t>(b.buffer)] = b.offset;
    for (size_t s = 0; s < t.order.size(); ++s) {
        const MemOp& op = g.ops[static_cast<size_t>(t.order[s])];
        std::string name = nameOf(*net, op.node) + (op.allocates ? "" : " (in place)");
        std::printf("%5zu  %-28s %14s %12s  %s\n", s, name.c_str(), groupDigits(t.liveBytes[s]).c_str(),
                    groupDigits(offsetOf[static_cast<size_t>(op.buffer)]).c_str(),
                    absorbed[static_cast<size_t>(t.order[s])].c_str());
    }
    // The schedule's own peak; with patches, the patched peak is on the "patches" line below.
    std::printf("peak: %s B (%s) at %s\n", groupDigits(t.peakBytes).c_str(), humanBinaryBytes(t.peakBytes).c_str(),
                t.peakStep >= 0 ? nameOf(*net, f.stepNode[static_cast<size_t>(t.peakStep)]).c_str() : "");
    if (o.optimal)
        std::printf("default order: %s B (%s); %s\n", groupDigits(sched.defaultPeakBytes).c_str(),
                    humanBinaryBytes(sched.defaultPeakBytes).c_str(),
                    sched.optimal ? "this order is optimal"
                                  : ("heuristic order; no order is below " + groupDigits(sched.lowerBoundBytes) + " B").c_str());
    std::printf("arena (%s): %s B (%s), lower bound %s B, %.1f%% above it\n",
                o.planner == Planner::Best ? "best" : "greedy by size", groupDigits(plan.arenaBytes).c_str(),
                humanBinaryBytes(plan.arenaBytes).c_str(), groupDigits(plan.lowerBoundBytes).c_str(),
                plan.lowerBoundBytes ? 100.0 * static_cast<double>(plan.arenaBytes - plan.lowerBoundBytes) /
                                           static_cast<double>(plan.lowerBoundBytes)
                                     : 0.0);
    if (patch)
        std::printf("patches: %d×%d grid over %d layers; patch stage %s B, rest %s B; peak %s B at %s; %s MACs "
                    "recomputed (%.1f%%)\n",
                    patch->grid, patch->grid, patch->layers, groupDigits(patch->patchPeakBytes).c_str(),
                    groupDigits(patch->restPeakBytes).c_str(), groupDigits(peak).c_str(), peakLayer.c_str(),
                    groupDigits(patch->extraMacs).c_str(), patch->extraPercent);
    if (o.budget)
        std::printf("%s\n", budgetVerdict(peak, o.budget).c_str());
    return 0;
}

} // namespace nc::app

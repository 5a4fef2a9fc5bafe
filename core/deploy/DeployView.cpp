// DeployView: the deployment figures every view reads, derived from the memory graph and schedule.
#include "DeployView.h"

namespace nc::core::deploy {

std::string DeployFigures::noteFor(const Network& net, int i) const
{
    if (i < 0 || static_cast<size_t>(i) >= graph.layers.size())
        return {};
    const LayerDeploy& d = graph.layers[static_cast<size_t>(i)];
    auto name = [&](int node) {
        return node >= 0 && static_cast<size_t>(node) < net.nodes().size() ? net.nodes()[static_cast<size_t>(node)].name
                                                                            : std::string("?");
    };
    switch (d.role) {
    case Role::Op: return {};
    case Role::FoldedBatchNorm: return "folded into " + name(d.into);
    case Role::FusedActivation: return "fused into " + name(d.into);
    case Role::Dropped: return "dropped";
    case Role::View: return "view of " + name(d.into);
    }
    return {};
}

int DeployFigures::peakNode() const
{
    const Timeline& t = schedule.timeline;
    int step = t.peakStep;
    if (patch) {
        if (patch->patchPeakBytes >= patch->restPeakBytes)
            return patch->patchPeakNode;
        step = patch->restPeakStep;
    }
    return step >= 0 && static_cast<size_t>(step) < stepNode.size() ? stepNode[static_cast<size_t>(step)] : -1;
}

DeployFigures computeDeployFigures(const Network& net, const AnalysisResult& a, const DeploySettings& s,
                                   int64_t maxStates, ExactSearch exact)
{
    DeployFigures f;
    f.deploy = s.deploy;
    auto g = buildMemoryGraph(net, a, {s.deploy, s.inplaceDepthwise, s.flashAttention});
    if (!g) {
        f.error = g.error();
        return f;
    }
    f.graph = std::move(*g);
    if (f.graph.ops.empty())
        return f;
    // The stored bytes do not depend on the order: derived once here, not in applySchedule.
    f.modelBytes.assign(f.graph.layers.size(), 0);
    for (const LayerResult& l : a.layers)
        if (l.nodeIndex >= 0 && static_cast<size_t>(l.nodeIndex) < f.graph.layers.size()) {
            const int64_t bytes = bytesFor(f.graph.layers[static_cast<size_t>(l.nodeIndex)].params, l.bits);
            f.modelBytes[static_cast<size_t>(l.nodeIndex)] = bytes;
            f.modelBytesTotal += bytes;
        }
    ScheduleResult schedule;
    if (s.optimalOrder && exact == ExactSearch::Later) {
        schedule = heuristicSchedule(f.graph);
        f.searching = !schedule.optimal;
    } else if (s.optimalOrder) {
        ScheduleOptions o;
        o.maxStates = maxStates;
        schedule = optimalSchedule(f.graph, o);
    } else {
        schedule.timeline = evaluateOrder(f.graph, defaultOrder(f.graph));
        schedule.defaultPeakBytes = schedule.timeline.peakBytes;
        schedule.lowerBoundBytes = peakLowerBound(f.graph);
    }
    const bool searching = f.searching;
    applySchedule(f, net, a, std::move(schedule), s);
    f.searching = searching;
    return f;
}

void applySchedule(DeployFigures& f, const Network& net, const AnalysisResult& a, ScheduleResult schedule,
                   const DeploySettings& s)
{
    f.searching = false;
    f.schedule = std::move(schedule);
    f.plan = planArena(f.graph, f.schedule.timeline, s.planner);
    f.patch.reset();
    f.patchError.clear();
    f.stepNode.clear();
    f.scratchBytes.clear();
    f.buffers.clear();
    f.allocatedTotal = 0;

    const Timeline& t = f.schedule.timeline;
    const auto& nodes = net.nodes();
    std::vector<int> stepOfOp(f.graph.ops.size(), -1);
    for (size_t step = 0; step < t.order.size(); ++step) {
        const MemOp& op = f.graph.ops[static_cast<size_t>(t.order[step])];
        stepOfOp[static_cast<size_t>(t.order[step])] = static_cast<int>(step);
        f.stepNode.push_back(op.node);
        f.scratchBytes.push_back(op.scratchBytes);
    }
    for (size_t b = 0; b < f.graph.buffers.size(); ++b) {
        const MemBuffer& buf = f.graph.buffers[b];
        const int node = f.graph.ops[static_cast<size_t>(buf.producer)].node;
        f.buffers.push_back({nodes[static_cast<size_t>(node)].id, buf.bytes, t.firstStep[b], t.lastStep[b]});
    }
    f.stepOfNode.assign(f.graph.layers.size(), -1);
    f.allocatedBytes.assign(f.graph.layers.size(), 0);
    for (size_t i = 0; i < f.graph.layers.size(); ++i) {
        const LayerDeploy& d = f.graph.layers[i];
        // Follow folds, fusions and views to the op that computes the value.
        int host = static_cast<int>(i);
        for (int hops = 0; hops < static_cast<int>(f.graph.layers.size()) &&
                           f.graph.layers[static_cast<size_t>(host)].role != Role::Op;
             ++hops)
            host = f.graph.layers[static_cast<size_t>(host)].into;
        if (host >= 0 && f.graph.layers[static_cast<size_t>(host)].op >= 0)
            f.stepOfNode[i] = stepOfOp[static_cast<size_t>(f.graph.layers[static_cast<size_t>(host)].op)];
        if (d.role == Role::Op && d.op >= 0 && f.graph.ops[static_cast<size_t>(d.op)].allocates) {
            f.allocatedBytes[i] = f.graph.ops[static_cast<size_t>(d.op)].outputBytes;
            f.allocatedTotal += f.allocatedBytes[i];
        }
    }
    if (s.patchesOn()) {
        Result<PatchPlan> p = patchPlanFor(net, a, f, s);
        if (p)
            f.patch = std::move(*p);
        else
            f.patchError = p.error();
    }
}

Result<PatchPlan> patchPlanFor(const Network& net, const AnalysisResult& a, const DeployFigures& f,
                               const DeploySettings& s)
{
    const Timeline& t = f.schedule.timeline;
    if (s.patchAuto)
        return searchPatches(net, a, f.graph, t, s.patchBudget,
                             s.patchBudget > 0 ? PatchObjective::FewestExtraMacs : PatchObjective::LowestPeak);
    return planPatches(net, a, f.graph, t, s.patchLayers, s.patchGrid);
}

} // namespace nc::core::deploy

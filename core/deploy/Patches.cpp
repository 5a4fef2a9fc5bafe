// Patches: regions by backward receptive field, and the (k, n) search.
#include "Patches.h"

#include <algorithm>

namespace nc::core::deploy {

namespace {

size_t U(int i) { return static_cast<size_t>(i); }

bool patchableType(LayerType t)
{
    LayerParams on;
    on.inplace = 1;
    return t == LayerType::Conv2d || t == LayerType::DepthwiseConv2d || t == LayerType::MaxPool2d ||
           t == LayerType::AvgPool2d || t == LayerType::BatchNorm || canRunInPlace(t, on);
}

bool hasWindow(LayerType t)
{
    return t == LayerType::Conv2d || t == LayerType::DepthwiseConv2d || t == LayerType::MaxPool2d ||
           t == LayerType::AvgPool2d;
}

// Why step `j` (1-based) of the order cannot join the patch stage, or "" when it can.
std::string refuse(const Network& net, const AnalysisResult& a, const MemoryGraph& g, const Timeline& t, int j)
{
    const MemOp& op = g.ops[U(t.order[U(j)])];
    const Node& node = net.nodes()[U(op.node)];
    const std::string who = "layer \"" + node.name + "\": ";
    if (!patchableType(node.type))
        return who + std::string(layerTypeLabel(node.type)) + " cannot run patch by patch";
    if (op.deps.size() != 1 || op.deps[0] != t.order[U(j) - 1] || op.reads.size() != 1)
        return who + "the patch stage must be a chain, and this layer does not read only the layer before";
    // The input must be read by this op alone (through any alias), or the whole tensor is needed anyway.
    int consumers = 0;
    for (const MemOp& o : g.ops)
        consumers += std::count(o.deps.begin(), o.deps.end(), op.deps[0]) > 0 ? 1 : 0;
    if (consumers != 1)
        return who + "its input is read by another layer too, so it cannot be computed patch by patch";
    const LayerResult* L = a.layerAtNode(op.node);
    if (!L || L->output.rank() != 3 || a.inputsOf(*L).size() != 1 || a.inputsOf(*L)[0].rank() != 3)
        return who + "the patch stage needs C×H×W tensors";
    return {};
}

// Input rows [r0, r1) an op needs for output rows [o0, o1) along one axis.
void backward(int64_t o0, int64_t o1, int64_t k, int64_t s, int64_t d, int64_t pad, int64_t inSize, int64_t& r0,
              int64_t& r1)
{
    r0 = std::max<int64_t>(0, o0 * s - pad);
    r1 = std::min<int64_t>(inSize, (o1 - 1) * s - pad + (k - 1) * d + 1);
}

} // namespace

int patchableLayers(const Network& net, const AnalysisResult& a, const MemoryGraph& g, const Timeline& t)
{
    if (t.order.empty() || net.nodes()[U(g.ops[U(t.order[0])].node)].type != LayerType::Input)
        return 0;
    int k = 0;
    while (k + 1 < static_cast<int>(t.order.size()) && refuse(net, a, g, t, k + 1).empty())
        ++k;
    return k;
}

Result<PatchPlan> planPatches(const Network& net, const AnalysisResult& a, const MemoryGraph& g, const Timeline& t,
                              int layers, int grid)
{
    if (t.order.empty() || net.nodes()[U(g.ops[U(t.order[0])].node)].type != LayerType::Input)
        return Error{"patch-based inference starts at the network input, which is not the first layer scheduled"};
    if (layers < 1 || layers >= static_cast<int>(t.order.size()))
        return Error{"the patch stage takes 1 to " + std::to_string(static_cast<int>(t.order.size()) - 1) +
                     " layers, not " + std::to_string(layers)};
    for (int j = 1; j <= layers; ++j)
        if (std::string why = refuse(net, a, g, t, j); !why.empty())
            return Error{why};
    const int lastOp = t.order[U(layers)];
    const LayerResult& last = *a.layerAtNode(g.ops[U(lastOp)].node);
    const int64_t H = last.output[1], W = last.output[2];
    if (grid < 1 || grid > H || grid > W)
        return Error{"a " + std::to_string(grid) + "×" + std::to_string(grid) + " grid does not fit the " +
                     std::to_string(H) + "×" + std::to_string(W) + " output of layer \"" +
                     net.nodes()[U(last.nodeIndex)].name + "\""};

    PatchPlan p;
    p.layers = layers;
    p.grid = grid;
    for (const LayerResult& L : a.layers)
        if (g.layers[U(L.nodeIndex)].role == Role::Op)
            p.totalMacs += L.macs;
    const int64_t inFull = g.buffers[U(g.ops[U(t.order[1])].reads[0])].bytes;
    const int64_t outFull = g.ops[U(lastOp)].outputBytes;
    std::vector<int64_t> computed(U(layers), 0); // output positions computed per op, over all patches

    p.stage.resize(U(layers));
    for (int j = 0; j < layers; ++j) {
        p.stage[U(j)].op = t.order[U(j) + 1];
        p.stage[U(j)].node = g.ops[U(p.stage[U(j)].op)].node;
        p.stage[U(j)].macs = a.layerAtNode(p.stage[U(j)].node)->macs;
    }
    for (int r = 0; r < grid; ++r)
        for (int c = 0; c < grid; ++c) {
            std::vector<PatchRegion> reg(U(layers));
            reg[U(layers) - 1] = {r * H / grid, (r + 1) * H / grid, c * W / grid, (c + 1) * W / grid};
            for (int j = layers - 1; j >= 0; --j) {
                const Node& node = net.nodes()[U(p.stage[U(j)].node)];
                const LayerResult& L = *a.layerAtNode(p.stage[U(j)].node);
                const Shape& in = a.inputsOf(L)[0];
                PatchRegion need = reg[U(j)];
                if (hasWindow(node.type)) {
                    Padding pad = resolvePadding(node.params, in[1], in[2]);
                    backward(reg[U(j)].row0, reg[U(j)].row1, node.params.kh, node.params.sh, node.params.dh, pad.top,
                             in[1], need.row0, need.row1);
                    backward(reg[U(j)].col0, reg[U(j)].col1, node.params.kw, node.params.sw, node.params.dw, pad.left,
                             in[2], need.col0, need.col1);
                }
                PatchRegion& big = p.stage[U(j)].largestInput;
                if (need.rows() * need.cols() > big.rows() * big.cols())
                    big = need;
                if (j > 0)
                    reg[U(j) - 1] = need;
            }
            // Live bytes of this patch at each op of the stage.
            auto regionBytes = [&](int j) {
                const LayerResult& L = *a.layerAtNode(p.stage[U(j)].node);
                return bytesFor(L.output[0] * reg[U(j)].rows() * reg[U(j)].cols() * a.batch, L.bits);
            };
            for (int j = 0; j < layers; ++j) {
                computed[U(j)] += reg[U(j)].rows() * reg[U(j)].cols();
                int64_t live = inFull + outFull + a.layerAtNode(p.stage[U(j)].node)->workspaceBytes;
                if (j > 0)
                    live += regionBytes(j - 1);
                if (j < layers - 1)
                    live += regionBytes(j);
                if (live > p.patchPeakBytes) {
                    p.patchPeakBytes = live;
                    p.patchPeakNode = p.stage[U(j)].node;
                }
            }
            p.regions.push_back(std::move(reg));
        }
    for (int j = 0; j < layers; ++j) {
        PatchStageOp& s = p.stage[U(j)];
        const LayerResult& L = *a.layerAtNode(s.node);
        const int64_t positions = L.output[1] * L.output[2];
        // MACs are the same for every output position of a convolution (and zero for the others).
        s.recomputedMacs = s.macs / positions * (computed[U(j)] - positions);
        p.extraMacs += s.recomputedMacs;
    }
    for (size_t s = U(layers) + 1; s < t.liveBytes.size(); ++s)
        if (p.restPeakStep < 0 || t.liveBytes[s] > p.restPeakBytes) {
            p.restPeakBytes = t.liveBytes[s];
            p.restPeakStep = static_cast<int>(s);
        }
    p.peakBytes = std::max(p.patchPeakBytes, p.restPeakBytes);
    p.extraPercent = p.totalMacs > 0 ? 100.0 * static_cast<double>(p.extraMacs) / static_cast<double>(p.totalMacs) : 0;
    return p;
}

Result<PatchPlan> searchPatches(const Network& net, const AnalysisResult& a, const MemoryGraph& g, const Timeline& t,
                                int64_t budgetBytes, PatchObjective objective)
{
    const int maxK = patchableLayers(net, a, g, t);
    if (maxK == 0)
        return Error{t.order.size() < 2 ? "the network has no layer to run patch by patch"
                                        : refuse(net, a, g, t, 1)};
    std::optional<PatchPlan> bestFit, lowest;
    auto better = [&](const PatchPlan& x, const PatchPlan& y) {
        if (objective == PatchObjective::FewestExtraMacs && x.extraMacs != y.extraMacs)
            return x.extraMacs < y.extraMacs;
        if (x.peakBytes != y.peakBytes)
            return x.peakBytes < y.peakBytes;
        return x.extraMacs < y.extraMacs;
    };
    for (int k = 1; k <= maxK; ++k)
        for (int n = 2; n <= 8; ++n) {
            Result<PatchPlan> p = planPatches(net, a, g, t, k, n);
            if (!p)
                continue; // the grid is finer than the output
            if (!lowest || p->peakBytes < lowest->peakBytes ||
                (p->peakBytes == lowest->peakBytes && p->extraMacs < lowest->extraMacs))
                lowest = *p;
            if ((budgetBytes <= 0 || p->peakBytes <= budgetBytes) && (!bestFit || better(*p, *bestFit)))
                bestFit = *p;
        }
    if (bestFit)
        return *bestFit;
    if (lowest)
        return *lowest;
    return Error{"no patch grid from 2×2 to 8×8 fits the output of the patch stage"};
}

} // namespace nc::core::deploy

// Analysis: schedule, per-layer rules, aliasing and live-memory accounting.
#include "Analysis.h"

#include "BitWidth.h"

#include "Catalogue.h"
#include "layers/LayerKind.h"

#include <algorithm>
#include <functional>
#include <queue>

namespace nc::core {

int64_t bytesFor(int64_t elements, int bits)
{
    // elements·bits/8 rounded up, without forming elements·bits (it may overflow for huge tensors).
    int64_t whole = elements / 8 * bits;
    int64_t rest = (elements % 8) * bits;
    return whole + (rest + 7) / 8;
}

const LayerResult* AnalysisResult::layer(NodeId id, const Network& net) const
{
    return layerAtNode(net.nodeIndex(id));
}

namespace {

std::string quoted(const std::string& name) { return "layer \"" + name + "\": "; }

std::optional<int64_t> mulAll3(int64_t a, int64_t b, int64_t c)
{
    auto ab = checkedMul(a, b);
    return ab ? checkedMul(*ab, c) : std::nullopt;
}

void saturatingAdd(int64_t& acc, int64_t v)
{
    auto s = checkedAdd(acc, v);
    acc = s ? *s : INT64_MAX;
}

} // namespace

LayerSums sumLayers(const AnalysisResult& a, const Network& net, std::span<const NodeId> ids)
{
    LayerSums s;
    for (NodeId id : ids) {
        const LayerResult* l = a.layer(id, net);
        if (!l)
            continue;
        ++s.layers;
        saturatingAdd(s.params, l->params);
        saturatingAdd(s.modelBytes, l->modelBytes);
        saturatingAdd(s.macs, l->macs);
        saturatingAdd(s.activationBytes, l->activationBytes);
    }
    return s;
}

AnalysisResult analyze(const Network& net)
{
    const auto& nodes = net.nodes();
    const auto& edges = net.edges();
    const int n = static_cast<int>(nodes.size());
    const Catalogue& cat = Catalogue::instance();

    AnalysisResult res;
    res.batch = net.batch;
    res.bits = net.bits;
    res.layers.resize(static_cast<size_t>(n));
    res.byNode.assign(static_cast<size_t>(n), -1);

    // Ports: portSrc[portStart[i] + k] is the node feeding port k of node i, or -1.
    std::vector<int> portStart(static_cast<size_t>(n) + 1, 0);
    for (int i = 0; i < n; ++i)
        portStart[static_cast<size_t>(i) + 1] = portStart[static_cast<size_t>(i)] + net.inputCount(nodes[static_cast<size_t>(i)]);
    std::vector<int> portSrc(static_cast<size_t>(portStart.back()), -1);
    std::vector<int> portSrcPort(static_cast<size_t>(portStart.back()), 0); // which output of that node
    std::vector<int> indeg(static_cast<size_t>(n), 0);
    std::vector<int> outCount(static_cast<size_t>(n), 0);
    std::vector<std::string> edgeProblem(static_cast<size_t>(n));
    for (const Edge& e : edges) {
        int a = net.nodeIndex(e.from), b = net.nodeIndex(e.to);
        if (a < 0 || b < 0)
            continue; // the loader and the editor never produce these; ignore defensively
        int ports = portStart[static_cast<size_t>(b) + 1] - portStart[static_cast<size_t>(b)];
        if (e.toPort < 0 || e.toPort >= ports) {
            edgeProblem[static_cast<size_t>(b)] = "input port " + std::to_string(e.toPort) +
                                                  " is connected but the layer has " + std::to_string(ports) +
                                                  " input(s); raise `inputs` or remove that connection";
            continue;
        }
        int& slot = portSrc[static_cast<size_t>(portStart[static_cast<size_t>(b)] + e.toPort)];
        if (slot >= 0) {
            edgeProblem[static_cast<size_t>(b)] = "input port " + std::to_string(e.toPort) + " has two connections";
            continue;
        }
        if (int outs = net.outputCount(nodes[static_cast<size_t>(a)]); e.fromPort < 0 || e.fromPort >= outs) {
            edgeProblem[static_cast<size_t>(b)] = "input port " + std::to_string(e.toPort) + " reads output " +
                                                  std::to_string(e.fromPort) + " of \"" +
                                                  nodes[static_cast<size_t>(a)].name + "\", which has " +
                                                  std::to_string(outs) + " output(s)";
            continue;
        }
        slot = a;
        portSrcPort[static_cast<size_t>(portStart[static_cast<size_t>(b)] + e.toPort)] = e.fromPort;
        ++indeg[static_cast<size_t>(b)];
        ++outCount[static_cast<size_t>(a)];
    }
    // Consumers in CSR form.
    std::vector<int> outStart(static_cast<size_t>(n) + 1, 0);
    for (int i = 0; i < n; ++i)
        outStart[static_cast<size_t>(i) + 1] = outStart[static_cast<size_t>(i)] + outCount[static_cast<size_t>(i)];
    std::vector<int> outList(static_cast<size_t>(outStart.back()));
    {
        std::vector<int> fill(outStart.begin(), outStart.end() - 1);
        for (int b = 0; b < n; ++b)
            for (int k = portStart[static_cast<size_t>(b)]; k < portStart[static_cast<size_t>(b) + 1]; ++k)
                if (int a = portSrc[static_cast<size_t>(k)]; a >= 0)
                    outList[static_cast<size_t>(fill[static_cast<size_t>(a)]++)] = b;
    }

    // Kahn's algorithm; ties go to the earlier node in the network's order, so the schedule follows
    // the order layers were added (the order a user or a zoo file reads them in).
    std::vector<int> schedule;
    schedule.reserve(static_cast<size_t>(n));
    {
        std::priority_queue<int, std::vector<int>, std::greater<int>> ready;
        std::vector<int> remaining = indeg;
        for (int i = 0; i < n; ++i)
            if (remaining[static_cast<size_t>(i)] == 0)
                ready.push(i);
        while (!ready.empty()) {
            int i = ready.top();
            ready.pop();
            schedule.push_back(i);
            for (int k = outStart[static_cast<size_t>(i)]; k < outStart[static_cast<size_t>(i) + 1]; ++k)
                if (--remaining[static_cast<size_t>(outList[static_cast<size_t>(k)])] == 0)
                    ready.push(outList[static_cast<size_t>(k)]);
        }
    }
    const int scheduled = static_cast<int>(schedule.size());
    std::vector<char> inSchedule(static_cast<size_t>(n), 0);
    for (int i : schedule)
        inSchedule[static_cast<size_t>(i)] = 1;
    for (int i = 0; i < n; ++i)
        if (!inSchedule[static_cast<size_t>(i)])
            schedule.push_back(i); // on a cycle or fed by one: reported below, after the schedule

    res.inputShapes.reserve(static_cast<size_t>(portStart.back()));
    std::vector<Shape> inShapes;
    std::vector<ReceptiveField> inRf;
    AnalysisTotals& T = res.totals;

    for (int step = 0; step < n; ++step) {
        const int i = schedule[static_cast<size_t>(step)];
        const Node& node = nodes[static_cast<size_t>(i)];
        LayerResult& L = res.layers[static_cast<size_t>(step)];
        res.byNode[static_cast<size_t>(i)] = step;
        L.id = node.id;
        L.nodeIndex = i;
        L.step = step;
        L.type = node.type;
        L.bits = node.params.bits > 0 ? static_cast<int>(node.params.bits) : net.bits;
        L.firstInput = static_cast<int>(res.inputShapes.size());

        if (step >= scheduled) {
            L.status = LayerStatus::Error;
            L.message = quoted(node.name) + "is on a cycle (or fed by one); remove a connection to break it";
            ++T.errors;
            continue;
        }
        if (!edgeProblem[static_cast<size_t>(i)].empty()) {
            L.status = LayerStatus::Error;
            L.message = quoted(node.name) + edgeProblem[static_cast<size_t>(i)];
            ++T.errors;
            continue;
        }
        inShapes.clear();
        inRf.clear();
        const int p0 = portStart[static_cast<size_t>(i)], p1 = portStart[static_cast<size_t>(i) + 1];
        for (int k = p0; k < p1; ++k) {
            int src = portSrc[static_cast<size_t>(k)];
            if (src < 0) {
                L.status = LayerStatus::Error;
                L.message = quoted(node.name) + "input port " + std::to_string(k - p0) +
                            " is not connected; connect a layer's output to it";
                break;
            }
            const LayerResult& S = res.layers[static_cast<size_t>(res.byNode[static_cast<size_t>(src)])];
            if (S.status != LayerStatus::Ok) {
                L.status = LayerStatus::Blocked;
                L.message = quoted(node.name) + "waiting for \"" + nodes[static_cast<size_t>(src)].name +
                            "\", which has no valid output";
                break;
            }
            const int port = portSrcPort[static_cast<size_t>(k)];
            inShapes.push_back(port == 0 ? S.output : S.extraOutputs[static_cast<size_t>(port - 1)]);
            inRf.push_back(S.rf);
        }
        if (L.status == LayerStatus::Error) {
            ++T.errors;
            continue;
        }
        if (L.status == LayerStatus::Blocked) {
            ++T.blocked;
            continue;
        }
        for (const Shape& s : inShapes)
            res.inputShapes.push_back(s);
        L.inputCount = static_cast<int>(inShapes.size());

        // Attribute ranges come from the catalogue, so a file or a script cannot slip past what the
        // inspector would refuse.
        const LayerSpec& spec = cat.spec(node.type);
        for (const AttrSpec& a : spec.attrs) {
            if (!a.intField)
                continue;
            int64_t v = node.params.*(a.intField);
            if (v < a.min || v > a.max) {
                L.status = LayerStatus::Error;
                L.message = quoted(node.name) + std::string(a.key) + " = " + std::to_string(v) +
                            " is out of range; use " + std::to_string(static_cast<int64_t>(a.min)) + " to " +
                            std::to_string(static_cast<int64_t>(a.max));
                break;
            }
        }
        if (L.status == LayerStatus::Ok && node.params.bits != 0 && !isBitWidth(static_cast<int>(node.params.bits))) {
            L.status = LayerStatus::Error;
            L.message = quoted(node.name) + "bit width " + std::to_string(node.params.bits) +
                        " is not supported; use " + bitWidthList() + " (or 0 for the network's)";
        }
        if (L.status == LayerStatus::Error) {
            ++T.errors;
            continue;
        }

        Result<Shape> shape = inferShape(node.type, node.params, inShapes);
        if (!shape) {
            L.status = LayerStatus::Error;
            L.message = quoted(node.name) + shape.error();
            ++T.errors;
            continue;
        }
        L.output = *shape;
        std::optional<int64_t> outN = L.output.elements();
        if (const auto extra = layerKind(node.type).extraOutputs) {
            // Every output of a layer is stored together and lives as long as its longest-read part.
            L.extraOutputs = extra(node.params, inShapes, L.output);
            for (const Shape& s : L.extraOutputs) {
                auto e = s.elements();
                outN = outN && e ? checkedAdd(*outN, *e) : std::nullopt;
            }
        }
        Result<LayerCosts> costs = layerCosts(node.type, node.params, inShapes, L.output);
        auto outB = outN ? checkedMul(*outN, net.batch) : std::nullopt;
        if (!costs || !outB) {
            L.status = LayerStatus::Error;
            L.message = quoted(node.name) + (costs ? "output size × batch overflows 64 bits" : costs.error());
            ++T.errors;
            continue;
        }
        L.perSample = *costs;
        auto macs = checkedMul(costs->macs, net.batch);
        auto other = checkedMul(costs->otherOps, net.batch);
        auto flops = macs ? checkedMul(*macs, 2) : std::nullopt;
        auto work = checkedMul(costs->workspace, net.batch);
        if (!macs || !other || !flops || !work) {
            L.status = LayerStatus::Error;
            L.message = quoted(node.name) + "operation count × batch overflows 64 bits; reduce the batch";
            ++T.errors;
            continue;
        }
        // Bytes are elements × bits / 8 with bits ≤ 32: a count above 2^63 / 4 would wrap them.
        constexpr int64_t kMaxForBytes = INT64_MAX / 4;
        if (*outB > kMaxForBytes || costs->params > kMaxForBytes || costs->state > kMaxForBytes ||
            *work > kMaxForBytes) {
            L.status = LayerStatus::Error;
            L.message = quoted(node.name) + "size in bytes overflows 64 bits; reduce the sizes or the batch";
            ++T.errors;
            continue;
        }
        L.params = costs->params;
        L.state = costs->state;
        L.modelBytes = bytesFor(L.params, L.bits);
        L.macs = *macs;
        L.flops = *flops;
        L.paddingMacs = costs->paddingMacs * net.batch; // ≤ macs, so it cannot overflow either
        L.otherOps = *other;
        L.outputElements = *outB;
        L.workspaceBytes = bytesFor(*work, L.bits);
        auto rf = receptiveField(node.type, node.params, inRf, inShapes, L.output);
        if (!rf) {
            L.status = LayerStatus::Error;
            L.message = quoted(node.name) + rf.error();
            ++T.errors;
            continue;
        }
        L.rf = *rf;

        const LayerKind& kind = layerKind(node.type);
        if (kind.tie) {
            if (std::optional<TieRequest> want = kind.tie(node.params, inShapes)) {
                // The earliest matching ancestor in the schedule: the table the tokens came from.
                int best = -1;
                std::vector<int> stack{i};
                std::vector<char> seen(static_cast<size_t>(n), 0);
                while (!stack.empty()) {
                    int v = stack.back();
                    stack.pop_back();
                    for (int k = portStart[static_cast<size_t>(v)]; k < portStart[static_cast<size_t>(v) + 1]; ++k) {
                        int a = portSrc[static_cast<size_t>(k)];
                        if (a < 0 || seen[static_cast<size_t>(a)])
                            continue;
                        seen[static_cast<size_t>(a)] = 1;
                        stack.push_back(a);
                        const Node& c = nodes[static_cast<size_t>(a)];
                        if (c.type == want->kind && c.params.vocab == want->rows && c.params.features == want->cols &&
                            (best < 0 || res.byNode[static_cast<size_t>(a)] < res.byNode[static_cast<size_t>(best)]))
                            best = a;
                    }
                }
                if (best < 0) {
                    L.status = LayerStatus::Error;
                    L.message = quoted(node.name) + "tied weights need an upstream " +
                                std::string(layerTypeLabel(want->kind)) + " with a " + std::to_string(want->rows) +
                                "×" + std::to_string(want->cols) +
                                " table (vocabulary × dimension); connect one or turn `tied` off";
                    ++T.errors;
                    continue;
                }
                L.tiedTo = nodes[static_cast<size_t>(best)].id;
                L.tiedName = nodes[static_cast<size_t>(best)].name;
            }
        }
        if (kind.kvCachePerToken) {
            if (int64_t perToken = kind.kvCachePerToken(node.params, inShapes); perToken > 0) {
                L.kvContext = net.context > 0 ? net.context : inShapes[0][0];
                auto values = mulAll3(perToken, L.kvContext, net.batch);
                if (!values) {
                    L.status = LayerStatus::Error;
                    L.message = quoted(node.name) + "KV cache size overflows 64 bits; reduce the context or batch";
                    ++T.errors;
                    continue;
                }
                L.kvCacheBytes = bytesFor(*values, L.bits);
            }
        }
    }

    // Storage: views always share their input's buffer; an in-place activation shares it when it is
    // that tensor's only consumer (otherwise overwriting would corrupt the other reader).
    std::vector<int> owner(static_cast<size_t>(n), -1); // node index of the buffer a node's output lives in
    for (int step = 0; step < scheduled; ++step) {
        LayerResult& L = res.layers[static_cast<size_t>(step)];
        if (L.status != LayerStatus::Ok)
            continue;
        const int i = L.nodeIndex;
        const Node& node = nodes[static_cast<size_t>(i)];
        owner[static_cast<size_t>(i)] = i;
        if (L.inputCount == 1) {
            int src = portSrc[static_cast<size_t>(portStart[static_cast<size_t>(i)])];
            if (isView(node.type) || (canRunInPlace(node.type, node.params) && outCount[static_cast<size_t>(src)] == 1 &&
                                      nodes[static_cast<size_t>(src)].type != LayerType::Input))
                owner[static_cast<size_t>(i)] = owner[static_cast<size_t>(src)];
        }
        L.stored = owner[static_cast<size_t>(i)] == i;
        L.activations = L.stored ? L.outputElements : 0;
        L.activationBytes = L.stored ? bytesFor(L.outputElements, L.bits) : 0;
    }

    // Lifetimes: a buffer lives from its owner's step to the last step that reads it through any alias;
    // a network output (no consumer) lives to the end.
    std::vector<int> lastUse(static_cast<size_t>(n), -1);
    for (int step = 0; step < scheduled; ++step) {
        const LayerResult& L = res.layers[static_cast<size_t>(step)];
        if (L.status != LayerStatus::Ok)
            continue;
        const int i = L.nodeIndex;
        int o = owner[static_cast<size_t>(i)];
        lastUse[static_cast<size_t>(o)] = std::max(lastUse[static_cast<size_t>(o)], step);
        if (outCount[static_cast<size_t>(i)] == 0)
            lastUse[static_cast<size_t>(o)] = scheduled - 1;
        for (int k = portStart[static_cast<size_t>(i)]; k < portStart[static_cast<size_t>(i) + 1]; ++k) {
            int so = owner[static_cast<size_t>(portSrc[static_cast<size_t>(k)])];
            lastUse[static_cast<size_t>(so)] = std::max(lastUse[static_cast<size_t>(so)], step);
        }
    }
    std::vector<int64_t> delta(static_cast<size_t>(scheduled) + 1, 0);
    for (int step = 0; step < scheduled; ++step) {
        const LayerResult& L = res.layers[static_cast<size_t>(step)];
        if (L.status != LayerStatus::Ok || !L.stored)
            continue;
        int last = lastUse[static_cast<size_t>(L.nodeIndex)];
        res.buffers.push_back({L.id, L.activationBytes, step, last});
        delta[static_cast<size_t>(step)] += L.activationBytes;
        delta[static_cast<size_t>(last) + 1] -= L.activationBytes;
    }
    int64_t live = 0;
    for (int step = 0; step < scheduled; ++step) {
        LayerResult& L = res.layers[static_cast<size_t>(step)];
        saturatingAdd(live, delta[static_cast<size_t>(step)]);
        if (L.status != LayerStatus::Ok)
            continue;
        L.liveBytes = live;
        saturatingAdd(L.liveBytes, L.workspaceBytes);
        if (L.liveBytes > T.peakLiveBytes) {
            T.peakLiveBytes = L.liveBytes;
            T.peakLiveLayer = L.id;
        }
    }

    // Network totals and the lecture's activation figures.
    for (int step = 0; step < scheduled; ++step) {
        LayerResult& L = res.layers[static_cast<size_t>(step)];
        if (L.status != LayerStatus::Ok)
            continue;
        saturatingAdd(T.params, L.params);
        saturatingAdd(T.state, L.state);
        saturatingAdd(T.modelBytes, L.modelBytes);
        for (size_t b = 0; b < kBitWidths.size(); ++b)
            saturatingAdd(T.modelBytesAt[b], bytesFor(L.params, kBitWidths[b].bits));
        saturatingAdd(T.macs, L.macs);
        saturatingAdd(T.flops, L.flops);
        saturatingAdd(T.otherOps, L.otherOps);
        saturatingAdd(T.activations, L.activations);
        saturatingAdd(T.activationBytes, L.activationBytes);
        saturatingAdd(T.trainingBytes, L.activationBytes);
        saturatingAdd(T.trainingBytes, L.workspaceBytes);
        saturatingAdd(T.kvCacheBytes, L.kvCacheBytes);
        if (L.stored) {
            int64_t m = L.activations;
            for (int k = 0; k < L.inputCount; ++k) {
                auto e = res.inputShapes[static_cast<size_t>(L.firstInput + k)].elements();
                auto eb = e ? checkedMul(*e, net.batch) : std::nullopt;
                saturatingAdd(m, eb ? *eb : INT64_MAX);
            }
            L.lectureMemory = m;
            if (m > T.peakActivations) {
                T.peakActivations = m;
                T.peakActivationsLayer = L.id;
            }
        }
        if (L.rf.valid)
            T.rf = L.rf;
    }
    return res;
}

} // namespace nc::core

// Deployment: folding, fusion and in-place rules applied on top of the analysis.
#include "Deployment.h"

#include "core/layers/LayerKind.h"

#include <algorithm>

namespace nc::core::deploy {

const char* roleKey(Role r)
{
    switch (r) {
    case Role::Op: return "op";
    case Role::FoldedBatchNorm: return "folded";
    case Role::FusedActivation: return "fused";
    case Role::Dropped: return "dropped";
    case Role::View: return "view";
    }
    return "op";
}

namespace {

bool isPointwiseActivation(LayerType t)
{
    LayerParams p;
    p.inplace = 1;
    return canRunInPlace(t, p);
}

// Producers whose output stage can apply an activation before storing (TFLite's fused activation),
// and those whose weights absorb a following BatchNorm: traits of the layer kind.
bool acceptsFusedActivation(LayerType t) { return layerKind(t).fusesActivation; }

bool foldsBatchNorm(LayerType t) { return layerKind(t).absorbsBatchNorm; }

} // namespace

Result<MemoryGraph> buildMemoryGraph(const Network& net, const AnalysisResult& a, const DeployOptions& options)
{
    for (const LayerResult& l : a.layers)
        if (l.status != LayerStatus::Ok)
            return Error{l.message.empty() ? "the network has errors" : l.message};

    const auto& nodes = net.nodes();
    const int n = static_cast<int>(nodes.size());
    auto U = [](int i) { return static_cast<size_t>(i); };

    // Values are output ports: value id portBase[i] + port. Inputs per port and consumer counts per
    // value, from the edges (analysis has validated them).
    std::vector<int> portBase(U(n) + 1, 0);
    for (int i = 0; i < n; ++i)
        portBase[U(i) + 1] = portBase[U(i)] + std::max(1, net.outputCount(nodes[U(i)]));
    const int values = portBase[U(n)];
    std::vector<int> nodeOf(U(values), 0);
    for (int i = 0; i < n; ++i)
        for (int v = portBase[U(i)]; v < portBase[U(i) + 1]; ++v)
            nodeOf[U(v)] = i;
    std::vector<std::vector<int>> src(U(n)); // value id feeding each input port
    std::vector<int> outCount(U(values), 0), nodeConsumers(U(n), 0);
    for (int i = 0; i < n; ++i)
        src[U(i)].assign(U(net.inputCount(nodes[U(i)])), -1);
    for (const Edge& e : net.edges()) {
        int from = net.nodeIndex(e.from), to = net.nodeIndex(e.to);
        if (from < 0 || to < 0 || e.toPort < 0 || e.toPort >= static_cast<int>(src[U(to)].size()) || e.fromPort < 0 ||
            e.fromPort >= portBase[U(from) + 1] - portBase[U(from)])
            continue;
        const int v = portBase[U(from)] + e.fromPort;
        src[U(to)][U(e.toPort)] = v;
        ++outCount[U(v)];
        ++nodeConsumers[U(from)];
    }

    MemoryGraph g;
    g.layers.resize(U(n));
    // value[v]: the value (op output port) that holds value v — itself for an op's ports.
    std::vector<int> value(U(values), -1);
    for (int v = 0; v < values; ++v)
        value[U(v)] = v;
    std::vector<char> hasActivation(U(n), 0), hasFold(U(n), 0);
    auto singleOutput = [&](int node) { return portBase[U(node) + 1] - portBase[U(node)] == 1; };

    // Pass 1: roles, in schedule order so every input is decided first.
    for (const LayerResult& L : a.layers) {
        const int i = L.nodeIndex;
        const Node& node = nodes[U(i)];
        LayerDeploy& D = g.layers[U(i)];
        D.params = L.params;
        D.state = L.state;
        D.into = i;
        if (L.inputCount != 1) {
            D.role = Role::Op;
            continue;
        }
        const int sv = src[U(i)][0];
        const int s = nodeOf[U(sv)];
        const LayerType st = nodes[U(s)].type;
        if (isView(node.type)) {
            // Every piece of a view (a Split's ports) aliases the one input value.
            D.role = options.deploy && node.type == LayerType::Dropout ? Role::Dropped : Role::View;
            for (int v = portBase[U(i)]; v < portBase[U(i) + 1]; ++v)
                value[U(v)] = value[U(sv)];
            D.into = nodeOf[U(value[U(sv)])];
            continue;
        }
        if (!options.deploy)
            continue;
        if (node.type == LayerType::BatchNorm && foldsBatchNorm(st) && singleOutput(s) && outCount[U(sv)] == 1 &&
            g.layers[U(s)].role == Role::Op && !hasFold[U(s)]) {
            D.role = Role::FoldedBatchNorm;
            D.into = s;
            value[U(portBase[U(i)])] = sv;
            hasFold[U(s)] = 1;
            // w' = w·γ/σ, b' = (b − μ)·γ/σ + β: the layer keeps its weights and gains a bias if it had none.
            LayerDeploy& host = g.layers[U(s)];
            if (!nodes[U(s)].params.bias) {
                const Shape& out = L.output;
                host.params += out.rank() > 0 ? out[0] : 0;
            }
            D.params = 0;
            D.state = 0;
            ++g.folded;
            continue;
        }
        const Role sr = g.layers[U(s)].role;
        const int hostValue = value[U(sv)];
        const int host = nodeOf[U(hostValue)];
        if (isPointwiseActivation(node.type) && outCount[U(sv)] == 1 && singleOutput(host) &&
            (sr == Role::Op || sr == Role::FoldedBatchNorm) && acceptsFusedActivation(nodes[U(host)].type) &&
            !hasActivation[U(host)]) {
            D.role = Role::FusedActivation;
            D.into = host;
            value[U(portBase[U(i)])] = hostValue;
            hasActivation[U(host)] = 1;
            D.params = 0; // PReLU-style learnable activations do not exist here; keep the sum exact anyway
            ++g.fused;
            g.layers[U(host)].params += L.params;
            continue;
        }
    }

    // In the training view an op's ports are stored together and live as long as the longest-read
    // one (the analysis' model); in the deployment view each port is a buffer of its own, freed
    // after its own last reader (an LSTM's h_n and c_n beside its sequence output).
    const bool perPort = options.deploy;
    auto storedAs = [&](int v) {
        const int h = value[U(v)];
        return perPort ? h : portBase[U(nodeOf[U(h)])];
    };

    // Pass 2: who reads each value, and which values are network outputs (a layer nobody reads: all
    // its ports live to the end, as in the analysis).
    std::vector<int> readers(U(values), 0);
    std::vector<char> isOutput(U(values), 0);
    for (const LayerResult& L : a.layers) {
        const int i = L.nodeIndex;
        if (nodeConsumers[U(i)] == 0)
            for (int v = portBase[U(i)]; v < portBase[U(i) + 1]; ++v)
                isOutput[U(storedAs(v))] = 1;
        if (g.layers[U(i)].role != Role::Op)
            continue;
        for (int v : src[U(i)])
            ++readers[U(storedAs(v))];
    }

    // Pass 3: ops and buffers, in place where the rules allow.
    std::vector<int> opOf(U(n), -1), bufferOf(U(values), -1);
    for (const LayerResult& L : a.layers) {
        const int i = L.nodeIndex;
        LayerDeploy& D = g.layers[U(i)];
        if (D.role != Role::Op)
            continue;
        const Node& node = nodes[U(i)];
        MemOp op;
        op.node = i;
        // Port 0's bytes; the other ports' (perPort) are extra buffers below.
        std::vector<int64_t> portBytes{bytesFor(L.outputElements, L.bits)};
        if (perPort && !L.extraOutputs.empty()) {
            auto elementsOf = [&](const Shape& sh) { return sh.elements().value_or(0) * a.batch; };
            portBytes = {bytesFor(elementsOf(L.output), L.bits)};
            for (const Shape& sh : L.extraOutputs)
                portBytes.push_back(bytesFor(elementsOf(sh), L.bits));
        }
        op.outputBytes = portBytes[0];
        op.scratchBytes = L.workspaceBytes;
        for (int v : src[U(i)]) {
            const int sv = storedAs(v);
            int op2 = opOf[U(nodeOf[U(sv)])], b = bufferOf[U(sv)];
            if (std::find(op.deps.begin(), op.deps.end(), op2) == op.deps.end())
                op.deps.push_back(op2);
            if (std::find(op.reads.begin(), op.reads.end(), b) == op.reads.end())
                op.reads.push_back(b);
        }

        // Which input buffer, if any, this op overwrites (inputs given as value ids).
        int inPlaceOf = -1;
        auto dies = [&](int v) {
            const int sv = storedAs(v);
            int b = bufferOf[U(sv)];
            return readers[U(sv)] == 1 && !isOutput[U(sv)] && !g.buffers[U(b)].output &&
                   nodes[U(g.ops[U(g.buffers[U(b)].producer)].node)].type != LayerType::Input &&
                   op.outputBytes <= g.buffers[U(b)].bytes;
        };
        const int in0 = src[U(i)].empty() ? -1 : src[U(i)][0];
        if (!options.deploy) {
            if (L.inputCount == 1 && canRunInPlace(node.type, node.params) && nodeConsumers[U(nodeOf[U(in0)])] == 1 &&
                nodes[U(nodeOf[U(in0)])].type != LayerType::Input)
                inPlaceOf = in0;
        } else if (L.inputCount == 1 && (isPointwiseActivation(node.type) || node.type == LayerType::BatchNorm)) {
            if (dies(in0))
                inPlaceOf = in0;
        } else if (node.type == LayerType::Add) {
            for (int v : src[U(i)])
                if (dies(v)) {
                    inPlaceOf = v;
                    break;
                }
        } else if (node.type == LayerType::MultiHeadAttention && options.flashAttention) {
            const Shape& in = a.inputsOf(L)[0];
            if (in.rank() == 2) {
                const int64_t T = in[0], D = in[1];
                const int64_t elements = 4 * T * D + 2 * node.params.heads * T + T * std::min<int64_t>(T, 64);
                // Never more than the full map's workspace, which the analysis has checked for overflow.
                op.scratchBytes = std::min(op.scratchBytes, bytesFor(elements * a.batch, L.bits));
            }
        } else if (node.type == LayerType::DepthwiseConv2d && options.inplaceDepthwise && node.params.multiplier == 1) {
            if (dies(in0)) {
                inPlaceOf = in0;
                const Shape& in = a.inputsOf(L)[0];
                if (in.rank() == 3) {
                    Padding pad = resolvePadding(node.params, in[1], in[2]);
                    op.scratchBytes += bytesFor((in[1] + pad.top + pad.bottom) * (in[2] + pad.left + pad.right), L.bits);
                }
            }
        }

        const int opIndex = static_cast<int>(g.ops.size());
        if (inPlaceOf >= 0) {
            op.buffer = bufferOf[U(storedAs(inPlaceOf))];
            op.allocates = false;
            D.inPlace = true;
        } else {
            op.buffer = static_cast<int>(g.buffers.size());
            MemBuffer b;
            b.producer = opIndex;
            b.bytes = op.outputBytes;
            g.buffers.push_back(b);
        }
        bufferOf[U(portBase[U(i)])] = op.buffer;
        for (size_t p = 1; p < portBytes.size(); ++p) {
            MemBuffer b;
            b.producer = opIndex;
            b.bytes = portBytes[p];
            b.port = static_cast<int>(p);
            bufferOf[U(portBase[U(i)] + static_cast<int>(p))] = static_cast<int>(g.buffers.size());
            op.extraBuffers.push_back(static_cast<int>(g.buffers.size()));
            g.buffers.push_back(b);
        }
        for (int b : op.reads)
            g.buffers[U(b)].readers.push_back(opIndex);
        for (int v = portBase[U(i)]; v < portBase[U(i) + 1]; ++v)
            if (bufferOf[U(v)] >= 0 && isOutput[U(v)])
                g.buffers[U(bufferOf[U(v)])].output = true;
        if (options.deploy && L.kvCacheBytes > 0) {
            MemBuffer kv;
            kv.producer = opIndex;
            kv.bytes = L.kvCacheBytes;
            kv.persistent = true;
            g.buffers.push_back(kv);
        }
        opOf[U(i)] = opIndex;
        D.op = opIndex;
        g.ops.push_back(std::move(op));
    }
    // Every later figure (live bytes, arena offsets, the search's peaks) is a sum of these, so one
    // check here keeps them all inside 64 bits.
    int64_t total = 0;
    for (const MemBuffer& b : g.buffers)
        if (auto t = checkedAdd(total, b.bytes))
            total = *t;
        else
            return Error{"the network's tensors add up to more than 2^63 bytes; reduce the batch or the sizes"};
    for (const MemOp& op : g.ops)
        if (auto t = checkedAdd(total, op.scratchBytes))
            total = *t;
        else
            return Error{"the network's tensors add up to more than 2^63 bytes; reduce the batch or the sizes"};
    for (const LayerDeploy& D : g.layers) {
        g.params += D.params;
        g.state += D.state;
    }
    return g;
}

} // namespace nc::core::deploy

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

    // Inputs per port and consumer counts, from the edges (analysis has validated them).
    std::vector<std::vector<int>> src(U(n));
    std::vector<int> outCount(U(n), 0);
    for (int i = 0; i < n; ++i)
        src[U(i)].assign(U(net.inputCount(nodes[U(i)])), -1);
    for (const Edge& e : net.edges()) {
        int from = net.nodeIndex(e.from), to = net.nodeIndex(e.to);
        if (from < 0 || to < 0 || e.toPort < 0 || e.toPort >= static_cast<int>(src[U(to)].size()))
            continue;
        src[U(to)][U(e.toPort)] = from;
        ++outCount[U(from)];
    }

    MemoryGraph g;
    g.layers.resize(U(n));
    // value[i]: the node whose op writes the tensor node i outputs (itself for ops).
    std::vector<int> value(U(n), -1);
    std::vector<char> hasActivation(U(n), 0), hasFold(U(n), 0);

    // Pass 1: roles, in schedule order so every input is decided first.
    for (const LayerResult& L : a.layers) {
        const int i = L.nodeIndex;
        const Node& node = nodes[U(i)];
        LayerDeploy& D = g.layers[U(i)];
        D.params = L.params;
        D.state = L.state;
        value[U(i)] = i;
        D.into = i;
        if (L.inputCount != 1) {
            D.role = Role::Op;
            continue;
        }
        const int s = src[U(i)][0];
        const LayerType st = nodes[U(s)].type;
        if (isView(node.type)) {
            D.role = options.deploy && node.type == LayerType::Dropout ? Role::Dropped : Role::View;
            value[U(i)] = value[U(s)];
            D.into = value[U(s)];
            continue;
        }
        if (!options.deploy)
            continue;
        if (node.type == LayerType::BatchNorm && foldsBatchNorm(st) && outCount[U(s)] == 1 &&
            g.layers[U(s)].role == Role::Op && !hasFold[U(s)]) {
            D.role = Role::FoldedBatchNorm;
            D.into = s;
            value[U(i)] = s;
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
        const int host = value[U(s)];
        if (isPointwiseActivation(node.type) && outCount[U(s)] == 1 &&
            (sr == Role::Op || sr == Role::FoldedBatchNorm) && acceptsFusedActivation(nodes[U(host)].type) &&
            !hasActivation[U(host)]) {
            D.role = Role::FusedActivation;
            D.into = host;
            value[U(i)] = host;
            hasActivation[U(host)] = 1;
            D.params = 0; // PReLU-style learnable activations do not exist here; keep the sum exact anyway
            ++g.fused;
            g.layers[U(host)].params += L.params;
            continue;
        }
    }

    // Pass 2: who reads each value, and which values are network outputs.
    std::vector<int> readers(U(n), 0);
    std::vector<char> isOutput(U(n), 0);
    for (const LayerResult& L : a.layers) {
        const int i = L.nodeIndex;
        if (outCount[U(i)] == 0)
            isOutput[U(value[U(i)])] = 1;
        if (g.layers[U(i)].role != Role::Op)
            continue;
        for (int s : src[U(i)])
            ++readers[U(value[U(s)])];
    }

    // Pass 3: ops and buffers, in place where the rules allow.
    std::vector<int> opOf(U(n), -1), bufferOf(U(n), -1);
    for (const LayerResult& L : a.layers) {
        const int i = L.nodeIndex;
        LayerDeploy& D = g.layers[U(i)];
        if (D.role != Role::Op)
            continue;
        const Node& node = nodes[U(i)];
        MemOp op;
        op.node = i;
        op.outputBytes = bytesFor(L.outputElements, L.bits);
        op.scratchBytes = L.workspaceBytes;
        for (int s : src[U(i)]) {
            int op2 = opOf[U(value[U(s)])], b = bufferOf[U(value[U(s)])];
            if (std::find(op.deps.begin(), op.deps.end(), op2) == op.deps.end())
                op.deps.push_back(op2);
            if (std::find(op.reads.begin(), op.reads.end(), b) == op.reads.end())
                op.reads.push_back(b);
        }

        // Which input buffer, if any, this op overwrites.
        int inPlaceOf = -1;
        auto dies = [&](int s) {
            int v = value[U(s)];
            int b = bufferOf[U(v)];
            return readers[U(v)] == 1 && !isOutput[U(v)] && !g.buffers[U(b)].output &&
                   nodes[U(g.ops[U(g.buffers[U(b)].producer)].node)].type != LayerType::Input &&
                   op.outputBytes <= g.buffers[U(b)].bytes;
        };
        if (!options.deploy) {
            if (L.inputCount == 1 && canRunInPlace(node.type, node.params) && outCount[U(src[U(i)][0])] == 1 &&
                nodes[U(src[U(i)][0])].type != LayerType::Input)
                inPlaceOf = src[U(i)][0];
        } else if (L.inputCount == 1 && (isPointwiseActivation(node.type) || node.type == LayerType::BatchNorm)) {
            if (dies(src[U(i)][0]))
                inPlaceOf = src[U(i)][0];
        } else if (node.type == LayerType::Add) {
            for (int s : src[U(i)])
                if (dies(s)) {
                    inPlaceOf = s;
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
            if (dies(src[U(i)][0])) {
                inPlaceOf = src[U(i)][0];
                const Shape& in = a.inputsOf(L)[0];
                if (in.rank() == 3) {
                    Padding pad = resolvePadding(node.params, in[1], in[2]);
                    op.scratchBytes += bytesFor((in[1] + pad.top + pad.bottom) * (in[2] + pad.left + pad.right), L.bits);
                }
            }
        }

        const int opIndex = static_cast<int>(g.ops.size());
        if (inPlaceOf >= 0) {
            op.buffer = bufferOf[U(value[U(inPlaceOf)])];
            op.allocates = false;
            D.inPlace = true;
        } else {
            op.buffer = static_cast<int>(g.buffers.size());
            MemBuffer b;
            b.producer = opIndex;
            b.bytes = op.outputBytes;
            g.buffers.push_back(b);
        }
        for (int b : op.reads)
            g.buffers[U(b)].readers.push_back(opIndex);
        if (isOutput[U(i)])
            g.buffers[U(op.buffer)].output = true;
        opOf[U(i)] = opIndex;
        bufferOf[U(i)] = op.buffer;
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

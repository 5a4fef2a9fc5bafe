// TrainingMemory: per-device training memory, recomputation, parallelism and inference figures.
#include "TrainingMemory.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace nc::core::train {

namespace {

constexpr int64_t kMax = INT64_MAX;

int64_t satMul(int64_t a, int64_t b)
{
    int64_t r;
    return __builtin_mul_overflow(a, b, &r) ? kMax : r;
}
int64_t satAdd(int64_t a, int64_t b)
{
    int64_t r;
    return __builtin_add_overflow(a, b, &r) ? kMax : r;
}
int64_t ceilDiv(int64_t a, int64_t b) { return a / b + (a % b != 0 ? 1 : 0); }

bool isAttention(LayerType t) { return t == LayerType::MultiHeadAttention || t == LayerType::CrossAttention; }
// Megatron-LM splits these over the tensor-parallel group: attention by heads (Q, K, V column-wise,
// the output projection row-wise), MLPs by hidden units (first matrix column-wise, second row-wise).
bool isTensorSplit(LayerType t) { return isAttention(t) || t == LayerType::Mlp || t == LayerType::SwiGlu; }

// The attention map of one layer, heads·Tq·S values × batch, and its core products Q·Kᵀ and A·V,
// 2·Tq·S·D MACs × batch (README "Counting conventions": the part of the MACs with no weights).
struct AttentionCore {
    int64_t mapElements = 0;
    int64_t macs = 0;
};
AttentionCore attentionCore(const Node& node, const LayerResult& L, const AnalysisResult& a, int64_t batch)
{
    AttentionCore c;
    if (!isAttention(node.type) || L.inputCount < 1 || L.output.rank() < 2)
        return c;
    auto ins = a.inputsOf(L);
    const int64_t tq = L.output[0], d = L.output[L.output.rank() - 1];
    const int64_t s = ins.back().rank() >= 1 ? ins.back()[0] : tq;
    c.macs = satMul(satMul(satMul(2, tq), s), satMul(d, batch));
    if (!node.params.flash)
        c.mapElements = satMul(satMul(node.params.heads, tq), satMul(s, batch));
    return c;
}

// Product MACs (two activations, no weights): attention's core, MatMul.
int64_t productMacs(const Node& node, const LayerResult& L, const AnalysisResult& a, int64_t batch)
{
    if (node.type == LayerType::MatMul)
        return L.macs;
    return std::min(L.macs, attentionCore(node, L, a, batch).macs);
}

std::string firstError(const AnalysisResult& a)
{
    for (const auto& l : a.layers)
        if (l.status == LayerStatus::Error)
            return l.message;
    return "the network has an error";
}

} // namespace

double zeroBytesPerDevice(double psi, double k, double nd, int stage)
{
    const double w = 2 * psi, g = 2 * psi, o = k * psi;
    switch (stage) {
    case 0: return w + g + o;
    case 1: return w + g + o / nd;
    case 2: return w + (g + o) / nd;
    default: return (w + g + o) / nd;
    }
}

double korthikantiBytes(Korthikanti form, double s, double b, double h, double a, double t)
{
    const double sbh = s * b * h;
    switch (form) {
    case Korthikanti::None: return sbh * (34 + 5 * a * s / h);
    case Korthikanti::TensorParallel: return sbh * (10 + 24 / t + 5 * a * s / (h * t));
    case Korthikanti::TensorSequence: return sbh / t * (34 + 5 * a * s / h);
    case Korthikanti::SelectiveTensor: return sbh * (10 + 24 / t);
    case Korthikanti::SelectiveTensorSequence: return sbh * 34 / t;
    case Korthikanti::Full: return 2 * sbh;
    }
    return 0;
}

Result<TrainPlan> planTraining(const Network& net, const TrainSettings& s)
{
    if (s.dp < 1 || s.tp < 1 || s.pp < 1)
        return Error{"parallel degrees (--dp, --tp, --pp) must be at least 1"};
    if (s.zero < 0 || s.zero > 3)
        return Error{"ZeRO stage must be 0, 1, 2 or 3"};
    if (s.microbatches < 1)
        return Error{"micro-batches must be at least 1"};
    if (s.recompute == Recompute::EveryK && s.every < 1)
        return Error{"recompute every:K needs K of at least 1"};
    if (s.deviceMemory < 1)
        return Error{"device memory must be at least 1 byte"};

    TrainPlan p;
    p.batch = s.batch > 0 ? s.batch : net.batch;
    const int64_t replicasTimesMicro = satMul(s.dp, s.microbatches);
    if (p.batch % replicasTimesMicro != 0)
        return Error{"batch " + std::to_string(p.batch) + " does not split into " + std::to_string(s.dp) +
                     " data-parallel replicas × " + std::to_string(s.microbatches) + " micro-batches"};
    p.microBatch = p.batch / replicasTimesMicro;
    p.devices = static_cast<int>(std::min<int64_t>(INT32_MAX, satMul(satMul(s.dp, s.tp), s.pp)));
    const bool mixed = s.precision == Precision::Mixed;
    // ZeRO's accounting: mixed precision keeps 16-bit weights and gradients and, in the optimizer,
    // an fp32 master copy (4 B) besides the optimizer's own fp32 state; fp32 has no master copy.
    p.bytesPerWeight = mixed ? 2 : 4;
    p.bytesPerGrad = mixed ? 2 : 4;
    const int state = s.optimizer == Optimizer::Adam ? 8 : s.optimizer == Optimizer::Momentum ? 4 : 0;
    p.optimizerBytesPerParam = state + (mixed ? 4 : 0);
    p.activationBits = mixed ? 16 : 32;

    Network n = net;
    n.batch = p.microBatch;
    n.bits = p.activationBits;
    if (s.context > 0)
        n.context = s.context;
    p.analysis = analyze(n);
    const AnalysisResult& a = p.analysis;
    if (a.totals.errors || a.totals.blocked)
        return Error{firstError(a)};
    const auto& nodes = n.nodes();
    const int steps = static_cast<int>(a.layers.size());
    if (s.pp > steps)
        return Error{std::to_string(s.pp) + " pipeline stages for " + std::to_string(steps) + " layers"};

    // Tensor-parallel divisibility, named by layer.
    if (s.tp > 1) {
        for (const auto& L : a.layers) {
            const Node& node = nodes[static_cast<size_t>(L.nodeIndex)];
            if (!isTensorSplit(node.type))
                continue;
            const int64_t kv = node.params.kvHeads > 0 ? node.params.kvHeads : node.params.heads;
            if (isAttention(node.type) && (node.params.heads % s.tp || kv % s.tp))
                return Error{"layer \"" + node.name + "\": " + std::to_string(node.params.heads) + " heads (" +
                             std::to_string(kv) + " key/value) do not split over tensor-parallel degree " +
                             std::to_string(s.tp)};
            if (!isAttention(node.type) && node.params.hidden % s.tp)
                return Error{"layer \"" + node.name + "\": hidden width " + std::to_string(node.params.hidden) +
                             " does not split over tensor-parallel degree " + std::to_string(s.tp)};
        }
    }

    // ---- per step: parameters on a device, bytes kept for the backward pass, MACs ----------------
    struct Step {
        int64_t params = 0;   // on one tensor-parallel rank
        int64_t state = 0;
        int64_t kept = 0;     // activations + workspace kept for backward (the analysis' training bytes)
        int64_t all = 0;      // `kept` without recomputation
        int64_t masks = 0;    // dropout masks, 1 byte per element
        int64_t mapBytes = 0; // attention map (selective recomputation drops it)
        int64_t gradWork = 0; // output + input gradients live while its backward runs
        int64_t macs = 0;
        int64_t coreMacs = 0;
        int64_t tpOutBytes = 0; // output all-reduced by tensor parallelism (0 when not split)
        int64_t outBytes = 0;
        bool split = false;
    };
    std::vector<Step> st(static_cast<size_t>(steps));
    std::vector<char> trainable(static_cast<size_t>(steps), 0), upstreamTrainable(static_cast<size_t>(steps), 0);
    int64_t fwd = 0, bwd = 0;
    for (int i = 0; i < steps; ++i) {
        const LayerResult& L = a.layers[static_cast<size_t>(i)];
        const Node& node = nodes[static_cast<size_t>(L.nodeIndex)];
        Step& x = st[static_cast<size_t>(i)];
        x.split = s.tp > 1 && isTensorSplit(node.type);
        const int64_t t = x.split ? s.tp : 1;
        x.params = ceilDiv(L.params, t);
        x.state = L.state;
        x.outBytes = bytesFor(L.outputElements, L.bits);
        const AttentionCore core = attentionCore(node, L, a, p.microBatch);
        x.mapBytes = bytesFor(core.mapElements, L.bits) / t;
        x.kept = satAdd(L.activationBytes, L.workspaceBytes / t);
        x.all = x.kept;
        if (node.type == LayerType::Dropout)
            x.masks = L.outputElements;
        int64_t inElements = 0;
        for (const Shape& in : a.inputsOf(L))
            inElements = satAdd(inElements, satMul(in.elements().value_or(kMax), p.microBatch));
        x.gradWork = bytesFor(satAdd(L.outputElements, inElements), L.bits);
        x.macs = L.macs / t;
        x.coreMacs = core.macs / t;
        x.tpOutBytes = x.split ? x.outBytes : 0;

        // Backward MACs: a product with a weight costs its forward again for the weight gradient and
        // again for the input gradient; the input gradient is skipped when nothing upstream is
        // trainable (the first layer). Products of two activations (attention's Q·Kᵀ and A·V, MatMul)
        // need the gradients of both operands, 2× their forward, whenever anything upstream or the
        // layer itself is trainable.
        trainable[static_cast<size_t>(i)] = L.params > 0 || L.tiedTo.valid();
        for (const Edge& e : n.edges()) {
            if (e.to != node.id)
                continue;
            const int from = a.byNode[static_cast<size_t>(n.nodeIndex(e.from))];
            if (from >= 0 && (trainable[static_cast<size_t>(from)] || upstreamTrainable[static_cast<size_t>(from)]))
                upstreamTrainable[static_cast<size_t>(i)] = 1;
        }
        const int64_t prod = productMacs(node, L, a, p.microBatch);
        const int64_t weighted = L.macs - prod;
        const bool own = trainable[static_cast<size_t>(i)], up = upstreamTrainable[static_cast<size_t>(i)];
        int64_t b = 0;
        if (own)
            b = satAdd(b, weighted);
        if (up)
            b = satAdd(b, weighted);
        if (own || up)
            b = satAdd(b, satMul(2, prod));
        fwd = satAdd(fwd, L.macs);
        bwd = satAdd(bwd, b);
    }

    // ---- recomputation: which tensors are kept -----------------------------------------------
    // A cut is a stored layer after which nothing computed earlier is still needed (no buffer from an
    // earlier step stays alive past it): a residual join, or any layer of a plain chain. A block
    // starts at the last cut before each layer with MACs, so a block holds a layer with MACs and the
    // normalisations and activations after it; full recomputation keeps only the tensor entering each
    // block, every:K keeps one in K of them, and recomputes the rest once in the backward pass.
    std::vector<char> kept(static_cast<size_t>(steps), 1);
    std::vector<int> segment(static_cast<size_t>(steps), -1);
    if (s.recompute == Recompute::Full || s.recompute == Recompute::EveryK) {
        std::vector<char> cut(static_cast<size_t>(steps), 0);
        for (int i = 0; i < steps; ++i) {
            const LayerResult& L = a.layers[static_cast<size_t>(i)];
            if (!L.stored)
                continue;
            bool clean = true;
            for (const LiveBuffer& buf : a.buffers)
                if (buf.firstStep <= i && buf.lastStep > i && !(buf.firstStep == i && buf.owner == L.id))
                    clean = false;
            cut[static_cast<size_t>(i)] = clean;
        }
        std::vector<int> checkpoints;
        int lastCut = -1;
        for (int i = 0; i < steps; ++i) {
            if (a.layers[static_cast<size_t>(i)].macs > 0 && lastCut >= 0 &&
                (checkpoints.empty() || checkpoints.back() != lastCut))
                checkpoints.push_back(lastCut);
            if (cut[static_cast<size_t>(i)])
                lastCut = i;
        }
        const int k = s.recompute == Recompute::Full ? 1 : s.every;
        std::fill(kept.begin(), kept.end(), 0);
        int seg = -1;
        size_t next = 0;
        for (int i = 0; i < steps; ++i) {
            if (next < checkpoints.size() && checkpoints[next] == i) {
                if (next % static_cast<size_t>(k) == 0) {
                    kept[static_cast<size_t>(i)] = 1;
                    ++seg;
                }
                ++next;
            }
            // Layers before the first checkpoint (the input) are kept: there is nothing to restart from.
            if (seg < 0)
                kept[static_cast<size_t>(i)] = 1;
            if (!kept[static_cast<size_t>(i)])
                segment[static_cast<size_t>(i)] = seg;
        }
    }
    int64_t recompute = 0;
    for (int i = 0; i < steps; ++i) {
        Step& x = st[static_cast<size_t>(i)];
        if (s.recompute == Recompute::Selective) {
            // Korthikanti et al.: drop the attention map (softmax output) and recompute Q·Kᵀ, softmax
            // and A·V in the backward pass; Q, K and V stay.
            x.kept -= x.mapBytes;
            recompute = satAdd(recompute, x.mapBytes > 0 ? x.coreMacs : 0);
        } else if (!kept[static_cast<size_t>(i)]) {
            recompute = satAdd(recompute, x.macs);
        }
    }

    // ---- pipeline stages -------------------------------------------------------------------
    std::vector<int> counts = s.stageLayers;
    if (!counts.empty()) {
        int sum = 0;
        for (int c : counts) {
            if (c < 1)
                return Error{"every pipeline stage needs at least one layer"};
            sum += c;
        }
        if (static_cast<int>(counts.size()) != s.pp || sum != steps)
            return Error{"the stage split gives " + std::to_string(counts.size()) + " stages of " +
                         std::to_string(sum) + " layers; the network has " + std::to_string(steps) +
                         " layers and --pp is " + std::to_string(s.pp)};
    } else {
        // Balanced: contiguous stages whose forward MACs are as even as a left-to-right cut at each
        // multiple of total/p allows (layer count when nothing has MACs); every stage gets a layer.
        counts.assign(static_cast<size_t>(s.pp), 0);
        const double total = std::max<double>(1, static_cast<double>(fwd));
        double acc = 0;
        int stage = 0;
        for (int i = 0; i < steps; ++i) {
            const double w = fwd > 0 ? static_cast<double>(a.layers[static_cast<size_t>(i)].macs) : 1.0;
            const int remainingLayers = steps - i, remainingStages = s.pp - stage;
            if (stage + 1 < s.pp && counts[static_cast<size_t>(stage)] > 0 &&
                (remainingLayers == remainingStages - 1 ||
                 acc + w / 2 > (fwd > 0 ? total : steps) * (stage + 1) / s.pp))
                ++stage;
            ++counts[static_cast<size_t>(stage)];
            acc += w;
        }
    }
    std::vector<int> stageOf(static_cast<size_t>(steps));
    {
        int i = 0;
        for (int k = 0; k < s.pp; ++k)
            for (int c = 0; c < counts[static_cast<size_t>(k)]; ++c)
                stageOf[static_cast<size_t>(i++)] = k;
    }

    const int64_t m = s.microbatches;
    for (int k = 0; k < s.pp; ++k) {
        PipelineStage ps;
        ps.layers = counts[static_cast<size_t>(k)];
        ps.firstStep = k == 0 ? 0 : p.stages.back().firstStep + p.stages.back().layers;
        ps.inFlight = std::min<int64_t>(m, s.pp - k); // 1F1B schedule
        int64_t keptBytes = 0, allBytes = 0, maxSeg = 0, segBytes = 0, lastSeg = -2, state = 0;
        DeviceMemory& d = ps.memory;
        for (int i = ps.firstStep; i < ps.firstStep + ps.layers; ++i) {
            const Step& x = st[static_cast<size_t>(i)];
            ps.params = satAdd(ps.params, x.params);
            ps.macs = satAdd(ps.macs, x.macs);
            state = satAdd(state, x.state);
            d.dropoutMasks = satAdd(d.dropoutMasks, satMul(x.masks, ps.inFlight));
            d.workspace = std::max(d.workspace, x.gradWork);
            const int64_t bytes = satAdd(x.kept, x.masks);
            allBytes = satAdd(allBytes, satAdd(x.all, x.masks));
            if (kept[static_cast<size_t>(i)]) {
                keptBytes = satAdd(keptBytes, bytes);
            } else {
                if (segment[static_cast<size_t>(i)] != lastSeg)
                    segBytes = 0;
                lastSeg = segment[static_cast<size_t>(i)];
                segBytes = satAdd(segBytes, bytes);
                maxSeg = std::max(maxSeg, segBytes);
            }
        }
        // Parameters, gradients and optimizer state; ZeRO partitions the optimizer state (stage 1),
        // then the gradients (2), then the weights (3) over the data-parallel group. BatchNorm's
        // running statistics stay fp32 and whole.
        const int64_t dp = s.dp;
        d.weights = satMul(ps.params, p.bytesPerWeight);
        d.gradients = satMul(ps.params, p.bytesPerGrad);
        d.optimizer = satMul(ps.params, p.optimizerBytesPerParam);
        if (s.zero >= 1)
            d.optimizer = ceilDiv(d.optimizer, dp);
        if (s.zero >= 2)
            d.gradients = ceilDiv(d.gradients, dp);
        if (s.zero >= 3)
            d.weights = ceilDiv(d.weights, dp);
        d.weights = satAdd(d.weights, satMul(state, 4));
        d.activations = satAdd(satMul(keptBytes, ps.inFlight), maxSeg);
        d.total = satAdd(satAdd(satAdd(d.weights, d.gradients), satAdd(d.optimizer, d.activations)), d.workspace);
        ps.recomputeSaved = satMul(allBytes, ps.inFlight) - d.activations;
        p.stages.push_back(ps);
    }
    const auto busiest = std::max_element(p.stages.begin(), p.stages.end(), [](const auto& x, const auto& y) {
        return x.memory.total < y.memory.total;
    });
    p.perDevice = busiest->memory;
    p.recomputeSavedBytes = busiest->recomputeSaved;
    p.fits = p.perDevice.total <= s.deviceMemory;
    p.bubble = static_cast<double>(s.pp - 1) / static_cast<double>(m + s.pp - 1);

    // ---- compute per step ----------------------------------------------------------------
    const int64_t perStep = p.batch / p.microBatch; // micro-batch passes per step, all replicas
    p.forwardMacs = satMul(fwd, perStep);
    p.backwardMacs = satMul(bwd, perStep);
    p.recomputeMacs = satMul(recompute, perStep);
    p.trainMacs = satAdd(satAdd(p.forwardMacs, p.backwardMacs), p.recomputeMacs);
    for (const Node& node : nodes)
        if (node.type == LayerType::Input) {
            const LayerResult* L = a.layer(node.id, n);
            if (L && (L->output.rank() == 1 || L->output.rank() == 2))
                p.tokensPerSample = L->output[0];
            break;
        }
    if (s.deviceFlops > 0) {
        // Every device computes its share; the pipeline idles for the bubble.
        p.stepSeconds = 2.0 * static_cast<double>(p.trainMacs) / (static_cast<double>(p.devices) * s.deviceFlops) /
                        (1.0 - p.bubble);
        p.itemsPerSecond = static_cast<double>(p.batch) / p.stepSeconds;
    }

    // ---- communication, bytes one device sends per step ------------------------------------
    // Ring all-reduce of V bytes over N devices sends 2·(N − 1)/N·V per device (reduce-scatter, then
    // all-gather). DP (ZeRO 0–2): one all-reduce of the gradients. ZeRO 3: 3·(N − 1)/N·V — the
    // weights all-gathered in the forward and again in the backward pass, the gradients
    // reduce-scattered (the ZeRO paper's 1.5× of plain DP).
    const int64_t stageParams = busiest->params;
    if (s.dp > 1) {
        const double v = static_cast<double>(satMul(stageParams, p.bytesPerGrad));
        const double factor = (s.zero >= 3 ? 3.0 : 2.0) * (s.dp - 1) / s.dp;
        p.commDataParallel = static_cast<int64_t>(std::llround(factor * v));
    }
    // TP (Megatron-LM): each split layer all-reduces its output in the forward pass and the gradient
    // of its input in the backward pass, both the size of its output, per micro-batch.
    if (s.tp > 1) {
        int64_t worst = 0;
        for (const auto& ps : p.stages) {
            int64_t v = 0;
            for (int i = ps.firstStep; i < ps.firstStep + ps.layers; ++i)
                v = satAdd(v, st[static_cast<size_t>(i)].tpOutBytes);
            worst = std::max(worst, v);
        }
        const double factor = 2.0 * 2.0 * (s.tp - 1) / s.tp * static_cast<double>(m);
        p.commTensorParallel = static_cast<int64_t>(std::llround(factor * static_cast<double>(worst)));
    }
    // PP: per micro-batch, a stage sends forward every tensor a later stage reads and sends back the
    // gradient of every tensor it read from an earlier stage.
    if (s.pp > 1) {
        std::vector<int64_t> sent(static_cast<size_t>(s.pp), 0);
        std::set<std::pair<int, int>> counted; // (source step, receiving stage)
        for (const Edge& e : n.edges()) {
            const int from = a.byNode[static_cast<size_t>(n.nodeIndex(e.from))];
            const int to = a.byNode[static_cast<size_t>(n.nodeIndex(e.to))];
            const int sf = stageOf[static_cast<size_t>(from)], sto = stageOf[static_cast<size_t>(to)];
            if (sf == sto || !counted.insert({from, sto}).second)
                continue;
            const int64_t bytes = st[static_cast<size_t>(from)].outBytes;
            sent[static_cast<size_t>(sf)] = satAdd(sent[static_cast<size_t>(sf)], bytes);   // activation
            sent[static_cast<size_t>(sto)] = satAdd(sent[static_cast<size_t>(sto)], bytes); // its gradient
        }
        p.commPipeline = satMul(*std::max_element(sent.begin(), sent.end()), m);
    }
    p.commTotal = satAdd(satAdd(p.commDataParallel, p.commTensorParallel), p.commPipeline);
    p.kvCacheBytes = satMul(a.totals.kvCacheBytes, perStep);
    return p;
}

Result<InferencePlan> planInference(const Network& net, int bits, int64_t context, int64_t batch)
{
    Network n = net;
    n.bits = bits;
    n.batch = batch;
    if (context > 0)
        n.context = context;
    const AnalysisResult a = analyze(n);
    if (a.totals.errors || a.totals.blocked)
        return Error{firstError(a)};
    InferencePlan p;
    p.weightBytes = a.totals.modelBytes;
    p.kvCacheBytes = a.totals.kvCacheBytes;
    p.prefillMacs = a.totals.macs;
    p.prefillBytesRead = p.weightBytes;
    bool decoder = false;
    for (const auto& L : a.layers) {
        const Node& node = n.nodes()[static_cast<size_t>(L.nodeIndex)];
        // Per token: every row-wise product scales with the rows, so one token costs macs/T; the
        // attention core instead reads the whole context, 2·context·D per token (q·Kᵀ and a·V).
        const int64_t rows = L.output.rank() >= 2 ? L.output[0] : 1;
        const AttentionCore core = attentionCore(node, L, a, batch);
        int64_t perToken = (L.macs - core.macs) / std::max<int64_t>(1, rows);
        if (L.kvCacheBytes > 0) {
            decoder = true;
            perToken = satAdd(perToken, satMul(satMul(2, L.kvContext), satMul(L.output[L.output.rank() - 1], batch)));
        }
        p.decodeMacsPerToken = satAdd(p.decodeMacsPerToken, perToken);
    }
    if (!decoder)
        return Error{"\"" + n.name + "\" has no causal self-attention: decoding applies to decoders only"};
    p.decodeBytesPerToken = satAdd(p.weightBytes, p.kvCacheBytes);
    return p;
}

} // namespace nc::core::train

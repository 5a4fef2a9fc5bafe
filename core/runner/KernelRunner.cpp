// KernelRunner: maps analysed layers onto kernel ops, guards memory, measures, and sweeps batches.
#include "KernelRunner.h"

#include "core/Catalogue.h"
#include "core/deploy/Deployment.h"
#include "core/LayerRules.h"
#include "core/layers/LayerKind.h"
#include "kernels/EigenBackend.h"
#include "kernels/OneDnnBackend.h"
#include "kernels/ReferenceBackend.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <time.h>
#include <unordered_map>

namespace nc::core {

namespace k = nc::core::kernels;

const char* backendKey(BackendKind b) { return b == BackendKind::OneDnn ? "onednn" : "eigen"; }

int64_t availableMemoryBytes()
{
    std::ifstream f("/proc/meminfo");
    std::string key;
    int64_t value = 0;
    std::string unit;
    while (f >> key >> value >> unit)
        if (key == "MemAvailable:")
            return value * 1024;
    return 0;
}

namespace {

using Clock = std::chrono::steady_clock;

// One kernel call of a layer. A layer is one or more of these in sequence (the MLP block is
// Linear → GELU → Linear; an Add of three inputs is two binary adds).
struct SubOp {
    k::KernelOp op;
    std::vector<int> sources; // ≥ 0: output of sub-op i; < 0: layer input (−1 − index)
    std::optional<k::PreparedOp> prepared;
    // Contiguous inputs, as Backend::run takes them: sources are swapped in for the call and back
    // out after it (no copy), except a source read twice, whose second use is copied here.
    std::vector<k::Tensor> args;
    k::Tensor out;
};

// A layer's work, plus the non-kernel glue some layers need (patch embedding's token layout).
struct LayerPlan {
    enum class Kind { Kernels, View, Input, Unsupported } kind = Kind::Kernels;
    std::vector<SubOp> subs;
    bool patchTokens = false; // PatchEmbed: conv output [N,D,h,w] → tokens [N,T,D] (+ class token, + position)
    k::Tensor tokens;
    std::vector<k::Tensor> inputs; // the layer's own input tensors (random data)
    std::string note;
};

k::Shape full(const Shape& s, int64_t batch)
{
    k::Shape r{batch};
    for (int64_t d : s)
        r.push_back(d);
    return r;
}

// The kind's kernel facet (core/layers/) gives the calls; the hyper-parameters are the analysed
// ones ("same" padding resolved), so the kernels compute the shapes the analysis reports — and
// prepareLayer checks that they do.
LayerPlan plan(const Node& node, std::span<const Shape> inShapes, const Shape& out)
{
    LayerPlan p;
    const LayerKind& kind = layerKind(node.type);
    if (!kind.kernel.applies()) {
        p.kind = LayerPlan::Kind::Unsupported;
        p.note = "no kernel: " + std::string(kind.kernel.notApplicable);
        return p;
    }
    KernelPlan kp = kind.kernel.fn(node.params, inShapes, out);
    switch (kp.kind) {
    case KernelPlan::Kind::Compute: p.kind = LayerPlan::Kind::Kernels; break;
    case KernelPlan::Kind::Input: p.kind = LayerPlan::Kind::Input; break;
    case KernelPlan::Kind::View: p.kind = LayerPlan::Kind::View; break;
    case KernelPlan::Kind::Unsupported: p.kind = LayerPlan::Kind::Unsupported; break;
    }
    p.note = kp.note;
    p.patchTokens = kp.patchTokens;
    for (KernelSub& k : kp.subs) {
        SubOp s;
        s.op = std::move(k.op);
        s.sources = std::move(k.sources);
        p.subs.push_back(std::move(s));
    }
    return p;
}

// What the deployment graph does to each layer (schedule index), for the runner.
struct DeployPlan {
    std::vector<std::string> absorbedNote;   // non-empty: folded or fused away, not run ("folded into …")
    std::vector<bool> addBias;               // a BatchNorm folds into it: it gains a bias
    std::vector<k::OpKind> activation;       // fused post-op (Identity: none)
    std::vector<float> slope;
    int folded = 0, fused = 0;
};

// Kernel kind of a one-kernel layer's plan (Identity when it has several or none).
k::OpKind soleKernel(const LayerPlan& p)
{
    return p.kind == LayerPlan::Kind::Kernels && p.subs.size() == 1 ? p.subs[0].op.kind : k::OpKind::Identity;
}

Result<DeployPlan> deployPlan(const Network& net, const AnalysisResult& a)
{
    auto g = deploy::buildMemoryGraph(net, a, {});
    if (!g)
        return Error{g.error()};
    const size_t n = a.layers.size();
    DeployPlan d;
    d.absorbedNote.resize(n);
    d.addBias.assign(n, false);
    d.activation.assign(n, k::OpKind::Identity);
    d.slope.assign(n, 0.01f);
    auto planOf = [&](size_t i) {
        const LayerResult& L = a.layers[i];
        return plan(net.nodes()[static_cast<size_t>(L.nodeIndex)], a.inputsOf(L), L.output);
    };
    for (size_t i = 0; i < n; ++i) {
        const deploy::LayerDeploy& ld = g->layers[static_cast<size_t>(a.layers[i].nodeIndex)];
        if (ld.into < 0)
            continue;
        const size_t x = static_cast<size_t>(a.byNode[static_cast<size_t>(ld.into)]);
        const std::string& intoName = net.nodes()[static_cast<size_t>(ld.into)].name;
        if (ld.role == deploy::Role::FoldedBatchNorm) {
            d.absorbedNote[i] = "folded into \"" + intoName + "\" (deployment graph)";
            d.addBias[x] = true;
            ++d.folded;
        } else if (ld.role == deploy::Role::FusedActivation) {
            const k::OpKind host = soleKernel(planOf(x));
            const LayerPlan act = planOf(i);
            const k::OpKind kind = soleKernel(act);
            if ((host == k::OpKind::Conv2d || host == k::OpKind::Linear) && k::isActivation(kind)) {
                d.absorbedNote[i] = "fused into \"" + intoName + "\" as its post-op (deployment graph)";
                d.activation[x] = kind;
                d.slope[x] = act.subs[0].op.slope;
                ++d.fused;
            }
        }
    }
    return d;
}

// The deployment graph's changes to a layer's own kernels.
void applyDeploy(LayerPlan& p, const DeployPlan& d, size_t i)
{
    if (p.subs.empty())
        return;
    k::KernelOp& op = p.subs.back().op;
    if (d.addBias[i])
        op.bias = true;
    if (d.activation[i] != k::OpKind::Identity) {
        op.activation = d.activation[i];
        op.slope = d.slope[i];
    }
}

// Patch embedding's glue: [N,D,h,w] → [N,T,D] with the class token in row 0 and the position
// embedding added (random values stand in for both learned tensors).
void patchTokens(const k::Tensor& conv, k::Tensor& tokens, bool classToken, bool posEmbed)
{
    const int64_t N = conv.dim(0), D = conv.dim(1), P = conv.dim(2) * conv.dim(3);
    const int64_t T = P + (classToken ? 1 : 0);
    const float* src = conv.data();
    float* dst = tokens.data();
    for (int64_t n = 0; n < N; ++n) {
        float* row0 = dst + n * T * D;
        if (classToken)
            for (int64_t d = 0; d < D; ++d)
                row0[d] = 0.02f;
        float* rows = row0 + (classToken ? D : 0);
        for (int64_t d = 0; d < D; ++d)
            for (int64_t i = 0; i < P; ++i)
                rows[i * D + d] = src[(n * D + d) * P + i];
        if (posEmbed)
            for (int64_t i = 0; i < T * D; ++i)
                row0[i] += 0.01f;
    }
}

struct Runner {
    const Network& net;
    const AnalysisResult& a;
    RunOptions opt;
    RunControl* control;
    k::Backend* backend; // not owned

    bool cancelled() const { return control && control->cancel.load(); }

    // Runs every sub-op of a layer once, reading the layer's inputs from `ins`; the last sub-op
    // writes `out` when given (an inference's pooled tensor), else its own buffer. The timed unit.
    k::KernelStatus runLayer(LayerPlan& p, const Node& node, std::span<k::Tensor* const> ins, k::Tensor* out = nullptr)
    {
        for (size_t j = 0; j < p.subs.size(); ++j) {
            SubOp& s = p.subs[j];
            k::Tensor& dst = (out && !p.patchTokens && j + 1 == p.subs.size()) ? *out : s.out;
            auto source = [&](int src) -> k::Tensor& {
                return src >= 0 ? p.subs[static_cast<size_t>(src)].out : *ins[static_cast<size_t>(-1 - src)];
            };
            k::KernelStatus st;
            if (s.sources.size() == 1) {
                st = backend->run(*s.prepared, source(s.sources[0]), dst);
            } else {
                std::vector<k::Tensor*> swapped(s.sources.size(), nullptr);
                for (size_t i = 0; i < s.sources.size(); ++i) {
                    k::Tensor& in = source(s.sources[i]);
                    auto first = std::find(swapped.begin(), swapped.end(), &in);
                    if (first == swapped.end()) {
                        std::swap(s.args[i], in);
                        swapped[i] = &in;
                    } else {
                        // Read twice (x + x): its data already sits in the first slot.
                        const k::Tensor& held = s.args[static_cast<size_t>(first - swapped.begin())];
                        s.args[i].resize(held.shape());
                        std::memcpy(s.args[i].data(), held.data(), static_cast<size_t>(held.size()) * sizeof(float));
                    }
                }
                st = backend->run(*s.prepared, std::span<const k::Tensor>(s.args), dst);
                for (size_t i = 0; i < s.sources.size(); ++i)
                    if (swapped[i])
                        std::swap(s.args[i], *swapped[i]);
            }
            if (!st)
                return st;
        }
        if (p.patchTokens)
            patchTokens(p.subs.back().out, out ? *out : p.tokens, node.params.classToken != 0,
                        node.params.posEmbed != 0);
        return k::KernelStatus::success();
    }

    k::KernelStatus runLayer(LayerPlan& p, const Node& node)
    {
        std::vector<k::Tensor*> ins;
        for (k::Tensor& t : p.inputs)
            ins.push_back(&t);
        return runLayer(p, node, ins);
    }

    // Prepares a layer: each sub-op prepared with its shapes on `on` (the runner's backend when
    // null), with random weights, or with `weightsFrom`'s when given (the same layer prepared on
    // another backend); with `inputs`, random input tensors for measuring the layer alone.
    k::KernelStatus prepareLayer(LayerPlan& p, const LayerResult& L, uint64_t seed, bool inputs = true,
                                 k::Backend* on = nullptr, const LayerPlan* weightsFrom = nullptr)
    {
        k::Backend& be = on ? *on : *backend;
        auto shapes = a.inputsOf(L);
        std::vector<k::Shape> layerIn;
        for (size_t i = 0; i < shapes.size(); ++i) {
            layerIn.push_back(full(shapes[i], a.batch));
            if (inputs)
                p.inputs.push_back(k::Tensor::random(layerIn.back(), seed + i));
        }
        for (size_t j = 0; j < p.subs.size(); ++j) {
            SubOp& s = p.subs[j];
            std::vector<k::Shape> in;
            for (int src : s.sources)
                in.push_back(src >= 0 ? p.subs[static_cast<size_t>(src)].prepared->outputShape()
                                      : layerIn[static_cast<size_t>(-1 - src)]);
            s.op.name = net.nodes()[static_cast<size_t>(L.nodeIndex)].name;
            k::PrepareOptions po;
            po.seed = seed * 31 + j;
            if (weightsFrom)
                po.parameters = weightsFrom->subs[j].prepared->parameters();
            auto prepared = be.prepare(s.op, in, po);
            if (!prepared)
                return prepared.status();
            s.prepared.emplace(std::move(prepared).value());
            s.out = k::Tensor(s.prepared->outputShape());
            s.args.resize(s.sources.size());
            if (!s.prepared->note().empty())
                p.note += (p.note.empty() ? "" : "; ") + s.prepared->note();
        }
        if (p.patchTokens) {
            p.tokens = k::Tensor(full(L.output, a.batch));
        } else if (!p.subs.empty() && !(p.subs.back().prepared->outputShape() == full(L.output, a.batch))) {
            // One shape engine: a kernel that disagrees with the analysis would time the wrong layer.
            const k::Shape& got = p.subs.back().prepared->outputShape();
            std::string g;
            for (int64_t d : got)
                g += (g.empty() ? "" : "×") + std::to_string(d);
            return k::KernelStatus::failure("the kernel's output " + g + " differs from the analysed " +
                                          std::to_string(a.batch) + "×" + L.output.toString() +
                                          "; the run is refused for this layer");
        }
        return k::KernelStatus::success();
    }

    int64_t estimate(const LayerResult& L) const
    {
        // fp32 inputs + output + weights and stored state (BatchNorm statistics, fixed operands) +
        // working memory (im2col of a convolution is the largest).
        int64_t e = L.outputElements + L.params + L.state + L.perSample.workspace * a.batch;
        for (const Shape& s : a.inputsOf(L))
            e += *s.elements() * a.batch;
        const Node& node = net.nodes()[static_cast<size_t>(L.nodeIndex)];
        if (node.type == LayerType::Conv2d || node.type == LayerType::PatchEmbed)
            e += L.perSample.macs / std::max<int64_t>(L.output[0], 1) * a.batch; // ci/g·kh·kw·ho·wo per sample
        return e * 4;
    }
};

// Tensors of an inference come from here and return here after their last reader, so after the
// first pass an inference allocates nothing (page faults would otherwise dominate small layers),
// and the bytes handed out at once follow the liveness of the schedule.
class TensorPool {
public:
    std::shared_ptr<k::Tensor> acquire(const k::Shape& shape)
    {
        const int64_t need = k::shapeElements(shape);
        // Best fit: the smallest free buffer that holds the tensor.
        auto best = m_free.end();
        for (auto it = m_free.begin(); it != m_free.end(); ++it)
            if (it->first >= need && (best == m_free.end() || it->first < best->first))
                best = it;
        int64_t capacity = need;
        k::Tensor t;
        if (best != m_free.end()) {
            capacity = best->first;
            t = std::move(best->second);
            m_free.erase(best);
            t.resize(shape);
        } else {
            t = k::Tensor(shape);
        }
        m_live += need * 4;
        m_peak = std::max(m_peak, m_live);
        return std::shared_ptr<k::Tensor>(new k::Tensor(std::move(t)), [this, capacity, need](k::Tensor* p) {
            m_live -= need * 4;
            m_free.emplace_back(capacity, std::move(*p));
            delete p;
        });
    }
    int64_t peakBytes() const { return m_peak; }
    void resetPeak() { m_peak = m_live; }

private:
    std::vector<std::pair<int64_t, k::Tensor>> m_free;
    int64_t m_live = 0, m_peak = 0;
};

// Which layer output (schedule index, port) feeds each input of each layer, and the step of each
// output's last reader.
struct Wiring {
    struct Source {
        int layer = 0, port = 0;
    };
    std::vector<std::vector<Source>> producers; // schedule index → producer per input port
    std::vector<std::vector<int>> lastUse;      // [schedule index][port]: last reader; layers.size() = kept, −1 = unread
    std::string error;

    // Read by a later layer, or kept as a network output.
    bool read(int layer, int port) const
    {
        const auto& u = lastUse[static_cast<size_t>(layer)];
        return port < static_cast<int>(u.size()) && u[static_cast<size_t>(port)] >= 0;
    }
};

Wiring wire(const Network& net, const AnalysisResult& a)
{
    Wiring w;
    const int n = static_cast<int>(a.layers.size());
    w.producers.resize(static_cast<size_t>(n));
    w.lastUse.resize(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i)
        w.lastUse[static_cast<size_t>(i)].assign(1 + a.layers[static_cast<size_t>(i)].extraOutputs.size(), -1);
    for (int i = 0; i < n && w.error.empty(); ++i) {
        const LayerResult& L = a.layers[static_cast<size_t>(i)];
        const Node& node = net.nodes()[static_cast<size_t>(L.nodeIndex)];
        for (int port = 0; port < L.inputCount; ++port) {
            const Edge* e = net.edgeInto(node.id, port);
            if (!e) {
                w.error = "layer \"" + node.name + "\": input " + std::to_string(port) + " is not connected";
                break;
            }
            const int prod = a.byNode[static_cast<size_t>(net.nodeIndex(e->from))];
            auto& uses = w.lastUse[static_cast<size_t>(prod)];
            if (e->fromPort < 0 || e->fromPort >= static_cast<int>(uses.size())) {
                w.error = "layer \"" + node.name + "\" reads output " + std::to_string(e->fromPort) + " of \"" +
                          net.node(e->from)->name + "\", which has " + std::to_string(uses.size()) + " output(s)";
                break;
            }
            w.producers[static_cast<size_t>(i)].push_back({prod, e->fromPort});
            int& u = uses[static_cast<size_t>(e->fromPort)];
            u = std::max(u, i);
        }
    }
    // Port 0 of a layer nobody reads is a network output, kept to the end; an unread extra port
    // (an LSTM's h_n nobody asked for) is not produced at all.
    for (auto& uses : w.lastUse)
        if (uses[0] < 0 && std::all_of(uses.begin(), uses.end(), [](int u) { return u < 0; }))
            uses[0] = n;
    return w;
}

// Output shape of port `port` of an analysed layer, batch in front.
k::Shape portShape(const LayerResult& L, int port, int64_t batch)
{
    return full(port == 0 ? L.output : L.extraOutputs[static_cast<size_t>(port - 1)], batch);
}

// Elements start, start + step, … (count of them) of axis `axis` of `src`, as `dst` (shaped
// already): a Split piece or a Slice. The axis counts the batch.
void gatherAxis(const k::Tensor& src, int axis, int64_t start, int64_t step, k::Tensor& dst)
{
    const k::Shape& s = src.shape();
    int64_t outer = 1, inner = 1;
    for (int d = 0; d < axis; ++d)
        outer *= s[static_cast<size_t>(d)];
    for (size_t d = static_cast<size_t>(axis) + 1; d < s.size(); ++d)
        inner *= s[d];
    const int64_t len = s[static_cast<size_t>(axis)], count = dst.shape()[static_cast<size_t>(axis)];
    for (int64_t o = 0; o < outer; ++o)
        for (int64_t c = 0; c < count; ++c)
            std::memcpy(dst.data() + (o * count + c) * inner, src.data() + (o * len + start + c * step) * inner,
                        static_cast<size_t>(inner) * sizeof(float));
}

// LSTM/GRU plans whose h_n or c_n somebody reads: their kernel writes the final states too.
void requestStates(LayerPlan& p, const Wiring& w, int i)
{
    if (p.kind != LayerPlan::Kind::Kernels || p.subs.size() != 1 ||
        (p.subs[0].op.kind != k::OpKind::LSTM && p.subs[0].op.kind != k::OpKind::GRU))
        return;
    for (int port = 1; port < static_cast<int>(w.lastUse[static_cast<size_t>(i)].size()); ++port)
        if (w.read(i, port))
            p.subs[0].op.finalStates = true;
}

// oneDNN's own layouts kept between its layers (RunOptions::keepBlocked): which layers' outputs may
// stay in a oneDNN layout, and which inputs arrive in one. Convolutions pick the layout; pools,
// BatchNorm, activations, same-shape Add/Mul and Concat compute in their input's and pass it on. A
// layer the deployment absorbed is the same tensor as its host (folded BatchNorm, fused
// activation), so it is looked through.
struct BlockedLayouts {
    std::vector<char> capable;  // a oneDNN layer that reads (and may write) oneDNN's layouts
    std::vector<char> allowOut; // capable, and its port-0 readers all are (through absorbed layers)
    std::vector<char> absorbed;
    const Wiring* w = nullptr;

    // The layer whose tensor input `port` of layer i really is (absorbed layers are aliases).
    int source(int i, int port) const
    {
        int s = w->producers[static_cast<size_t>(i)].at(static_cast<size_t>(port)).layer;
        while (absorbed[static_cast<size_t>(s)] && !w->producers[static_cast<size_t>(s)].empty())
            s = w->producers[static_cast<size_t>(s)][0].layer;
        return s;
    }
};

// Whether one layer's plan can run on oneDNN with its 4-D tensors in oneDNN's layouts.
bool takesLayouts(const LayerPlan& p, const LayerResult& L, std::span<const Shape> in)
{
    const k::OpKind kind = soleKernel(p);
    if (!k::takesOneDnnLayouts(kind) || p.patchTokens || !L.extraOutputs.empty() || L.output.rank() != 3)
        return false;
    for (const Shape& s : in)
        if (s.rank() != 3)
            return false;
    const k::KernelOp& op = p.subs[0].op;
    if (kind == k::OpKind::Conv2d)
        return in.size() == 1 && op.padMode == k::PadMode::Zeros && op.activation != k::OpKind::HardSigmoid;
    if (kind == k::OpKind::Add || kind == k::OpKind::Mul) // broadcasting ones (an SE block's scale) read plain
        return op.operand.empty() && in.size() == 2 && in[0] == L.output && in[1] == L.output;
    return true;
}

BlockedLayouts blockedLayouts(const Network& net, const AnalysisResult& a, const Wiring& w, BackendKind backend,
                              bool keep, const std::optional<DeployPlan>& dp)
{
    const size_t n = a.layers.size();
    BlockedLayouts b;
    b.w = &w;
    b.capable.assign(n, 0);
    b.allowOut.assign(n, 0);
    b.absorbed.assign(n, 0);
    if (!w.error.empty())
        return b;
    for (size_t i = 0; i < n; ++i) {
        const LayerResult& L = a.layers[i];
        b.absorbed[i] = dp && !dp->absorbedNote[i].empty();
        if (!keep || backend != BackendKind::OneDnn || L.status != LayerStatus::Ok || b.absorbed[i])
            continue;
        LayerPlan p = plan(net.nodes()[static_cast<size_t>(L.nodeIndex)], a.inputsOf(L), L.output);
        if (dp)
            applyDeploy(p, *dp, i);
        b.capable[i] = takesLayouts(p, L, a.inputsOf(L));
    }
    // Readers of (layer, port 0), absorbed layers replaced by their own readers.
    std::vector<std::vector<int>> readers(n);
    for (size_t r = 0; r < n; ++r)
        for (const Wiring::Source& s : w.producers[r])
            if (s.port == 0)
                readers[static_cast<size_t>(s.layer)].push_back(static_cast<int>(r));
    const std::function<bool(int)> allCapable = [&](int i) {
        if (w.lastUse[static_cast<size_t>(i)][0] >= static_cast<int>(n) || readers[static_cast<size_t>(i)].empty())
            return false; // a network output is read in plain layout
        for (int r : readers[static_cast<size_t>(i)])
            if (!(b.capable[static_cast<size_t>(r)] || (b.absorbed[static_cast<size_t>(r)] && allCapable(r))))
                return false;
        return true;
    };
    for (size_t i = 0; i < n; ++i)
        b.allowOut[i] = b.capable[i] && allCapable(static_cast<int>(i));
    return b;
}

// Sets a layer's layout flags before it is prepared: a oneDNN layout out when all its readers take
// it, each input in the layout its producer (prepared before it, schedule order) left it in.
void applyBlocked(LayerPlan& p, const BlockedLayouts& b, int i, const std::vector<std::unique_ptr<LayerPlan>>& prepared)
{
    if (!b.capable[static_cast<size_t>(i)])
        return;
    k::KernelOp& op = p.subs[0].op;
    op.keepOutputLayout = b.allowOut[static_cast<size_t>(i)];
    const size_t ports = b.w->producers[static_cast<size_t>(i)].size();
    op.inputLayouts.assign(ports, k::Layout::Plain);
    for (size_t port = 0; port < ports; ++port) {
        const int s = b.source(i, static_cast<int>(port));
        const LayerPlan* src = prepared[static_cast<size_t>(s)].get();
        if (src && b.capable[static_cast<size_t>(s)] && !src->subs.empty() && src->subs[0].prepared)
            op.inputLayouts[port] = src->subs[0].prepared->outputLayout();
    }
}

// Inputs a layer reads in a oneDNN layout (the links of RunReport::blockedLinks).
int layoutLinks(const LayerPlan& p)
{
    if (p.kind != LayerPlan::Kind::Kernels || p.subs.empty())
        return 0;
    const auto& l = p.subs[0].op.inputLayouts;
    return static_cast<int>(std::count_if(l.begin(), l.end(), [](k::Layout x) { return x != k::Layout::Plain; }));
}

// Runs prepared layers as one inference: inputs flow from producers to readers, port by port.
struct Inference {
    Runner& r;
    std::vector<LayerPlan*> plans; // schedule order; null for inputs and views
    Wiring w;
    std::vector<k::Tensor> networkInputs; // per Input layer (schedule index), random data
    TensorPool pool;

    using Value = std::shared_ptr<k::Tensor>;

    // One pass; `outputs` receives the layers nobody reads (schedule order) when given.
    k::KernelStatus pass(std::vector<std::pair<int, Value>>* outputs)
    {
        const size_t n = plans.size();
        std::vector<std::vector<Value>> value(n); // [layer][port]
        for (size_t i = 0; i < n; ++i) {
            const LayerResult& L = r.a.layers[i];
            const Node& node = r.net.nodes()[static_cast<size_t>(L.nodeIndex)];
            const k::Shape outShape = full(L.output, r.a.batch);
            const auto& prods = w.producers[i];
            std::vector<Value>& out = value[i];
            out.resize(w.lastUse[i].size());
            auto input = [&](size_t port) -> const Value& {
                return value[static_cast<size_t>(prods.at(port).layer)][static_cast<size_t>(prods.at(port).port)];
            };
            if (node.type == LayerType::Input) {
                out[0] = pool.acquire(outShape);
                std::memcpy(out[0]->data(), networkInputs[i].data(),
                            static_cast<size_t>(networkInputs[i].size()) * sizeof(float));
            } else if (!plans[i]) {
                // Views: the same data under the output's shape (reshaped again before each read),
                // except those that keep part of their input (class token, Slice, Split pieces),
                // which copy it.
                const Value& src = input(0);
                const int rank = static_cast<int>(r.a.inputsOf(L)[0].rank());
                const int axis = static_cast<int>(node.params.axis < 0 ? node.params.axis + rank : node.params.axis) + 1;
                if (node.type == LayerType::ClassTokenSelect) {
                    out[0] = pool.acquire(outShape);
                    const int64_t N = outShape[0], D = k::shapeElements(outShape) / N;
                    const int64_t T = src->size() / (N * D);
                    for (int64_t s = 0; s < N; ++s)
                        std::memcpy(out[0]->data() + s * D, src->data() + s * T * D,
                                    static_cast<size_t>(D) * sizeof(float));
                } else if (node.type == LayerType::Split) {
                    if (!src->reshape(full(r.a.inputsOf(L)[0], r.a.batch)))
                        return k::KernelStatus::failure("layer \"" + node.name + "\": input holds " +
                                                        std::to_string(src->size()) + " values, not the analysed shape's");
                    int64_t offset = 0;
                    for (size_t port = 0; port < out.size(); ++port) {
                        const k::Shape ps = portShape(L, static_cast<int>(port), r.a.batch);
                        if (w.read(static_cast<int>(i), static_cast<int>(port))) {
                            out[port] = pool.acquire(ps);
                            gatherAxis(*src, axis, offset, 1, *out[port]);
                        }
                        offset += ps[static_cast<size_t>(axis)];
                    }
                } else if (node.type == LayerType::Slice && src->size() != k::shapeElements(outShape)) {
                    const k::Shape inShape = full(r.a.inputsOf(L)[0], r.a.batch);
                    if (!src->reshape(inShape))
                        return k::KernelStatus::failure("layer \"" + node.name + "\": input holds " +
                                                        std::to_string(src->size()) + " values, not the analysed shape's");
                    // PyTorch's clamping of the start (the count is the analysed output's).
                    const int64_t len = inShape[static_cast<size_t>(axis)];
                    const int64_t start = std::clamp(node.params.sliceStart < 0 ? node.params.sliceStart + len
                                                                                : node.params.sliceStart,
                                                     int64_t(0), len);
                    out[0] = pool.acquire(outShape);
                    gatherAxis(*src, axis, start, node.params.sliceStep, *out[0]);
                } else if (src->size() == k::shapeElements(outShape)) {
                    out[0] = src;
                } else {
                    return k::KernelStatus::failure("layer \"" + node.name + "\" (" +
                                                    std::string(layerTypeLabel(node.type)) +
                                                    ") selects part of its input: not run end to end yet");
                }
            } else {
                std::vector<k::Tensor*> ins;
                auto inShapes = r.a.inputsOf(L);
                for (size_t port = 0; port < prods.size(); ++port) {
                    k::Tensor* t = input(port).get();
                    if (!t->reshape(full(inShapes[port], r.a.batch)))
                        return k::KernelStatus::failure("layer \"" + node.name + "\": input " + std::to_string(port) +
                                                        " holds " + std::to_string(t->size()) +
                                                        " values, not the analysed shape's");
                    ins.push_back(t);
                }
                out[0] = pool.acquire(outShape);
                k::KernelStatus st = r.runLayer(*plans[i], node, ins, out[0].get());
                if (!st)
                    return k::KernelStatus::failure("layer \"" + node.name + "\": " + st.message);
                // Ports 1, 2 (h_n, c_n): the final states the kernel wrote beside its output.
                for (size_t port = 1; port < out.size(); ++port) {
                    if (!w.read(static_cast<int>(i), static_cast<int>(port)))
                        continue;
                    const std::vector<k::Tensor>& states = plans[i]->subs.back().prepared->states();
                    if (port > states.size())
                        return k::KernelStatus::failure("layer \"" + node.name + "\": output " + std::to_string(port) +
                                                        " is read but its kernel does not produce it");
                    const k::Tensor& st1 = states[port - 1];
                    out[port] = pool.acquire(portShape(L, static_cast<int>(port), r.a.batch));
                    if (out[port]->size() != st1.size())
                        return k::KernelStatus::failure("layer \"" + node.name + "\": output " + std::to_string(port) +
                                                        " has " + std::to_string(st1.size()) +
                                                        " values, not the analysed shape's");
                    std::memcpy(out[port]->data(), st1.data(), static_cast<size_t>(st1.size()) * sizeof(float));
                }
            }
            for (size_t port = 0; port < out.size(); ++port)
                if (out[port])
                    out[port]->reshape(portShape(L, static_cast<int>(port), r.a.batch));
            // Free what this step read for the last time (views hold their source until then), and
            // outputs nobody reads.
            for (const Wiring::Source& src : prods)
                if (w.lastUse[static_cast<size_t>(src.layer)][static_cast<size_t>(src.port)] == static_cast<int>(i))
                    value[static_cast<size_t>(src.layer)][static_cast<size_t>(src.port)].reset();
            for (size_t port = 0; port < out.size(); ++port)
                if (w.lastUse[i][port] < 0)
                    out[port].reset();
        }
        for (size_t i = 0; i < n; ++i)
            if (w.lastUse[i][0] == static_cast<int>(n) && value[i][0] && outputs)
                outputs->emplace_back(static_cast<int>(i), value[i][0]);
        return k::KernelStatus::success();
    }
};

} // namespace

namespace {

std::unique_ptr<k::Backend> makeBackend(BackendKind b, int threads)
{
    if (b == BackendKind::OneDnn)
        return std::make_unique<k::OneDnnBackend>(threads);
    return std::make_unique<k::EigenBackend>(threads);
}

// Network inputs of an inference: random values, one tensor per Input layer (schedule index).
std::vector<k::Tensor> randomInputs(const AnalysisResult& a, uint64_t seed)
{
    std::vector<k::Tensor> in(a.layers.size());
    for (size_t i = 0; i < a.layers.size(); ++i)
        if (a.layers[i].type == LayerType::Input)
            in[i] = k::Tensor::random(full(a.layers[i].output, a.batch), seed + i);
    return in;
}

// Foreign load up to now over the latest window of at least kMinTicks ticks: /proc/stat counts in
// 10 ms ticks, so a layer measured for a few milliseconds alone would read 0% or 100%; its load is
// then that of the last 0.1 s of machine time (20 ticks on 2 CPUs) it falls in.
double processCpuUs()
{
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e6 + 1e-3 * static_cast<double>(ts.tv_nsec);
}

double recentForeignLoad(const std::vector<CpuSample>& history)
{
    constexpr int64_t kMinTicks = 20;
    const CpuSample now = sampleCpu();
    const CpuSample* from = &history.front();
    for (auto it = history.rbegin(); it != history.rend(); ++it)
        if (now.machine.total - it->machine.total >= kMinTicks) {
            from = &*it;
            break;
        }
    return foreignLoad(*from, now);
}

} // namespace

RunReport runKernels(const Network& netIn, const RunOptions& options, RunControl* control)
{
    Network net = netIn;
    if (options.batch > 0)
        net.batch = options.batch;
    AnalysisResult a = analyze(net);

    RunReport report;
    report.backend = options.backend;
    report.threads = std::max(1, options.threads);
    report.batch = net.batch;
    report.layers.resize(a.layers.size());

    std::unique_ptr<k::Backend> backend = makeBackend(options.backend, report.threads);
    Runner r{net, a, options, control, backend.get()};

    int64_t limit = options.memoryLimitBytes > 0 ? options.memoryLimitBytes : availableMemoryBytes() / 2;
    if (limit <= 0)
        limit = int64_t(1) << 30;

    std::optional<DeployPlan> dp;
    if (options.deploy) {
        auto d = deployPlan(net, a);
        if (!d) {
            report.error = "deployment graph: " + d.error();
            return report;
        }
        dp = std::move(d.value());
        report.deployed = true;
        report.folded = dp->folded;
        report.fused = dp->fused;
    }

    const Wiring wiring = wire(net, a);
    const BlockedLayouts blocked = blockedLayouts(net, a, wiring, options.backend, options.keepBlocked, dp);
    std::vector<std::unique_ptr<LayerPlan>> plans(a.layers.size());
    int64_t keptBytes = 0;
    bool keepForEndToEnd = options.endToEnd;
    auto noEndToEnd = [&](const std::string& why) {
        if (keepForEndToEnd && report.endToEndNote.empty())
            report.endToEndNote = why;
        keepForEndToEnd = false;
    };
    if (!options.endToEnd)
        report.endToEndNote = "not requested";
    const int total = static_cast<int>(a.layers.size());
    const CpuSample runStart = sampleCpu();
    std::vector<CpuSample> cpuHistory{runStart};
    for (int i = 0; i < total; ++i) {
        const LayerResult& L = a.layers[static_cast<size_t>(i)];
        const Node& node = net.nodes()[static_cast<size_t>(L.nodeIndex)];
        LayerTiming& T = report.layers[static_cast<size_t>(i)];
        T.id = L.id;
        if (r.cancelled()) {
            report.cancelled = true;
            break;
        }
        if (control && control->progress)
            control->progress(i, total, node.name);
        if (L.status != LayerStatus::Ok) {
            T.status = TimingStatus::Skipped;
            T.note = "not analysable: " + L.message;
            noEndToEnd("layer \"" + node.name + "\" is not analysable");
            continue;
        }
        if (dp && !dp->absorbedNote[static_cast<size_t>(i)].empty()) {
            T.status = TimingStatus::Fused;
            T.note = dp->absorbedNote[static_cast<size_t>(i)];
            continue;
        }
        auto p = std::make_unique<LayerPlan>(plan(node, a.inputsOf(L), L.output));
        if (dp)
            applyDeploy(*p, *dp, static_cast<size_t>(i));
        if (wiring.error.empty())
            requestStates(*p, wiring, i);
        applyBlocked(*p, blocked, i, plans);
        if (p->kind == LayerPlan::Kind::Input) {
            T.status = TimingStatus::View;
            T.note = "network input";
            continue;
        }
        if (p->kind == LayerPlan::Kind::View) {
            T.status = TimingStatus::View;
            T.note = node.type == LayerType::ClassTokenSelect ? "moves no data (an inference copies token 0)"
                                                             : "moves no data";
            continue;
        }
        if (p->kind == LayerPlan::Kind::Unsupported) {
            T.status = TimingStatus::Skipped;
            T.note = p->note;
            noEndToEnd("layer \"" + node.name + "\" has no kernel");
            continue;
        }
        T.estimatedBytes = r.estimate(L);
        if (T.estimatedBytes > limit) {
            T.status = TimingStatus::Skipped;
            T.note = "needs about " + std::to_string(T.estimatedBytes / (1 << 20)) + " MiB, more than half of the " +
                     "free memory (" + std::to_string(limit / (1 << 20)) + " MiB allowed); reduce the batch";
            noEndToEnd("layer \"" + node.name + "\" does not fit in memory");
            continue;
        }
        k::KernelStatus st = r.prepareLayer(*p, L, static_cast<uint64_t>(i) + 1);
        if (!st) {
            T.status = TimingStatus::Failed;
            T.note = st.message;
            noEndToEnd("layer \"" + node.name + "\" failed");
            continue;
        }
        // One attempt: warm-up, then repeats until the time budget or the count; a noisy attempt is
        // repeated (bounded) and the one with the smallest spread kept.
        SampleStats best;
        double bestLoad = 0;
        int attempts = 0;
        for (int attempt = 0; attempt <= std::max(0, options.remeasure) && st && !r.cancelled(); ++attempt) {
            for (int w = 0; w < options.warmup && st; ++w)
                st = r.runLayer(*p, node);
            std::vector<double> us;
            cpuHistory.push_back(sampleCpu());
            auto begin = Clock::now();
            while (st && !r.cancelled()) {
                auto t0 = Clock::now();
                st = r.runLayer(*p, node);
                auto t1 = Clock::now();
                us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
                int n = static_cast<int>(us.size());
                double spent = std::chrono::duration<double>(t1 - begin).count();
                if (n >= options.maxRepeats || (n >= options.minRepeats && spent >= options.secondsPerLayer))
                    break;
            }
            if (!st || us.empty())
                break;
            ++attempts;
            const SampleStats s = summarize(std::move(us));
            const double load = recentForeignLoad(cpuHistory);
            if (attempts == 1 || s.spread < best.spread) {
                best = s;
                bestLoad = load;
            }
            if (!isNoisy(best))
                break;
        }
        if (!st) {
            T.status = TimingStatus::Failed;
            T.note = st.message;
            noEndToEnd("layer \"" + node.name + "\" failed");
            continue;
        }
        if (attempts == 0) {
            report.cancelled = true;
            break;
        }
        T.status = TimingStatus::Measured;
        T.note = p->note;
        report.blockedLinks += layoutLinks(*p);
        T.repeats = best.count;
        T.medianUs = best.median;
        T.p90Us = best.p90;
        T.spread = best.spread;
        T.cv = best.cv;
        T.foreignLoad = bestLoad;
        T.attempts = attempts;
        T.noisy = isNoisy(best);
        report.noisyLayers += T.noisy ? 1 : 0;
        int64_t inElems = 0;
        for (const k::Tensor& t : p->inputs)
            inElems += t.size();
        // Stored state is read like the weights: BatchNorm's running statistics, a fixed operand.
        T.bytesMoved = 4 * (inElems + L.params + L.state + L.outputElements);
        // The roofline places a layer at the work no kernel can skip: a product with zero padding is a
        // counted MAC, but oneDNN leaves it out, and a 14×14 convolution that ran at the machine's peak
        // would otherwise sit 1/(40/42)² = 1.10× above it.
        const double ops = 2.0 * static_cast<double>(L.macs - L.paddingMacs) + static_cast<double>(L.otherOps);
        T.gflops = 2.0 * static_cast<double>(L.macs) / (T.medianUs * 1e3);
        T.gops = ops / (T.medianUs * 1e3);
        T.intensity = T.bytesMoved > 0 ? ops / static_cast<double>(T.bytesMoved) : 0;
        report.sumUs += T.medianUs;
        if (keepForEndToEnd && keptBytes + T.estimatedBytes <= limit) {
            keptBytes += T.estimatedBytes;
            // The inference feeds the layer its producers' outputs: its own random inputs can go.
            p->inputs.clear();
            plans[static_cast<size_t>(i)] = std::move(p);
        } else {
            noEndToEnd("the layers together need more than half of the free memory");
        }
    }
    report.foreignLoad = foreignLoad(runStart, sampleCpu());

    // End to end: a real inference (see Inference). It differs from the sum of the layers: each
    // layer there was timed alone, repeatedly, on warm caches and its own inputs; here each reads
    // what its producer just wrote, weights and all come back from farther away, and the
    // per-layer overheads (thread wake-up, reorders) are paid once per layer per pass.
    if (keepForEndToEnd && !report.cancelled) {
        if (!wiring.error.empty()) {
            report.endToEndNote = wiring.error;
        } else {
            Inference inf{r, {}, wiring, randomInputs(a, 7), {}};
            for (auto& pl : plans)
                inf.plans.push_back(pl.get());
            std::vector<double> us, cpu;
            const CpuSample before = sampleCpu();
            k::KernelStatus st = inf.pass(nullptr); // warm-up: fills the pool
            for (int rep = 0; rep < std::max(1, options.endToEndRepeats) && st && !r.cancelled(); ++rep) {
                const double c0 = processCpuUs();
                auto t0 = Clock::now();
                st = inf.pass(nullptr);
                auto t1 = Clock::now();
                if (st) {
                    us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
                    cpu.push_back(processCpuUs() - c0);
                }
            }
            if (!st) {
                report.endToEndNote = st.message;
            } else if (!us.empty()) {
                const SampleStats s = summarize(std::move(us));
                report.endToEndUs = s.median;
                report.endToEndP90Us = s.p90;
                report.endToEndSpread = s.spread;
                report.endToEndNoisy = isNoisy(s);
                report.endToEndForeignLoad = foreignLoad(before, sampleCpu());
                report.endToEndPeakBytes = inf.pool.peakBytes();
                report.endToEndCpuUs = summarize(std::move(cpu)).median;
            }
        }
        report.cancelled = report.cancelled || r.cancelled();
    }
    if (control && control->progress && !report.cancelled)
        control->progress(total, total, "");
    return report;
}

InferenceCheck checkInference(const Network& net, BackendKind backend, int threads, uint64_t inputSeed, bool deploy,
                              bool keepBlocked)
{
    InferenceCheck c;
    AnalysisResult a = analyze(net);
    std::optional<DeployPlan> dp;
    if (deploy) {
        auto d = deployPlan(net, a);
        if (!d) {
            c.error = "deployment graph: " + d.error();
            return c;
        }
        dp = std::move(d.value());
    }
    RunOptions o;
    o.backend = backend;
    o.threads = threads;
    std::unique_ptr<k::Backend> be = makeBackend(backend, std::max(1, threads));
    Runner r{net, a, o, nullptr, be.get()};
    k::ReferenceBackend ref;
    Runner rr{net, a, o, nullptr, &ref};
    const size_t n = a.layers.size();
    std::vector<std::unique_ptr<LayerPlan>> plans(n), refPlans(n);
    Wiring w = wire(net, a);
    if (!w.error.empty()) {
        c.error = w.error;
        return c;
    }
    const BlockedLayouts blocked = blockedLayouts(net, a, w, backend, keepBlocked, dp);
    for (size_t i = 0; i < n; ++i) {
        const LayerResult& L = a.layers[i];
        const Node& node = net.nodes()[static_cast<size_t>(L.nodeIndex)];
        if (L.status != LayerStatus::Ok) {
            c.error = "layer \"" + node.name + "\" is not analysable: " + L.message;
            return c;
        }
        c.allOutputBytes += L.outputElements * 4;
        if (dp && !dp->absorbedNote[i].empty())
            continue; // computed by the layer it was folded or fused into
        auto p = std::make_unique<LayerPlan>(plan(node, a.inputsOf(L), L.output));
        if (p->kind == LayerPlan::Kind::Unsupported) {
            c.error = "layer \"" + node.name + "\": " + p->note;
            return c;
        }
        if (p->kind != LayerPlan::Kind::Kernels)
            continue;
        auto q = std::make_unique<LayerPlan>(plan(node, a.inputsOf(L), L.output));
        if (dp) {
            applyDeploy(*p, *dp, i);
            applyDeploy(*q, *dp, i);
        }
        requestStates(*p, w, static_cast<int>(i));
        requestStates(*q, w, static_cast<int>(i));
        applyBlocked(*p, blocked, static_cast<int>(i), plans); // the reference reads plain layouts
        c.blockedLinks += layoutLinks(*p);
        k::KernelStatus st = r.prepareLayer(*p, L, i + 1, false);
        if (st)
            st = r.prepareLayer(*q, L, i + 1, false, &ref, p.get());
        if (!st) {
            c.error = "layer \"" + node.name + "\": " + st.message;
            return c;
        }
        plans[i] = std::move(p);
        refPlans[i] = std::move(q);
    }
    auto run = [&](Runner& runner, std::vector<std::unique_ptr<LayerPlan>>& ps, int64_t* peak) {
        Inference inf{runner, {}, w, randomInputs(a, inputSeed), {}};
        for (auto& pl : ps)
            inf.plans.push_back(pl.get());
        std::vector<std::pair<int, std::shared_ptr<k::Tensor>>> outs;
        k::KernelStatus st = inf.pass(&outs);
        if (peak)
            *peak = inf.pool.peakBytes();
        std::vector<k::Tensor> values;
        for (auto& [i, t] : outs)
            values.push_back(*t);
        return std::make_pair(st, values);
    };
    auto [st, values] = run(r, plans, &c.peakBytes);
    if (!st) {
        c.error = st.message;
        return c;
    }
    auto [rst, refs] = run(rr, refPlans, nullptr);
    if (!rst) {
        c.error = "reference: " + rst.message;
        return c;
    }
    for (size_t i = 0; i < n; ++i)
        if (w.lastUse[i][0] == static_cast<int>(n))
            c.outputs.push_back(a.layers[i].id);
    c.values = std::move(values);
    c.reference = std::move(refs);
    for (size_t o = 0; o < c.values.size() && o < c.reference.size(); ++o) {
        const k::Tensor& v = c.values[o];
        const k::Tensor& ref0 = c.reference[o];
        double scale = 0, err = 0;
        for (int64_t e = 0; e < ref0.size(); ++e)
            scale = std::max(scale, std::abs(static_cast<double>(ref0[e])));
        for (int64_t e = 0; e < ref0.size() && e < v.size(); ++e)
            err = std::max(err, std::abs(static_cast<double>(v[e]) - ref0[e]));
        c.maxRelativeError = std::max(c.maxRelativeError, scale > 0 ? err / scale : err);
    }
    return c;
}

std::vector<SweepPoint> batchSweep(const Network& net, RunOptions options, int64_t maxBatch, RunControl* control,
                                   std::string* stoppedBy, const std::function<void(const SweepPoint&)>& onPoint)
{
    std::vector<SweepPoint> points;
    options.endToEnd = true;
    options.secondsPerLayer = std::min(options.secondsPerLayer, 0.05);
    options.minRepeats = std::min(options.minRepeats, 3);
    for (int64_t b = 1; b <= maxBatch; b *= 2) {
        options.batch = b;
        RunReport r = runKernels(net, options, control);
        if (r.cancelled) {
            if (stoppedBy)
                *stoppedBy = "cancelled";
            break;
        }
        auto skipped = std::find_if(r.layers.begin(), r.layers.end(), [](const LayerTiming& t) {
            return t.status == TimingStatus::Skipped && t.note.find("free memory") != std::string::npos;
        });
        if (skipped != r.layers.end() || r.endToEndUs <= 0) {
            if (stoppedBy)
                *stoppedBy = "batch " + std::to_string(b) + ": " +
                             (skipped != r.layers.end() ? skipped->note : std::string("end-to-end run not possible"));
            break;
        }
        points.push_back({b, r.endToEndUs, static_cast<double>(b) * 1e6 / r.endToEndUs});
        if (onPoint)
            onPoint(points.back());
    }
    return points;
}

} // namespace nc::core

// KernelRunner: maps analysed layers onto kernel ops, guards memory, measures, and sweeps batches.
#include "KernelRunner.h"

#include "core/Catalogue.h"
#include "core/LayerRules.h"
#include "core/layers/LayerKind.h"
#include "kernels/EigenBackend.h"
#include "kernels/OneDnnBackend.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>

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
    std::vector<k::Tensor> args; // contiguous inputs, as Backend::run takes them
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
    std::unique_ptr<k::Backend> backend;

    bool cancelled() const { return control && control->cancel.load(); }

    // Runs every sub-op of a layer once; the timed unit.
    k::KernelStatus runLayer(LayerPlan& p, const Node& node)
    {
        for (SubOp& s : p.subs) {
            k::KernelStatus st;
            bool direct = true;
            for (size_t i = 0; i < s.sources.size(); ++i)
                direct &= s.sources[i] == -1 - static_cast<int>(i);
            if (direct && s.sources.size() == p.inputs.size()) {
                st = backend->run(*s.prepared, std::span<const k::Tensor>(p.inputs), s.out);
            } else if (s.sources.size() == 1) {
                int src = s.sources[0];
                const k::Tensor& in = src >= 0 ? p.subs[static_cast<size_t>(src)].out
                                               : p.inputs[static_cast<size_t>(-1 - src)];
                st = backend->run(*s.prepared, in, s.out);
            } else {
                // Chained binary ops (a third input of an Add): gather the two operands.
                for (size_t i = 0; i < s.sources.size(); ++i) {
                    int src = s.sources[i];
                    const k::Tensor& in = src >= 0 ? p.subs[static_cast<size_t>(src)].out
                                                   : p.inputs[static_cast<size_t>(-1 - src)];
                    std::memcpy(s.args[i].data(), in.data(), static_cast<size_t>(in.size()) * sizeof(float));
                }
                st = backend->run(*s.prepared, std::span<const k::Tensor>(s.args), s.out);
            }
            if (!st)
                return st;
        }
        if (p.patchTokens)
            patchTokens(p.subs.back().out, p.tokens, node.params.classToken != 0, node.params.posEmbed != 0);
        return k::KernelStatus::success();
    }

    // Prepares a layer: input tensors with random data, each sub-op prepared with its shapes.
    k::KernelStatus prepareLayer(LayerPlan& p, const LayerResult& L, uint64_t seed)
    {
        auto shapes = a.inputsOf(L);
        for (size_t i = 0; i < shapes.size(); ++i)
            p.inputs.push_back(k::Tensor::random(full(shapes[i], a.batch), seed + i));
        for (size_t j = 0; j < p.subs.size(); ++j) {
            SubOp& s = p.subs[j];
            std::vector<k::Shape> in;
            for (int src : s.sources)
                in.push_back(src >= 0 ? p.subs[static_cast<size_t>(src)].prepared->outputShape()
                                      : p.inputs[static_cast<size_t>(-1 - src)].shape());
            s.op.name = net.nodes()[static_cast<size_t>(L.nodeIndex)].name;
            k::PrepareOptions po;
            po.seed = seed * 31 + j;
            auto prepared = backend->prepare(s.op, in, po);
            if (!prepared)
                return prepared.status();
            s.prepared.emplace(std::move(prepared).value());
            s.out = k::Tensor(s.prepared->outputShape());
            if (s.sources.size() > 1 && !(s.sources[0] == -1 && s.sources[1] == -2))
                for (const k::Shape& sh : in)
                    s.args.emplace_back(sh);
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
        // fp32 inputs + output + weights + working memory (im2col of a convolution is the largest).
        int64_t e = L.outputElements + L.params + L.perSample.workspace * a.batch;
        for (const Shape& s : a.inputsOf(L))
            e += *s.elements() * a.batch;
        const Node& node = net.nodes()[static_cast<size_t>(L.nodeIndex)];
        if (node.type == LayerType::Conv2d || node.type == LayerType::PatchEmbed)
            e += L.perSample.macs / std::max<int64_t>(L.output[0], 1) * a.batch; // ci/g·kh·kw·ho·wo per sample
        return e * 4;
    }
};

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

    Runner r{net, a, options, control, nullptr};
    if (options.backend == BackendKind::OneDnn)
        r.backend = std::make_unique<k::OneDnnBackend>(report.threads);
    else
        r.backend = std::make_unique<k::EigenBackend>(report.threads);

    int64_t limit = options.memoryLimitBytes > 0 ? options.memoryLimitBytes : availableMemoryBytes() / 2;
    if (limit <= 0)
        limit = int64_t(1) << 30;

    std::vector<std::unique_ptr<LayerPlan>> plans(a.layers.size());
    int64_t keptBytes = 0;
    bool keepForEndToEnd = options.endToEnd;
    const int total = static_cast<int>(a.layers.size());
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
            keepForEndToEnd = false;
            continue;
        }
        auto p = std::make_unique<LayerPlan>(plan(node, a.inputsOf(L), L.output));
        if (p->kind == LayerPlan::Kind::Input) {
            T.status = TimingStatus::View;
            T.note = "network input";
            continue;
        }
        if (p->kind == LayerPlan::Kind::View) {
            T.status = TimingStatus::View;
            T.note = "moves no data";
            continue;
        }
        if (p->kind == LayerPlan::Kind::Unsupported) {
            T.status = TimingStatus::Skipped;
            T.note = p->note;
            continue;
        }
        T.estimatedBytes = r.estimate(L);
        if (T.estimatedBytes > limit) {
            T.status = TimingStatus::Skipped;
            T.note = "needs about " + std::to_string(T.estimatedBytes / (1 << 20)) + " MiB, more than half of the " +
                     "free memory (" + std::to_string(limit / (1 << 20)) + " MiB allowed); reduce the batch";
            keepForEndToEnd = false;
            continue;
        }
        k::KernelStatus st = r.prepareLayer(*p, L, static_cast<uint64_t>(i) + 1);
        if (!st) {
            T.status = TimingStatus::Failed;
            T.note = st.message;
            continue;
        }
        for (int w = 0; w < options.warmup && st; ++w)
            st = r.runLayer(*p, node);
        std::vector<double> us;
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
        if (!st) {
            T.status = TimingStatus::Failed;
            T.note = st.message;
            continue;
        }
        if (us.empty()) {
            report.cancelled = true;
            break;
        }
        std::sort(us.begin(), us.end());
        T.status = TimingStatus::Measured;
        T.note = p->note;
        T.repeats = static_cast<int>(us.size());
        T.medianUs = us[us.size() / 2];
        T.p90Us = us[std::min(us.size() - 1, us.size() * 9 / 10)];
        int64_t inElems = 0;
        for (const k::Tensor& t : p->inputs)
            inElems += t.size();
        T.bytesMoved = 4 * (inElems + L.params + L.outputElements);
        double ops = 2.0 * static_cast<double>(L.macs) + static_cast<double>(L.otherOps);
        T.gflops = 2.0 * static_cast<double>(L.macs) / (T.medianUs * 1e3);
        T.gops = ops / (T.medianUs * 1e3);
        T.intensity = T.bytesMoved > 0 ? ops / static_cast<double>(T.bytesMoved) : 0;
        report.sumUs += T.medianUs;
        if (keepForEndToEnd && keptBytes + T.estimatedBytes <= limit) {
            keptBytes += T.estimatedBytes;
            plans[static_cast<size_t>(i)] = std::move(p);
        } else {
            keepForEndToEnd = false;
        }
    }

    // End to end: every layer back to back in schedule order, each reading its own input buffers
    // (latency does not depend on the values, and no copies between layers are added). This shows
    // what the per-layer sum hides: cold caches and no warm-up per layer.
    if (keepForEndToEnd && !report.cancelled) {
        std::vector<double> us;
        for (int rep = 0; rep < std::max(1, options.endToEndRepeats) && !r.cancelled(); ++rep) {
            auto t0 = Clock::now();
            bool ok = true;
            for (int i = 0; i < total && ok; ++i)
                if (plans[static_cast<size_t>(i)])
                    ok = static_cast<bool>(r.runLayer(*plans[static_cast<size_t>(i)],
                                                      net.nodes()[static_cast<size_t>(a.layers[static_cast<size_t>(i)].nodeIndex)]));
            auto t1 = Clock::now();
            if (ok)
                us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
        }
        if (!us.empty()) {
            std::sort(us.begin(), us.end());
            report.endToEndUs = us[us.size() / 2];
        }
        report.cancelled = report.cancelled || r.cancelled();
    }
    if (control && control->progress && !report.cancelled)
        control->progress(total, total, "");
    return report;
}

std::vector<SweepPoint> batchSweep(const Network& net, RunOptions options, int64_t maxBatch, RunControl* control,
                                   std::string* stoppedBy)
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
    }
    return points;
}

} // namespace nc::core

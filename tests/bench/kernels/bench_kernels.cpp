// Benchmark: latency and GFLOP/s of the Eigen and oneDNN backends and of oneDNN called directly.
//
// Prints Markdown (machine, probe, per-layer table, targets). Not a test: no timing assertions.
// Usage: bench_kernels [--quick] [--recurrent]
//   --quick: fewer repeats, for a smoke run; --recurrent: only the LSTM/GRU section
#include "kernels/Kernels.h"

#include <oneapi/dnnl/dnnl.hpp>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <tuple>
#include <string>
#include <fstream>
#include <sstream>
#include <unordered_map>
#include <vector>

#include <sys/resource.h>

using namespace nc::core::kernels;
using dnnl::memory;
using Clock = std::chrono::steady_clock;

namespace {

bool g_quick = false;
bool g_recurrentOnly = false;

// CPU seconds used by every process on the machine (from /proc/stat) and by this one
// (getrusage). Their difference over a measurement is the load other processes put on the
// machine meanwhile: the benchmark cannot stop a parallel build on a shared machine, but it
// reports it, so a table taken under load is recognisable as such.
struct CpuSample {
    double machine = 0.0, self = 0.0;
    std::chrono::steady_clock::time_point when = std::chrono::steady_clock::now();
};
CpuSample sampleCpu()
{
    CpuSample s;
    std::ifstream stat("/proc/stat");
    std::string cpu;
    double user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
    stat >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal;
    s.machine = (user + nice + system + irq + softirq + steal) / 100.0; // USER_HZ = 100 on Linux
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    s.self = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
             static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
    return s;
}
// Average number of cores other processes kept busy between two samples.
double otherLoad(const CpuSample& a, const CpuSample& b)
{
    const double wall = std::chrono::duration<double>(b.when - a.when).count();
    return wall > 0 ? std::max(0.0, (b.machine - a.machine) - (b.self - a.self)) / wall : 0.0;
}

struct Layer {
    std::string name;
    std::string group; // "conv", "depthwise", "gemm", "gemv", "attention"
    KernelOp op;
    Shape input;
};

std::vector<Layer> layers()
{
    std::vector<Layer> l;
    auto conv = [&](std::string name, std::string group, int64_t c, int64_t hw, int64_t o, int64_t k, int64_t s,
                    int64_t p, int64_t groups) {
        KernelOp op = KernelOp::conv2d(o, k, s, p, groups);
        op.name = name;
        l.push_back({std::move(name), std::move(group), op, {1, c, hw, hw}});
    };
    conv("ResNet-18 3x3 64@56²", "conv", 64, 56, 64, 3, 1, 1, 1);
    conv("ResNet-18 3x3 128@28²", "conv", 128, 28, 128, 3, 1, 1, 1);
    conv("ResNet-18 3x3 256@14²", "conv", 256, 14, 256, 3, 1, 1, 1);
    conv("ResNet-18 3x3 512@7²", "conv", 512, 7, 512, 3, 1, 1, 1);
    conv("Stem 7x7 s2 3→64@224²", "conv", 3, 224, 64, 7, 2, 3, 1);
    conv("1x1 64→256@56²", "conv", 64, 56, 256, 1, 1, 0, 1);
    conv("MobileNetV2 dw 32@112²", "depthwise", 32, 112, 32, 3, 1, 1, 32);
    conv("MobileNetV2 dw 144@56² s2", "depthwise", 144, 56, 144, 3, 2, 1, 144);
    conv("MobileNetV2 dw 960@7²", "depthwise", 960, 7, 960, 3, 1, 1, 960);
    KernelOp fc = KernelOp::linear(4096);
    fc.name = "Linear 4096→4096 b1";
    l.push_back({fc.name, "gemv", fc, {1, 4096}});
    fc.name = "Linear 4096→4096 b64";
    l.push_back({fc.name, "gemm", fc, {64, 4096}});
    KernelOp attn = KernelOp::attention(3);
    attn.name = "ViT-Ti attention T=197 D=192 3h";
    l.push_back({attn.name, "attention", attn, {1, 197, 192}});
    return l;
}

// Median wall time in milliseconds of fn() after warm-up. Repeats until ~0.4 s (0.05 s quick) or
// 200 runs, at least 7.
double medianMs(const std::function<void()>& fn)
{
    const double budget = g_quick ? 0.05 : 0.4;
    for (int i = 0; i < 3; ++i)
        fn();
    std::vector<double> ms;
    const auto start = Clock::now();
    while (ms.size() < 7 || (ms.size() < 200 && std::chrono::duration<double>(Clock::now() - start).count() < budget)) {
        const auto t0 = Clock::now();
        fn();
        ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    }
    std::nth_element(ms.begin(), ms.begin() + static_cast<std::ptrdiff_t>(ms.size() / 2), ms.end());
    return ms[ms.size() / 2];
}

// Medians of two functions measured alternately (a, b, a, b, …): the oneDNN backend and the
// direct calls see the same machine state, so a drift in clock speed or background load during
// the row cannot show up as wrapper overhead.
std::pair<double, double> medianMsPair(const std::function<void()>& a, const std::function<void()>& b)
{
    const double budget = g_quick ? 0.1 : 0.8;
    for (int i = 0; i < 3; ++i) {
        a();
        b();
    }
    std::vector<double> ma, mb;
    const auto start = Clock::now();
    auto timeOne = [](const std::function<void()>& fn) {
        const auto t0 = Clock::now();
        fn();
        return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    };
    while (ma.size() < 7 || (ma.size() < 200 && std::chrono::duration<double>(Clock::now() - start).count() < budget)) {
        ma.push_back(timeOne(a));
        mb.push_back(timeOne(b));
    }
    auto median = [](std::vector<double>& v) {
        std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
        return v[v.size() / 2];
    };
    return {median(ma), median(mb)};
}

// ---------------------------------------------------------------------------------------------
// oneDNN called directly: the same primitives the backend creates, written out by hand with no
// wrapper (no PreparedOp, no status plumbing, no std::span, no virtual calls). Same contract as the
// backend: plain NCHW / row-major in and out, so src/dst reorders into a blocked layout count.

memory::dims strides(const memory::dims& d)
{
    memory::dims s(d.size(), 1);
    for (std::size_t i = d.size(); i-- > 1;)
        s[i - 1] = s[i] * d[i];
    return s;
}
memory::desc plain(const memory::dims& d)
{
    return memory::desc(d, memory::data_type::f32, strides(d));
}

struct Direct {
    dnnl::engine eng{dnnl::engine::kind::cpu, 0};
    dnnl::stream strm{eng};
    std::vector<std::pair<dnnl::primitive, std::unordered_map<int, memory>>> steps;
    // Index of the compute primitive among steps: timing it alone is the "primitive only" column.
    std::size_t computeStep = 0;

    void run()
    {
        for (auto& [p, args] : steps)
            p.execute(strm, args);
        strm.wait();
    }
    void runComputeOnly()
    {
        steps[computeStep].first.execute(strm, steps[computeStep].second);
        strm.wait();
    }
    memory weights(const Tensor& t, const memory::desc& plainMd, const memory::desc& want)
    {
        memory src(plainMd, eng, const_cast<float*>(t.data())), dst(want, eng);
        dnnl::reorder(src, dst).execute(strm, src, dst);
        strm.wait();
        return dst;
    }
};

void directConv(Direct& d, const Layer& l, const std::vector<Tensor>& params, const Tensor& x, Tensor& y)
{
    const KernelOp& op = l.op;
    const int64_t c = l.input[1], g = op.groups, o = op.outChannels;
    const memory::dims src = {l.input.begin(), l.input.end()}, dst = {y.shape().begin(), y.shape().end()};
    const memory::dims w = g > 1 ? memory::dims{g, o / g, c / g, op.kh, op.kw} : memory::dims{o, c, op.kh, op.kw};
    auto any = [](const memory::dims& dd) { return memory::desc(dd, memory::data_type::f32, memory::format_tag::any); };
    dnnl::convolution_forward::desc desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
                                         any(src), any(w), plain({o}), any(dst), {op.sh, op.sw}, {op.dh - 1, op.dw - 1},
                                         {op.padTop, op.padLeft}, {op.padBottom, op.padRight});
    dnnl::convolution_forward::primitive_desc pd(desc, d.eng);
    memory xs(plain(src), d.eng, const_cast<float*>(x.data())), ys(plain(dst), d.eng, y.data());
    memory cs = xs, cd = ys;
    if (pd.src_desc() != xs.get_desc()) {
        cs = memory(pd.src_desc(), d.eng);
        d.steps.push_back({dnnl::reorder(xs, cs), {{DNNL_ARG_FROM, xs}, {DNNL_ARG_TO, cs}}});
    }
    if (pd.dst_desc() != ys.get_desc())
        cd = memory(pd.dst_desc(), d.eng);
    d.computeStep = d.steps.size();
    d.steps.push_back({dnnl::convolution_forward(pd), {{DNNL_ARG_SRC, cs},
                                                       {DNNL_ARG_WEIGHTS, d.weights(params[0], plain(w), pd.weights_desc())},
                                                       {DNNL_ARG_BIAS, d.weights(params[1], plain({o}), plain({o}))},
                                                       {DNNL_ARG_DST, cd}}});
    if (cd.get() != ys.get())
        d.steps.push_back({dnnl::reorder(cd, ys), {{DNNL_ARG_FROM, cd}, {DNNL_ARG_TO, ys}}});
}

void directLinear(Direct& d, const Layer& l, const std::vector<Tensor>& params, const Tensor& x, Tensor& y)
{
    const int64_t rows = l.input[0], in = l.input[1], out = l.op.outChannels;
    auto any = [](const memory::dims& dd) { return memory::desc(dd, memory::data_type::f32, memory::format_tag::any); };
    dnnl::inner_product_forward::desc desc(dnnl::prop_kind::forward_inference, any({rows, in}), any({out, in}),
                                           plain({out}), any({rows, out}));
    dnnl::inner_product_forward::primitive_desc pd(desc, d.eng);
    memory xs(plain({rows, in}), d.eng, const_cast<float*>(x.data())), ys(plain({rows, out}), d.eng, y.data());
    memory cs = xs, cd = ys;
    if (pd.src_desc() != xs.get_desc()) {
        cs = memory(pd.src_desc(), d.eng);
        d.steps.push_back({dnnl::reorder(xs, cs), {{DNNL_ARG_FROM, xs}, {DNNL_ARG_TO, cs}}});
    }
    if (pd.dst_desc() != ys.get_desc())
        cd = memory(pd.dst_desc(), d.eng);
    d.computeStep = d.steps.size();
    d.steps.push_back({dnnl::inner_product_forward(pd),
                       {{DNNL_ARG_SRC, cs},
                        {DNNL_ARG_WEIGHTS, d.weights(params[0], plain({out, in}), pd.weights_desc())},
                        {DNNL_ARG_BIAS, d.weights(params[1], plain({out}), plain({out}))},
                        {DNNL_ARG_DST, cd}}});
    if (cd.get() != ys.get())
        d.steps.push_back({dnnl::reorder(cd, ys), {{DNNL_ARG_FROM, cd}, {DNNL_ARG_TO, ys}}});
}

void directAttention(Direct& d, const Layer& l, const std::vector<Tensor>& params, const Tensor& x, Tensor& y)
{
    const int64_t n = l.input[0], t = l.input[1], dm = l.input[2], h = l.op.heads, dh = dm / h;
    const memory::desc xMd = plain({n * t, dm});
    const memory::desc wIn({dm, 3 * dm}, memory::data_type::f32, memory::dims{1, dm});
    const memory::desc wOut({dm, dm}, memory::data_type::f32, memory::dims{1, dm});
    memory qkv(plain({n * t, 3 * dm}), d.eng), ctx(xMd, d.eng), s(plain({n, h, t, t}), d.eng);
    float* q = static_cast<float*>(qkv.get_data_handle());
    const memory::desc qMd({n, h, t, dh}, memory::data_type::f32, memory::dims{t * 3 * dm, dh, 3 * dm, 1});
    const memory::desc ktMd({n, h, dh, t}, memory::data_type::f32, memory::dims{t * 3 * dm, dh, 1, 3 * dm});
    const memory::desc ctxMd({n, h, t, dh}, memory::data_type::f32, memory::dims{t * dm, dh, dm, 1});
    dnnl::primitive_attr scaled;
    scaled.set_output_scales(0, {1.0f / std::sqrt(static_cast<float>(dh))});

    dnnl::matmul::primitive_desc p1(dnnl::matmul::desc(xMd, wIn, plain({1, 3 * dm}), plain({n * t, 3 * dm})), d.eng);
    dnnl::matmul::primitive_desc p2(dnnl::matmul::desc(qMd, ktMd, plain({n, h, t, t})), scaled, d.eng);
    dnnl::softmax_forward::primitive_desc p3(
        dnnl::softmax_forward::desc(dnnl::prop_kind::forward_inference, plain({n, h, t, t}), 3), d.eng);
    dnnl::matmul::primitive_desc p4(dnnl::matmul::desc(plain({n, h, t, t}), qMd, ctxMd), d.eng);
    dnnl::matmul::primitive_desc p5(dnnl::matmul::desc(xMd, wOut, plain({1, dm}), xMd), d.eng);
    memory xs(xMd, d.eng, const_cast<float*>(x.data())), ys(xMd, d.eng, y.data());
    d.steps.push_back({dnnl::matmul(p1), {{DNNL_ARG_SRC, xs},
                                          {DNNL_ARG_WEIGHTS, d.weights(params[0], wIn, wIn)},
                                          {DNNL_ARG_BIAS, d.weights(params[1], plain({1, 3 * dm}), plain({1, 3 * dm}))},
                                          {DNNL_ARG_DST, qkv}}});
    d.steps.push_back({dnnl::matmul(p2), {{DNNL_ARG_SRC, memory(qMd, d.eng, q)},
                                          {DNNL_ARG_WEIGHTS, memory(ktMd, d.eng, q + dm)},
                                          {DNNL_ARG_DST, s}}});
    d.steps.push_back({dnnl::softmax_forward(p3), {{DNNL_ARG_SRC, s}, {DNNL_ARG_DST, s}}});
    d.steps.push_back({dnnl::matmul(p4), {{DNNL_ARG_SRC, s},
                                          {DNNL_ARG_WEIGHTS, memory(qMd, d.eng, q + 2 * dm)},
                                          {DNNL_ARG_DST, memory(ctxMd, d.eng, ctx.get_data_handle())}}});
    d.steps.push_back({dnnl::matmul(p5), {{DNNL_ARG_SRC, ctx},
                                          {DNNL_ARG_WEIGHTS, d.weights(params[2], wOut, wOut)},
                                          {DNNL_ARG_BIAS, d.weights(params[3], plain({1, dm}), plain({1, dm}))},
                                          {DNNL_ARG_DST, ys}}});
    d.computeStep = 0;
}

struct Row {
    std::string layer, group, eigenNote, onednnNote;
    int threads = 1;
    double gflop = 0, eigenMs = 0, backendMs = 0, directMs = 0, primitiveMs = 0;
    double otherLoad = 0; // cores used by other processes while this row was measured
};

std::string fmt(const char* f, double v)
{
    char buf[64];
    std::snprintf(buf, sizeof buf, f, v);
    return buf;
}

Row measure(const Layer& l, int threads)
{
    const CpuSample start = sampleCpu();
    Row r;
    r.layer = l.name;
    r.group = l.group;
    r.threads = threads;
    const std::vector<Shape> in{l.input};
    const Tensor x = Tensor::random(l.input, 11);

    EigenBackend eigen(threads);
    auto pe = eigen.prepare(l.op, in);
    if (!pe) {
        std::fprintf(stderr, "%s\n", pe.message().c_str());
        std::exit(1);
    }
    Tensor y(pe.value().outputShape());
    r.gflop = pe.value().flops() * 1e-9;
    r.eigenNote = pe.value().note();
    r.eigenMs = medianMs([&] { (void)eigen.run(pe.value(), x, y); });

    OneDnnBackend onednn(threads);
    auto po = onednn.prepare(l.op, in);
    if (!po) {
        std::fprintf(stderr, "%s\n", po.message().c_str());
        std::exit(1);
    }
    r.onednnNote = po.value().note();

    // Same parameters as the backends (seed 1) for the direct calls, and a separate output so the
    // two never share a buffer.
    omp_set_num_threads(threads);
    Direct d;
    Tensor yDirect(po.value().outputShape());
    const std::vector<Tensor> params = makeParameters(l.op, in, 1);
    if (l.op.kind == OpKind::Conv2d)
        directConv(d, l, params, x, yDirect);
    else if (l.op.kind == OpKind::Linear)
        directLinear(d, l, params, x, yDirect);
    else
        directAttention(d, l, params, x, yDirect);
    std::tie(r.backendMs, r.directMs) = medianMsPair([&] { (void)onednn.run(po.value(), x, y); },
                                                     [&] {
                                                         omp_set_num_threads(threads);
                                                         d.run();
                                                     });
    if (l.op.kind != OpKind::Attention)
        r.primitiveMs = medianMs([&] { d.runComputeOnly(); });
    r.otherLoad = otherLoad(start, sampleCpu());
    return r;
}

// Recurrent layers: both backends on the same layer, timed alternately. No "direct" column: the
// backend's RNN path is one or a few primitives on the caller's buffers (ntc in and out), so a
// hand-written call would be the same code.
struct RecurrentRow {
    std::string layer, onednnNote;
    int threads = 1;
    double gflop = 0, eigenMs = 0, onednnMs = 0, maxDiff = 0;
    double otherLoad = 0; // cores used by other processes while this row was measured
};

std::vector<Layer> recurrentLayers()
{
    auto rnn = [](OpKind k, std::string name, int64_t h, int64_t layers, bool bidir) {
        KernelOp op = KernelOp::make(k);
        op.outChannels = h, op.rnnLayers = layers, op.bidirectional = bidir, op.bias = true;
        op.name = std::move(name);
        return op;
    };
    std::vector<Layer> l;
    for (OpKind k : {OpKind::LSTM, OpKind::GRU}) {
        const std::string kind = k == OpKind::LSTM ? "LSTM" : "GRU";
        KernelOp one = rnn(k, kind + " 1×256, I 128, T 50, batch 1", 256, 1, false);
        l.push_back({one.name, "recurrent", one, {1, 50, 128}});
        KernelOp two = rnn(k, kind + " 2×128 bidir., I 64, T 100, batch 8", 128, 2, true);
        l.push_back({two.name, "recurrent", two, {8, 100, 64}});
    }
    return l;
}

RecurrentRow measureRecurrent(const Layer& l, int threads)
{
    const CpuSample start = sampleCpu();
    RecurrentRow r;
    r.layer = l.name;
    r.threads = threads;
    const std::vector<Shape> in{l.input};
    const Tensor x = Tensor::random(l.input, 11);
    EigenBackend eigen(threads);
    OneDnnBackend onednn(threads);
    auto pe = eigen.prepare(l.op, in);
    auto po = onednn.prepare(l.op, in);
    if (!pe || !po) {
        std::fprintf(stderr, "%s\n", (!pe ? pe.message() : po.message()).c_str());
        std::exit(1);
    }
    r.gflop = pe.value().flops() * 1e-9;
    r.onednnNote = po.value().note();
    Tensor ye(pe.value().outputShape()), yo(po.value().outputShape());
    std::tie(r.eigenMs, r.onednnMs) = medianMsPair([&] { (void)eigen.run(pe.value(), x, ye); },
                                                   [&] { (void)onednn.run(po.value(), x, yo); });
    for (int64_t i = 0; i < ye.size(); ++i) // same seed, same parameters: the outputs must agree
        r.maxDiff = std::max(r.maxDiff, static_cast<double>(std::fabs(ye[i] - yo[i])));
    r.otherLoad = otherLoad(start, sampleCpu());
    return r;
}

void printRecurrent(int cores)
{
    std::vector<RecurrentRow> rows;
    for (const Layer& l : recurrentLayers())
        for (int t : {1, cores}) {
            rows.push_back(measureRecurrent(l, t));
            std::fprintf(stderr, "measured %s t%d\n", l.name.c_str(), t);
        }
    std::printf("\n## Recurrent layers (Eigen backend vs oneDNN backend, timed alternately)\n\n");
    std::printf("Ratio = Eigen / oneDNN time (> 1: oneDNN faster). Max |diff| = largest difference between "
                "the two outputs (same parameters).\n\n");
    std::printf("| Layer | Thr | GFLOP | Eigen ms | oneDNN ms | Eigen / oneDNN | Max |diff| | Other load |\n"
                "|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for (const RecurrentRow& r : rows)
        std::printf("| %s | %d | %.3f | %.3f | %.3f | %.2fx | %.1e | %.2f |\n", r.layer.c_str(), r.threads, r.gflop,
                    r.eigenMs, r.onednnMs, r.eigenMs / r.onednnMs, r.maxDiff, r.otherLoad);
    std::printf("\n| Layer | oneDNN backend (%d threads) |\n|---|---|\n", cores);
    for (const RecurrentRow& r : rows)
        if (r.threads == cores)
            std::printf("| %s | %s |\n", r.layer.c_str(), r.onednnNote.c_str());
}

} // namespace

int main(int argc, char** argv)
{
    for (int i = 1; i < argc; ++i)
        if (std::strcmp(argv[i], "--quick") == 0)
            g_quick = true;
        else if (std::strcmp(argv[i], "--recurrent") == 0)
            g_recurrentOnly = true;

    const int cores = MachineProbe::logicalCores();
    std::printf("# Kernel benchmark\n\n");
    std::printf("- CPU: %s, %d logical cores\n", MachineProbe::cpuModel().c_str(), cores);
    std::printf("- %s\n", OneDnnBackend::runtimeDescription().c_str());
    std::printf("- Release build, -march=native; median of repeated runs after 3 warm-up runs; the oneDNN backend "
                "and the direct oneDNN calls are timed alternately\n\n");

    if (g_recurrentOnly) {
        printRecurrent(cores);
        return 0;
    }

    const MachineInfo m = MachineProbe::probe();
    std::printf("## Machine probe (MachineProbe)\n\n");
    std::printf("Caches (%s): L1d %lld KiB, L2 %lld KiB, L3 %lld KiB\n\n", m.caches.source.c_str(),
                static_cast<long long>(m.caches.l1 >> 10), static_cast<long long>(m.caches.l2 >> 10),
                static_cast<long long>(m.caches.l3 >> 10));
    std::printf("| threads | fp32 FMA peak (%d-bit, %d chains), GFLOP/s | L1 GB/s | L2 GB/s | L3 GB/s | DRAM GB/s |\n"
                "|---:|---:|---:|---:|---:|---:|\n",
                m.vectorBits, m.fmaChains);
    for (const Roofs& r : m.roofs)
        std::printf("| %d | %.1f | %.1f | %.1f | %.1f | %.1f |\n", r.threads, r.peakGflops, r.bandwidthGBs[0],
                    r.bandwidthGBs[1], r.bandwidthGBs[2], r.bandwidthGBs[3]);
    std::printf("\n");

    const CpuSample benchStart = sampleCpu();
    std::vector<Row> rows;
    for (const Layer& l : layers())
        for (int t : {1, cores}) {
            rows.push_back(measure(l, t));
            std::fprintf(stderr, "measured %s t%d\n", l.name.c_str(), t);
        }

    const double load = otherLoad(benchStart, sampleCpu());
    std::printf("Background load from other processes during the layer measurements: %.2f cores on average "
                "(per row in the last column; anything above ~0.1 distorts the %d-thread rows).\n\n",
                load, cores);
    std::printf("## Latency per layer (batch 1 unless stated)\n\n");
    std::printf("Times in ms (median). *direct* = oneDNN called without our wrapper, same plain-layout contract "
                "(src/dst reorders included); *prim.* = the compute primitive alone on pre-reordered data. "
                "Ratio = direct / Eigen time (> 1: Eigen faster). Overhead = backend / direct − 1.\n\n");
    std::printf("| Layer | Thr | GFLOP | Eigen ms | oneDNN backend ms | oneDNN direct ms | prim. ms | Eigen GFLOP/s | "
                "oneDNN GFLOP/s | Eigen vs oneDNN | Overhead | Other load |\n");
    std::printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (const Row& r : rows) {
        std::printf("| %s | %d | %.3f | %.3f | %.3f | %.3f | %s | %.1f | %.1f | %.2fx | %+.1f%% | %.2f |\n",
                    r.layer.c_str(), r.threads, r.gflop, r.eigenMs, r.backendMs, r.directMs,
                    r.primitiveMs > 0 ? fmt("%.3f", r.primitiveMs).c_str() : "–", r.gflop / r.eigenMs * 1e3,
                    r.gflop / r.directMs * 1e3, r.directMs / r.eigenMs, (r.backendMs / r.directMs - 1.0) * 100.0,
                    r.otherLoad);
    }

    std::printf("\n## Thread scaling (1 → %d threads)\n\n", cores);
    std::printf("| Layer | Eigen | oneDNN backend | oneDNN direct |\n|---|---:|---:|---:|\n");
    std::map<std::string, std::pair<Row, Row>> byLayer;
    std::vector<std::string> order;
    for (const Row& r : rows) {
        if (!byLayer.count(r.layer))
            order.push_back(r.layer);
        (r.threads == 1 ? byLayer[r.layer].first : byLayer[r.layer].second) = r;
    }
    for (const auto& name : order) {
        const auto& [a, b] = byLayer[name];
        std::printf("| %s | %.2fx | %.2fx | %.2fx |\n", name.c_str(), a.eigenMs / b.eigenMs, a.backendMs / b.backendMs,
                    a.directMs / b.directMs);
    }

    std::printf("\n## Algorithms chosen (%d threads)\n\n| Layer | Eigen | oneDNN backend |\n|---|---|---|\n", cores);
    for (const auto& name : order) {
        const Row& r = byLayer[name].second;
        std::printf("| %s | %s | %s |\n", name.c_str(), r.eigenNote.c_str(), r.onednnNote.c_str());
    }

    printRecurrent(cores);

    // Targets, evaluated from the rows above.
    std::printf("\n## Targets\n\n| Target | Layer | Value | Met |\n|---|---|---:|:---:|\n");
    for (const auto& name : order) {
        const auto& [a, b] = byLayer[name];
        // Issue 15: 3×3 and 1×1 convolutions and large GEMMs (and, from before, depthwise).
        if (a.group == "conv" || a.group == "gemm" || a.group == "depthwise") {
            const double v = a.directMs / a.eigenMs;
            std::printf("| Eigen ≥ 0.8× oneDNN, 1 thread | %s | %.2fx | %s |\n", name.c_str(), v, v >= 0.8 ? "yes" : "no");
        }
    }
    for (const auto& name : order) {
        const auto& [a, b] = byLayer[name];
        // "Large": at least 0.2 GFLOP, enough work per thread for the split to matter.
        if (a.gflop >= 0.2) {
            // A second thread only helps if a second core is free: say how busy the machine was.
            const double v = a.eigenMs / b.eigenMs;
            std::printf("| Eigen speed-up 1→%d threads ≥ 1.8× | %s | %.2fx | %s%s |\n", cores, name.c_str(), v,
                        v >= 1.8 ? "yes" : "no",
                        b.otherLoad > 0.1 ? fmt(" (other load %.2f cores)", b.otherLoad).c_str() : "");
        }
    }
    for (const Row& r : rows) {
        const double v = r.backendMs / r.directMs - 1.0;
        std::printf("| oneDNN backend within 5%% of direct | %s, %d thr | %+.1f%% | %s |\n", r.layer.c_str(), r.threads,
                    v * 100.0, v <= 0.05 ? "yes" : "no");
    }
    return 0;
}

// Measures this machine's compute peak and memory bandwidth: the two roofs of the roofline chart.
#include "MachineProbe.h"

#include "Simd.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <memory>
#include <thread>
#include <vector>

namespace nc::core::kernels {

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point t0)
{
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

constexpr int kChains = 12;

// `iterations` rounds of kChains independent vector FMAs; returns a value that depends on every
// chain so the compiler cannot drop any. x·m + a with m slightly below 1 stays finite and normal.
float fmaLoop(int64_t iterations, float seed)
{
    simd::V16 acc[kChains];
    for (int k = 0; k < kChains; ++k)
        acc[k] = simd::splat(seed + static_cast<float>(k));
    const simd::V16 m = simd::splat(0.9999999f), a = simd::splat(1e-7f);
    for (int64_t i = 0; i < iterations; ++i) {
        // Strict IEEE semantics (no -ffast-math) forbid the compiler to reassociate or collapse
        // these dependent chains, so each line stays one FMA per vector.
        for (int k = 0; k < kChains; ++k)
            acc[k] = acc[k] * m + a;
    }
    float s = 0.0f;
    for (int k = 0; k < kChains; ++k)
        for (int l = 0; l < simd::kWidth; ++l)
            s += acc[k][l];
    return s;
}

// Runs body(threadIndex) on `threads` threads that start together; returns wall seconds from
// the common start to the last finish.
template <typename Body>
double timeThreads(int threads, Body&& body)
{
    std::atomic<int> ready{0};
    std::atomic<bool> go{false};
    std::vector<std::thread> pool;
    std::vector<double> finish(static_cast<std::size_t>(threads), 0.0);
    Clock::time_point start;
    for (int t = 0; t < threads; ++t) {
        pool.emplace_back([&, t] {
            ready.fetch_add(1);
            while (!go.load(std::memory_order_acquire)) {
            }
            body(t);
            finish[static_cast<std::size_t>(t)] = secondsSince(start);
        });
    }
    while (ready.load() != threads) {
    }
    start = Clock::now();
    go.store(true, std::memory_order_release);
    for (auto& th : pool)
        th.join();
    return *std::max_element(finish.begin(), finish.end());
}

} // namespace

std::string MachineProbe::cpuModel()
{
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("model name", 0) == 0) {
            const auto colon = line.find(':');
            if (colon != std::string::npos) {
                std::string v = line.substr(colon + 1);
                v.erase(0, v.find_first_not_of(" \t"));
                return v;
            }
        }
    }
    return "unknown CPU";
}

int MachineProbe::logicalCores()
{
    return std::max(1u, std::thread::hardware_concurrency());
}

int MachineProbe::vectorBits()
{
#if defined(__AVX512F__)
    return 512;
#elif defined(__AVX__)
    return 256;
#else
    return 128;
#endif
}

double MachineProbe::peakGflops(int threads, double seconds)
{
    threads = std::max(threads, 1);
    // Calibrate iterations on one thread, then measure all threads together.
    int64_t iterations = 1 << 16;
    volatile float sink = 0.0f;
    for (;;) {
        const auto t0 = Clock::now();
        sink = sink + fmaLoop(iterations, 1.0f);
        if (secondsSince(t0) > seconds / 4 || iterations > (int64_t{1} << 40))
            break;
        iterations *= 2;
    }
    iterations *= 4;
    double best = 0.0;
    for (int rep = 0; rep < 3; ++rep) {
        std::vector<float> out(static_cast<std::size_t>(threads));
        const double s = timeThreads(threads, [&](int t) { out[static_cast<std::size_t>(t)] = fmaLoop(iterations, 1.0f + static_cast<float>(t)); });
        for (float v : out)
            sink = sink + v;
        const double flops = static_cast<double>(iterations) * kChains * simd::kWidth * 2.0 * threads;
        best = std::max(best, flops / s * 1e-9);
    }
    return best;
}

double MachineProbe::streamBandwidthGBs(int threads, std::size_t bytesPerArray, int repeats)
{
    threads = std::max(threads, 1);
    const std::size_t n = bytesPerArray / sizeof(float);
    // Uninitialised allocation on purpose: each thread first-touches its own slice below, so on a
    // multi-socket machine the pages land next to the core that streams them.
    std::unique_ptr<float[]> a(new float[n]), b(new float[n]), c(new float[n]);
    auto slice = [&](int t, std::size_t& lo, std::size_t& hi) {
        lo = n * static_cast<std::size_t>(t) / static_cast<std::size_t>(threads);
        hi = n * static_cast<std::size_t>(t + 1) / static_cast<std::size_t>(threads);
    };
    timeThreads(threads, [&](int t) {
        std::size_t lo, hi;
        slice(t, lo, hi);
        for (std::size_t i = lo; i < hi; ++i) {
            a[i] = 0.0f;
            b[i] = 1.0f;
            c[i] = 2.0f;
        }
    });
    const float s = 3.0f;
    double best = 0.0;
    for (int rep = 0; rep < std::max(repeats, 1); ++rep) {
        const double sec = timeThreads(threads, [&](int t) {
            std::size_t lo, hi;
            slice(t, lo, hi);
            float* __restrict pa = a.get();
            const float* __restrict pb = b.get();
            const float* __restrict pc = c.get();
            for (std::size_t i = lo; i < hi; ++i)
                pa[i] = pb[i] + s * pc[i];
        });
        best = std::max(best, 3.0 * static_cast<double>(n * sizeof(float)) / sec * 1e-9);
    }
    volatile float keep = a[n / 2];
    (void)keep;
    return best;
}

MachineInfo MachineProbe::probe()
{
    MachineInfo m;
    m.cpuModel = cpuModel();
    m.logicalCores = logicalCores();
    m.vectorBits = vectorBits();
    m.peakGflopsOneThread = peakGflops(1);
    m.peakGflopsAllThreads = peakGflops(m.logicalCores);
    m.bandwidthGBsOneThread = streamBandwidthGBs(1);
    m.bandwidthGBsAllThreads = streamBandwidthGBs(m.logicalCores);
    return m;
}

} // namespace nc::core::kernels

// Measures this machine's roofs: float32 FMA peak and per-level bandwidth, from short synchronised
// bursts on a small team of threads.
#include "MachineProbe.h"

#include "Simd.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <memory>
#include <thread>
#include <time.h>
#include <unistd.h>
#include <vector>

namespace nc::core::kernels {

const char* memoryLevelKey(MemoryLevel level)
{
    switch (level) {
    case MemoryLevel::L1: return "l1";
    case MemoryLevel::L2: return "l2";
    case MemoryLevel::L3: return "l3";
    case MemoryLevel::Dram: return "dram";
    }
    return "?";
}

const char* memoryLevelLabel(MemoryLevel level)
{
    switch (level) {
    case MemoryLevel::L1: return "L1";
    case MemoryLevel::L2: return "L2";
    case MemoryLevel::L3: return "L3";
    case MemoryLevel::Dram: return "DRAM";
    }
    return "?";
}

const Roofs* MachineInfo::roofsFor(int threads) const
{
    const Roofs* best = roofs.empty() ? nullptr : &roofs.front();
    for (const Roofs& r : roofs)
        if (r.threads <= threads && r.threads >= best->threads)
            best = &r;
    return best;
}

MemoryLevel MachineInfo::levelFor(int64_t workingSetBytes, int threads) const
{
    // Up to twice a cache's size, part of the set still hits it (measured: a 1.2 MB ReLU6 ran 3%
    // above the L3 roof with a 1 MiB L2), so the faster level's roof bounds it; the probe measures
    // each level at twice the size of the one before, where the streaming sweep misses every line.
    const int64_t share = workingSetBytes / std::max(threads, 1);
    if (caches.l1 > 0 && share <= 2 * caches.l1)
        return MemoryLevel::L1;
    if (caches.l2 > 0 && share <= 2 * caches.l2)
        return MemoryLevel::L2;
    if (caches.l3 > 0 && workingSetBytes <= 2 * caches.l3)
        return MemoryLevel::L3;
    return MemoryLevel::Dram;
}

double MachineInfo::roofGops(double intensity, int64_t workingSetBytes, int threads) const
{
    const Roofs* r = roofsFor(threads);
    if (!r)
        return 0.0;
    const double bw = r->bandwidthGBs[static_cast<size_t>(levelFor(workingSetBytes, threads))];
    return std::min(r->peakGflops, bw * intensity);
}

namespace {

using Clock = std::chrono::steady_clock;

double now()
{
    return std::chrono::duration<double>(Clock::now().time_since_epoch()).count();
}

// CPU seconds of the calling thread: excludes the time another process held its core.
double threadCpuSeconds()
{
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

constexpr int kFmaChains = 12;

// `iterations` rounds of kFmaChains independent vector FMAs; returns a value that depends on
// every chain so the compiler cannot drop any. x·m + a with m slightly below 1 stays finite and
// normal. g++ 12 -O3 -march=native compiles the inner loop to 12 `vfmadd132ps zmm` on 12
// different registers (checked with objdump -d; see README "Kernel runner").
__attribute__((noinline)) float fmaLoop(int64_t iterations, float seed)
{
    simd::V16 acc[kFmaChains];
    for (int k = 0; k < kFmaChains; ++k)
        acc[k] = simd::splat(seed + static_cast<float>(k));
    const simd::V16 m = simd::splat(0.9999999f), a = simd::splat(1e-7f);
    for (int64_t i = 0; i < iterations; ++i) {
        // Without -ffast-math the compiler may not reassociate or collapse these dependent chains,
        // so each line stays one FMA per vector.
        for (int k = 0; k < kFmaChains; ++k)
            acc[k] = acc[k] * m + a;
    }
    float s = 0.0f;
    for (int k = 0; k < kFmaChains; ++k)
        for (int l = 0; l < simd::kWidth; ++l)
            s += acc[k][l];
    return s;
}

// One pass reading n floats (n a multiple of 128) with 8 independent vector sums, so the loads,
// not the add latency, set the pace.
__attribute__((noinline)) float readPass(const float* p, int64_t n)
{
    simd::V16 s[8] = {};
    for (int64_t i = 0; i < n; i += 8 * simd::kWidth)
        for (int k = 0; k < 8; ++k)
            s[k] += simd::load(p + i + k * simd::kWidth);
    float r = 0.0f;
    for (int k = 0; k < 8; ++k)
        for (int l = 0; l < simd::kWidth; ++l)
            r += s[k][l];
    return r;
}

// Vector copy of n floats: one read and one write stream, the pattern of elementwise layers.
__attribute__((noinline)) void copyPass(float* __restrict a, const float* __restrict b, int64_t n)
{
    for (int64_t i = 0; i < n; i += simd::kWidth)
        simd::store(a + i, simd::load(b + i));
}

__attribute__((noinline)) void triadPass(float* __restrict a, const float* __restrict b, const float* __restrict c,
                                         int64_t n, float s)
{
    for (int64_t i = 0; i < n; ++i)
        a[i] = b[i] + s * c[i];
}

// A team of `threads` threads (the caller is thread 0) that run a body together, released by a
// spin barrier so they start within a few hundred nanoseconds of each other.
class Team {
public:
    explicit Team(int threads) : m_threads(std::max(threads, 1)), m_cpu(static_cast<size_t>(m_threads))
    {
        for (int t = 1; t < m_threads; ++t)
            m_helpers.emplace_back([this, t] {
                for (;;) {
                    arrive();
                    if (m_quit)
                        return;
                    work(t);
                    arrive();
                }
            });
    }
    ~Team()
    {
        m_quit = true;
        arrive();
        for (std::thread& h : m_helpers)
            h.join();
    }
    int threads() const { return m_threads; }

    // Runs body(t) on every thread, all released together; returns the longest thread's CPU
    // seconds. CPU time rather than wall time: on a shared machine another process often takes a
    // core for a while, and wall time would count that as our work (the gap is excluded; the rare
    // error is that a team mate ran alone meanwhile, with a shared cache or memory to itself).
    double round(std::function<void(int)> body)
    {
        m_body = std::move(body);
        arrive();
        work(0);
        arrive();
        return *std::max_element(m_cpu.begin(), m_cpu.end());
    }

private:
    void work(int t)
    {
        const double c0 = threadCpuSeconds();
        m_body(t);
        m_cpu[static_cast<size_t>(t)] = threadCpuSeconds() - c0;
    }
    // Sense-reversing barrier; yields after a while so a descheduled team mate can run.
    void arrive()
    {
        const int gen = m_generation.load(std::memory_order_acquire);
        if (m_count.fetch_add(1, std::memory_order_acq_rel) + 1 == m_threads) {
            m_count.store(0, std::memory_order_relaxed);
            m_generation.fetch_add(1, std::memory_order_release);
            return;
        }
        for (int spins = 0; m_generation.load(std::memory_order_acquire) == gen; ++spins)
            if (spins > 2000)
                std::this_thread::yield();
    }

    int m_threads;
    std::vector<double> m_cpu;
    std::vector<std::thread> m_helpers;
    std::function<void(int)> m_body;
    std::atomic<int> m_count{0};
    std::atomic<int> m_generation{0};
    std::atomic<bool> m_quit{false};
};

// Seconds per unit of the best round: `units` doubles until a round lasts ~1 ms, then rounds
// repeat until `seconds` have passed (at least 5 counted rounds).
double bestSecondsPerUnit(Team& team, double seconds, const std::function<void(int, int64_t)>& unit)
{
    int64_t units = 1;
    double best = 1e300;
    int counted = 0;
    const double t0 = now();
    for (;;) {
        const double s = team.round([&](int t) { unit(t, units); });
        if (s < 1e-3 && units < (int64_t{1} << 40)) {
            units *= 2;
            continue;
        }
        best = std::min(best, s / static_cast<double>(units));
        ++counted;
        if (counted >= 5 && now() - t0 >= seconds)
            break;
    }
    return best;
}

struct AlignedFree {
    void operator()(float* p) const { std::free(p); }
};
using Buffer = std::unique_ptr<float[], AlignedFree>;

Buffer allocFloats(int64_t n)
{
    const size_t bytes = (static_cast<size_t>(n) * sizeof(float) + 63) / 64 * 64;
    return Buffer(static_cast<float*>(std::aligned_alloc(64, std::max<size_t>(bytes, 64))));
}

// Each thread writes its own slice of n floats first, so the pages land next to the core that
// sweeps them (on a multi-socket machine).
void firstTouch(Team& team, float* base, int64_t n)
{
    team.round([&](int t) {
        float* p = base + n * t;
        for (int64_t i = 0; i < n; ++i)
            p[i] = 1.0f + static_cast<float>(i & 7);
    });
}

// GB/s of the best of a read-only sweep, a copy and a triad over each thread's slice of n floats
// (n a multiple of 384, so the arrays stay 512-byte aligned). The best, because a roof must bound
// every mix of reads and writes a layer makes: on Zen 5 the copy beats the read sweep in L2 and
// L3 (231 against 195 GB/s at 96 KiB), the read sweep wins in L1.
double sweepBandwidth(Team& team, float* base, int64_t n, double seconds)
{
    std::vector<float> sink(static_cast<size_t>(team.threads()));
    const double read = bestSecondsPerUnit(team, seconds / 3, [&](int t, int64_t units) {
        for (int64_t u = 0; u < units; ++u)
            sink[static_cast<size_t>(t)] += readPass(base + n * t, n);
    });
    const double copy = bestSecondsPerUnit(team, seconds / 3, [&](int t, int64_t units) {
        float* p = base + n * t;
        for (int64_t u = 0; u < units; ++u)
            copyPass(p, p + n / 2, n / 2);
    });
    const int64_t third = n / 3;
    const double triad = bestSecondsPerUnit(team, seconds / 3, [&](int t, int64_t units) {
        float* p = base + n * t;
        for (int64_t u = 0; u < units; ++u)
            triadPass(p, p + third, p + 2 * third, third, 0.5f);
    });
    volatile float keep = sink[0];
    (void)keep;
    const double bytes = static_cast<double>(n) * 4.0 * team.threads();
    return bytes / std::min({read, copy, triad}) * 1e-9;
}

double teamPeakGflops(Team& team, double seconds)
{
    std::vector<float> out(static_cast<size_t>(team.threads()));
    const double spu = bestSecondsPerUnit(team, seconds, [&](int t, int64_t units) {
        out[static_cast<size_t>(t)] += fmaLoop(units, 1.0f + static_cast<float>(t));
    });
    volatile float keep = out[0];
    (void)keep;
    return static_cast<double>(kFmaChains) * simd::kWidth * 2.0 * team.threads() / spu * 1e-9;
}

int64_t memAvailable()
{
    std::ifstream f("/proc/meminfo");
    std::string key, unit;
    int64_t value = 0;
    while (f >> key >> value >> unit)
        if (key == "MemAvailable:")
            return value * 1024;
    return 0;
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

int64_t MachineProbe::parseCacheSize(std::string_view text)
{
    while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
        text.remove_suffix(1);
    if (text.empty())
        return 0;
    int64_t scale = 1;
    switch (text.back()) {
    case 'K': scale = int64_t{1} << 10; break;
    case 'M': scale = int64_t{1} << 20; break;
    case 'G': scale = int64_t{1} << 30; break;
    }
    if (scale != 1)
        text.remove_suffix(1);
    if (text.empty() || text.size() > 12)
        return 0;
    int64_t v = 0;
    for (char c : text) {
        if (c < '0' || c > '9')
            return 0;
        v = v * 10 + (c - '0');
    }
    return v * scale;
}

CacheSizes MachineProbe::cacheSizes()
{
    CacheSizes c;
    const long l1 = sysconf(_SC_LEVEL1_DCACHE_SIZE), l2 = sysconf(_SC_LEVEL2_CACHE_SIZE),
               l3 = sysconf(_SC_LEVEL3_CACHE_SIZE);
    if (l1 > 0 && l2 > 0) {
        c.l1 = l1, c.l2 = l2, c.l3 = std::max(l3, 0L);
        c.source = "sysconf";
        return c;
    }
    for (int i = 0; i < 8; ++i) {
        const std::string dir = "/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(i) + "/";
        std::ifstream lf(dir + "level"), tf(dir + "type"), sf(dir + "size");
        int level = 0;
        std::string type, size;
        if (!(lf >> level) || !(tf >> type) || !(sf >> size))
            continue;
        if (type == "Instruction")
            continue;
        const int64_t bytes = parseCacheSize(size);
        if (level == 1)
            c.l1 = bytes;
        else if (level == 2)
            c.l2 = bytes;
        else if (level == 3)
            c.l3 = bytes;
    }
    if (c.l1 > 0 && c.l2 > 0) {
        c.source = "/sys/devices/system/cpu/cpu0/cache";
        return c;
    }
    // Nothing reported (some containers): typical current x86 sizes, said as such.
    c.l1 = 32 << 10, c.l2 = 1 << 20, c.l3 = 32 << 20;
    c.source = "assumed";
    return c;
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

std::array<int64_t, kMemoryLevels> MachineProbe::probeWorkingSets(const CacheSizes& caches, int threads,
                                                                  int64_t availableBytes)
{
    threads = std::max(threads, 1);
    std::array<int64_t, kMemoryLevels> ws{};
    ws[0] = caches.l1 / 2;
    ws[1] = std::min(2 * caches.l1, caches.l2 / 2);
    ws[2] = 2 * caches.l2;
    if (caches.l3 > 0)
        ws[2] = std::min(ws[2], caches.l3 / (2 * threads));
    int64_t dram = std::max<int64_t>(2 * caches.l3, int64_t{128} << 20);
    int64_t cap = int64_t{256} << 20;
    if (availableBytes > 0)
        cap = std::min(cap, availableBytes / 8);
    dram = std::max<int64_t>(std::min(dram, cap), 4 * ws[2] * threads);
    // Whole blocks of the read sweep (128 floats) and of the triad's three arrays, per thread.
    for (int64_t& w : ws)
        w = std::max<int64_t>(w / (3 * 512) * (3 * 512), 3 * 512);
    ws[3] = std::max<int64_t>(dram / threads / (3 * 512) * (3 * 512), 3 * 512);
    return ws;
}

double MachineProbe::peakGflops(int threads, double seconds)
{
    Team team(threads);
    return teamPeakGflops(team, seconds);
}

double MachineProbe::bandwidthGBs(int threads, int64_t bytesPerThread, double seconds)
{
    Team team(threads);
    const int64_t n = std::max<int64_t>(bytesPerThread / 4 / 384 * 384, 384);
    Buffer buf = allocFloats(n * team.threads());
    firstTouch(team, buf.get(), n);
    return sweepBandwidth(team, buf.get(), n, seconds);
}

MachineInfo MachineProbe::probe()
{
    MachineInfo m;
    m.cpuModel = cpuModel();
    m.logicalCores = logicalCores();
    m.vectorBits = vectorBits();
    m.fmaChains = kFmaChains;
    m.caches = cacheSizes();
    const int64_t available = memAvailable();
    std::vector<int> counts{1};
    if (m.logicalCores > 1)
        counts.push_back(m.logicalCores);
    // One DRAM buffer for every thread count: first-touching hundreds of MiB costs seconds on some
    // virtual machines (page faults), far more than sweeping them.
    int64_t dramBytes = 0;
    for (int threads : counts)
        dramBytes = std::max(dramBytes, probeWorkingSets(m.caches, threads, available)[3] * threads);
    Buffer dram = allocFloats(dramBytes / 4);
    for (int threads : counts) {
        Team team(threads);
        Roofs r;
        r.threads = threads;
        r.peakGflops = teamPeakGflops(team, 0.25);
        const auto perThread = probeWorkingSets(m.caches, threads, available);
        for (size_t l = 0; l < kMemoryLevels; ++l) {
            const int64_t n = perThread[l] / 4;
            if (l == 3) {
                if (threads == counts.front())
                    firstTouch(team, dram.get(), n);
                r.bandwidthGBs[l] = sweepBandwidth(team, dram.get(), n, 0.3);
            } else {
                Buffer buf = allocFloats(n * threads);
                firstTouch(team, buf.get(), n);
                r.bandwidthGBs[l] = sweepBandwidth(team, buf.get(), n, 0.12);
            }
            r.workingSetBytes[l] = perThread[l] * threads;
        }
        m.roofs.push_back(r);
    }
    return m;
}

} // namespace nc::core::kernels

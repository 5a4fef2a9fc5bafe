// Measures this machine's roofs: the float32 compute peak and the bandwidth of each memory level
// (L1, L2, L3, DRAM) per thread count, for the cache-aware roofline of the kernel runner.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace nc::core::kernels {

// Values are pinned: they index arrays and reach the CLI's JSON as keys.
enum class MemoryLevel : int { L1 = 0, L2 = 1, L3 = 2, Dram = 3 };
constexpr int kMemoryLevels = 4;
const char* memoryLevelKey(MemoryLevel level); // "l1", "l2", "l3", "dram"
const char* memoryLevelLabel(MemoryLevel level); // "L1", "L2", "L3", "DRAM"

// Data-cache sizes as the system reports them, in bytes (0 when unknown). L1 and L2 are per core;
// L3 is taken as shared by all of this process's threads.
struct CacheSizes {
    int64_t l1 = 0, l2 = 0, l3 = 0;
    std::string source; // "sysconf", "/sys/devices/system/cpu/cpu0/cache", or "assumed"
};

// The roofs for one thread count. Bandwidths are GB/s (10⁹ bytes/s) of the fastest of a read-only
// sweep, a copy and a STREAM triad over a working set that fits the level but not the level below (see
// MachineProbe::probe); workingSetBytes says which working set each was measured on.
struct Roofs {
    int threads = 1;
    double peakGflops = 0.0; // float32, the only width the backends compute in
    std::array<double, kMemoryLevels> bandwidthGBs{};
    std::array<int64_t, kMemoryLevels> workingSetBytes{}; // all threads together
};

struct MachineInfo {
    std::string cpuModel; // "AMD EPYC" (/proc/cpuinfo "model name")
    int logicalCores = 1;
    int vectorBits = 0;   // width of the FMA the probe ran (512 with AVX-512)
    int fmaChains = 0;    // independent accumulators per thread in the peak loop
    CacheSizes caches;
    std::vector<Roofs> roofs; // ascending thread counts: 1 and logicalCores

    // The roofs measured with the most threads not above `threads` (the first entry when none).
    const Roofs* roofsFor(int threads) const;
    // The level whose roof bounds a layer's working set: private levels (L1, L2) hold a thread's
    // share, workingSet / threads; L3 the whole set; a level counts up to twice its size (the part
    // that still hits it makes the faster roof the bound); anything larger is DRAM.
    MemoryLevel levelFor(int64_t workingSetBytes, int threads) const;
    // Attainable GOP/s at `intensity` operations per byte for a working set at that level:
    // min(peak, bandwidth(level) × intensity).
    double roofGops(double intensity, int64_t workingSetBytes, int threads) const;
};

// Micro-benchmarks, not models: they measure what this process can reach right now. Every figure
// is the best of many short synchronised bursts (about a millisecond each), so a burst in which
// another process took a core only lowers a sample that is then discarded: on a shared machine the
// roofs stay close to the quiet-machine figures as long as some bursts run undisturbed.
// Each call blocks for its duration and starts its own threads; call from a worker thread, never
// the GUI thread. Stateless and thread-safe.
//
//     MachineInfo m = MachineProbe::probe();            // ~2 s on 2 cores
//     double roof = m.roofGops(2.0, 4 << 20, 1);       // 2 op/B, 4 MiB → L3 roof × 2
class MachineProbe {
public:
    static std::string cpuModel();
    static int logicalCores();
    static CacheSizes cacheSizes();
    // Parses a size as /sys/devices/system/cpu/cpu0/cache/index*/size writes it ("48K", "1024K",
    // "32M", "512"); 0 when malformed.
    static int64_t parseCacheSize(std::string_view text);
    // Float32 peak in GFLOP/s: every thread runs kFmaChains independent chains of vector FMAs
    // (latency 4 × 2 FMA pipes = 8 in flight needed on Zen 4/5 and Intel cores; 12 leaves slack and
    // still fits the 32 vector registers), an FMA on 16 floats counting 32 operations. Best burst
    // within `seconds`.
    static double peakGflops(int threads, double seconds = 0.25);
    // Bandwidth in GB/s over a working set of `bytesPerThread` per thread (each thread its own
    // slice, first-touched by that thread): the best of a read-only sum, a copy (halves) and a
    // STREAM triad a[i] = b[i] + s·c[i] (thirds), counting the bytes read and written once each
    // (the write-allocate read is not counted, as STREAM does). Best burst within `seconds`.
    static double bandwidthGBs(int threads, int64_t bytesPerThread, double seconds = 0.2);
    // Working sets the level roofs are measured on, per thread: L1 half of L1; L2 and L3 twice the
    // level below (a streaming sweep over twice a cache's size misses it on every line, yet fits
    // the next level); DRAM twice L3 in total, at least 128 MiB, at most 1 GiB and an eighth of the
    // available memory.
    static std::array<int64_t, kMemoryLevels> probeWorkingSets(const CacheSizes& caches, int threads,
                                                               int64_t availableBytes);
    // Width in bits of the vector FMA the probe compiles to.
    static int vectorBits();
    // The roofs with 1 thread and with logicalCores() threads.
    static MachineInfo probe();
};

} // namespace nc::core::kernels

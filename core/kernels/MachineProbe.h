// Measures this machine's compute peak and memory bandwidth: the two roofs of the roofline chart.
#pragma once

#include <cstddef>
#include <string>

namespace nc::core::kernels {

struct MachineInfo {
    std::string cpuModel;       // "AMD EPYC" (/proc/cpuinfo "model name")
    int logicalCores = 1;
    int vectorBits = 0;         // width of the FMA the probe ran (512 with AVX-512)
    double peakGflopsOneThread = 0.0;
    double peakGflopsAllThreads = 0.0;
    double bandwidthGBsOneThread = 0.0;  // STREAM triad convention, see streamBandwidthGBs
    double bandwidthGBsAllThreads = 0.0;
};

// Micro-benchmarks, not models: they measure what this process can reach right now (a busy
// machine reads lower). Each call blocks for its duration and starts its own threads; call from a
// worker thread, never the GUI thread. Stateless and thread-safe.
//
//     MachineInfo m = MachineProbe::probe();        // ~1.5 s
//     double ridge = m.peakGflopsAllThreads / m.bandwidthGBsAllThreads; // FLOP/byte
class MachineProbe {
public:
    static std::string cpuModel();
    static int logicalCores();
    // Peak float32 throughput in GFLOP/s: each thread runs 12 independent chains of vector
    // FMAs (enough to cover FMA latency × issue width on current x86 cores), counting an FMA
    // on a 16-float vector as 32 operations. `seconds` per measurement; best of 3.
    static double peakGflops(int threads, double seconds = 0.15);
    // Streaming bandwidth in GB/s (10⁹ bytes/s): STREAM triad a[i] = b[i] + s·c[i] over three
    // arrays of `bytesPerArray` each (far larger than the last-level cache), counting 3 arrays'
    // bytes per pass (two reads, one write; the write-allocate read is not counted, as STREAM
    // does not). Each thread first-touches and then processes its own slice. Best of `repeats`.
    static double streamBandwidthGBs(int threads, std::size_t bytesPerArray = 128u << 20, int repeats = 5);
    // Width in bits of the vector FMA the probe compiles to.
    static int vectorBits();
    // All of the above with 1 thread and with logicalCores() threads.
    static MachineInfo probe();
};

} // namespace nc::core::kernels

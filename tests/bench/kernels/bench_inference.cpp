// Benchmark (not a test): end-to-end inference of ResNet-18, ResNet-50 and MobileNetV2 on both
// backends, unfused (the design as drawn) and deployed (BatchNorm folded, activations fused), at
// 1 and 2 threads (or the thread counts given), beside PyTorch eager and torch.jit.trace at the
// same thread counts on the same machine (bench_inference_torch.py, run by this program with
// /usr/bin/python3 when present). oneDNN runs both graphs with NCHW between layers, and with
// oneDNN's layouts kept from layer to layer (RunOptions::keepBlocked).
// Prints Markdown: one run, with the machine's roofs, the load average and each row's foreign load.
// --kept-only runs only the rows with oneDNN layouts kept, and no PyTorch; --no-torch leaves out
// PyTorch (minutes of ResNet-50 in Debian's build) when only our rows are wanted.
//
//   build/tests/kernels/bench/bench_inference [--threads 1,2] [--repeats N] [--kept-only] [--no-torch]
#include "core/Zoo.h"
#include "core/runner/KernelRunner.h"
#include "kernels/MachineProbe.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

using namespace nc::core;

int main(int argc, char** argv)
{
    std::vector<int> threadCounts{1, 2};
    int repeats = 20;
    bool keptOnly = false, noTorch = false;
    for (int i = 1; i < argc; ++i) {
        keptOnly = keptOnly || !std::strcmp(argv[i], "--kept-only");
        noTorch = noTorch || keptOnly || !std::strcmp(argv[i], "--no-torch");
    }
    for (int i = 1; i + 1 < argc; ++i) {
        if (!std::strcmp(argv[i], "--threads")) {
            threadCounts.clear();
            for (const char* c = argv[i + 1]; *c;) {
                threadCounts.push_back(std::max(1, std::atoi(c)));
                const char* comma = std::strchr(c, ',');
                c = comma ? comma + 1 : c + std::strlen(c);
            }
        }
        if (!std::strcmp(argv[i], "--repeats"))
            repeats = std::max(1, std::atoi(argv[i + 1]));
    }
    auto loadAverage = [] {
        std::ifstream f("/proc/loadavg");
        std::string one;
        f >> one;
        return one;
    };
    const kernels::MachineInfo m = kernels::MachineProbe::probe();
    std::printf("# End-to-end inference benchmark\n\n- CPU: %s, %d logical cores; batch 1, median of %d inferences "
                "after one warm-up\n- load average (1 min) at the start: %s\n",
                m.cpuModel.c_str(), m.logicalCores, repeats, loadAverage().c_str());
    for (const kernels::Roofs& r : m.roofs)
        std::printf("- roofs, %d thread(s): %.1f GFLOP/s fp32; L1 %.0f, L2 %.0f, L3 %.0f, DRAM %.1f GB/s\n", r.threads,
                    r.peakGflops, r.bandwidthGBs[0], r.bandwidthGBs[1], r.bandwidthGBs[2], r.bandwidthGBs[3]);
    std::printf("\n*CPU ms*: CPU time of the process per inference (median): with 1 thread, the latency "
                "without the time other processes held the core. *links*: layer inputs read in a oneDNN "
                "layout (not NCHW).\n\n"
                "| model | threads | backend | graph | end to end ms | p90 ms | CPU ms | sum of layers ms | links | "
                "foreign load |\n"
                "|---|---:|---|---|---:|---:|---:|---:|---:|---:|\n");
    struct Config {
        BackendKind backend;
        bool deploy, keep;
        const char* label;
    };
    const Config configs[] = {{BackendKind::Eigen, false, false, "as drawn"},
                              {BackendKind::Eigen, true, false, "deployed (folded, fused)"},
                              {BackendKind::OneDnn, false, false, "as drawn"},
                              {BackendKind::OneDnn, false, true, "as drawn, oneDNN layouts kept"},
                              {BackendKind::OneDnn, true, false, "deployed, NCHW between layers"},
                              {BackendKind::OneDnn, true, true, "deployed, oneDNN layouts kept"}};
    for (int threads : threadCounts) {
        for (const char* model : {"resnet18", "resnet50", "mobilenet_v2"}) {
            auto net = loadZoo(model);
            if (!net) {
                std::fprintf(stderr, "%s: %s\n", model, net.error().c_str());
                return 1;
            }
            net->batch = 1;
            for (const Config& c : configs) {
                if (keptOnly && !c.keep)
                    continue;
                RunOptions o;
                o.backend = c.backend;
                o.threads = threads;
                o.deploy = c.deploy;
                o.keepBlocked = c.keep;
                o.secondsPerLayer = 0.02;
                o.minRepeats = 3;
                o.remeasure = 0;
                o.endToEndRepeats = repeats;
                RunReport r = runKernels(*net, o);
                std::printf("| %s | %d | %s | %s | %.2f | %.2f | %.2f | %.2f | %d | %.0f%% |\n", model, threads,
                            backendKey(c.backend), c.label, r.endToEndUs / 1e3, r.endToEndP90Us / 1e3,
                            r.endToEndCpuUs / 1e3, r.sumUs / 1e3, r.blockedLinks, r.endToEndForeignLoad * 100);
                std::fflush(stdout);
            }
        }
    }
    int failed = 0;
    for (int threads : threadCounts) {
        if (noTorch)
            break;
        const std::string script = std::string(NC_SOURCE_DIR) + "/tests/bench/kernels/bench_inference_torch.py";
        const std::string cmd =
            "/usr/bin/python3 " + script + " " + std::to_string(threads) + " " + std::to_string(repeats);
        std::fflush(stdout);
        failed += std::system(cmd.c_str()) != 0;
    }
    std::printf("\n- load average (1 min) at the end: %s\n", loadAverage().c_str());
    return failed ? 1 : 0;
}

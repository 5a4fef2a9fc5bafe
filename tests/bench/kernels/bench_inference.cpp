// Benchmark (not a test): end-to-end inference of ResNet-18, ResNet-50 and MobileNetV2 on both
// backends, unfused (the design as drawn) and deployed (BatchNorm folded, activations fused), at
// one thread count, beside PyTorch eager and torch.jit.trace on the same machine
// (bench_inference_torch.py, run by this program with /usr/bin/python3 when present).
// Prints Markdown: one run, with the machine's roofs and the foreign load of each row.
//
//   build/tests/kernels/bench/bench_inference [--threads N] [--repeats N]
#include "core/Zoo.h"
#include "core/runner/KernelRunner.h"
#include "kernels/MachineProbe.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

using namespace nc::core;

int main(int argc, char** argv)
{
    int threads = 1, repeats = 20;
    for (int i = 1; i + 1 < argc; ++i) {
        if (!std::strcmp(argv[i], "--threads"))
            threads = std::max(1, std::atoi(argv[i + 1]));
        if (!std::strcmp(argv[i], "--repeats"))
            repeats = std::max(1, std::atoi(argv[i + 1]));
    }
    const kernels::MachineInfo m = kernels::MachineProbe::probe();
    std::printf("# End-to-end inference benchmark\n\n- CPU: %s, %d logical cores; %d thread(s), batch 1, "
                "median of %d inferences after one warm-up\n",
                m.cpuModel.c_str(), m.logicalCores, threads, repeats);
    for (const kernels::Roofs& r : m.roofs)
        std::printf("- roofs, %d thread(s): %.1f GFLOP/s fp32; L1 %.0f, L2 %.0f, L3 %.0f, DRAM %.1f GB/s\n", r.threads,
                    r.peakGflops, r.bandwidthGBs[0], r.bandwidthGBs[1], r.bandwidthGBs[2], r.bandwidthGBs[3]);
    std::printf("\n*CPU ms*: CPU time of the process per inference (median): with 1 thread, the latency "
                "without the time other processes held the core.\n\n"
                "| model | backend | graph | end to end ms | p90 ms | CPU ms | sum of layers ms | foreign load |\n"
                "|---|---|---|---:|---:|---:|---:|---:|\n");
    for (const char* model : {"resnet18", "resnet50", "mobilenet_v2"}) {
        auto net = loadZoo(model);
        if (!net) {
            std::fprintf(stderr, "%s: %s\n", model, net.error().c_str());
            return 1;
        }
        net->batch = 1;
        for (BackendKind b : {BackendKind::Eigen, BackendKind::OneDnn})
            for (bool deploy : {false, true}) {
                RunOptions o;
                o.backend = b;
                o.threads = threads;
                o.deploy = deploy;
                o.secondsPerLayer = 0.02;
                o.minRepeats = 3;
                o.remeasure = 0;
                o.endToEndRepeats = repeats;
                RunReport r = runKernels(*net, o);
                std::printf("| %s | %s | %s | %.2f | %.2f | %.2f | %.2f | %.0f%% |\n", model, backendKey(b),
                            deploy ? "deployed (folded, fused)" : "as drawn", r.endToEndUs / 1e3, r.endToEndP90Us / 1e3,
                            r.endToEndCpuUs / 1e3, r.sumUs / 1e3, r.endToEndForeignLoad * 100);
                std::fflush(stdout);
            }
    }
    const std::string script = std::string(NC_SOURCE_DIR) + "/tests/bench/kernels/bench_inference_torch.py";
    const std::string cmd = "/usr/bin/python3 " + script + " " + std::to_string(threads) + " " + std::to_string(repeats);
    std::fflush(stdout);
    return std::system(cmd.c_str()) == 0 ? 0 : 1;
}

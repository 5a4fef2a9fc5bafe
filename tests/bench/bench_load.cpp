// bench_load: times loading (parseNetwork) and analysing long design files — chains of 10^4, 10^5
// and 2·10^5 layers (conv and ReLU alternating, as in a deep CNN) — to show both grow linearly.
// A benchmark, not a test: it prints, never asserts. Figures go to the README.
#include "core/Analysis.h"
#include "core/NetworkFile.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <vector>

using namespace nc::core;

namespace {

QByteArray chainFile(int layers)
{
    QByteArray json = R"({"format":"netcanvas","version":1,"layers":[{"id":1,"name":"in","type":"input","attrs":{"shape":[16,32,32]}})";
    for (int i = 2; i <= layers; ++i) {
        json += ",{\"id\":" + QByteArray::number(i) + ",\"name\":\"l" + QByteArray::number(i) + "\",";
        json += (i % 2) ? R"("type":"relu"})" : R"("type":"conv2d","attrs":{"out_channels":16,"kernel_h":3,"kernel_w":3,"pad_same":true}})";
    }
    json += "],\"edges\":[";
    for (int i = 2; i <= layers; ++i)
        json += (i > 2 ? "," : "") + QByteArray("{\"id\":") + QByteArray::number(i - 1) + ",\"from\":" +
                QByteArray::number(i - 1) + ",\"to\":" + QByteArray::number(i) + ",\"port\":0}";
    json += "]}";
    return json;
}

// CPU time of this process: on a shared machine it is what the work costs, whatever else runs.
double cpuMs()
{
    timespec t{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) / 1e6;
}

} // namespace

int main()
{
    std::printf("CPU time of this process (CLOCK_PROCESS_CPUTIME_ID), median of 5 runs.\n\n");
    std::printf("| layers | file | load | analysis | load + analysis |\n");
    std::printf("|---:|---:|---:|---:|---:|\n");
    for (int layers : {10000, 100000, 200000}) {
        const QByteArray json = chainFile(layers);
        std::vector<double> load, analysis;
        for (int run = 0; run < 5; ++run) {
            const double t0 = cpuMs();
            auto net = parseNetwork(json);
            const double t1 = cpuMs();
            if (!net) {
                std::fprintf(stderr, "load failed: %s\n", net.error().c_str());
                return 1;
            }
            AnalysisResult a = analyze(*net);
            const double t2 = cpuMs();
            if (a.totals.errors) {
                std::fprintf(stderr, "analysis failed\n");
                return 1;
            }
            load.push_back(t1 - t0);
            analysis.push_back(t2 - t1);
        }
        std::sort(load.begin(), load.end());
        std::sort(analysis.begin(), analysis.end());
        std::printf("| %d | %.1f MB | %.0f ms | %.0f ms | %.0f ms |\n", layers, json.size() / 1e6, load[2],
                    analysis[2], load[2] + analysis[2]);
    }
    return 0;
}

// bench_analysis: times a full re-analysis (what every edit costs) of ResNet-50, Llama-2-7B, GPT-2 and
// of synthetic 1,000- and 10,000-layer chains and residual DAGs. A benchmark, not a test: it prints,
// never asserts.
#include "core/Analysis.h"
#include "core/ModelBuilder.h"
#include "core/Zoo.h"

#include <QCoreApplication>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

using namespace nc::core;

namespace {

Network chain(int layers)
{
    ModelBuilder b("chain");
    NodeId x = b.input({16, 32, 32});
    for (int i = 1; i < layers; ++i)
        x = (i % 2) ? b.conv(x, 16, 3, 1, 1) : b.relu(x);
    return b.network();
}

Network residualDag(int layers)
{
    // Blocks of conv → relu → conv → add(skip): 4 layers each, one skip edge per block.
    ModelBuilder b("dag");
    NodeId x = b.input({16, 32, 32});
    int n = 1;
    while (n + 4 <= layers) {
        NodeId y = b.conv(b.relu(b.conv(x, 16, 3, 1, 1)), 16, 3, 1, 1);
        x = b.add({y, x});
        n += 4;
    }
    return b.network();
}

struct Timing {
    double medianUs, p90Us;
};

Timing timeAnalysis(const Network& net)
{
    // Repeat for ~0.5 s (at least 20 runs); report median and p90 of single analyses.
    std::vector<double> us;
    auto start = std::chrono::steady_clock::now();
    volatile int64_t sink = 0;
    while (us.size() < 20 || std::chrono::steady_clock::now() - start < std::chrono::milliseconds(500)) {
        auto t0 = std::chrono::steady_clock::now();
        AnalysisResult a = analyze(net);
        auto t1 = std::chrono::steady_clock::now();
        sink = sink + a.totals.params;
        us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
        if (us.size() > 100000)
            break;
    }
    std::sort(us.begin(), us.end());
    return {us[us.size() / 2], us[us.size() * 9 / 10]};
}

std::string cpuModel()
{
    std::ifstream f("/proc/cpuinfo");
    std::string line;
    while (std::getline(f, line))
        if (line.rfind("model name", 0) == 0)
            return line.substr(line.find(':') + 2);
    return "unknown CPU";
}

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    std::printf("# Analysis benchmark\n\nMachine: %s, %d logical cores. Release build, one thread.\n\n",
                cpuModel().c_str(), static_cast<int>(std::thread::hardware_concurrency()));
    std::printf("| network | layers | median | p90 | per layer |\n|---|---:|---:|---:|---:|\n");
    struct Case {
        std::string name;
        Network net;
    };
    std::vector<Case> cases;
    cases.push_back({"ResNet-50 (zoo)", loadZoo("resnet50").value()});
    cases.push_back({"ResNet-18 (zoo)", loadZoo("resnet18").value()});
    cases.push_back({"Llama-2-7B (zoo)", loadZoo("llama2_7b").value()});
    cases.push_back({"GPT-2 small (zoo)", loadZoo("gpt2").value()});
    cases.push_back({"chain 1,000", chain(1000)});
    cases.push_back({"chain 10,000", chain(10000)});
    cases.push_back({"residual DAG 1,000", residualDag(1000)});
    cases.push_back({"residual DAG 10,000", residualDag(10000)});
    for (const Case& c : cases) {
        Timing t = timeAnalysis(c.net);
        size_t n = c.net.nodes().size();
        std::printf("| %s | %zu | %.1f µs | %.1f µs | %.0f ns |\n", c.name.c_str(), n, t.medianUs, t.p90Us,
                    1000.0 * t.medianUs / static_cast<double>(n));
    }
    return 0;
}

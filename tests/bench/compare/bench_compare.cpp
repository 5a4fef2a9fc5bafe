// bench_compare: what one edit of either design costs a ResNet-50 vs ResNet-18 comparison. A
// benchmark, not a test: it prints a Markdown table (tests/bench/compare/RESULTS.md), never asserts.
//
// Cases, each the median and p90 of single edits (conv1's bias toggled; the input resolution
// 224 ↔ 256, which changes every shape, MAC count and live byte):
//   core        the edit (the Document re-analyses) + compare::compareDesigns: totals of both
//               designs (analysis, deployment memory graph and its schedule, training plan) and the
//               layer alignment
//   window      the edit + CompareWindow's refresh (the same comparison, the table refilled, both
//               charts' data set) + both charts replotted at once: what a user waits for
//   analysis    the edit alone, for reference
// `bench_compare experiment [SECONDS]` instead runs the lecture's experiment as the window does
// (compare::runExperiment: the equal-parameter pair on Eigen and oneDNN at 1 and 2 threads, SECONDS
// per layer, 0.05 by default) and prints its rows.
#include "widgets/compare/CompareChart.h"
#include "widgets/compare/CompareWindow.h"

#include "core/Commands.h"
#include "core/Document.h"
#include "core/Zoo.h"
#include "core/compare/Compare.h"
#include "core/compare/Experiment.h"

#include <QApplication>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

using namespace nc;

namespace {

struct Timing {
    double medianMs, p90Ms;
};

Timing timeIt(int repeats, const std::function<void(int)>& once)
{
    for (int i = 0; i < 3; ++i)
        once(i);
    std::vector<double> ms;
    for (int i = 0; i < repeats; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        once(i);
        const auto t1 = std::chrono::steady_clock::now();
        ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    }
    std::sort(ms.begin(), ms.end());
    return {ms[ms.size() / 2], ms[ms.size() * 9 / 10]};
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

double loadAverage()
{
    std::ifstream f("/proc/loadavg");
    double l = 0;
    f >> l;
    return l;
}

void toggleBias(core::Document& d, int i)
{
    const core::NodeId conv1 = d.network().findByName("conv1");
    core::LayerParams p = d.network().node(conv1)->params;
    p.bias = i % 2;
    core::SetNodeCommand(d.network(), conv1, p, "conv1").redo(d);
}

void resize(core::Document& d, int i)
{
    const core::NodeId input = d.network().findByName("input");
    core::LayerParams p = d.network().node(input)->params;
    const int64_t side = i % 2 ? 256 : 224;
    p.dims = core::Shape{3, side, side};
    core::SetNodeCommand(d.network(), input, p, "input").redo(d);
}

int experiment(double seconds)
{
    auto pair = core::compare::equalParameterPair({});
    if (!pair) {
        std::fprintf(stderr, "%s\n", pair.error().c_str());
        return 1;
    }
    core::compare::ExperimentOptions o;
    o.secondsPerLayer = seconds;
    const double load = loadAverage();
    const core::compare::ExperimentResult r = core::compare::runExperiment(*pair, o, nullptr);
    std::printf(
        "# Wide vs deep experiment\n\nMachine: %s, %d logical cores (load average %.1f at start, %.1f at "
        "the end). %.2f s per layer, end-to-end latency the median of 5 forward passes.\n\n",
        cpuModel().c_str(), int(std::thread::hardware_concurrency()), load, loadAverage(), seconds);
    std::printf("| figure | A: %s | B: %s | B ÷ A |\n|---|---:|---:|---:|\n", pair->wide.name.c_str(),
                pair->deep.name.c_str());
    for (const core::compare::Metric& m : r.rows) {
        auto text = [&](const std::optional<double>& v) {
            return v ? core::compare::formatValue(m.unit, *v) : std::string("—");
        };
        char ratio[32] = "—";
        if (auto r = m.ratio())
            std::snprintf(ratio, sizeof ratio, "%.3f", *r);
        std::printf("| %s | %s | %s | %s |\n", m.label.c_str(), text(m.a).c_str(), text(m.b).c_str(), ratio);
    }
    return 0;
}

} // namespace

int main(int argc, char** argv)
{
    if (argc > 1 && std::string(argv[1]) == "experiment")
        return experiment(argc > 2 ? std::atof(argv[2]) : 0.05);
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    const int repeats = argc > 1 ? std::max(5, atoi(argv[1])) : 100;

    // Core: two documents nobody else listens to.
    core::Document a, b;
    a.setNetwork(core::loadZoo("resnet50").value());
    b.setNetwork(core::loadZoo("resnet18").value());

    // Window: A is a live document (as the main window's), B the window's own.
    core::Document live;
    live.setNetwork(core::loadZoo("resnet50").value());
    widgets::CompareWindow window(&live);
    window.resize(1600, 1000);
    window.show();
    window.setDesignB(core::loadZoo("resnet18").value());
    QApplication::processEvents();

    std::printf("# Compare benchmark\n\nMachine: %s, %d logical cores (load average %.1f at start). Release "
                "build, offscreen platform, window 1600×1000 px, ResNet-50 (A, 176 layers) against ResNet-18 "
                "(B, 70 layers). %d edits per row after 3 warm-ups.\n\n",
                cpuModel().c_str(), int(std::thread::hardware_concurrency()), loadAverage(), repeats);
    std::printf("| edit | measured | median | p90 |\n|---|---|---:|---:|\n");
    using Edit = void (*)(core::Document&, int);
    for (const auto& [name, edit] : std::vector<std::pair<const char*, Edit>>{
             {"conv1 bias on/off", toggleBias}, {"input 224 ↔ 256", resize}}) {
        for (int side = 0; side < 2; ++side) {
            const char* which = side == 0 ? "A (ResNet-50)" : "B (ResNet-18)";
            core::Document& target = side == 0 ? a : b;
            const Timing core = timeIt(repeats, [&](int i) {
                edit(target, i);
                const core::compare::Comparison c =
                    core::compare::compareDesigns(a.network(), a.analysis(), b.network(), b.analysis());
                if (c.rows.empty())
                    std::abort();
            });
            core::Document& shown = side == 0 ? live : window.documentB();
            const Timing win = timeIt(repeats, [&](int i) {
                edit(shown, i); // the window refreshes on the document's change signal
                window.chartA()->replotNow();
                window.chartB()->replotNow();
            });
            std::printf("| %s of %s | edit + whole comparison (core) | %.2f ms | %.2f ms |\n", name, which,
                        core.medianMs, core.p90Ms);
            std::printf("| %s of %s | edit + window: comparison, table, both charts replotted | %.2f ms | "
                        "%.2f ms |\n",
                        name, which, win.medianMs, win.p90Ms);
        }
        const Timing analysis = timeIt(repeats, [&](int i) { edit(a, i); });
        std::printf("| %s of A | edit alone (re-analysis of ResNet-50) | %.3f ms | %.3f ms |\n", name,
                    analysis.medianMs, analysis.p90Ms);
    }
    std::printf("\nGoal: an edit in either design updates the whole comparison in under 16 ms.\n");
    return 0;
}

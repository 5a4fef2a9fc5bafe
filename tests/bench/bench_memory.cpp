// bench_memory: times the memory planners against the targets — the optimal schedule of a
// 60-layer randomly wired cell (< 1 s), the heuristic on 1,000 layers (< 100 ms), the arena plan of
// ResNet-50 (< 1 ms). A benchmark, not a test: it prints, never asserts.
#include "../deploy/RandomGraphs.h"

#include "core/Zoo.h"
#include "core/deploy/ArenaPlan.h"

#include <QCoreApplication>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <vector>

using namespace nc::core;
using namespace nc::core::deploy;

namespace {

// Median and max wall time of `runs` calls, in microseconds.
std::pair<double, double> timeIt(int runs, const std::function<void()>& f)
{
    std::vector<double> us;
    for (int i = 0; i < runs; ++i) {
        auto t0 = std::chrono::steady_clock::now();
        f();
        us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
    }
    std::sort(us.begin(), us.end());
    return {us[us.size() / 2], us.back()};
}

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);

    std::printf("| case | ops | median | max | result |\n|---|---:|---:|---:|---|\n");
    // RandWire's WS(k = 4, p = 0.75) cells: 58 random nodes plus the cell's input and output.
    for (unsigned seed = 1; seed <= 5; ++seed) {
        MemoryGraph g = nc::test::wattsStrogatz(58, 4, 0.75, seed, 1000, 100000);
        ScheduleResult r;
        auto [med, mx] = timeIt(3, [&] { r = optimalSchedule(g); });
        std::printf("| optimal schedule, WS cell seed %u | %zu | %.1f ms | %.1f ms | %s; peak %lld vs default %lld; %lld sets |\n",
                    seed, g.ops.size(), med / 1e3, mx / 1e3, r.optimal ? "optimal" : "heuristic",
                    static_cast<long long>(r.timeline.peakBytes), static_cast<long long>(r.defaultPeakBytes),
                    static_cast<long long>(r.statesExplored));
    }
    for (unsigned seed = 1; seed <= 3; ++seed) {
        MemoryGraph g = nc::test::wattsStrogatz(998, 4, 0.75, seed, 1000, 100000);
        ScheduleResult r;
        auto [med, mx] = timeIt(3, [&] { r = heuristicSchedule(g); });
        std::printf("| heuristic schedule, WS graph seed %u | %zu | %.1f ms | %.1f ms | peak %lld vs default %lld, bound %lld |\n",
                    seed, g.ops.size(), med / 1e3, mx / 1e3, static_cast<long long>(r.timeline.peakBytes),
                    static_cast<long long>(r.defaultPeakBytes), static_cast<long long>(r.lowerBoundBytes));
    }
    for (bool deploy : {false, true}) {
        Network net = loadZoo("resnet50").value();
        AnalysisResult a = analyze(net);
        MemoryGraph g = buildMemoryGraph(net, a, {deploy, true}).value();
        Timeline t = evaluateOrder(g, defaultOrder(g));
        for (Planner p : {Planner::Greedy, Planner::Best}) {
            ArenaPlan plan;
            auto [med, mx] = timeIt(200, [&] { plan = planArena(g, t, p); });
            std::printf("| arena plan (%s), ResNet-50 %s | %zu | %.1f µs | %.1f µs | arena %lld, bound %lld |\n",
                        p == Planner::Best ? "best" : "greedy", deploy ? "deployed" : "training", g.ops.size(), med,
                        mx, static_cast<long long>(plan.arenaBytes), static_cast<long long>(plan.lowerBoundBytes));
        }
    }
    return 0;
}

// bench_training: what moving one control of the training panel costs on Llama-2-7B — a full
// planTraining() (re-analysis at the micro-batch and precision, recomputation, stages, communication)
// plus planInference(), for each control in turn. A benchmark, not a test: it prints, never asserts.
#include "core/Zoo.h"
#include "core/train/TrainingMemory.h"

#include <QCoreApplication>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

using namespace nc::core;
using namespace nc::core::train;

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    const Network net = loadZoo("llama2_7b").value();
    struct Control {
        const char* name;
        std::function<void(TrainSettings&)> set;
    };
    const std::vector<Control> controls = {
        {"baseline (mixed, Adam, batch 1)", [](TrainSettings&) {}},
        {"batch 8", [](TrainSettings& s) { s.batch = 8; }},
        {"context 2,048", [](TrainSettings& s) { s.context = 2048; }},
        {"precision fp32", [](TrainSettings& s) { s.precision = Precision::Fp32; }},
        {"optimizer SGD", [](TrainSettings& s) { s.optimizer = Optimizer::Sgd; }},
        {"recompute full", [](TrainSettings& s) { s.recompute = Recompute::Full; }},
        {"recompute every:2", [](TrainSettings& s) { s.recompute = Recompute::EveryK, s.every = 2; }},
        {"recompute selective", [](TrainSettings& s) { s.recompute = Recompute::Selective; }},
        {"dp 64, ZeRO 3", [](TrainSettings& s) { s.batch = 64, s.dp = 64, s.zero = 3; }},
        {"tp 8", [](TrainSettings& s) { s.tp = 8; }},
        {"pp 4, 8 micro-batches", [](TrainSettings& s) { s.pp = 4, s.microbatches = 8, s.batch = 8; }},
    };
    std::printf("| control | median (ms) | p90 (ms) | worst (ms) |\n|---|---:|---:|---:|\n");
    double worstMedian = 0;
    volatile int64_t sink = 0;
    for (const auto& c : controls) {
        TrainSettings s;
        c.set(s);
        std::vector<double> ms;
        for (int i = 0; i < 50; ++i) {
            auto t0 = std::chrono::steady_clock::now();
            auto p = planTraining(net, s);
            auto inf = planInference(net, 16, s.context, s.batch > 0 ? s.batch : 1);
            auto t1 = std::chrono::steady_clock::now();
            if (!p || !inf) {
                std::fprintf(stderr, "%s: %s\n", c.name, p ? inf.error().c_str() : p.error().c_str());
                return 1;
            }
            sink = sink + p->perDevice.total + inf->decodeMacsPerToken;
            ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
        }
        std::sort(ms.begin(), ms.end());
        const double med = ms[ms.size() / 2], p90 = ms[ms.size() * 9 / 10];
        worstMedian = std::max(worstMedian, med);
        std::printf("| %s | %.3f | %.3f | %.3f |\n", c.name, med, p90, ms.back());
    }
    std::printf("\nslowest control, median: %.3f ms (target: under 16 ms)\n", worstMedian);
    return 0;
}

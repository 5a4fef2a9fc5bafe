// bench_onnx_import: times importing ONNX models with real-size weights — ResNet-50 (~100 MB of
// pseudo-random initializers, written by the ONNX exporter into a temporary directory), ViT-Tiny and
// MobileNetV2 — and reports resident memory before, at the peak of, and after the import, to show that
// the weights are counted but not kept. Prints a Markdown report (tests/bench/onnx/RESULTS.md).
#include "core/Analysis.h"
#include "core/Zoo.h"
#include "core/onnx/OnnxExport.h"
#include "core/onnx/OnnxImport.h"

#include <QCoreApplication>
#include <QFileInfo>
#include <QTemporaryDir>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

using namespace nc::core;

namespace {

std::string cpuModel()
{
    std::ifstream f("/proc/cpuinfo");
    std::string line;
    while (std::getline(f, line))
        if (line.rfind("model name", 0) == 0)
            return line.substr(line.find(':') + 2);
    return "unknown CPU";
}

// VmRSS / VmHWM of this process in MB (decimal, as the README's units).
double statusMb(const char* key)
{
    std::ifstream f("/proc/self/status");
    std::string line;
    while (std::getline(f, line))
        if (line.rfind(key, 0) == 0)
            return std::stod(line.substr(std::string(key).size())) * 1024 / 1e6;
    return 0;
}
void resetPeak()
{
    std::ofstream("/proc/self/clear_refs") << "5"; // resets VmHWM to the current RSS (Linux ≥ 4.0)
}
void trim()
{
#if defined(__GLIBC__)
    malloc_trim(0);
#endif
}

struct Row {
    std::string model;
    double fileMb = 0;
    int layers = 0;
    double medianMs = 0, minMs = 0, maxMs = 0;
    double rssBefore = 0, rssPeak = 0, rssHolding = 0, rssAfter = 0;
};

Row bench(const std::string& key, const QString& dir, int runs)
{
    Row r;
    r.model = key;
    const QString path = dir + "/" + QString::fromStdString(key) + ".onnx";
    {
        Network net = loadZoo(key).value();
        if (Status s = onnx::exportOnnx(net, path); !s) {
            std::fprintf(stderr, "export failed: %s\n", s.error().c_str());
            return r;
        }
    }
    trim();
    r.fileMb = static_cast<double>(QFileInfo(path).size()) / 1e6;
    (void)onnx::importOnnx(path); // warm the page cache and ONNX's schema registry
    trim();
    std::vector<double> ms;
    for (int i = 0; i < runs; ++i) {
        trim();
        const double before = statusMb("VmRSS:");
        resetPeak();
        auto t0 = std::chrono::steady_clock::now();
        auto result = onnx::importOnnx(path);
        auto t1 = std::chrono::steady_clock::now();
        if (!result) {
            std::fprintf(stderr, "import failed: %s\n", result.error().c_str());
            return r;
        }
        ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
        if (i == runs - 1) {
            r.rssBefore = before;
            r.rssPeak = statusMb("VmHWM:");
            r.rssHolding = statusMb("VmRSS:"); // the imported design is still alive here
            r.layers = static_cast<int>(result->network.nodes().size());
        }
    }
    trim();
    r.rssAfter = statusMb("VmRSS:");
    std::sort(ms.begin(), ms.end());
    r.medianMs = ms[ms.size() / 2];
    r.minMs = ms.front();
    r.maxMs = ms.back();
    return r;
}

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    QTemporaryDir dir;
    const int runs = 9;
    std::vector<Row> rows;
    for (const char* key : {"resnet50", "vit_tiny", "mobilenet_v2"})
        rows.push_back(bench(key, dir.path(), runs));

    std::printf("# ONNX import benchmark\n\n");
    std::printf("Machine: %s, %d logical cores. Release build. Each model is written by NetCanvas's ONNX exporter "
                "(real-size pseudo-random float32 weights) into a temporary directory, then imported %d times with "
                "`onnx::importOnnx(path)` after one warm-up import; times are wall-clock for the whole import "
                "(parse, checks, shape inference, mapping, NetCanvas analysis, layout).\n\n",
                cpuModel().c_str(), static_cast<int>(std::thread::hardware_concurrency()), runs);
    std::printf("| model | file | layers | median | min | max |\n|---|---:|---:|---:|---:|---:|\n");
    for (const Row& r : rows)
        std::printf("| %s | %.1f MB | %d | %.0f ms | %.0f ms | %.0f ms |\n", r.model.c_str(), r.fileMb, r.layers,
                    r.medianMs, r.minMs, r.maxMs);
    std::printf("\nResident memory (VmRSS, MB) around the last import: before it, its peak (VmHWM, reset just "
                "before the call), while the imported design is still held, and after it is dropped.\n\n");
    std::printf("| model | before | peak during import | holding the design | after |\n|---|---:|---:|---:|---:|\n");
    for (const Row& r : rows)
        std::printf("| %s | %.1f | %.1f | %.1f | %.1f |\n", r.model.c_str(), r.rssBefore, r.rssPeak, r.rssHolding,
                    r.rssAfter);
    std::printf("\nWeight payloads are skipped before parsing, so the peak stays far below the file size; "
                "\"holding the design\" minus \"before\" is what an imported model keeps: its layers, not its "
                "weights.\n");
    return 0;
}

// bench_onnx_vgg16: import of a real PyTorch export with its weights — torchvision's VGG-16
// (weights=None, random initial values; 138,357,544 parameters, a 528 MB file) written by
// /usr/bin/python3 (torch 1.13) into a temporary directory under /tmp, never into the repository.
// Times importOnnx (parse, checks, shape inference, mapping, analysis, layout) and reports the
// process's peak resident memory during the import against the file size: the weight payloads are
// skipped before parsing (core/onnx/detail/PayloadSkip.h), so the peak stays far below the file.
// Prints Markdown (tests/bench/onnx/RESULTS.md). A benchmark, never a test: nothing is asserted.
#include "core/Analysis.h"
#include "core/onnx/OnnxImport.h"

#include <QCoreApplication>
#include <QFileInfo>
#include <QProcess>
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

const char* kExport = R"PY(
import sys, torch, torchvision
m = torchvision.models.vgg16(weights=None).eval()
torch.onnx.export(m, torch.randn(1, 3, 224, 224), sys.argv[1], opset_version=17)
print(sum(p.numel() for p in m.parameters()))
)PY";

std::string cpuModel()
{
    std::ifstream f("/proc/cpuinfo");
    std::string line;
    while (std::getline(f, line))
        if (line.rfind("model name", 0) == 0)
            return line.substr(line.find(':') + 2);
    return "unknown CPU";
}

// Other work on the machine inflates the times: the 1-minute load average is printed with them.
std::string loadAverage()
{
    std::ifstream f("/proc/loadavg");
    std::string one;
    f >> one;
    return one.empty() ? "unknown" : one;
}

// VmRSS / VmHWM of this process in MB (decimal).
double statusMb(const char* key)
{
    std::ifstream f("/proc/self/status");
    std::string line;
    while (std::getline(f, line))
        if (line.rfind(key, 0) == 0)
            return std::stod(line.substr(std::string(key).size())) * 1024 / 1e6;
    return 0;
}
void resetPeak() { std::ofstream("/proc/self/clear_refs") << "5"; } // VmHWM := VmRSS (Linux >= 4.0)
void trim()
{
#if defined(__GLIBC__)
    malloc_trim(0);
#endif
}

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    QTemporaryDir dir(QStringLiteral("/tmp/nc-bench-vgg16-XXXXXX"));
    const QString path = dir.path() + "/vgg16.onnx";
    std::fprintf(stderr, "exporting torchvision vgg16 with /usr/bin/python3 into %s ...\n", qPrintable(path));
    QProcess py;
    py.start("/usr/bin/python3", {"-c", kExport, path});
    if (!py.waitForFinished(900000) || py.exitCode() != 0) {
        std::fprintf(stderr, "export failed: %s\n", py.readAllStandardError().constData());
        return 1;
    }
    const std::string torchParams = QString::fromUtf8(py.readAllStandardOutput()).trimmed().toStdString();
    const double fileMb = static_cast<double>(QFileInfo(path).size()) / 1e6;

    const int runs = 9;
    (void)onnx::importOnnx(path); // warm ONNX's schema registry (and the page cache for the headers)
    trim();
    std::vector<double> ms;
    double before = 0, peak = 0, holding = 0;
    int64_t params = 0, macs = 0;
    size_t layers = 0;
    for (int i = 0; i < runs; ++i) {
        trim();
        const double rss = statusMb("VmRSS:");
        resetPeak();
        const auto t0 = std::chrono::steady_clock::now();
        auto r = onnx::importOnnx(path);
        const auto t1 = std::chrono::steady_clock::now();
        if (!r) {
            std::fprintf(stderr, "import failed: %s\n", r.error().c_str());
            return 1;
        }
        ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
        const double hwm = statusMb("VmHWM:");
        if (hwm - rss > peak - before) {
            before = rss;
            peak = hwm;
            holding = statusMb("VmRSS:");
        }
        if (i == 0) {
            const AnalysisResult a = analyze(r->network);
            params = a.totals.params;
            macs = a.totals.macs;
            layers = r->network.nodes().size();
        }
    }
    std::sort(ms.begin(), ms.end());

    std::printf("## VGG-16 exported by PyTorch, with weights\n\n");
    std::printf("Machine: %s, %u logical cores. Release build. torchvision `vgg16(weights=None)` exported by torch "
                "(`/usr/bin/python3`, opset 17) into a temporary directory under /tmp (warm page cache); %d timed "
                "`onnx::importOnnx(path)` calls after one warm-up; load average %s when they ended.\n\n",
                cpuModel().c_str(), std::thread::hardware_concurrency(), runs, loadAverage().c_str());
    std::printf("| file | layers | parameters (NetCanvas / torch) | MACs | median | min | max |\n"
                "|---:|---:|---|---:|---:|---:|---:|\n");
    std::printf("| %.1f MB | %zu | %lld / %s | %.2f G | %.1f ms | %.1f ms | %.1f ms |\n\n", fileMb, layers,
                static_cast<long long>(params), torchParams.c_str(), static_cast<double>(macs) / 1e9, ms[ms.size() / 2],
                ms.front(), ms.back());
    std::printf("Resident memory (MB) of the importing process, on the run with the largest rise: before the call, "
                "its peak during the call (VmHWM, reset just before), and while the imported design is held.\n\n");
    std::printf("| before | peak during import | rise | holding the design | rise / file size |\n"
                "|---:|---:|---:|---:|---:|\n");
    std::printf("| %.1f | %.1f | %.1f | %.1f | %.2f%% |\n", before, peak, peak - before, holding,
                100.0 * (peak - before) / fileMb);
    return 0;
}

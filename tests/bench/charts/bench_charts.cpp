// bench_charts: what one edit of ResNet-50 costs the charts dock — from executing a parameter edit
// (which re-runs the analysis) to every chart holding the new data and replotted. A benchmark, not a
// test: it prints a Markdown table (tests/bench/charts/RESULTS.md), never asserts.
//
// Cases, each timed as the median and p90 of single edits:
//   all charts    edit + ChartsPanel::replotAll(): data pushed to all five charts, the summary and
//                 the table, and every chart replotted, background tabs included (the worst case)
//   visible       edit + ChartsPanel::flush(): what the app pays — background tabs only remember to
//                 replot when shown
//   data only     edit + flush() of a panel never shown: the data push without drawing
//   analysis      the edit alone (Document re-analysis), for reference
// and then one replot of each chart on its own, to show where the drawing time goes.
#include "widgets/Selection.h"
#include "widgets/ViewOptions.h"
#include "widgets/charts/ChartBase.h"
#include "widgets/charts/ChartsPanel.h"

#include "core/Commands.h"
#include "core/Document.h"
#include "core/ModelBuilder.h"
#include "core/Zoo.h"

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

Timing timeIt(int repeats, const std::function<void(int)>& once) {
    for (int i = 0; i < 3; ++i) // warm caches, label pixmaps and the allocator
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

std::string cpuModel() {
    std::ifstream f("/proc/cpuinfo");
    std::string line;
    while (std::getline(f, line))
        if (line.rfind("model name", 0) == 0)
            return line.substr(line.find(':') + 2);
    return "unknown CPU";
}

double loadAverage() {
    std::ifstream f("/proc/loadavg");
    double l = 0;
    f >> l;
    return l;
}

} // namespace

int main(int argc, char** argv) {
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    const int repeats = argc > 1 ? std::max(5, atoi(argv[1])) : 60;

    // Second argument "chain": a 1,000-layer conv/ReLU chain instead of ResNet-50.
    const bool chain = argc > 2 && std::string(argv[2]) == "chain";
    core::Document doc;
    if (chain) {
        core::ModelBuilder b("chain 1000");
        core::NodeId x = b.input({16, 32, 32});
        for (int i = 1; i < 1000; ++i)
            x = (i % 2) ? b.conv(x, 16, 3, 1, 1) : b.relu(x);
        doc.setNetwork(b.finish());
    } else {
        doc.setNetwork(core::loadZoo("resnet50").value());
    }
    widgets::Selection sel;
    widgets::ViewOptions opts;
    opts.setBudgetBytes(int64_t(4) << 20);
    widgets::ChartsPanel panel(doc, sel, opts);
    panel.resize(700, 1000);
    panel.show();
    sel.set({doc.analysis().layers[20].id});
    panel.replotAll();
    QApplication::processEvents();

    // The reference row edits a second Document nobody listens to: the bare re-analysis.
    core::Document bare;
    bare.setNetwork(doc.network());
    // A panel that is never shown: flush() pushes the data and draws nothing (the data-only cost).
    core::Document unseen;
    unseen.setNetwork(doc.network());
    widgets::Selection unseenSel;
    widgets::ChartsPanel unseenPanel(unseen, unseenSel, opts);

    // Edit 1: toggle the bias of the first convolution (params and model size change).
    const core::NodeId conv1 = doc.analysis().layers[1].id;
    auto toggleBias = [conv1](core::Document& d, int i) {
        core::LayerParams p = d.network().node(conv1)->params;
        p.bias = i % 2;
        core::SetNodeCommand(d.network(), conv1, p, d.network().node(conv1)->name).redo(d);
    };
    // Edit 2: the input resolution, 224 ↔ 256 — every shape, MAC count and live byte changes.
    const core::NodeId input = doc.analysis().layers[0].id;
    auto resize = [input](core::Document& d, int i) {
        core::LayerParams p = d.network().node(input)->params;
        const int64_t side = i % 2 ? 256 : 224;
        p.dims = core::Shape{3, side, side};
        core::SetNodeCommand(d.network(), input, p, d.network().node(input)->name).redo(d);
    };
    using Edit = std::function<void(core::Document&, int)>;

    std::printf(
        "# Charts benchmark\n\nMachine: %s, %d logical cores (load average "
        "%.1f at start). Release build, offscreen platform, panel 700×1000 px, %s (%zu layers), "
        "one layer selected, 4 MiB budget. %d edits per row after 3 warm-ups.\n\n",
        cpuModel().c_str(), static_cast<int>(std::thread::hardware_concurrency()), loadAverage(),
        doc.network().name.c_str(), doc.analysis().layers.size(), repeats);
    std::printf("| edit | measured | median | p90 |\n|---|---|---:|---:|\n");
    for (const auto& [name, edit] : std::vector<std::pair<const char*, Edit>>{
             {"conv1 bias on/off", toggleBias}, {"input 224 ↔ 256", resize}}) {
        const Timing all = timeIt(repeats, [&, e = edit](int i) {
            e(doc, i);
            panel.replotAll();
        });
        const Timing visible = timeIt(repeats, [&, e = edit](int i) {
            e(doc, i);
            panel.flush();
        });
        const Timing data = timeIt(repeats, [&, e = edit](int i) {
            e(unseen, i);
            unseenPanel.flush();
        });
        const Timing analysis = timeIt(repeats, [&, e = edit](int i) { e(bare, i); });
        std::printf("| %s | edit + all five charts, summary and table updated, every chart replotted "
                    "(background tabs too) | %.2f ms | %.2f ms |\n",
                    name, all.medianMs, all.p90Ms);
        std::printf("| %s | edit + visible charts replotted (what the app pays) | %.2f ms | %.2f ms |\n",
                    name, visible.medianMs, visible.p90Ms);
        std::printf(
            "| %s | edit + data pushed to charts, summary and table, nothing drawn | %.2f ms | %.2f ms |\n",
            name, data.medianMs, data.p90Ms);
        std::printf("| %s | edit alone (re-analysis, no views) | %.3f ms | %.3f ms |\n", name,
                    analysis.medianMs, analysis.p90Ms);
    }
    // Where the drawing goes: one replot of each chart with its data unchanged.
    std::printf("\n| chart | replot alone, median | p90 |\n|---|---:|---:|\n");
    for (widgets::ChartBase* c : panel.charts()) {
        panel.showView(c);
        QApplication::processEvents();
        const Timing t = timeIt(repeats, [c](int) { c->replotNow(true); });
        std::printf("| %s | %.2f ms | %.2f ms |\n", c->title().toUtf8().constData(), t.medianMs, t.p90Ms);
    }
    return 0;
}

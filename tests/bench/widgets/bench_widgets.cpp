// bench_widgets: wall-clock figures of the designer on the offscreen platform — opening a design, a
// parameter edit (command → analysis → every view → repaint), a move and a fit-and-paint, for ResNet-50
// (176 layers) and a 1,000-layer chain, in two set-ups: the whole main window (with whatever cost docks
// it has, e.g. the charts) and the canvas + inspector alone (this engineer's part of that time).
// Prints Markdown tables (tests/bench/widgets/RESULTS.md).
//
//   bench_widgets [--runs N]
#include "app/gui/MainWindow.h"
#include "core/Document.h"
#include "core/ModelBuilder.h"
#include "core/NetworkFile.h"
#include "core/Zoo.h"
#include "widgets/Editor.h"
#include "widgets/GraphScene.h"
#include "widgets/GraphView.h"
#include "widgets/InspectorWidget.h"
#include "widgets/Selection.h"
#include "widgets/ViewOptions.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QHBoxLayout>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QThread>
#include <QUndoStack>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

using namespace nc;

namespace {

struct Stats {
    double median = 0, p90 = 0, max = 0;
};

Stats stats(std::vector<double> ms)
{
    std::sort(ms.begin(), ms.end());
    Stats s;
    s.median = ms[ms.size() / 2];
    s.p90 = ms[std::min(ms.size() - 1, ms.size() * 9 / 10)];
    s.max = ms.back();
    return s;
}

// Lets queued work (scene repaint, queued chart replots) finish, as the event loop would before the
// next frame.
void settle()
{
    for (int i = 0; i < 3; ++i)
        QApplication::processEvents();
}

std::vector<double> time(int runs, const std::function<void(int)>& step)
{
    std::vector<double> ms;
    for (int i = 0; i < runs; ++i) {
        QElapsedTimer t;
        t.start();
        step(i);
        settle();
        ms.push_back(static_cast<double>(t.nsecsElapsed()) / 1e6);
    }
    return ms;
}

core::Network chain(int layers)
{
    core::ModelBuilder b("chain1000");
    core::NodeId x = b.input({16, 32, 32});
    for (int i = 1; i < layers; ++i)
        x = i % 2 ? b.conv(x, 16, 3, 1, 1, 1, true) : b.relu(x);
    return b.finish();
}

void row(const char* design, const char* what, const Stats& s)
{
    std::printf("| %-10s | %-58s | %8.2f | %8.2f | %8.2f |\n", design, what, s.median, s.p90, s.max);
    std::fflush(stdout);
}

// What a benchmark case drives: a document, its editor, the canvas view and how a file is opened.
struct Harness {
    core::Document* doc;
    widgets::Editor* editor;
    QUndoStack* undo;
    widgets::Selection* selection;
    widgets::GraphView* view;
    std::function<void(const QString&)> open;
};

// The canvas and the inspector alone, laid out as in the main window, without docks or menus.
class CanvasOnly {
public:
    CanvasOnly() : m_editor(m_doc, m_undo, m_selection), m_scene(m_doc, m_editor, m_selection, m_options)
    {
        auto* layout = new QHBoxLayout(&m_host);
        m_view = new widgets::GraphView(&m_scene, &m_host);
        layout->addWidget(m_view, 1);
        layout->addWidget(new widgets::InspectorWidget(m_doc, m_editor, m_selection, &m_host));
        m_host.resize(1600, 1000);
        m_host.show();
    }
    Harness harness()
    {
        return {&m_doc, &m_editor, &m_undo, &m_selection, m_view, [this](const QString& path) {
                    auto net = core::loadNetwork(path);
                    m_undo.clear();
                    m_selection.clear();
                    m_doc.setNetwork(std::move(*net));
                    m_view->fitReadable();
                }};
    }

private:
    core::Document m_doc;
    QUndoStack m_undo;
    widgets::Selection m_selection;
    widgets::ViewOptions m_options;
    widgets::Editor m_editor;
    widgets::GraphScene m_scene;
    QWidget m_host;
    widgets::GraphView* m_view;
};

void runCases(const char* setup, Harness h, const QString& resnetFile, const QString& chainFile, int runs)
{
    std::printf("\n**%s**\n\n", setup);
    std::printf("| Design     | Operation                                                  |   median |      "
                "p90 |      max |\n");
    std::printf("|------------|------------------------------------------------------------|---------:|------"
                "---:|---------:|\n");
    struct Case {
        const char* name;
        QString file;
        std::string oneLayer; // a layer whose channel count an edit toggles
    };
    const Case cases[] = {{"ResNet-50", resnetFile, "layer2.0.conv1"}, {"chain 1000", chainFile, "conv2d1"}};
    for (const Case& c : cases) {
        row(c.name, "open file (parse, analyse, build canvas, fit, paint)",
            stats(time(std::max(5, runs / 3), [&](int) { h.open(c.file); })));

        core::Document& doc = *h.doc;
        auto idOf = [&](const std::string& name) {
            for (const core::Node& n : doc.network().nodes())
                if (n.name == name)
                    return n.id;
            return core::NodeId{};
        };
        const core::NodeId layer = idOf(c.oneLayer);
        const core::NodeId input = doc.network().nodes().front().id;
        h.selection->set({layer}); // the inspector shows the edited layer, as when a user edits it
        settle();

        row(c.name, "analysis alone (core::analyze)", stats(time(runs, [&](int) {
                volatile auto n = core::analyze(doc.network()).layers.size();
                (void)n;
            })));
        row(c.name, "parameter edit: one layer's channels (all views + repaint)",
            stats(time(runs, [&](int i) {
                core::LayerParams p = doc.network().node(layer)->params;
                p.features = i % 2 ? 128 : 96;
                h.editor->setNode(layer, p, doc.network().node(layer)->name);
            })));
        row(c.name, "parameter edit: input resolution, every shape changes", stats(time(runs, [&](int i) {
                core::LayerParams p = doc.network().node(input)->params;
                p.dims[1] = p.dims[2] = i % 2 ? p.dims[1] / 2 : p.dims[1] * 2;
                h.editor->setNode(input, p, doc.network().node(input)->name);
            })));
        row(c.name, "undo + redo of a parameter edit", stats(time(runs, [&](int) {
                h.undo->undo();
                h.undo->redo();
            })));
        row(c.name, "move one layer (one MoveNodesCommand)", stats(time(runs, [&](int i) {
                const core::Node* n = doc.network().node(layer);
                h.editor->moveNodes({{layer, n->x, n->y, n->x + (i % 2 ? 40 : -40), n->y}});
            })));
        row(c.name, "fit whole design and repaint the canvas", stats(time(std::max(5, runs / 3), [&](int) {
                h.view->fitAll();
                h.view->viewport()->repaint();
            })));
        h.view->setZoom(0.8);
        row(c.name, "repaint the canvas at zoom 0.8",
            stats(time(runs, [&](int) { h.view->viewport()->repaint(); })));
    }
}

} // namespace

int main(int argc, char** argv)
{
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    QStandardPaths::setTestModeEnabled(true);
    QApplication::setOrganizationName("NetCanvasBench");
    int runs = 30;
    for (int i = 1; i + 1 < argc; ++i)
        if (QByteArray(argv[i]) == "--runs")
            runs = std::max(3, std::atoi(argv[i + 1]));

    QTemporaryDir dir;
    const QString resnetFile = dir.filePath("resnet50.json");
    const QString chainFile = dir.filePath("chain1000.json");
    (void)core::saveNetwork(*core::loadZoo("resnet50"), resnetFile);
    (void)core::saveNetwork(chain(1000), chainFile);

    std::printf("Qt %s, %s platform, %d hardware threads, %d runs each; times in ms.\n", qVersion(),
                qPrintable(QGuiApplication::platformName()), QThread::idealThreadCount(), runs);
    {
        app::MainWindow::Options o;
        o.recoveryDir = dir.filePath("recovery");
        o.interactive = false;
        o.autosaveMs = 0;
        app::MainWindow w(o);
        w.resize(1600, 1000);
        w.show();
        settle();
        runCases("Whole main window (canvas, inspector, palette, cost docks), 1600×1000",
                 {&w.document(), &w.editor(), &w.undoStack(), &w.selection(), w.view(),
                  [&w](const QString& path) { (void)w.openFile(path); }},
                 resnetFile, chainFile, runs);
    }
    {
        CanvasOnly c;
        settle();
        runCases("Canvas and inspector alone, 1600×1000", c.harness(), resnetFile, chainFile, runs);
    }
    return 0;
}

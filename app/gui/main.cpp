// netcanvas: starts the designer on the built-in example, on a file, or renders a screenshot and exits.
//
//   netcanvas                         ResNet-18 example (and an offer to restore a crashed session)
//   netcanvas FILE                    opens a design (or zoo:NAME, a built-in model)
//   netcanvas --screenshot OUT.png [FILE]   renders the window at 1600×1000 offscreen, then exits
//   netcanvas --select NAME ...       starts with layer NAME selected and in view (for README pictures)
//   netcanvas --chart Energy / --panel rfExplorerDock / --present STEP   (screenshots of those views)
//   netcanvas --screenshot OUT.png --run 0.02 FILE   probes the machine and runs the kernel runner on
//                                     both backends (0.02 s per layer) before the screenshot
#include "MainWindow.h"
#include "widgets/GraphView.h"
#include "widgets/Presentation.h"
#include "widgets/charts/ChartsPanel.h"
#include "widgets/runner/RunnerPanel.h"

#include <QApplication>
#include <QAction>
#include <QCommandLineParser>
#include <QDockWidget>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QImage>
#include <QPixmap>
#include <QTabWidget>
#include <QThread>
#include <qcustomplot.h>

#include <cstdio>
#include <exception>

namespace {

bool wantsScreenshot(int argc, char** argv)
{
    for (int i = 1; i < argc; ++i)
        if (QByteArray(argv[i]) == "--screenshot" || QByteArray(argv[i]).startsWith("--screenshot="))
            return true;
    return false;
}

int run(int argc, char** argv)
{
    // A screenshot needs no display: pick the offscreen platform unless one was chosen or a display
    // exists (under xvfb-run the real X11 platform renders it).
    if (wantsScreenshot(argc, argv) && qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM") &&
        qEnvironmentVariableIsEmpty("DISPLAY") && qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY"))
        qputenv("QT_QPA_PLATFORM", "offscreen");

    QApplication app(argc, argv);
    QApplication::setApplicationName("NetCanvas");
    QApplication::setOrganizationName("NetCanvas");
    QApplication::setApplicationVersion("0.1.0");

    QCommandLineParser cli;
    cli.setApplicationDescription("NetCanvas: see what a neural network costs before it is trained.");
    cli.addHelpOption();
    cli.addVersionOption();
    QCommandLineOption shot("screenshot", "Render the main window at 1600×1000 to OUT.png and exit.",
                            "OUT.png");
    cli.addOption(shot);
    QCommandLineOption select("select", "Start with layer NAME selected and centred.", "NAME");
    cli.addOption(select);
    QCommandLineOption chartTab("chart", "Bring the charts tab TITLE to the front (e.g. Energy).", "TITLE");
    cli.addOption(chartTab);
    QCommandLineOption panel("panel", "Show the panel (dock) with object name NAME, e.g. rfExplorerDock.", "NAME");
    cli.addOption(panel);
    QCommandLineOption present("present", "Start in presentation mode at build-up step STEP (0 = the input).",
                               "STEP");
    cli.addOption(present);
    QCommandLineOption runKernels("run",
                                  "With --screenshot: probe the machine and run the kernel runner on both backends "
                                  "(SECONDS per layer) before the screenshot; the roofline in front.",
                                  "SECONDS");
    cli.addOption(runKernels);
    cli.addPositionalArgument("FILE",
                              "A NetCanvas design (.json), an ONNX model, or zoo:NAME (e.g. zoo:resnet50).",
                              "[FILE]");
    cli.process(app);
    const QStringList files = cli.positionalArguments();
    const bool screenshot = cli.isSet(shot);

    nc::app::MainWindow::Options opts;
    if (screenshot) {
        opts.interactive = false;
        opts.autosaveMs = 0;
    }
    nc::app::MainWindow w(opts);
    // FILE, or zoo:NAME as the CLI takes it; no argument: the last file when asked to, else the example.
    auto openArgument = [&](const QString& arg) {
        return arg.startsWith(QStringLiteral("zoo:")) ? w.openZoo(arg.mid(4).toStdString()) : w.openFile(arg);
    };
    bool loaded = false;
    if (!files.isEmpty())
        loaded = openArgument(files.front());
    else if (!screenshot && nc::app::MainWindow::reopenLastOnStart() && !w.recentFiles().isEmpty() &&
             QFileInfo::exists(w.recentFiles().front()))
        loaded = w.openFile(w.recentFiles().front());
    if (files.isEmpty() && !loaded)
        loaded = w.openExample();
    auto selectRequested = [&] {
        if (!cli.isSet(select))
            return;
        for (const nc::core::Node& n : w.document().network().nodes())
            if (QString::fromStdString(n.name) == cli.value(select))
                w.selection().set({n.id}, true);
    };
    if (screenshot) {
        if (!loaded) {
            std::fprintf(stderr, "netcanvas: %s\n", qPrintable(w.lastError()));
            return 1;
        }
        w.resize(1600, 1000);
        w.show();
        QApplication::processEvents();
        w.view()->fitReadable();
        selectRequested();
        QApplication::processEvents();
        if (cli.isSet(chartTab))
            for (QTabWidget* tabs : w.charts()->findChildren<QTabWidget*>())
                for (int i = 0; i < tabs->count(); ++i)
                    if (tabs->tabText(i) == cli.value(chartTab))
                        tabs->setCurrentIndex(i);
        if (cli.isSet(panel))
            if (auto* dock = w.findChild<QDockWidget*>(cli.value(panel))) {
                dock->show();
                dock->raise();
            }
        if (cli.isSet(present)) {
            if (auto* a = w.findChild<QAction*>(QStringLiteral("presentationAction")))
                a->setChecked(true);
            QApplication::processEvents();
            w.presentation()->goTo(cli.value(present).toInt());
        }
        if (cli.isSet(runKernels)) {
            auto* runner = w.findChild<nc::widgets::RunnerPanel*>();
            auto* dock = w.findChild<QDockWidget*>(QStringLiteral("runnerDock"));
            if (!runner || !dock) {
                std::fprintf(stderr, "netcanvas: no kernel runner panel\n");
                return 1;
            }
            dock->show();
            dock->raise();
            // The panel runs on its worker thread and posts results back: spin the event loop until
            // it is done (bounded, so a stuck run cannot hang a script).
            auto waitForRunner = [&] {
                QElapsedTimer t;
                t.start();
                QApplication::processEvents();
                while (runner->running() && t.elapsed() < 15 * 60 * 1000) {
                    QApplication::processEvents(QEventLoop::AllEvents, 50);
                    QThread::msleep(20);
                }
                QApplication::processEvents();
            };
            runner->setBackendChoice(2);
            runner->setSecondsPerLayer(cli.value(runKernels).toDouble());
            runner->startProbe();
            waitForRunner();
            runner->startRun();
            waitForRunner();
            if (runner->running()) {
                std::fprintf(stderr, "netcanvas: the kernel run did not finish in 15 minutes\n");
                return 1;
            }
            for (QTabWidget* tabs : runner->findChildren<QTabWidget*>())
                if (tabs->indexOf(runner->rooflinePlot()) >= 0)
                    tabs->setCurrentWidget(runner->rooflinePlot());
        }
        for (int i = 0; i < 3; ++i)
            QApplication::processEvents();
        const QImage img = w.grab().toImage();
        if (!img.save(cli.value(shot))) {
            std::fprintf(stderr, "netcanvas: cannot write %s\n", qPrintable(cli.value(shot)));
            return 1;
        }
        return 0;
    }
    w.show();
    QApplication::processEvents();
    selectRequested();
    if (files.isEmpty())
        w.offerRecovery();
    return app.exec();
}

} // namespace

int main(int argc, char** argv)
{
    // The GUI's boundary: nothing thrown below may escape as an abort without a word.
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "netcanvas: %s\n", e.what());
    } catch (...) {
        std::fprintf(stderr, "netcanvas: unknown error\n");
    }
    return 1;
}

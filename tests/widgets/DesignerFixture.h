// DesignerFixture: helpers shared by the GUI tests — a main window on a private recovery directory,
// lookups by layer name, and mouse gestures on the canvas in scene coordinates.
#pragma once

#include "app/gui/MainWindow.h"
#include "core/ModelBuilder.h"
#include "widgets/EdgeItem.h"
#include "widgets/Editor.h"
#include "widgets/GraphScene.h"
#include "widgets/GraphView.h"
#include "widgets/NodeItem.h"

#include <QApplication>
#include <QComboBox>
#include <QLabel>
#include <QMouseEvent>
#include <QSpinBox>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

namespace nc::test {

// Every test gets its own settings and recovery folder, so runs do not see each other's files.
inline void isolateApplication()
{
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName("NetCanvasTest");
    QCoreApplication::setApplicationName("NetCanvasTest");
}

struct Designer {
    QTemporaryDir dir;
    std::unique_ptr<app::MainWindow> window;

    // `size`: the window's size when it is first shown (the docks take their default widths then).
    explicit Designer(bool interactive = false, int autosaveMs = 0, QSize size = QSize(1400, 900))
    {
        app::MainWindow::Options o;
        o.recoveryDir = dir.filePath("recovery");
        o.interactive = interactive;
        o.autosaveMs = autosaveMs;
        window = std::make_unique<app::MainWindow>(o);
        window->resize(size);
        window->show();
        window->activateWindow();
        (void)QTest::qWaitForWindowActive(window.get());
    }

    app::MainWindow& w() { return *window; }
    core::Document& doc() { return window->document(); }
    const core::Network& net() { return window->document().network(); }
    widgets::GraphScene& scene() { return *window->scene(); }
    widgets::GraphView& view() { return *window->view(); }
    QWidget* viewport() { return window->view()->viewport(); }

    core::NodeId id(const std::string& name)
    {
        for (const core::Node& n : net().nodes())
            if (n.name == name)
                return n.id;
        return {};
    }
    widgets::NodeItem* item(const std::string& name) { return scene().nodeItem(id(name)); }
    const core::LayerResult* result(const std::string& name)
    {
        return doc().analysis().layer(id(name), net());
    }

    // Replaces the design with `net` (as opening a file would) and frames it at zoom 1.
    void load(core::Network n)
    {
        window->adoptNetwork(std::move(n), QString(), "test");
        view().setZoom(1.0);
        view().centerOn(scene().designRect().center());
        QApplication::processEvents();
    }

    QPoint at(QPointF scenePos) { return view().mapFromScene(scenePos); }

    // A press-move-release drag with the left button, through the viewport as a user's mouse would.
    void drag(QPointF fromScene, QPointF toScene, Qt::KeyboardModifiers mods = {})
    {
        const QPoint a = at(fromScene), b = at(toScene);
        QTest::mousePress(viewport(), Qt::LeftButton, mods, a);
        for (int i = 1; i <= 6; ++i)
            send(QEvent::MouseMove, a + (b - a) * i / 6, Qt::NoButton, Qt::LeftButton, mods);
        QTest::mouseRelease(viewport(), Qt::LeftButton, mods, b);
        QApplication::processEvents();
    }

    void send(QEvent::Type type, QPoint pos, Qt::MouseButton button, Qt::MouseButtons buttons,
              Qt::KeyboardModifiers mods)
    {
        QMouseEvent e(type, pos, viewport()->mapToGlobal(pos), button, buttons, mods);
        QApplication::sendEvent(viewport(), &e);
    }

    QString status() { return window->statusBar()->currentMessage(); }
};

// input 3×32×32 → conv (64, 3×3, no padding) → relu: small enough to reason about every figure.
inline core::Network smallNet()
{
    core::ModelBuilder b("small");
    core::NodeId x = b.input({3, 32, 32});
    x = b.conv(x, 64, 3, 1, 0, 1, true, "conv");
    b.relu(x, "relu");
    return b.finish();
}

} // namespace nc::test

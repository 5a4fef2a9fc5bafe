// tst_mainwindow: files, title, undo/redo through menus and shortcuts, toolbar settings, autosave and
// crash recovery — and that a damaged file leaves the open design untouched.
#include "DesignerFixture.h"

#include "app/gui/RecoveryStore.h"
#include "widgets/TrainingPanel.h"
#include "core/NetworkFile.h"
#include "core/Zoo.h"

#include <QAction>
#include <QCheckBox>
#include <QDockWidget>
#include <QTabBar>
#include <QSpinBox>
#include <QFile>
#include <QMessageBox>
#include <QTimer>
#include <QtTest>

using namespace nc;
using nc::test::Designer;

namespace {

void writeFile(const QString& path, const QByteArray& data)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(data);
}

} // namespace

class TestMainWindow : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() { test::isolateApplication(); }

    void startsWithTheExample();
    void canvasColoursPipelineStages();
    void titleShowsFileNameAndModifiedMark();
    void saveReopenCompare();
    void damagedFileLeavesDesignUntouched_data();
    void damagedFileLeavesDesignUntouched();
    void loadErrorIsShownInADialog();
    void undoRedoThroughShortcutsAndMenu();
    void toolbarSettingsAreUndoable();
    void autosaveWritesRecoveryAndSaveClearsIt();
    void crashRecoveryRestoresTheDesign();
    void zooAndRecentFiles();
    void newDesignStartsWithAnInput();
    void rightDockTabTitlesAreWhole();
};

void TestMainWindow::startsWithTheExample()
{
    Designer d;
    QVERIFY(d.w().openExample());
    QCOMPARE(d.net().nodes().size(), size_t(70));
    QCOMPARE(d.doc().analysis().totals.params, int64_t(11689512));
    QVERIFY(d.w().windowTitle().startsWith("ResNet-18"));
    QVERIFY(!d.w().isWindowModified());
    // Every layer is on the canvas with its output shape.
    for (const core::Node& n : d.net().nodes())
        QVERIFY(d.scene().nodeItem(n.id));
    QCOMPARE(d.item("layer1.0.conv1")->look().shapeText, QString("64×56×56"));
}

void TestMainWindow::titleShowsFileNameAndModifiedMark()
{
    Designer d;
    d.load(test::smallNet());
    const QString path = d.dir.filePath("small.json");
    QVERIFY(d.w().saveTo(path));
    QCOMPARE(d.w().windowTitle(), QString("small.json[*] — NetCanvas"));
    QVERIFY(!d.w().isWindowModified());
    d.w().editor().setSettings(2, 32);
    QVERIFY(d.w().isWindowModified());
    d.w().undoStack().undo();
    QVERIFY(!d.w().isWindowModified()); // back at the saved state
}

void TestMainWindow::saveReopenCompare()
{
    Designer d;
    QVERIFY(d.w().openZoo("mobilenet_v2"));
    // A few edits a user would make, including a drag.
    d.w().selection().set({d.net().nodes().back().id});
    d.w().editor().appendLayer(0 + 1); // palette entry 1: Linear
    const QPointF grab = d.scene().nodeItem(d.net().nodes()[1].id)->pos() + QPointF(-50, 0);
    d.view().centerOn(grab);
    d.drag(grab, grab + QPointF(33, 17));
    d.w().editor().setSettings(2, 16);
    const core::Network edited = d.net();

    const QString path = d.dir.filePath("mobile.json");
    QVERIFY(d.w().saveTo(path));
    Designer other;
    QVERIFY(other.w().openFile(path));
    QCOMPARE(other.net(), edited);
    QCOMPARE(other.doc().analysis().totals.macs, d.doc().analysis().totals.macs);
    QCOMPARE(other.doc().filePath(), QFileInfo(path).absoluteFilePath());
    // And save → load → save is byte-identical.
    QVERIFY(other.w().saveTo(d.dir.filePath("again.json")));
    QFile a(path), b(d.dir.filePath("again.json"));
    QVERIFY(a.open(QIODevice::ReadOnly) && b.open(QIODevice::ReadOnly));
    QCOMPARE(a.readAll(), b.readAll());
}

void TestMainWindow::damagedFileLeavesDesignUntouched_data()
{
    QTest::addColumn<QByteArray>("content");
    QTest::addColumn<QString>("reason");
    QByteArray good = core::serializeNetwork(test::smallNet());
    QTest::newRow("not json") << QByteArray("\x89PNG\r\n garbage") << "not valid JSON";
    QTest::newRow("truncated") << good.left(good.size() / 2) << "not valid JSON";
    QByteArray unknown = good;
    unknown.replace("\"relu\"", "\"swishy\"");
    QTest::newRow("unknown layer type") << unknown << "unknown layer type";
    QByteArray newer = good;
    newer.replace("\"version\": 2", "\"version\": 99"); // a design without groups is written as version 2
    QTest::newRow("newer version") << newer << "newer";
    QTest::newRow("missing") << QByteArray() << "cannot open";
}

void TestMainWindow::damagedFileLeavesDesignUntouched()
{
    QFETCH(QByteArray, content);
    QFETCH(QString, reason);
    Designer d;
    const QString saved = d.dir.filePath("mine.json");
    d.load(test::smallNet());
    QVERIFY(d.w().saveTo(saved));
    d.w().editor().setSettings(3, 32); // an unsaved edit that must survive too
    const core::Network before = d.net();
    const int commands = d.w().undoStack().count();
    const QString title = d.w().windowTitle();

    const QString bad = d.dir.filePath("bad.json");
    if (!content.isEmpty())
        writeFile(bad, content);
    QVERIFY(!d.w().openFile(bad));

    QVERIFY2(d.w().lastError().contains(reason), qPrintable(d.w().lastError()));
    QCOMPARE(d.net(), before);
    QCOMPARE(d.w().undoStack().count(), commands);
    QVERIFY(d.w().isWindowModified());
    QCOMPARE(d.w().windowTitle(), title);
    QCOMPARE(d.doc().filePath(), QFileInfo(saved).absoluteFilePath());
    QCOMPARE(d.scene().items().size(), size_t(3 + 2)); // still three layers and two edges
    d.w().undoStack().undo();                          // the history still works on the old design
    QCOMPARE(d.net().batch, int64_t(1));
}

void TestMainWindow::loadErrorIsShownInADialog()
{
    Designer d(/*interactive=*/true);
    d.load(test::smallNet());
    const QString bad = d.dir.filePath("bad.json");
    writeFile(bad, "{ \"format\": \"netcanvas\", ");
    QString shown;
    QTimer::singleShot(0, this, [&] {
        auto* box = qobject_cast<QMessageBox*>(QApplication::activeModalWidget());
        if (box) {
            shown = box->text();
            box->close();
        }
    });
    QVERIFY(!d.w().openFile(bad));
    QVERIFY2(shown.contains("bad.json") && shown.contains("not valid JSON"), qPrintable(shown));
    QCOMPARE(d.net(), test::smallNet());
}

void TestMainWindow::undoRedoThroughShortcutsAndMenu()
{
    Designer d;
    d.load(test::smallNet());
    const core::Network original = d.net();
    widgets::Editor& e = d.w().editor();
    // add, connect, parameter change, move, delete, paste, layout
    auto added = e.addLayer(1, QPointF(400, 0)); // Linear
    QVERIFY(added);
    QVERIFY(e.connectPorts(d.id("relu"), *added, 0));
    core::LayerParams p = d.net().node(d.id("conv"))->params;
    p.features = 16;
    QVERIFY(e.setNode(d.id("conv"), p, "conv"));
    e.moveNodes({{d.id("input"), 0, 0, 40, -30}});
    d.w().selection().set({d.id("relu")});
    e.copySelection();
    e.pasteClipboard();
    e.removeNodes({*added});
    e.autoLayout();
    const core::Network edited = d.net();
    const int steps = d.w().undoStack().count();
    QCOMPARE(steps, 7);

    for (int i = 0; i < steps; ++i)
        QTest::keyClick(d.viewport(), Qt::Key_Z, Qt::ControlModifier);
    QCOMPARE(d.net(), original);
    QVERIFY(!d.w().isWindowModified());
    for (int i = 0; i < steps; ++i)
        QTest::keyClick(d.viewport(), Qt::Key_Z, Qt::ControlModifier | Qt::ShiftModifier);
    QCOMPARE(d.net(), edited);

    // The Edit menu's actions do the same and name the step.
    QAction* undo = d.w().findChild<QAction*>("undoAction");
    QVERIFY(undo->text().contains("Auto layout"));
    undo->trigger();
    QVERIFY(d.w().findChild<QAction*>("redoAction")->text().contains("Auto layout"));
    // The canvas shows exactly the model after all this.
    for (const core::Node& n : d.net().nodes())
        QCOMPARE(d.scene().nodeItem(n.id)->pos(), QPointF(n.x, n.y));
    QCOMPARE(d.scene().items().size(), d.net().nodes().size() + d.net().edges().size());
}

void TestMainWindow::toolbarSettingsAreUndoable()
{
    Designer d;
    QVERIFY(d.w().openZoo("resnet18"));
    const int64_t macs = d.doc().analysis().totals.macs;
    const int64_t weights = d.doc().analysis().totals.modelBytes;

    QComboBox* bits = d.w().bitsCombo();
    emit bits->activated(bits->findText("INT8"));
    QCOMPARE(d.net().bits, 8);
    QCOMPARE(d.doc().analysis().totals.modelBytes, weights / 4);

    QSpinBox* batch = d.w().batchSpin();
    batch->setFocus();
    batch->selectAll();
    QTest::keyClicks(batch, "8");
    QTest::keyClick(batch, Qt::Key_Return);
    QCOMPARE(d.net().batch, int64_t(8));
    QCOMPARE(d.doc().analysis().totals.macs, macs * 8);
    QVERIFY(d.w().totalsLabel()->text().contains("MACs"));

    d.w().undoStack().undo();
    QCOMPARE(batch->value(), 1);
    d.w().undoStack().undo();
    QCOMPARE(bits->currentText(), QString("FP32"));
    QCOMPARE(d.doc().analysis().totals.modelBytes, weights);
}

void TestMainWindow::autosaveWritesRecoveryAndSaveClearsIt()
{
    Designer d(false, /*autosaveMs=*/20);
    d.load(test::smallNet());
    QVERIFY(!d.w().recovery().hasCopy());
    d.w().editor().setSettings(5, 32);
    QTRY_VERIFY_WITH_TIMEOUT(d.w().recovery().hasCopy(), 2000);
    auto copy = core::loadNetwork(d.w().recovery().path());
    QVERIFY(copy);
    QCOMPARE(copy->batch, int64_t(5));
    QVERIFY(d.w().saveTo(d.dir.filePath("saved.json")));
    QVERIFY(!d.w().recovery().hasCopy());
}

void TestMainWindow::crashRecoveryRestoresTheDesign()
{
    QTemporaryDir dir;
    const QString rec = dir.filePath("recovery");
    QDir().mkpath(rec);
    // What a crashed instance leaves: its autosave and meta, and a lock whose owner is gone.
    core::Network lost = test::smallNet();
    lost.name = "lost work";
    lost.batch = 7;
    writeFile(rec + "/recovery-999999-dead.json", core::serializeNetwork(lost));
    writeFile(rec + "/recovery-999999-dead.meta", "{\"original\": \"/tmp/lost.json\"}");
    writeFile(rec + "/recovery-999999-dead.lock",
              "999999\nnetcanvas\n\n"); // QLockFile's format: pid, app, host

    app::MainWindow::Options o;
    o.recoveryDir = rec;
    o.interactive = false;
    app::MainWindow w(o);
    QCOMPARE(w.recovery().orphans().size(), size_t(1));
    QVERIFY(w.offerRecovery());
    QCOMPARE(w.document().network(), lost);
    QVERIFY(w.isModified());
    QCOMPARE(w.document().filePath(), QString("/tmp/lost.json"));
    QVERIFY(w.windowTitle().contains("lost.json"));
    QVERIFY(!QFile::exists(rec + "/recovery-999999-dead.json"));
    // A second running instance does not see this one's autosave as an orphan.
    app::MainWindow::Options o2 = o;
    app::MainWindow second(o2);
    QVERIFY(second.recovery().orphans().empty());
}

void TestMainWindow::zooAndRecentFiles()
{
    Designer d;
    for (const core::ZooEntry& e : core::zooEntries()) {
        QVERIFY(d.w().openZoo(e.key));
        QVERIFY(d.w().windowTitle().contains(QString::fromStdString(e.title)));
        QCOMPARE(d.doc().analysis().totals.errors, 0);
    }
    const QString path = d.dir.filePath("r.json");
    QVERIFY(d.w().saveTo(path));
    QCOMPARE(d.w().recentFiles().front(), QFileInfo(path).absoluteFilePath());
}

void TestMainWindow::newDesignStartsWithAnInput()
{
    Designer d;
    QVERIFY(d.w().openExample());
    d.w().newDesign();
    QCOMPARE(d.net().nodes().size(), size_t(1));
    QCOMPARE(d.net().nodes().front().type, core::LayerType::Input);
    QVERIFY(d.doc().filePath().isEmpty());
    QCOMPARE(d.w().undoStack().count(), 0);
}

// The Training and scale panel splits the layers into pipeline stages; with "colour the canvas by
// stage" on, each layer node shows its stage and the stages get different fills; off restores the
// cost colouring. A 4-layer chain (conv, relu, conv, relu) in 2 stages: the first layer is in
// stage 1, the last in stage 2.
void TestMainWindow::canvasColoursPipelineStages()
{
    Designer d;
    core::ModelBuilder b("chain");
    core::NodeId x = b.input({3, 16, 16}, "input");
    x = b.relu(b.conv(x, 8, 3, 1, 1, 1, true, "conv1"), "relu1");
    b.relu(b.conv(x, 8, 3, 1, 1, 1, true, "conv2"), "relu2");
    d.load(b.finish());
    auto* panel = d.w().findChild<widgets::TrainingPanel*>();
    QVERIFY(panel);
    auto* pp = panel->findChild<QSpinBox*>("pp");
    QVERIFY(pp);
    pp->setValue(2);
    const QString before = d.item("relu2")->look().costText;
    panel->colourStagesBox()->setChecked(true);
    QCOMPARE(d.item("conv1")->look().costText, QString("stage 1"));
    QCOMPARE(d.item("relu2")->look().costText, QString("stage 2"));
    QVERIFY(d.item("conv1")->look().fill != d.item("relu2")->look().fill);
    panel->colourStagesBox()->setChecked(false);
    QCOMPARE(d.item("relu2")->look().costText, before);
}

// Every panel that docks on the right open at once, at the default 1600×1000: each tab shows its
// whole title (the dock's windowTitle), none cut to "Kernel ru…" or scrolled out of the bar.
void TestMainWindow::rightDockTabTitlesAreWhole()
{
    Designer d;
    d.w().resize(1600, 1000);
    QVERIFY(d.w().openZoo("resnet18"));
    QStringList titles;
    for (QDockWidget* dock : d.w().findChildren<QDockWidget*>()) {
        // The presentation card only shows in presentation mode, where the other panels step aside.
        if (d.w().dockWidgetArea(dock) != Qt::RightDockWidgetArea || dock->objectName() == "presentationStepDock")
            continue;
        if (!dock->isVisible())
            dock->toggleViewAction()->trigger(); // View → Panels, as a user opens them
        titles << dock->windowTitle();
    }
    QVERIFY2(titles.size() >= 6, qPrintable(titles.join(" | ")));
    QTest::qWait(50);
    QApplication::processEvents();

    QTabBar* bar = nullptr;
    for (QTabBar* t : d.w().findChildren<QTabBar*>(Qt::FindDirectChildrenOnly))
        if (t->isVisible())
            for (int i = 0; i < t->count(); ++i)
                if (t->tabText(i) == "Inspector")
                    bar = t;
    QVERIFY(bar);
    QCOMPARE(bar->count(), titles.size());
    const QFontMetrics fm = bar->fontMetrics();
    for (int i = 0; i < bar->count(); ++i) {
        const QString text = bar->tabText(i);
        QVERIFY2(titles.contains(text), qPrintable(text));
        const QRect r = bar->tabRect(i);
        // A lone '&' is a mnemonic to a tab bar: drawn as an underline, and the tab sized without it.
        QVERIFY2(!QString(text).remove("&&").contains('&'), qPrintable(text));
        // The text plus the style's padding inside the tab (what QTabBar sizes a tab by): shorter,
        // and the bar draws the title elided.
        const int need = fm.horizontalAdvance(text) + bar->style()->pixelMetric(QStyle::PM_TabBarTabHSpace, nullptr, bar);
        const bool vertical = r.height() > r.width();
        const int room = vertical ? r.height() : r.width();
        QVERIFY2(need <= room, qPrintable(QString("\"%1\": %2 px of text and padding in a %3 px tab")
                                              .arg(text)
                                              .arg(need)
                                              .arg(room)));
        QVERIFY2(bar->rect().contains(r), qPrintable(text + " lies outside its tab bar"));
    }
    if (qEnvironmentVariableIsSet("NC_SCREENSHOT_DIR"))
        d.w().grab().save(qEnvironmentVariable("NC_SCREENSHOT_DIR") + "/right-docks.png");
}

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"

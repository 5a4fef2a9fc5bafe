// tst_errorsediting: finding errors (the issues list selects the broken layer) and the editing
// details a new user trips over — Ctrl+Z inside an inspector field, the header after Save, File →
// Close, suggested file names, the save question before the file picker.
#include "DesignerFixture.h"

#include "core/Catalogue.h"
#include "core/Zoo.h"
#include "widgets/InspectorWidget.h"
#include "widgets/Int64SpinBox.h"
#include "widgets/IssuesPanel.h"
#include "widgets/Selection.h"

#include <QAction>
#include <QLineEdit>
#include <QMenu>
#include <QTest>
#include <QTextBrowser>

using namespace nc;
using namespace nc::test;

namespace {
// input 3×8×8 → conv 3×3 → conv 7×7 (the second is larger than its 6×6 input) → relu
core::Network brokenNet()
{
    core::ModelBuilder b("broken");
    core::NodeId x = b.input({3, 8, 8});
    x = b.conv(x, 4, 3, 1, 0, 1, true, "conv1");
    x = b.conv(x, 4, 7, 1, 0, 1, true, "conv2");
    b.relu(x, "relu");
    return b.finish();
}
} // namespace

class TestErrorsEditing : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() { isolateApplication(); }
    void issuesListNamesAndSelectsTheLayer();
    void issuesListEmptiesWhenFixed();
    void ctrlZInAFocusedFieldUndoes();
    void headerFollowsSave();
    void closeStartsAnEmptyDesign();
    void exportSuggestsAName();
    void helpMenuExplains();
    void appendedLinearFitsItsInput();
};

void TestErrorsEditing::issuesListNamesAndSelectsTheLayer()
{
    Designer d;
    d.load(brokenNet());
    widgets::IssuesPanel* issues = d.w().issues();
    QCOMPARE(issues->errorCount(), 1);
    QListWidgetItem* row = issues->item(0);
    QVERIFY2(row->text().contains("conv2"), qPrintable(row->text()));
    // The error count in the status bar is a link to the list.
    QVERIFY(d.w().totalsLabel()->text().contains("href"));
    d.w().showIssues();
    QApplication::processEvents();
    QVERIFY(issues->isVisible());
    const QRect r = issues->visualItemRect(row);
    QTest::mouseClick(issues->viewport(), Qt::LeftButton, {}, r.center());
    QCOMPARE(d.w().selection().current(), d.id("conv2"));
    QVERIFY(d.item("conv2")->isSelected());
}

void TestErrorsEditing::issuesListEmptiesWhenFixed()
{
    Designer d;
    d.load(brokenNet());
    core::Node n = *d.net().node(d.id("conv2"));
    n.params.kh = n.params.kw = 3;
    QVERIFY(d.w().editor().setNode(n.id, n.params, n.name));
    QCOMPARE(d.w().issues()->errorCount(), 0);
}

void TestErrorsEditing::ctrlZInAFocusedFieldUndoes()
{
    Designer d;
    d.load(smallNet());
    d.w().selection().set({d.id("conv")});
    QApplication::processEvents();
    widgets::InspectorWidget* insp = d.w().inspector();
    QWidget* editor = insp->attributeEditor("kernel_h");
    QVERIFY(editor);
    QLineEdit* line = editor->findChild<QLineEdit*>();
    QVERIFY(line);
    // An earlier, committed edit: Ctrl+Z in an untouched field undoes it.
    QTest::mouseClick(line, Qt::LeftButton);
    line->setFocus();
    line->selectAll();
    QTest::keyClicks(line, "5");
    QTest::keyClick(line, Qt::Key_Return);
    QCOMPARE(d.net().node(d.id("conv"))->params.kh, int64_t(5));
    line = insp->attributeEditor("kernel_h")->findChild<QLineEdit*>();
    line->setFocus();
    QVERIFY(line->hasFocus());
    QTest::keyClick(line, Qt::Key_Z, Qt::ControlModifier);
    QCOMPARE(d.net().node(d.id("conv"))->params.kh, int64_t(3));
    QCOMPARE(static_cast<widgets::Int64SpinBox*>(insp->attributeEditor("kernel_h"))->value(), int64_t(3));

    // A value typed but not yet committed: Ctrl+Z commits it and undoes it, leaving the model as it
    // was and the field showing the model's value (not a half-typed text).
    line = insp->attributeEditor("kernel_h")->findChild<QLineEdit*>();
    line->setFocus();
    line->selectAll();
    QTest::keyClicks(line, "7");
    QTest::keyClick(line, Qt::Key_Z, Qt::ControlModifier);
    QCOMPARE(d.net().node(d.id("conv"))->params.kh, int64_t(3));
    QVERIFY(d.w().undoStack().canRedo()); // committed, then undone: redo brings it back
    QCOMPARE(static_cast<widgets::Int64SpinBox*>(insp->attributeEditor("kernel_h"))->value(), int64_t(3));
    d.w().undoStack().redo();
    QCOMPARE(d.net().node(d.id("conv"))->params.kh, int64_t(7));
}

void TestErrorsEditing::headerFollowsSave()
{
    Designer d;
    d.load(smallNet());
    d.w().selection().clear();
    QApplication::processEvents();
    const QString path = d.dir.filePath("mynet.json");
    QVERIFY(d.w().saveTo(path));
    QString text;
    for (QLabel* l : d.w().inspector()->findChildren<QLabel*>())
        if (l->text().contains("<h3>"))
            text = l->text();
    QVERIFY2(text.contains("mynet.json"), qPrintable(text));
}

void TestErrorsEditing::closeStartsAnEmptyDesign()
{
    Designer d;
    d.load(smallNet());
    d.w().findChild<QAction*>("closeAction")->trigger();
    QCOMPARE(d.net().nodes().size(), size_t(1)); // the input a new design starts with
    QCOMPARE(d.w().displayName(), QString("Untitled"));
}

void TestErrorsEditing::exportSuggestsAName()
{
    Designer d;
    d.load(smallNet());
    QCOMPARE(d.w().suggestedPath(".py"), QString("small.py"));
    const QString path = d.dir.filePath("net one.json");
    QVERIFY(d.w().saveTo(path));
    QCOMPARE(d.w().suggestedPath(".onnx"), QFileInfo(d.dir.filePath("net one.onnx")).absoluteFilePath());
}

void TestErrorsEditing::helpMenuExplains()
{
    Designer d;
    QMenu* help = d.w().helpMenu();
    QVERIFY(help);
    auto text = [&](const char* action, const char* browser) {
        d.w().findChild<QAction*>(action)->trigger();
        QApplication::processEvents();
        auto* b = d.w().findChild<QTextBrowser*>(browser);
        return b ? b->toPlainText() : QString();
    };
    // The conventions are the README's, formulas included.
    const QString conventions = text("conventionsAction", "conventionsHelpText");
    QVERIFY2(conventions.contains("co·(ci/g)·kh·kw + co"), qPrintable(conventions.left(200)));
    QVERIFY(conventions.contains("FLOPs"));
    // Shortcuts are read from the menus.
    const QString keys = text("shortcutsAction", "shortcutsHelpText");
    QVERIFY(keys.contains("Undo") &&
            keys.contains(QKeySequence(QKeySequence::Undo).toString(QKeySequence::NativeText)));
    QVERIFY(keys.contains("Collapse Blocks"));
    QVERIFY(text("coloursAction", "coloursHelpText").contains("over budget"));
    QVERIFY(text("tourAction", "tourHelpText").contains("Inspector"));
}

void TestErrorsEditing::appendedLinearFitsItsInput()
{
    Designer d;
    d.load(core::loadZoo("resnet18").value());
    d.w().selection().set({d.id("flatten")}); // 512 features
    const auto palette = core::Catalogue::instance().palette();
    int linear = -1;
    for (size_t i = 0; i < palette.size(); ++i)
        if (palette[i].type == core::LayerType::Linear && linear < 0)
            linear = int(i);
    QVERIFY(linear >= 0);
    auto id = d.w().editor().appendLayer(linear);
    QVERIFY(id);
    QCOMPARE(d.net().node(*id)->params.features, int64_t(512));
    QCOMPARE(QString::fromStdString(d.doc().analysis().layer(*id, d.net())->output.toString()),
             QString("512"));
}

QTEST_MAIN(TestErrorsEditing)
#include "tst_errorsediting.moc"

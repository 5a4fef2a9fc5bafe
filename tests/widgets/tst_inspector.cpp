// tst_inspector: every hyper-parameter has a fitting editor; an edit typed into it re-runs the analysis
// and updates downstream nodes, error badges and the figures at once; formulas use the layer's numbers.
#include "DesignerFixture.h"

#include "core/Catalogue.h"
#include "core/Zoo.h"
#include "widgets/InspectorWidget.h"
#include "widgets/Int64SpinBox.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QLineEdit>
#include <QtTest>

using namespace nc;
using nc::test::Designer;

namespace {

// Types a value into a spin box or line edit and presses Enter, as a user would.
void typeInto(QWidget* editor, const QString& text)
{
    QLineEdit* line = qobject_cast<QLineEdit*>(editor);
    if (!line)
        line = editor->findChild<QLineEdit*>();
    QVERIFY(line);
    line->setFocus();
    line->selectAll();
    QTest::keyClicks(line, text);
    QTest::keyClick(line, Qt::Key_Return);
}

} // namespace

class TestInspector : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() { test::isolateApplication(); }

    void kernelEditChangesDownstreamShape();
    void errorBadgeAppearsAndDisappears();
    void formulasUseTheLayersNumbers();
    void everyAttributeHasAFittingEditor();
    void samePaddingDisablesExplicitPadding();
    void bitWidthIsAComboOfMeaningfulWidths();
    void activationFunctionCanBeSwapped();
    void renameRefusesADuplicate();
    void fewerInputsThanConnectionsIsRefused();
    void inputShapeIsEditedAsText();
    void networkPageShowsTotals();
};

void TestInspector::kernelEditChangesDownstreamShape()
{
    Designer d;
    d.load(test::smallNet());
    QTest::mouseClick(d.viewport(), Qt::LeftButton, {}, d.at(d.item("conv")->pos()));
    widgets::InspectorWidget* insp = d.w().inspector();
    QCOMPARE(insp->shownNode(), d.id("conv"));
    QCOMPARE(d.item("relu")->look().shapeText, QString("64×30×30"));
    const int commands = d.w().undoStack().count();

    typeInto(insp->attributeEditor("kernel_h"), "5");
    QCOMPARE(d.net().node(d.id("conv"))->params.kh, int64_t(5));
    QCOMPARE(d.item("relu")->look().shapeText, QString("64×28×30"));
    QCOMPARE(d.item("conv")->look().shapeText, QString("64×28×30"));
    QVERIFY(insp->figure("Output").startsWith("64×28×30"));
    QCOMPARE(d.w().undoStack().count(), commands + 1); // one keystroke sequence, one command

    typeInto(insp->attributeEditor("kernel_w"), "5");
    QCOMPARE(d.item("relu")->look().shapeText, QString("64×28×28"));
    d.w().undoStack().undo();
    QCOMPARE(d.item("relu")->look().shapeText, QString("64×28×30"));
    // The editor shows the model's value again after the undo.
    QCOMPARE(static_cast<widgets::Int64SpinBox*>(insp->attributeEditor("kernel_w"))->value(), int64_t(3));
}

void TestInspector::errorBadgeAppearsAndDisappears()
{
    Designer d;
    d.load(test::smallNet());
    d.w().selection().set({d.id("conv")});
    widgets::InspectorWidget* insp = d.w().inspector();
    auto* error = insp->findChild<QLabel*>("layerError");
    QVERIFY(error);
    QVERIFY(!d.item("conv")->hasErrorBadge());

    typeInto(insp->attributeEditor("kernel_h"), "40"); // larger than the 32-pixel input
    QVERIFY(d.item("conv")->hasErrorBadge());
    QCOMPARE(d.item("relu")->look().state, widgets::NodeLook::State::Blocked);
    const QString tip = d.scene().toolTipFor(d.id("conv"));
    QVERIFY2(tip.contains("exceeds padded input") && tip.contains("smaller kernel"), qPrintable(tip));
    QVERIFY(error->isVisibleTo(insp));
    QVERIFY(error->text().simplified().contains("exceeds padded input"));
    QVERIFY(d.w().totalsLabel()->text().contains("error"));

    typeInto(insp->attributeEditor("kernel_h"), "3"); // fixed
    QVERIFY(!d.item("conv")->hasErrorBadge());
    QCOMPARE(d.item("relu")->look().state, widgets::NodeLook::State::Ok);
    QVERIFY(!error->isVisibleTo(insp));
    QVERIFY(!d.w().totalsLabel()->text().contains("error"));
}

void TestInspector::formulasUseTheLayersNumbers()
{
    Designer d;
    QVERIFY(d.w().openZoo("resnet18"));
    d.w().selection().set({d.id("layer2.0.conv1")});
    const QString f = d.w().inspector()->formulasText();
    QVERIFY2(f.contains("ho = ⌊(56 + 1 + 1 − 3)/2⌋ + 1 = 28"), qPrintable(f));
    QVERIFY2(f.contains("params = 128·(64/1)·3·3 = 73,728"), qPrintable(f));
    QVERIFY2(f.contains("MACs = 128·(64/1)·3·3·28·28 = 57,802,752"), qPrintable(f));
    QVERIFY(d.w().inspector()->figure("Params").startsWith("73,728"));
    QCOMPARE(d.result("layer2.0.conv1")->params, int64_t(73728));

    // A batch change flows into the formulas at once.
    d.w().editor().setSettings(4, 32);
    QVERIFY(
        d.w().inspector()->formulasText().contains("MACs (batch 4) = 128·(64/1)·3·3·28·28·4 = 231,211,008"));
}

void TestInspector::everyAttributeHasAFittingEditor()
{
    Designer d;
    const core::Catalogue& cat = core::Catalogue::instance();
    for (const core::LayerSpec& spec : cat.specs()) {
        core::Network net;
        core::Node n;
        n.type = spec.type;
        n.name = "layer";
        n.params = spec.defaults;
        (void)net.addNode(n);
        d.load(std::move(net));
        d.w().selection().set({d.net().nodes().front().id});
        widgets::InspectorWidget* insp = d.w().inspector();
        for (const core::AttrSpec& a : spec.attrs) {
            QWidget* w = insp->attributeEditor(a.key);
            QVERIFY2(w, (std::string(core::layerTypeLabel(spec.type)) + "." + std::string(a.key)).c_str());
            switch (a.kind) {
            case core::AttrKind::Int:
                if (a.key == "bits") {
                    QVERIFY(qobject_cast<QComboBox*>(w));
                } else {
                    auto* s = qobject_cast<widgets::Int64SpinBox*>(w);
                    QVERIFY(s);
                    QCOMPARE(s->minimum(), static_cast<int64_t>(a.min));
                    QCOMPARE(s->maximum(), static_cast<int64_t>(a.max));
                    QCOMPARE(s->value(), spec.defaults.*(a.intField));
                }
                break;
            case core::AttrKind::Bool:
                QVERIFY(qobject_cast<QCheckBox*>(w));
                QCOMPARE(static_cast<QCheckBox*>(w)->isChecked(), spec.defaults.*(a.intField) != 0);
                break;
            case core::AttrKind::Enum:
                QVERIFY(qobject_cast<QComboBox*>(w));
                QCOMPARE(static_cast<QComboBox*>(w)->count(), static_cast<int>(a.enumLabels.size()));
                break;
            case core::AttrKind::Float:
                QVERIFY(qobject_cast<QDoubleSpinBox*>(w));
                QCOMPARE(static_cast<QDoubleSpinBox*>(w)->minimum(), a.min);
                QCOMPARE(static_cast<QDoubleSpinBox*>(w)->maximum(), a.max);
                break;
            case core::AttrKind::Dims:
                QVERIFY(qobject_cast<QLineEdit*>(w));
                break;
            }
        }
    }
}

void TestInspector::samePaddingDisablesExplicitPadding()
{
    Designer d;
    d.load(test::smallNet());
    d.w().selection().set({d.id("conv")});
    widgets::InspectorWidget* insp = d.w().inspector();
    QVERIFY(insp->attributeEditor("pad_top")->isEnabled());
    auto* same = qobject_cast<QCheckBox*>(insp->attributeEditor("pad_same"));
    QTest::mouseClick(same, Qt::LeftButton, {}, QPoint(8, same->height() / 2)); // on the box itself
    QCOMPARE(d.net().node(d.id("conv"))->params.padSame, int64_t(1));
    QVERIFY(!insp->attributeEditor("pad_top")->isEnabled());
    QCOMPARE(d.item("relu")->look().shapeText, QString("64×32×32"));
    QVERIFY(insp->formulasText().contains("padding \"same\" = 1 + 1 on H"));
}

void TestInspector::bitWidthIsAComboOfMeaningfulWidths()
{
    Designer d;
    d.load(test::smallNet());
    d.w().selection().set({d.id("conv")});
    auto* bits = qobject_cast<QComboBox*>(d.w().inspector()->attributeEditor("bits"));
    QVERIFY(bits);
    QCOMPARE(bits->count(), 5);
    const int int8 = bits->findText("INT8");
    QVERIFY(int8 > 0);
    emit bits->activated(int8); // what a pick from the list sends
    QCOMPARE(d.net().node(d.id("conv"))->params.bits, int64_t(8));
    QCOMPARE(d.result("conv")->bits, 8);
    QVERIFY(d.item("conv")->look().detail.contains("INT8"));
}

void TestInspector::activationFunctionCanBeSwapped()
{
    Designer d;
    d.load(test::smallNet());
    const core::NodeId relu = d.id("relu");
    d.w().selection().set({relu});
    auto* kind = d.w().inspector()->findChild<QComboBox*>("activation");
    QVERIFY(kind && kind->isVisibleTo(d.w().inspector()));
    const auto edgesBefore = d.net().edgesOf(relu).size();
    emit kind->activated(kind->findText("GELU"));
    QCOMPARE(d.net().node(relu)->type, core::LayerType::GELU);
    QCOMPARE(d.net().node(relu)->name, std::string("relu"));
    QCOMPARE(d.net().edgesOf(relu).size(), edgesBefore);
    QCOMPARE(d.item("relu")->look().detail, QString("GELU"));
    QCOMPARE(d.w().inspector()->shownNode(), relu);
    d.w().undoStack().undo();
    QCOMPARE(d.net(), test::smallNet());
}

void TestInspector::renameRefusesADuplicate()
{
    Designer d;
    d.load(test::smallNet());
    d.w().selection().set({d.id("conv")});
    QLineEdit* name = d.w().inspector()->nameEditor();
    typeInto(name, "relu");
    QCOMPARE(d.net().node(d.id("conv"))->name, std::string("conv"));
    QVERIFY(d.status().contains("already used"));
    QCOMPARE(name->text(), QString("conv"));
    typeInto(name, "stem");
    QVERIFY(d.id("stem").valid());
    QCOMPARE(d.item("stem")->look().name, QString("stem"));
}

void TestInspector::fewerInputsThanConnectionsIsRefused()
{
    Designer d;
    core::ModelBuilder b("cat");
    core::NodeId x = b.input({8, 4, 4});
    b.concat({b.relu(x, "r1"), b.relu(x, "r2"), b.relu(x, "r3")}, "cat");
    d.load(b.finish());
    d.w().selection().set({d.id("cat")});
    typeInto(d.w().inspector()->attributeEditor("inputs"), "2");
    QCOMPARE(d.net().node(d.id("cat"))->params.inputs, int64_t(3));
    QVERIFY(d.status().contains("disconnect it"));
    QCOMPARE(static_cast<widgets::Int64SpinBox*>(d.w().inspector()->attributeEditor("inputs"))->value(),
             int64_t(3));
}

void TestInspector::inputShapeIsEditedAsText()
{
    Designer d;
    d.load(test::smallNet());
    d.w().selection().set({d.id("input")});
    typeInto(d.w().inspector()->attributeEditor("shape"), "3, 64, 48");
    QCOMPARE(d.item("relu")->look().shapeText, QString("64×62×46"));
    typeInto(d.w().inspector()->attributeEditor("shape"), "3, zero");
    QCOMPARE(d.net().node(d.id("input"))->params.dims, core::Shape({3, 64, 48}));
    QVERIFY(d.status().contains("whole numbers"));
}

void TestInspector::networkPageShowsTotals()
{
    Designer d;
    QVERIFY(d.w().openZoo("resnet18"));
    d.w().selection().clear();
    auto* summary = d.w().inspector()->findChild<QLabel*>("networkSummary");
    QVERIFY(summary->isVisibleTo(d.w().inspector()));
    QVERIFY2(summary->text().contains("11,689,512"), qPrintable(summary->text()));
}

QTEST_MAIN(TestInspector)
#include "tst_inspector.moc"

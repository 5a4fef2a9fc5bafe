// Tests the deployment memory panel as a user drives it: presets and switches change the peak it
// reports (MobileNetV2 int8: 2,408,448 B training, 1,404,928 B deployed, 1,505,280 B without in-place
// depthwise), the verdict against the budget, and the arena chart's hover and click-to-select.
#include "widgets/Selection.h"
#include "widgets/ViewOptions.h"
#include "widgets/charts/ArenaChart.h"
#include "widgets/charts/MemoryPanel.h"

#include "core/Document.h"
#include "core/ModelBuilder.h"
#include "core/Zoo.h"

#include <qcustomplot.h>

#include <QCheckBox>
#include <QComboBox>
#include <QLabel>
#include <QSpinBox>
#include <QTest>

using namespace nc;
using widgets::ArenaChart;
using widgets::MemoryPanel;

class TestMemoryPanel : public QObject {
    Q_OBJECT
private slots:
    void opensOnTheDocumentsView();
    void presetsChangeThePeak();
    void verdictUsesBinaryUnitsAndIsNotClipped();
    void foldedLayersAreListed();
    void hoverNamesTheLayer();
    void clickSelectsTheLayer();
    void selectingAFoldedLayerHighlightsItsHost();
    void patchesFromThePanel();
    void controlsReadWholeInANarrowDock();
};

namespace {

struct Rig {
    core::Document doc;
    widgets::Selection sel;
    widgets::ViewOptions opts;
    std::unique_ptr<MemoryPanel> panel;
    Rig()
    {
        core::Network net = core::loadZoo("mobilenet_v2").value();
        net.bits = 8;
        doc.setNetwork(std::move(net));
        panel = std::make_unique<MemoryPanel>(doc, sel, opts);
        panel->setPreset(MemoryPanel::TinyEngine);
        panel->resize(1000, 600);
        panel->show();
        (void)QTest::qWaitForWindowExposed(panel.get());
        panel->chart()->plot()->replot();
    }
    int rectOf(const char* layer) const
    {
        const auto& r = panel->chart()->rects();
        for (size_t i = 0; i < r.size(); ++i)
            if (r[i].layer == layer && !r[i].scratch)
                return static_cast<int>(i);
        return -1;
    }
};

} // namespace

void TestMemoryPanel::opensOnTheDocumentsView()
{
    // The switch is the Document's: a panel opened on a fresh document shows the training view, and
    // its presets write the Document's settings, which every other view follows.
    core::Document doc;
    widgets::Selection sel;
    widgets::ViewOptions opts;
    MemoryPanel panel(doc, sel, opts);
    QCOMPARE(panel.presetBox()->currentIndex(), int(MemoryPanel::Training));
    QVERIFY(!doc.deploySettings().deploy);
    panel.setPreset(MemoryPanel::TinyEngine);
    QVERIFY(doc.deploySettings().deploy);
    QVERIFY(doc.deploySettings().inplaceDepthwise);
    QVERIFY(doc.deploySettings().planner == core::deploy::Planner::Best);
    // Settings changed elsewhere show in the panel: TFLite Micro is deploy without in-place depthwise.
    doc.setDeploySettings({true, false, false, core::deploy::Planner::Greedy});
    QCOMPARE(panel.presetBox()->currentIndex(), int(MemoryPanel::TfliteMicro));
    QVERIFY(!panel.inplaceDepthwiseBox()->isChecked());
}

void TestMemoryPanel::presetsChangeThePeak()
{
    Rig r;
    QCOMPARE(r.panel->presetBox()->currentIndex(), int(MemoryPanel::TinyEngine));
    QCOMPARE(r.panel->peakBytes(), int64_t(16 * 112 * 112 + 96 * 112 * 112));
    QVERIFY(r.panel->summaryText().contains("1,404,928 B (1.34 MiB) at features.2.expand"));
    // The training graph, as the analysis reports it: at expand_bn the expansion's 96×112×112 output
    // and the BatchNorm's own, 2 × 1,204,224 B (the ReLU6 then runs in place).
    r.panel->setPreset(MemoryPanel::Training);
    QCOMPARE(r.panel->peakBytes(), r.doc.analysis().totals.peakLiveBytes);
    QCOMPARE(r.panel->peakBytes(), int64_t(2408448));
    QVERIFY(r.panel->summaryText().contains("features.2.expand_bn"));
    QVERIFY(!r.panel->inplaceDepthwiseBox()->isEnabled());
    // TFLite Micro: folded and fused but no in-place depthwise: 96×112×112 + 96×56×56 at features.2.dw.
    r.panel->setPreset(MemoryPanel::TfliteMicro);
    QCOMPARE(r.panel->peakBytes(), int64_t(1505280));
    QVERIFY(r.panel->summaryText().contains("at features.2.dw."));
    // Ticking the switch by hand leaves the preset for "Custom".
    r.panel->inplaceDepthwiseBox()->click();
    QCOMPARE(r.panel->presetBox()->currentIndex(), int(MemoryPanel::Custom));
    QCOMPARE(r.panel->peakBytes(), int64_t(1404928));
}

void TestMemoryPanel::verdictUsesBinaryUnitsAndIsNotClipped()
{
    Rig r;
    QCOMPARE(r.panel->verdictText(), QString("No budget set."));
    r.opts.setBudgetBytes(256 * 1024);
    QCOMPARE(r.panel->verdictText(), QString("needs 1.34 MiB, 5.4× the budget of 256 KiB"));
    r.opts.setBudgetBytes(2 * 1024 * 1024); // 1,404,928 / 2,097,152 = 67.0%
    QCOMPARE(r.panel->verdictText(), QString("fits in 2 MiB (67% used)"));
    r.opts.setBudgetBytes(256 * 1024);
    int found = 0;
    for (QLabel* l : r.panel->findChildren<QLabel*>())
        if (l->text() == r.panel->verdictText()) {
            ++found;
            QVERIFY(l->isVisible());
            QVERIFY(l->width() >= l->fontMetrics().horizontalAdvance(l->text()));
        }
    QCOMPARE(found, 1);
}

void TestMemoryPanel::foldedLayersAreListed()
{
    Rig r;
    QVERIFY(r.panel->foldedText().startsWith("52 BatchNorm folded, 35 activations fused: "));
    QVERIFY(r.panel->foldedText().contains("features.2.expand_bn folded into features.2.expand"));
    QVERIFY(r.panel->foldedText().contains("features.2.expand_relu6 fused into features.2.expand"));
}

void TestMemoryPanel::hoverNamesTheLayer()
{
    Rig r;
    ArenaChart* c = r.panel->chart();
    const int i = r.rectOf("features.2.expand");
    QVERIFY(i >= 0);
    // 96×112×112 int8, allocated at step 4 and read by the in-place depthwise layer and the projection.
    QCOMPARE(c->rects()[static_cast<size_t>(i)].bytes, int64_t(1204224));
    QCOMPARE(c->rects()[static_cast<size_t>(i)].firstStep, 4);
    QCOMPARE(c->rects()[static_cast<size_t>(i)].lastStep, 6);
    const QPoint p = c->pixelFor(i);
    QVERIFY(c->plot()->axisRect()->rect().contains(p));
    QCOMPARE(c->rectAt(p), i);
    QVERIFY(c->hoverText(c->rectAt(p)).startsWith("features.2.expand\n1,204,224 B at offset "));
}

void TestMemoryPanel::clickSelectsTheLayer()
{
    Rig r;
    ArenaChart* c = r.panel->chart();
    const int i = r.rectOf("features.2.expand");
    QTest::mouseClick(c->plot(), Qt::LeftButton, {}, c->pixelFor(i));
    QCOMPARE(r.sel.ids().size(), size_t(1));
    QCOMPARE(r.sel.ids()[0], r.doc.network().findByName("features.2.expand"));
    QVERIFY(c->isHighlighted(i));
}

void TestMemoryPanel::selectingAFoldedLayerHighlightsItsHost()
{
    Rig r;
    r.sel.set({r.doc.network().findByName("features.2.expand_bn")});
    QVERIFY(r.panel->chart()->isHighlighted(r.rectOf("features.2.expand")));
    QVERIFY(!r.panel->chart()->isHighlighted(r.rectOf("features.2.project")));
}

void TestMemoryPanel::patchesFromThePanel()
{
    // tst_patches' strided stack at 8 bits: 3×16×16 → conv1 3×3 s2 p1 → 8×8×8 → conv2 3×3 s1 p1 →
    // 8×8×8 → conv3 3×3 s2 p1 → 8×4×4.
    core::ModelBuilder b("stack");
    core::NodeId x = b.input({3, 16, 16});
    x = b.conv(x, 8, 3, 2, 1, 1, false, "conv1");
    x = b.conv(x, 8, 3, 1, 1, 1, false, "conv2");
    b.conv(x, 8, 3, 2, 1, 1, false, "conv3");
    core::Network net = b.finish();
    net.bits = 8;
    core::Document doc;
    doc.setNetwork(std::move(net));
    widgets::Selection sel;
    widgets::ViewOptions opts;
    MemoryPanel panel(doc, sel, opts);
    QCOMPARE(panel.patchModeBox()->currentIndex(), 0);
    QVERIFY(!panel.patchLayersBox()->isEnabled());
    QVERIFY(panel.patchText().isEmpty());
    // Without patches: conv1 reads the 768 B input and writes 512 B, the peak.
    QVERIFY(panel.summaryText().startsWith("Peak 1,280 B"));

    // The user picks k = 2, n = 2. conv2's 8×8 output in 2×2 patches of rows [0,4) and [4,8) needs
    // conv1 rows [0,5) and [3,8) (a·s − p .. b·s − p + k − 1, clipped): 5 + 5 rows (columns alike),
    // so conv1 computes 10² = 100 positions of its 64, 36 extra × 8·3·9 = 216 MACs = 7,776; conv2 none.
    // Total 64·216 + 64·576 + 16·576 = 59,904, 13.0% of it. Patch stage peak: the input 768 + conv2's
    // assembled output 512 + conv1's 5×5×8 = 200 B region; then conv3 reads 512 B and writes 128 B.
    panel.patchModeBox()->setCurrentIndex(1);
    QVERIFY(panel.patchLayersBox()->isEnabled());
    panel.patchLayersBox()->setValue(2);
    panel.patchGridBox()->setValue(2);
    QCOMPARE(doc.deploySettings().patchLayers, 2);
    QCOMPARE(doc.deploySettings().patchGrid, 2);
    const QString t = panel.patchText();
    QVERIFY2(t.contains("first 2 layers over a 2×2 grid"), qPrintable(t));
    QVERIFY2(t.contains("Patch stage peak 1,480 B (1.45 KiB) at conv1"), qPrintable(t));
    QVERIFY2(t.contains("rest of the network 640 B (640 B)"), qPrintable(t));
    QVERIFY2(t.contains("7,776 MACs (13.0% of 59,904)"), qPrintable(t));
    // The verdict is about the patched peak.
    opts.setBudgetBytes(1480);
    QCOMPARE(panel.verdictText(), QString("fits in 1.45 KiB (100% used)"));

    // A grid larger than the output is refused with the layer named, and no plan shown.
    panel.patchLayersBox()->setValue(3);
    panel.patchGridBox()->setValue(5);
    QCOMPARE(panel.patchText(), QString("Patches: a 5×5 grid does not fit the 4×4 output of layer \"conv3\""));

    // Auto under a 1,384 B budget: tst_patches' k = 3, n = 2 plan peaks at exactly 1,384 B (768 + 128 +
    // 288 + 200), and the search must return a plan that fits.
    opts.setBudgetBytes(1384);
    panel.patchModeBox()->setCurrentIndex(2);
    QVERIFY(!panel.patchLayersBox()->isEnabled());
    QCOMPARE(doc.deploySettings().patchBudget, int64_t(1384));
    QVERIFY(doc.deployment().patch.has_value());
    QVERIFY(doc.deployment().patch->peakBytes <= 1384);
    QVERIFY(panel.verdictText().startsWith("fits in 1.35 KiB"));
    panel.patchModeBox()->setCurrentIndex(0);
    QVERIFY(!doc.deploySettings().patchesOn());
    QVERIFY(panel.patchText().isEmpty());
}

void TestMemoryPanel::controlsReadWholeInANarrowDock()
{
    // The dock sits at the window's right edge, about 320 px wide at 1600×1000: every entry of every
    // combo box must read whole there (before, four combo boxes in two rows cut "Training gra…").
    Rig r;
    r.panel->resize(320, 700);
    QCoreApplication::processEvents();
    for (QComboBox* c : r.panel->findChildren<QComboBox*>())
        for (int i = 0; i < c->count(); ++i) {
            const int text = c->fontMetrics().horizontalAdvance(c->itemText(i));
            QVERIFY2(text + 24 <= c->width(), qPrintable(c->itemText(i) + QString(": %1 px text in a %2 px box")
                                                                                .arg(text)
                                                                                .arg(c->width())));
        }
}

QTEST_MAIN(TestMemoryPanel)
#include "tst_memorypanel.moc"

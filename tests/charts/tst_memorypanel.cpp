// Tests the deployment memory panel as a user drives it: presets and switches change the peak it
// reports (MobileNetV2 int8: 2,408,448 B training, 1,404,928 B deployed, 1,505,280 B without in-place
// depthwise), the verdict against the budget, and the arena chart's hover and click-to-select.
#include "widgets/Selection.h"
#include "widgets/ViewOptions.h"
#include "widgets/charts/ArenaChart.h"
#include "widgets/charts/MemoryPanel.h"

#include "core/Document.h"
#include "core/Zoo.h"

#include <qcustomplot.h>

#include <QCheckBox>
#include <QComboBox>
#include <QLabel>
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

QTEST_MAIN(TestMemoryPanel)
#include "tst_memorypanel.moc"

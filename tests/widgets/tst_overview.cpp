// tst_overview: finding one's way around a large design — blocks inferred from layer names, collapsed
// blocks with summed figures, Fit that shows a whole ResNet-50 or ViT readably, the minimap, and
// appended layers scrolled into view. Driven at the default 1600×1000 window.
#include "DesignerFixture.h"

#include "core/BlockGroups.h"
#include "core/Zoo.h"
#include "widgets/Minimap.h"
#include "widgets/PaletteWidget.h"
#include "widgets/Selection.h"

#include <QAction>
#include <QTest>

using namespace nc;
using namespace nc::test;

class TestOverview : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() { isolateApplication(); }
    void blockOfName_data();
    void blockOfName();
    void resnet50HasSixteenBottlenecks();
    void bottleneckFiguresAreTorchvisions();
    void fitShowsEveryBlockReadably_data();
    void fitShowsEveryBlockReadably();
    void fitWorksOnAFreshWindow();
    void doubleClickOpensABlock();
    void collapsedBlockTakesItsEdges();
    void minimapMovesTheView();
    void appendedLayerIsScrolledIntoView();

private:
    static std::unique_ptr<Designer> open(const char* zoo)
    {
        auto d = std::make_unique<Designer>();
        d->w().resize(1600, 1000);
        d->w().openZoo(zoo);
        QTest::qWait(50); // the dock layout preset settles on the first event-loop turns
        return d;
    }
    static const core::BlockGroup* group(Designer& d, const std::string& name)
    {
        for (const core::BlockGroup& g : d.scene().blockGroups())
            if (g.name == name)
                return &g;
        return nullptr;
    }
};

void TestOverview::blockOfName_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QString>("block");
    QTest::newRow("torchvision resnet") << "layer1.0.conv1"
                                        << "layer1.0";
    QTest::newRow("resnet shortcut") << "layer4.0.downsample_bn"
                                     << "layer4.0";
    QTest::newRow("mobilenet") << "features.3.dw_bn"
                               << "features.3";
    QTest::newRow("onnx path") << "/encoder/layer.0/attn/MatMul"
                               << "/encoder/layer.0";
    QTest::newRow("no index: the parent") << "block0.attn"
                                          << "block0";
    QTest::newRow("one component: none") << "conv1_bn"
                                         << "";
    QTest::newRow("last component numeric") << "features.0"
                                            << "features";
}

void TestOverview::blockOfName()
{
    QFETCH(QString, name);
    QFETCH(QString, block);
    QCOMPARE(QString::fromStdString(core::blockOf(name.toStdString())), block);
}

void TestOverview::resnet50HasSixteenBottlenecks()
{
    // torchvision's ResNet-50: layer1..layer4 with 3, 4, 6 and 3 bottlenecks.
    const auto groups = core::inferBlockGroups(core::loadZoo("resnet50").value());
    QCOMPARE(groups.size(), size_t(16));
    QCOMPARE(QString::fromStdString(groups.front().name), QString("layer1.0"));
    QCOMPARE(QString::fromStdString(groups.back().name), QString("layer4.2"));
    // conv1/bn/relu, conv2/bn/relu, conv3/bn, downsample/bn, add, relu
    QCOMPARE(groups.front().members.size(), size_t(12));
    QCOMPARE(groups[1].members.size(), size_t(10)); // no downsample
}

void TestOverview::bottleneckFiguresAreTorchvisions()
{
    const core::Network net = core::loadZoo("resnet50").value();
    const core::AnalysisResult a = core::analyze(net);
    const auto groups = core::inferBlockGroups(net);
    const core::GroupFigures f = core::groupFigures(net, a, groups.front());
    // sum(p.numel() for p in torchvision.models.resnet50().layer1[0].parameters()):
    // 1×1 64→64 (4,096) + 3×3 64→64 (36,864) + 1×1 64→256 (16,384) + downsample 1×1 64→256 (16,384)
    // + BatchNorm γ,β: 2·(64 + 64 + 256 + 256) = 1,280  →  75,008
    QCOMPARE(f.sums.params, int64_t(75008));
    QCOMPARE(f.inputs.size(), size_t(1));
    QCOMPARE(QString::fromStdString(f.inputs.front().toString()), QString("64×56×56"));
    QCOMPARE(f.outputs.size(), size_t(1));
    QCOMPARE(QString::fromStdString(f.outputs.front().toString()), QString("256×56×56"));
    // MACs at batch 1: 56·56·(4,096 + 36,864 + 16,384 + 16,384) = 231,211,008 for the convolutions;
    // the core adds what it counts for BatchNorm/ReLU/Add (none of them multiply-accumulate).
    QVERIFY(f.sums.macs >= int64_t(231211008));
}

void TestOverview::fitShowsEveryBlockReadably_data()
{
    QTest::addColumn<QString>("zoo");
    QTest::newRow("resnet50") << "resnet50";
    QTest::newRow("vit_tiny") << "vit_tiny";
}

void TestOverview::fitShowsEveryBlockReadably()
{
    QFETCH(QString, zoo);
    auto d = open(qPrintable(zoo));
    QVERIFY(d->scene().overview()); // a large design opens as its blocks
    d->w().findChild<QAction*>("fitAction")->trigger();
    QApplication::processEvents();
    const QRect seen = d->viewport()->rect();
    int blocks = 0;
    for (const core::BlockGroup& g : d->scene().blockGroups()) {
        widgets::NodeItem* item = d->scene().groupItem(g.name);
        QVERIFY2(item && item->isVisible(), g.name.c_str());
        QCOMPARE(item->titleText(), QString::fromStdString(g.name));
        // The title's font is in scene units: on screen it is its pixel size times the zoom.
        const double titlePx = d->view().zoom() * item->titleFont().pixelSize();
        QVERIFY2(titlePx >= 9, qPrintable(QString("%1: title %2 px at zoom %3")
                                              .arg(QString::fromStdString(g.name))
                                              .arg(titlePx)
                                              .arg(d->view().zoom())));
        const QRect on = d->view().mapFromScene(item->sceneBoundingRect()).boundingRect();
        QVERIFY2(seen.contains(on), qPrintable(QString::fromStdString(g.name) + " outside the view"));
        ++blocks;
    }
    QVERIFY(blocks >= 12);
    // Every other layer that is still shown is in view too.
    for (const core::Node& n : d->net().nodes())
        if (widgets::NodeItem* item = d->scene().nodeItem(n.id); item->isVisible())
            QVERIFY2(seen.contains(d->view().mapFromScene(item->sceneBoundingRect()).boundingRect()),
                     n.name.c_str());
}

void TestOverview::fitWorksOnAFreshWindow()
{
    // The first Fit after start must frame the design even though nothing was clicked and the docks
    // settled after the first framing.
    auto d = open("mcu_cnn");
    QVERIFY(!d->scene().overview()); // small: opened expanded
    d->view().setZoom(2.5);
    d->w().findChild<QAction*>("fitAction")->trigger();
    d->w().resize(1600, 990); // docks settling
    QApplication::processEvents();
    const QRect on = d->view().mapFromScene(d->scene().designRect()).boundingRect();
    QVERIFY2(d->viewport()->rect().contains(on), "design not in view after Fit");
}

void TestOverview::doubleClickOpensABlock()
{
    auto d = open("resnet18");
    QVERIFY(d->scene().isGroupCollapsed("layer2.0"));
    widgets::NodeItem* item = d->scene().groupItem("layer2.0");
    QVERIFY(item);
    d->view().centerOn(item);
    QApplication::processEvents();
    const QPoint at = d->view().mapFromScene(item->pos());
    QTest::mouseDClick(d->viewport(), Qt::LeftButton, {}, at);
    QApplication::processEvents();
    QVERIFY(!d->scene().isGroupCollapsed("layer2.0"));
    QVERIFY(d->scene().isGroupCollapsed("layer2.1"));
    QVERIFY(d->item("layer2.0.conv2")->isVisible());
    QVERIFY(!d->item("layer2.1.conv2")->isVisible());
}

void TestOverview::collapsedBlockTakesItsEdges()
{
    auto d = open("resnet18");
    const core::BlockGroup* g = group(*d, "layer1.0");
    QVERIFY(g);
    widgets::NodeItem* block = d->scene().groupItem("layer1.0");
    // The edge from the stem's maxpool into the block ends at the block's input port.
    for (const core::Edge& e : d->net().edges()) {
        if (d->net().node(e.from)->name != "maxpool")
            continue;
        widgets::EdgeItem* edge = d->scene().edgeItem(e.id);
        QVERIFY(edge->isVisible());
        QVERIFY(QLineF(edge->path().pointAtPercent(1), block->inputPortPos(0)).length() < 1.0);
    }
    // Edges inside the block are hidden.
    for (const core::Edge& e : d->net().edges()) {
        const std::string from = d->net().node(e.from)->name, to = d->net().node(e.to)->name;
        if (core::blockOf(from) == "layer1.0" && core::blockOf(to) == "layer1.0")
            QVERIFY2(!d->scene().edgeItem(e.id)->isVisible(), (from + "→" + to).c_str());
    }
}

void TestOverview::minimapMovesTheView()
{
    auto d = open("resnet50");
    d->scene().setAllGroupsCollapsed(false);
    d->view().setZoom(1.0);
    d->view().centerOn(d->item("conv1"));
    QApplication::processEvents();
    widgets::Minimap* map = d->view().minimap();
    QVERIFY(map->isVisible()); // the design is far larger than the view
    // A click on the map where the last layer is brings it into view.
    widgets::NodeItem* fc = d->item("fc");
    const QPoint target = map->toMap(fc->pos()).toPoint();
    QTest::mouseClick(map, Qt::LeftButton, {}, target);
    QApplication::processEvents();
    const QRect on = d->view().mapFromScene(fc->sceneBoundingRect()).boundingRect();
    QVERIFY(d->viewport()->rect().intersects(on));
}

void TestOverview::appendedLayerIsScrolledIntoView()
{
    Designer d;
    d.w().resize(1600, 1000);
    d.load(core::loadZoo("mcu_cnn").value());
    d.view().setZoom(1.0);
    d.view().centerOn(d.item("input"));
    d.w().selection().set({d.id("fc")});
    QApplication::processEvents();
    const int before = int(d.net().nodes().size());
    emit d.w().palette()->activated(0);
    QApplication::processEvents();
    QCOMPARE(int(d.net().nodes().size()), before + 1);
    widgets::NodeItem* added = d.scene().nodeItem(d.w().selection().current());
    QVERIFY(added);
    const QRect on = d.view().mapFromScene(added->sceneBoundingRect()).boundingRect();
    QVERIFY2(d.viewport()->rect().contains(on), "the new layer is off-screen");
}

QTEST_MAIN(TestOverview)
#include "tst_overview.moc"

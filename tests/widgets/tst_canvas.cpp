// tst_canvas: the node editor driven as a user would — drop from the palette, double-click to append,
// drag to connect (and be refused), move, select, delete, copy/paste, zoom, colour and mark by cost.
#include "DesignerFixture.h"

#include "core/BlockTemplates.h"
#include "core/Catalogue.h"
#include "core/ModelBuilder.h"
#include "core/Zoo.h"
#include "widgets/PaletteWidget.h"

#include <QAction>
#include <QClipboard>
#include <QLineEdit>
#include <QMimeData>
#include <QScrollBar>
#include <QTreeWidget>
#include <QtTest>

using namespace nc;
using nc::test::Designer;

namespace {

int paletteIndex(std::string_view label)
{
    const auto p = core::Catalogue::instance().palette();
    for (size_t i = 0; i < p.size(); ++i)
        if (p[i].label == label)
            return static_cast<int>(i);
    return -1;
}

} // namespace

class TestCanvas : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() { test::isolateApplication(); }

    void dropFromPaletteAddsLayerWhereDropped();
    void doubleClickAppendsAfterSelectedLayer();
    void searchFiltersPalette();
    void decoderBlockFromPaletteIsOneUndo();
    void dragFromOutputToInputConnects();
    void splitOutputsAreSeparatePorts();
    void refusedConnectionsExplainWhy_data();
    void refusedConnectionsExplainWhy();
    void draggingAnEdgeOffItsPortDisconnects();
    void wholeDragIsOneUndoableMove();
    void rubberBandAndCtrlClickSelect();
    void deleteKeyRemovesLayerAndEdges();
    void clickedEdgeIsDeletedAlone();
    void latencyColouringUsesMeasuredTimes();
    void copyPasteKeepsInnerEdges();
    void wheelZoomsAroundCursor();
    void fitShowsWholeDesign();
    void edgeShowsShapeAndTurnsRedOnMismatch();
    void costColourFollowsToolbarToggle();
    void overBudgetLayersAreMarked();
    void chartSelectionCentresCanvas();
    void autoLayoutKeepsResidualMainPathStraight();
};

void TestCanvas::dropFromPaletteAddsLayerWhereDropped()
{
    Designer d;
    const int conv = paletteIndex("Conv2d");
    QVERIFY(conv >= 0);
    // The drag carries what the palette tree itself produces for the row.
    QTreeWidgetItem* row = d.w().palette()->itemFor(conv);
    QVERIFY(row);
    QTreeWidget* tree = d.w().palette()->tree();
    std::unique_ptr<QMimeData> mime(tree->model()->mimeData({tree->indexFromItem(row)}));
    QVERIFY(mime);

    const QPointF target(300, 200);
    const QPoint pos = d.at(target);
    QDragEnterEvent enter(pos, Qt::CopyAction, mime.get(), Qt::LeftButton, {});
    QApplication::sendEvent(d.viewport(), &enter);
    QVERIFY(enter.isAccepted());
    QDragMoveEvent move(pos, Qt::CopyAction, mime.get(), Qt::LeftButton, {});
    QApplication::sendEvent(d.viewport(), &move);
    QVERIFY(move.isAccepted());
    QDropEvent drop(pos, Qt::CopyAction, mime.get(), Qt::LeftButton, {});
    QApplication::sendEvent(d.viewport(), &drop);

    QCOMPARE(d.net().nodes().size(), size_t(2));
    const core::Node& added = d.net().nodes().back();
    QCOMPARE(added.type, core::LayerType::Conv2d);
    QVERIFY(std::abs(added.x - target.x()) <= 2 && std::abs(added.y - target.y()) <= 2);
    QVERIFY(d.scene().nodeItem(added.id));
    QCOMPARE(d.w().selection().current(), added.id);
    QCOMPARE(d.w().undoStack().count(), 1);
}

void TestCanvas::doubleClickAppendsAfterSelectedLayer()
{
    Designer d;
    d.w().selection().set({d.id("input")});
    QTreeWidget* tree = d.w().palette()->tree();
    QTreeWidgetItem* row = d.w().palette()->itemFor(paletteIndex("Conv2d"));
    tree->scrollToItem(row);
    const QPoint p = tree->visualItemRect(row).center();
    // A double-click is a click followed by a double-click event on the same row.
    QTest::mouseClick(tree->viewport(), Qt::LeftButton, {}, p);
    QTest::mouseDClick(tree->viewport(), Qt::LeftButton, {}, p);

    QCOMPARE(d.net().nodes().size(), size_t(2));
    QCOMPARE(d.net().edges().size(), size_t(1));
    // A copy: the append below may reallocate the node list (a reference would dangle).
    const core::Node conv = d.net().nodes().back();
    QCOMPARE(d.net().edges().front().from, d.id("input"));
    QCOMPARE(d.net().edges().front().to, conv.id);
    QVERIFY(conv.y > d.net().nodes().front().y);
    QCOMPARE(d.w().selection().current(), conv.id);
    QCOMPARE(d.item(conv.name)->look().shapeText, QString("64×224×224"));

    // Appending again continues the chain from the new layer.
    QTest::mouseClick(tree->viewport(), Qt::LeftButton, {}, p);
    QTest::mouseDClick(tree->viewport(), Qt::LeftButton, {}, p);
    QCOMPARE(d.net().edges().back().from, conv.id);
}

void TestCanvas::searchFiltersPalette()
{
    Designer d;
    widgets::PaletteWidget* p = d.w().palette();
    const size_t all = p->visibleEntries().size();
    QCOMPARE(all, core::Catalogue::instance().palette().size() + core::blockTemplates().size());
    QTest::keyClicks(p->searchField(), "depthw");
    const auto shown = p->visibleEntries();
    QCOMPARE(shown.size(), size_t(1));
    QCOMPARE(shown.front(), paletteIndex("Depthwise Conv2d"));
    // Enter appends the first match.
    d.w().selection().set({d.id("input")});
    QTest::keyClick(p->searchField(), Qt::Key_Return);
    QCOMPARE(d.net().nodes().back().type, core::LayerType::DepthwiseConv2d);
    p->searchField()->clear();
    QCOMPARE(p->visibleEntries().size(), all);
}

void TestCanvas::decoderBlockFromPaletteIsOneUndo()
{
    Designer d;
    core::ModelBuilder b("tokens");
    b.input({16, 64}, "tokens");
    d.load(b.finish());
    d.w().selection().set({d.id("tokens")});
    const int index = static_cast<int>(core::Catalogue::instance().palette().size());
    QTreeWidget* tree = d.w().palette()->tree();
    QTreeWidgetItem* row = d.w().palette()->itemFor(index);
    QVERIFY(row);
    QCOMPARE(row->text(0), QString("Transformer decoder block (pre-norm)"));
    // Found by searching, then double-clicked as a user would.
    QTest::keyClicks(d.w().palette()->searchField(), "decoder");
    QCOMPARE(d.w().palette()->visibleEntries(), std::vector<int>{index});
    tree->scrollToItem(row);
    const QPoint p = tree->visualItemRect(row).center();
    QTest::mouseClick(tree->viewport(), Qt::LeftButton, {}, p);
    QTest::mouseDClick(tree->viewport(), Qt::LeftButton, {}, p);

    QCOMPARE(d.net().nodes().size(), size_t(7));
    QCOMPARE(d.net().edges().size(), size_t(8));
    QCOMPARE(d.w().undoStack().count(), 1);
    for (const char* name : {"block0.ln_1", "block0.attn", "block0.add_1", "block0.ln_2", "block0.mlp", "block0.add_2"}) {
        widgets::NodeItem* item = d.item(name);
        QVERIFY2(item, name);
        // The drawn title is the name, or its last components when the whole does not fit.
        const QString suffix = QString(name).section('.', 1);
        QVERIFY2(item->titleText().endsWith(suffix), qPrintable(item->titleText()));
    }
    // 12·D² + 13·D = 12·4,096 + 832 = 49,984 parameters (hand arithmetic in tst_block_templates).
    QCOMPARE(d.doc().analysis().totals.params, int64_t(49984));
    QCOMPARE(d.w().selection().current(), d.id("block0.add_2"));
    // One collapsible block.
    QCOMPARE(d.scene().blockGroups().size(), size_t(1));
    QCOMPARE(d.scene().blockGroups().front().name, std::string("block0"));
    d.scene().setGroupCollapsed("block0", true);
    QVERIFY(d.scene().groupItem("block0"));
    d.scene().setGroupCollapsed("block0", false);

    d.w().undoStack().undo();
    QCOMPARE(d.net().nodes().size(), size_t(1));
    QCOMPARE(d.net().edges().size(), size_t(0));
}

void TestCanvas::dragFromOutputToInputConnects()
{
    Designer d;
    core::Network n = test::smallNet();
    // Disconnect conv → relu so the user can connect it.
    n.removeEdge(n.edges().back().id);
    d.load(std::move(n));
    QCOMPARE(d.item("relu")->look().state, widgets::NodeLook::State::Error); // input not connected
    const int before = d.w().undoStack().count();

    d.drag(d.item("conv")->outputPortPos(), d.item("relu")->inputPortPos(0));

    QCOMPARE(d.net().edges().size(), size_t(2));
    QCOMPARE(d.net().edges().back().from, d.id("conv"));
    QCOMPARE(d.net().edges().back().to, d.id("relu"));
    QCOMPARE(d.w().undoStack().count(), before + 1);
    QCOMPARE(d.item("relu")->look().shapeText, QString("64×30×30"));
    QVERIFY(!d.item("relu")->hasErrorBadge());
}

// A Split draws one output port per piece; dragging from the second port feeds that piece (4 of the
// 6 channels) to the next layer, whose shape and parameters follow: 3·4 + 3 = 15.
void TestCanvas::splitOutputsAreSeparatePorts()
{
    Designer d;
    core::ModelBuilder b("split");
    core::NodeId x = b.input({6, 8, 8}, "input");
    core::LayerParams sp = b.defaults(core::LayerType::Split);
    sp.dims = core::Shape{2, 4};
    b.layer(core::LayerType::Split, sp, {x}, "split");
    core::LayerParams cp = b.defaults(core::LayerType::Conv2d);
    cp.features = 3;
    cp.kh = cp.kw = 1;
    cp.pt = cp.pb = cp.pl = cp.pr = 0;
    b.layer(core::LayerType::Conv2d, cp, {}, "head");
    d.load(b.finish());
    widgets::NodeItem* split = d.item("split");
    QCOMPARE(split->look().outputs, 2);
    // The two ports sit apart along the bottom edge, left to right.
    QVERIFY(split->outputPortPos(1).x() - split->outputPortPos(0).x() > 2 * widgets::NodeItem::kPortRadius);
    QCOMPARE(split->outputPortPos(0).y(), split->outputPortPos(1).y());

    d.drag(split->outputPortPos(1), d.item("head")->inputPortPos(0));

    QCOMPARE(d.net().edges().back().fromPort, 1);
    QCOMPARE(d.item("head")->look().shapeText, QString("3×8×8"));
    QCOMPARE(d.doc().analysis().layer(d.id("head"), d.net())->params, int64_t(15));
}

void TestCanvas::refusedConnectionsExplainWhy_data()
{
    QTest::addColumn<QString>("from");
    QTest::addColumn<QString>("to");
    QTest::addColumn<QString>("reason");
    QTest::newRow("cycle") << "relu"
                           << "m"
                           << "cycle";
    QTest::newRow("second edge into a single input") << "input"
                                                     << "relu"
                                                     << "already connected";
    QTest::newRow("self-loop") << "conv"
                               << "conv"
                               << "cannot feed itself";
    QTest::newRow("into an input layer") << "relu"
                                         << "input"
                                         << "takes no input";
}

void TestCanvas::refusedConnectionsExplainWhy()
{
    QFETCH(QString, from);
    QFETCH(QString, to);
    QFETCH(QString, reason);
    Designer d;
    // input → m (an Add with port 1 free) → conv → relu: relu → m would close a cycle.
    core::ModelBuilder b("refusals");
    core::NodeId x = b.input({8, 16, 16});
    core::NodeId m = b.layer(core::LayerType::Add, b.defaults(core::LayerType::Add), {x}, "m");
    b.relu(b.conv(x = m, 8, 3, 1, 1, 1, true, "conv"), "relu");
    core::Network n = b.finish();
    n.node(m)->params.inputs = 2;
    d.load(std::move(n));
    const auto edges = d.net().edges();
    const int before = d.w().undoStack().count();

    // Aim at the body, not a port: the canvas picks the first free port, or port 0 when all are taken.
    widgets::NodeItem* target = d.item(to.toStdString());
    d.drag(d.item(from.toStdString())->outputPortPos(), target->pos());

    QCOMPARE(d.net().edges(), edges);
    QCOMPARE(d.w().undoStack().count(), before);
    QVERIFY2(d.status().contains(reason), qPrintable(d.status()));
}

void TestCanvas::draggingAnEdgeOffItsPortDisconnects()
{
    Designer d;
    d.load(test::smallNet());
    const QPointF port = d.item("relu")->inputPortPos(0);
    d.drag(port, port + QPointF(250, 80)); // onto empty canvas
    QCOMPARE(d.net().edges().size(), size_t(1));
    QVERIFY(d.item("relu")->hasErrorBadge());
    d.w().undoStack().undo();
    QCOMPARE(d.net().edges().size(), size_t(2));
    QVERIFY(!d.item("relu")->hasErrorBadge());
}

void TestCanvas::wholeDragIsOneUndoableMove()
{
    Designer d;
    d.load(test::smallNet());
    const core::Node before = *d.net().node(d.id("conv"));
    const QPointF grab = d.item("conv")->pos() + QPointF(-40, 0); // on the body, away from ports
    const int commands = d.w().undoStack().count();
    d.drag(grab, grab + QPointF(120, 40));

    QCOMPARE(d.w().undoStack().count(), commands + 1);
    const core::Node* after = d.net().node(d.id("conv"));
    QCOMPARE(after->x, before.x + 120);
    QCOMPARE(after->y, before.y + 40);
    // Edges followed the node.
    const core::EdgeId in = d.net().edgesOf(d.id("conv")).front();
    QVERIFY(d.scene().edgeItem(in)->boundingRect().contains(d.item("conv")->inputPortPos(0)));
    d.w().undoStack().undo();
    QCOMPARE(d.net().node(d.id("conv"))->x, before.x);
    QCOMPARE(d.item("conv")->pos(), QPointF(before.x, before.y));
}

void TestCanvas::rubberBandAndCtrlClickSelect()
{
    Designer d;
    d.load(test::smallNet());
    // Rubber band from empty space around conv and relu.
    const QRectF r = d.item("conv")->sceneBoundingRect() | d.item("relu")->sceneBoundingRect();
    d.drag(r.topLeft() + QPointF(-60, -20), r.bottomRight() + QPointF(60, 20));
    QCOMPARE(d.w().selection().ids().size(), size_t(2));
    QVERIFY(d.w().selection().contains(d.id("conv")) && d.w().selection().contains(d.id("relu")));

    // Ctrl+click adds the input; a plain click selects only it.
    QTest::mouseClick(d.viewport(), Qt::LeftButton, Qt::ControlModifier, d.at(d.item("input")->pos()));
    QCOMPARE(d.w().selection().ids().size(), size_t(3));
    QCOMPARE(d.w().selection().current(), d.id("input"));
    QTest::mouseClick(d.viewport(), Qt::LeftButton, {}, d.at(d.item("relu")->pos()));
    QCOMPARE(d.w().selection().ids(), std::vector<core::NodeId>{d.id("relu")});
}

void TestCanvas::deleteKeyRemovesLayerAndEdges()
{
    Designer d;
    d.load(test::smallNet());
    const core::NodeId conv = d.id("conv");
    QTest::mouseClick(d.viewport(), Qt::LeftButton, {}, d.at(d.item("conv")->pos()));
    QTest::keyClick(d.viewport(), Qt::Key_Delete);
    QCOMPARE(d.net().nodes().size(), size_t(2));
    QVERIFY(d.net().edges().empty());
    QVERIFY(!d.scene().nodeItem(conv));
    QVERIFY(d.w().selection().ids().empty());
    QVERIFY(d.item("relu")->hasErrorBadge());
    QTest::keyClick(d.viewport(), Qt::Key_Z, Qt::ControlModifier);
    QCOMPARE(d.net(), test::smallNet());
}

void TestCanvas::clickedEdgeIsDeletedAlone()
{
    Designer d;
    d.load(test::smallNet());
    const core::EdgeId e = d.net().edgeInto(d.id("relu"), 0)->id;
    QTest::mouseClick(d.viewport(), Qt::LeftButton, {}, d.at(d.scene().edgeItem(e)->midpoint()));
    QCOMPARE(d.scene().selectedEdges(), std::vector<core::EdgeId>{e});
    QVERIFY(d.w().selection().ids().empty());
    QTest::keyClick(d.viewport(), Qt::Key_Delete);
    QCOMPARE(d.net().nodes().size(), size_t(3));
    QCOMPARE(d.net().edges().size(), size_t(1));
    QVERIFY(!d.scene().edgeItem(e));
    d.w().undoStack().undo();
    QCOMPARE(d.net(), test::smallNet());
}

void TestCanvas::latencyColouringUsesMeasuredTimes()
{
    Designer d;
    d.load(test::smallNet());
    // What the kernel runner will hand over: seconds per layer.
    d.scene().setLayerLatencies({{d.id("conv"), 0.004}, {d.id("relu"), 0.001}});
    d.w().viewOptions().setCostColour(widgets::CostColour::Latency);
    QCOMPARE(d.item("conv")->look().fill, widgets::heatColour(1));
    QCOMPARE(d.item("relu")->look().fill, widgets::heatColour(0.25));
    QCOMPARE(d.item("conv")->look().costText, QString("4 ms"));
    QCOMPARE(d.item("conv")->look().share, 0.8);
}

void TestCanvas::copyPasteKeepsInnerEdges()
{
    Designer d;
    d.load(test::smallNet());
    d.w().selection().set({d.id("conv"), d.id("relu")});
    QTest::keyClick(d.viewport(), Qt::Key_C, Qt::ControlModifier);
    QVERIFY(QApplication::clipboard()->mimeData()->hasFormat(widgets::Editor::kClipboardMime));
    QTest::keyClick(d.viewport(), Qt::Key_V, Qt::ControlModifier);

    QCOMPARE(d.net().nodes().size(), size_t(5));
    QCOMPARE(d.net().edges().size(), size_t(3)); // the pasted conv → relu, not input → conv
    const core::Node& conv2 = d.net().nodes()[3];
    const core::Node& relu2 = d.net().nodes()[4];
    QCOMPARE(conv2.type, core::LayerType::Conv2d);
    QVERIFY(conv2.name != "conv" && relu2.name != "relu");
    QCOMPARE(d.net().edges().back().from, conv2.id);
    QCOMPARE(d.net().edges().back().to, relu2.id);
    QCOMPARE(d.w().selection().ids().size(), size_t(2));
    d.w().undoStack().undo();
    QCOMPARE(d.net(), test::smallNet());
}

void TestCanvas::wheelZoomsAroundCursor()
{
    Designer d;
    d.load(test::smallNet());
    const QPoint cursor = d.at(d.item("conv")->pos()) + QPoint(30, 10);
    const QPointF under = d.view().mapToScene(cursor);
    const double z0 = d.view().zoom();
    QWheelEvent wheel(cursor, d.viewport()->mapToGlobal(cursor), {}, QPoint(0, 240), Qt::NoButton, {},
                      Qt::NoScrollPhase, false);
    QApplication::sendEvent(d.viewport(), &wheel);
    QVERIFY(d.view().zoom() > z0 * 1.2);
    const QPointF still = d.view().mapToScene(cursor);
    QVERIFY2(QLineF(under, still).length() < 3, "the point under the cursor stays put");
}

void TestCanvas::fitShowsWholeDesign()
{
    Designer d;
    QVERIFY(d.w().openZoo("resnet50"));
    d.w().findChild<QAction*>("fitAction")->trigger();
    const QRectF visible = d.view().mapToScene(d.viewport()->rect()).boundingRect();
    QVERIFY(visible.contains(d.scene().designRect()));
}

void TestCanvas::edgeShowsShapeAndTurnsRedOnMismatch()
{
    Designer d;
    core::ModelBuilder b("add");
    core::NodeId x = b.input({8, 16, 16});
    core::NodeId a = b.conv(x, 8, 3, 1, 1, 1, true, "a");
    core::NodeId c = b.conv(x, 8, 3, 1, 1, 1, true, "c");
    b.add({a, c}, "sum");
    d.load(b.finish());
    const core::Edge* into = d.net().edgeInto(d.id("sum"), 1);
    widgets::EdgeItem* edge = d.scene().edgeItem(into->id);
    QCOMPARE(edge->shapeText(), QString("8×16×16"));
    QVERIFY(!edge->isRejected());

    // Make one branch 16 channels wide: the Add rejects it; both its inputs turn red.
    core::LayerParams p = d.net().node(d.id("c"))->params;
    p.features = 16;
    QVERIFY(d.w().editor().setNode(d.id("c"), p, "c"));
    QCOMPARE(edge->shapeText(), QString("16×16×16"));
    QVERIFY(edge->isRejected());
    QVERIFY(d.item("sum")->hasErrorBadge());
    QVERIFY(d.scene().toolTipFor(d.id("sum")).contains("matching channels and stride on both paths"));
    d.w().undoStack().undo();
    QVERIFY(!edge->isRejected());
    QVERIFY(!d.item("sum")->hasErrorBadge());
}

void TestCanvas::costColourFollowsToolbarToggle()
{
    Designer d;
    d.load(test::smallNet());
    // By activation memory the relu (in place) stores nothing, the conv stores the most.
    QCOMPARE(d.item("relu")->look().fill, widgets::heatColour(0));
    QCOMPARE(d.item("conv")->look().fill, widgets::heatColour(1));
    d.w().findChild<QAction*>("colourParams")->trigger();
    QCOMPARE(d.w().viewOptions().costColour(), widgets::CostColour::Params);
    QCOMPARE(d.item("input")->look().fill, widgets::heatColour(0));
    QCOMPARE(d.item("conv")->look().fill, widgets::heatColour(1));
    QVERIFY(d.item("conv")->look().costText.contains("params"));
    QCOMPARE(d.item("conv")->look().share, 1.0);
}

void TestCanvas::overBudgetLayersAreMarked()
{
    Designer d;
    QVERIFY(d.w().openZoo("resnet18"));
    d.scene().setAllGroupsCollapsed(false); // per-layer marks (tst_overview covers blocks)
    d.w().viewOptions().setBudgetBytes(1024 * 1024);
    int marked = 0;
    for (const core::LayerResult& r : d.doc().analysis().layers) {
        const bool over = r.liveBytes > 1024 * 1024;
        QCOMPARE(d.scene().nodeItem(r.id)->look().overBudget, over);
        marked += over;
    }
    QVERIFY(marked > 0 && marked < static_cast<int>(d.net().nodes().size()));
    QCOMPARE(d.w().budgetCombo()->currentText(), QString("1 MiB"));
    d.w().viewOptions().setBudgetBytes(0);
    for (const core::LayerResult& r : d.doc().analysis().layers)
        QVERIFY(!d.scene().nodeItem(r.id)->look().overBudget);
}

void TestCanvas::chartSelectionCentresCanvas()
{
    Designer d;
    QVERIFY(d.w().openZoo("resnet18"));
    d.scene().setAllGroupsCollapsed(false); // layer by layer, the design is taller than the view
    d.view().setZoom(1.0);
    d.view().centerOn(d.item("input"));
    // A layer already in full view is selected without moving the canvas (a small design keeps its
    // framing; centring on it cut the top node off).
    const QPoint scroll(d.view().horizontalScrollBar()->value(), d.view().verticalScrollBar()->value());
    const core::NodeId second = d.net().nodes()[1].id;
    QVERIFY(d.view().mapToScene(d.viewport()->rect()).boundingRect().contains(
        d.scene().nodeItem(second)->sceneBoundingRect()));
    d.w().selection().set({second}, true);
    QVERIFY(d.scene().nodeItem(second)->isSelected());
    QCOMPARE(QPoint(d.view().horizontalScrollBar()->value(), d.view().verticalScrollBar()->value()), scroll);
    const core::NodeId last = d.net().nodes().back().id;
    QVERIFY(
        !d.view().mapToScene(d.viewport()->rect()).boundingRect().contains(d.scene().nodeItem(last)->pos()));
    d.w().selection().set({last}, true); // as a chart does
    QVERIFY(d.scene().nodeItem(last)->isSelected());
    const QPointF centre = d.view().mapToScene(d.viewport()->rect().center());
    QVERIFY(QLineF(centre, d.scene().nodeItem(last)->pos()).length() < 60);
}

void TestCanvas::autoLayoutKeepsResidualMainPathStraight()
{
    Designer d;
    auto net = core::loadZoo("resnet18");
    QVERIFY(net);
    // Scramble the positions, then lay out from the toolbar.
    for (const core::Node& n : net->nodes())
        if (core::Node* m = net->node(n.id))
            m->x = (n.id.v * 37) % 500, m->y = (n.id.v * 53) % 700;
    d.load(std::move(*net));
    const int commands = d.w().undoStack().count();
    d.w().findChild<QAction*>("layoutAction")->trigger();
    QCOMPARE(d.w().undoStack().count(), commands + 1);
    // Each residual Add sits in the column of its main path (port 0) and below it.
    for (const core::Node& n : d.net().nodes()) {
        if (n.type != core::LayerType::Add)
            continue;
        const core::Node* main = d.net().node(d.net().edgeInto(n.id, 0)->from);
        QCOMPARE(main->x, n.x);
        QVERIFY(main->y < n.y);
        QCOMPARE(d.scene().nodeItem(n.id)->pos(), QPointF(n.x, n.y));
    }
    d.w().undoStack().undo();
    QCOMPARE(d.net().nodes().front().x, double((1 * 37) % 500));
}

QTEST_MAIN(TestCanvas)
#include "tst_canvas.moc"

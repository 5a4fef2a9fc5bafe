// tst_canvaslayout: the canvas read at a glance — groups the user makes and collapses, edges that do
// not pass over layers they do not join, a canvas that stays usable with every right-hand panel open,
// and palette entries that can be read whole. Driven at the default 1600×1000 window.
#include "DesignerFixture.h"

#include "core/BlockGroups.h"
#include "widgets/PaletteWidget.h"
#include "widgets/Selection.h"
#include "widgets/ViewOptions.h"

#include <QDockWidget>
#include <QInputDialog>
#include <QTimer>
#include <QTreeWidget>

using namespace nc;
using namespace nc::test;

class TestCanvasLayout : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() { isolateApplication(); }
    void userGroupCollapsesToSummedFigures();
    void edgesAvoidUnrelatedLayers_data();
    void edgesAvoidUnrelatedLayers();
    void canvasStaysUsableWithEveryRightPanel();
    void paletteEntriesAreReadableWhole();

private:
    static std::unique_ptr<Designer> window()
    {
        // Shown at 1600×1000 from the start, as the application opens.
        auto d = std::make_unique<Designer>(false, 0, QSize(1600, 1000));
        QTest::qWait(50); // the dock layout preset settles on the first event-loop turns
        return d;
    }
    static void click(Designer& d, const std::string& name, Qt::KeyboardModifiers mods = {})
    {
        QTest::mouseClick(d.viewport(), Qt::LeftButton, mods, d.at(d.item(name)->pos() + QPointF(0, -12)));
        QApplication::processEvents();
    }
};

// input 3×32×32 → c1 (16, 3×3, pad 1) → r1 → c2 (32, 3×3, pad 1) → r2; c1, r1, c2 grouped.
void TestCanvasLayout::userGroupCollapsesToSummedFigures()
{
    auto d = window();
    core::ModelBuilder b("groups");
    core::NodeId x = b.input({3, 32, 32});
    x = b.conv(x, 16, 3, 1, 1, 1, true, "c1");
    x = b.relu(x, "r1");
    x = b.conv(x, 32, 3, 1, 1, 1, true, "c2");
    x = b.relu(x, "r2");
    d->load(b.finish());
    QVERIFY(d->scene().blockGroups().empty()); // no dotted names: nothing inferred

    // Select as a user does: click, then Ctrl+click.
    click(*d, "c1");
    click(*d, "r1", Qt::ControlModifier);
    click(*d, "c2", Qt::ControlModifier);
    QCOMPARE(d->w().selection().ids().size(), size_t(3));

    // Ctrl+G asks for a name; the user types "stem".
    bool asked = false;
    QString suggested;
    QTimer::singleShot(0, this, [&] {
        auto* dialog = qobject_cast<QInputDialog*>(QApplication::activeModalWidget());
        if (!dialog)
            return;
        asked = true;
        suggested = dialog->textValue();
        dialog->setTextValue("stem");
        dialog->accept();
    });
    QTest::keyClick(d->viewport(), Qt::Key_G, Qt::ControlModifier);
    QApplication::processEvents();
    QVERIFY(asked);
    QCOMPARE(suggested, QString("group1"));
    // Keyboard shortcuts go to the active window, which the closed dialog handed back.
    d->w().activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(&d->w()));
    QCOMPARE(d->net().groups.size(), size_t(1));
    QCOMPARE(d->scene().blockGroups().size(), size_t(1));
    QVERIFY(d->scene().blockGroups()[0].user);
    QAction* undo = d->w().findChild<QAction*>("undoAction");
    QVERIFY(undo);
    QCOMPARE(undo->text(), QString("&Undo Group stem"));

    d->w().viewOptions().setCostColour(widgets::CostColour::Params);
    d->scene().setGroupCollapsed("stem", true);
    QApplication::processEvents();
    widgets::NodeItem* g = d->scene().groupItem("stem");
    QVERIFY(g && g->isVisible());
    QVERIFY(!d->item("r1")->isVisible());
    QVERIFY(!d->item("c2")->isVisible());
    QVERIFY(d->item("r2")->isVisible());
    QCOMPARE(g->look().name, QString("stem"));
    // In 3×32×32; out of c2 32×32×32.
    QCOMPARE(g->look().detail, QString("Group · 3 layers  3×32×32 →"));
    QCOMPARE(g->look().shapeText, QString("32×32×32"));
    // Params: c1 16·3·3·3 + 16 = 448; c2 32·16·3·3 + 32 = 4,640; r1 none: 5,088.
    QCOMPARE(g->look().costText, QString("5.09 K params"));
    // MACs: c1 16·32·32 outputs × 27 = 442,368; c2 32·32·32 × 144 = 4,718,592; sum 5,160,960.
    const QString tip = d->scene().toolTipFor(g->id());
    QVERIFY2(tip.contains("params 5.09 K · MACs 5.16 M"), qPrintable(tip));
    QVERIFY2(tip.contains("in: 3×32×32<br>out: 32×32×32"), qPrintable(tip));
    // The edge from the group into r2 leaves the group's item.
    for (const core::Edge& e : d->net().edges())
        if (e.to == d->id("r2"))
            QVERIFY(
                QLineF(d->scene().edgeItem(e.id)->path().pointAtPercent(0), g->outputPortPos(0)).length() <
                1);

    // Undo removes the group (and with it the collapsed node); redo brings it back.
    QTest::keyClick(d->viewport(), Qt::Key_Z, Qt::ControlModifier);
    QApplication::processEvents();
    QVERIFY(d->net().groups.empty());
    QVERIFY(d->scene().blockGroups().empty());
    QVERIFY(d->item("c2")->isVisible());
    QTest::keyClick(d->viewport(), Qt::Key_Z, Qt::ControlModifier | Qt::ShiftModifier);
    QApplication::processEvents();
    QCOMPARE(d->net().groups.size(), size_t(1));

    // Ungroup (Ctrl+Shift+G) with a member selected.
    d->w().selection().set({d->id("c1")});
    QTest::keyClick(d->viewport(), Qt::Key_G, Qt::ControlModifier | Qt::ShiftModifier);
    QApplication::processEvents();
    QVERIFY(d->net().groups.empty());
}

void TestCanvasLayout::edgesAvoidUnrelatedLayers_data()
{
    QTest::addColumn<QString>("design");
    QTest::newRow("resnet18 (skip connections)") << "zoo";
    QTest::newRow("relu1 → add1 past flatten1") << "hand";
}

// No edge passes over a layer that is neither its source nor its target; checked by walking each drawn
// path in 1-unit steps against every other layer's bounding rect.
void TestCanvasLayout::edgesAvoidUnrelatedLayers()
{
    QFETCH(QString, design);
    auto d = window();
    if (design == "zoo") {
        QVERIFY(d->w().openZoo("resnet18"));
        d->scene().setAllGroupsCollapsed(false);
    } else {
        // relu1 feeds flatten1 and, past it, add1: a straight drawing of relu1 → add1 runs through
        // flatten1 and reads as flatten1 → add1.
        core::ModelBuilder b("detour");
        core::NodeId x = b.input({8});
        core::NodeId r = b.relu(x, "relu1");
        core::NodeId f = b.flatten(r, "flatten1");
        b.add({r, f}, "add1");
        core::Network net = b.finish();
        // One column, as a user stacks them.
        for (const char* name : {"input", "relu1", "flatten1", "add1"}) {
            core::Node* n = net.node(net.findByName(name));
            n->x = 0;
        }
        d->load(std::move(net));
    }
    QApplication::processEvents();
    const core::Network& net = d->net();
    int checked = 0;
    for (const core::Edge& e : net.edges()) {
        widgets::EdgeItem* edge = d->scene().edgeItem(e.id);
        if (!edge || !edge->isVisible())
            continue;
        const QPainterPath& path = edge->path();
        const qreal length = path.length();
        for (const core::Node& n : net.nodes()) {
            widgets::NodeItem* item = d->scene().nodeItem(n.id);
            if (n.id == e.from || n.id == e.to || !item->isVisible())
                continue;
            const QRectF r = item->sceneBoundingRect();
            for (qreal s = 0; s <= length; s += 1) {
                const QPointF p = path.pointAtPercent(path.percentAtLength(s));
                if (r.contains(p))
                    QFAIL(qPrintable(QString("%1 → %2 passes over %3 at (%4, %5)")
                                         .arg(QString::fromStdString(net.node(e.from)->name),
                                              QString::fromStdString(net.node(e.to)->name),
                                              QString::fromStdString(n.name))
                                         .arg(p.x())
                                         .arg(p.y())));
            }
        }
        ++checked;
    }
    QVERIFY(checked == static_cast<int>(net.edges().size()));
}

// With all the right-hand panels open the canvas keeps room to work in: opening them takes none of
// its width (the widest, Training and scale, is laid out 659 px wide; it scrolls in its tab instead
// of widening the tab stack to that and leaving the canvas about 720 px).
void TestCanvasLayout::canvasStaysUsableWithEveryRightPanel()
{
    auto d = window();
    QVERIFY(d->w().openZoo("resnet18"));
    const int before = d->view().width();
    QVERIFY2(before >= 900, qPrintable(QString::number(before)));
    int right = 0;
    for (QDockWidget* dock : d->w().findChildren<QDockWidget*>())
        if (d->w().dockWidgetArea(dock) == Qt::RightDockWidgetArea) {
            dock->show();
            ++right;
        }
    QVERIFY(right >= 6);
    QTest::qWait(50);

    QVERIFY2(d->view().width() >= 600, qPrintable(QString::number(d->view().width())));
    // Each right panel, raised in turn, leaves the canvas as wide.
    for (QDockWidget* dock : d->w().findChildren<QDockWidget*>())
        if (d->w().dockWidgetArea(dock) == Qt::RightDockWidgetArea) {
            dock->raise();
            QApplication::processEvents();
            QVERIFY2(d->view().width() >= before - 2,
                     qPrintable(dock->windowTitle() + ": canvas " + QString::number(d->view().width()) +
                                " px, was " + QString::number(before)));
        }
}

// Every palette entry's text fits its row at the default dock width (wrapped, never cut).
void TestCanvasLayout::paletteEntriesAreReadableWhole()
{
    auto d = window();
    auto* tree = d->w().palette()->findChild<QTreeWidget*>("paletteTree");
    QVERIFY(tree);
    const QFontMetrics fm(tree->font());
    bool sawDecoder = false;
    for (int g = 0; g < tree->topLevelItemCount(); ++g)
        for (int c = 0; c < tree->topLevelItem(g)->childCount(); ++c) {
            QTreeWidgetItem* item = tree->topLevelItem(g)->child(c);
            const QString text = item->text(0);
            sawDecoder = sawDecoder || text == "Transformer decoder block (pre-norm)";
            const QRect row = tree->visualItemRect(item);
            QVERIFY(row.width() > 0);
            // The text laid out in the row's width must fit its height
            // (less the style's text margins, 3 px a side), wrapped at word boundaries.
            const QRect needed = fm.boundingRect(QRect(0, 0, row.width() - 6, 10000), Qt::TextWordWrap, text);
            QVERIFY2(needed.width() <= row.width() - 6 && needed.height() <= row.height(),
                     qPrintable(QString("\"%1\" needs %2×%3 in a %4×%5 row")
                                    .arg(text)
                                    .arg(needed.width())
                                    .arg(needed.height())
                                    .arg(row.width())
                                    .arg(row.height())));
        }
    QVERIFY(sawDecoder);
}

QTEST_MAIN(TestCanvasLayout)
#include "tst_canvaslayout.moc"

// Tests the receptive-field explorer as a user drives it: select a layer, click an output position,
// and read the cells drawn on the input grid (the field, the holes of dilation, the padding).
#include "DesignerFixture.h"

#include "widgets/RfExplorer.h"

#include <QDockWidget>

using namespace nc;
using namespace nc::test;

class TestRfExplorer : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() { isolateApplication(); }
    void clickShowsTheDilatedStridedField();
    void selectingAnotherLayerFollows();
    void addingLayersGrowsTheField();
};

namespace {

core::NodeId conv(core::ModelBuilder& b, core::NodeId x, int64_t k, int64_t s, int64_t d, int64_t p,
                  const std::string& name)
{
    core::LayerParams q = b.defaults(core::LayerType::Conv2d);
    q.features = 1;
    q.kh = q.kw = k;
    q.sh = q.sw = s;
    q.dh = q.dw = d;
    q.pt = q.pb = q.pl = q.pr = p;
    return b.layer(core::LayerType::Conv2d, q, {x}, name);
}

// Input 1×16×16 → c1 3×3 stride 2 padding 1 (8×8) → c2 3×3 dilation 2 padding 2 (8×8); the cells
// of every position are worked out in tests/core/tst_receptivefieldmap.cpp.
core::Network stack()
{
    core::ModelBuilder b("stack");
    core::NodeId x = b.input({1, 16, 16});
    x = conv(b, x, 3, 2, 1, 1, "c1");
    conv(b, x, 3, 1, 2, 2, "c2");
    return b.finish();
}

QColor colourAt(widgets::RfGrid* g, int64_t row, int64_t col)
{
    const QRectF r = g->cellRect(row, col);
    // A quarter into the cell: clear of the grid lines and of the centre dots.
    const QPoint p = (r.topLeft() + QPointF(r.width() * 0.25, r.height() * 0.25)).toPoint();
    return g->grab().toImage().pixelColor(p * g->devicePixelRatioF());
}

widgets::RfExplorer* openExplorer(Designer& d)
{
    auto* dock = d.w().findChild<QDockWidget*>("rfExplorerDock");
    dock->show();
    dock->raise();
    QApplication::processEvents();
    return d.w().rfExplorer();
}

} // namespace

// c2, output (0, 1): W cells {−3, −2, −1, 1, 2, 3, 5, 6, 7}, H cells {−5, −4, −3, −1, 0, 1, 3, 4, 5}.
void TestRfExplorer::clickShowsTheDilatedStridedField()
{
    Designer d;
    d.w().resize(1600, 1000);
    d.load(stack());
    widgets::RfExplorer* x = openExplorer(d);
    d.w().selection().set({d.id("c2")});
    QApplication::processEvents();
    QCOMPARE(x->layer(), d.id("c2"));
    widgets::RfGrid* out = x->outputGrid();
    QVERIFY(out->cellSize() >= 8);
    QTest::mouseClick(out, Qt::LeftButton, {}, out->cellRect(0, 1).center().toPoint());
    QCOMPARE(x->chosenRow(), int64_t(0));
    QCOMPARE(x->chosenCol(), int64_t(1));
    QVERIFY(x->cells());
    QCOMPARE(x->cells()->cells[1], (std::vector<int64_t>{-3, -2, -1, 1, 2, 3, 5, 6, 7}));
    QCOMPARE(x->cells()->cells[0], (std::vector<int64_t>{-5, -4, -3, -1, 0, 1, 3, 4, 5}));

    widgets::RfGrid* in = x->inputGrid();
    QVERIFY(!in->cellRect(-5, -3).isEmpty()); // the padding the field reaches is on screen
    QVERIFY(in->cellSize() >= 6);
    const QColor field(0x4c, 0x78, 0xa8), padRead(0xf5, 0x85, 0x18), pad(0xe4, 0xe4, 0xe4);
    QCOMPARE(colourAt(in, 1, 1), field);      // an image pixel the field reads
    QCOMPARE(colourAt(in, 5, 7), field);
    QCOMPARE(colourAt(in, 1, 0), QColor(Qt::white)); // column 0: a hole of the dilation
    QCOMPARE(colourAt(in, 2, 1), QColor(Qt::white)); // row 2: a hole too
    QCOMPARE(colourAt(in, -1, -1), padRead);  // padding inside the field
    QCOMPARE(colourAt(in, -5, -3), padRead);
    QCOMPARE(colourAt(in, -1, 0), pad);       // padding outside the field (column 0 is a hole)
    QCOMPARE(colourAt(in, 1, 8), QColor(Qt::white)); // beyond the field's right end (7)
    QVERIFY(x->message().contains("jump 2×2"));
    QVERIFY(x->message().contains("with holes from dilation"));
    const QByteArray dir = qgetenv("NC_SHOT_DIR");
    if (!dir.isEmpty())
        x->grab().save(QString::fromUtf8(dir) + "/rfexplorer.png");
}

void TestRfExplorer::selectingAnotherLayerFollows()
{
    Designer d;
    d.load(stack());
    widgets::RfExplorer* x = openExplorer(d);
    d.w().selection().set({d.id("c1")});
    QApplication::processEvents();
    QCOMPARE(x->layer(), d.id("c1"));
    // c1 is 8×8; the centre position (4, 4) reads 2·4 − 1 + {0, 1, 2} = {7, 8, 9} on each axis.
    QCOMPARE(x->chosenRow(), int64_t(4));
    QCOMPARE(x->cells()->cells[0], (std::vector<int64_t>{7, 8, 9}));
    QCOMPARE(x->outputGrid()->cellRect(8, 0), QRectF()); // outside its 8 rows
}

// Appending 3×3 stride-1 padded convolutions one by one: the centre's field is 2L + 1 wide.
void TestRfExplorer::addingLayersGrowsTheField()
{
    Designer d;
    core::ModelBuilder b("grow");
    core::NodeId x = b.input({1, 24, 24});
    conv(b, x, 3, 1, 1, 1, "c1");
    d.load(b.finish());
    widgets::RfExplorer* e = openExplorer(d);
    for (int L = 1; L <= 4; ++L) {
        const std::string name = "c" + std::to_string(L);
        d.w().selection().set({d.id(name)});
        QApplication::processEvents();
        QVERIFY(e->cells());
        QCOMPARE(e->cells()->span(1), int64_t(2 * L + 1));
        QVERIFY2(e->message().contains(QString("L·(k−1)+1 = %1").arg(2 * L + 1)), qPrintable(e->message()));
        if (L < 4) {
            core::ModelBuilder nb("grow");
            // Rebuild the chain one layer longer, as appending in the palette would.
            core::NodeId y = nb.input({1, 24, 24});
            for (int k = 1; k <= L + 1; ++k)
                y = conv(nb, y, 3, 1, 1, 1, "c" + std::to_string(k));
            d.load(nb.finish());
        }
    }
}

QTEST_MAIN(TestRfExplorer)
#include "tst_rfexplorer.moc"

// Tests the main window's hook: View → Compare Designs opens the Compare window on the open design,
// live — an edit in the designer updates the comparison — and a second trigger reuses the window.
#include "tests/widgets/DesignerFixture.h"

#include "core/Commands.h"
#include "core/Zoo.h"
#include "widgets/compare/CompareWindow.h"

#include <QAction>
#include <QTableWidget>

using namespace nc;

class TestCompareMenu : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() { test::isolateApplication(); }
    void opensLiveOnTheOpenDesign();
};

void TestCompareMenu::opensLiveOnTheOpenDesign()
{
    test::Designer d;
    d.doc().setNetwork(core::loadZoo("resnet18").value());
    auto* action = d.w().findChild<QAction*>("compareAction");
    QVERIFY(action);
    action->trigger();
    auto* cw = d.w().findChild<widgets::CompareWindow*>("compareWindow");
    QVERIFY(cw);
    QVERIFY(cw->isVisible());
    QVERIFY(cw->isWindow());
    QCOMPARE(cw->size(), QSize(1600, 1000));
    QCOMPARE(&cw->documentA(), &d.doc());
    QCOMPARE(cw->totalsTable()->item(0, 1)->text(), QString("11,689,512"));
    // An edit in the designer: fc from 1000 to 10 classes removes 512·990 + 990 = 507,870 parameters:
    // 11,689,512 − 507,870 = 11,181,642.
    const core::NodeId fc = d.net().findByName("fc");
    core::LayerParams p = d.net().node(fc)->params;
    p.features = 10;
    d.doc().execute(std::make_unique<core::SetNodeCommand>(d.net(), fc, p, "fc"));
    QCOMPARE(cw->totalsTable()->item(0, 1)->text(), QString("11,181,642"));
    // A second trigger shows the same window, not another one.
    action->trigger();
    QCOMPARE(d.w().findChildren<widgets::CompareWindow*>().size(), qsizetype(1));
}

QTEST_MAIN(TestCompareMenu)
#include "tst_comparemenu.moc"

// Tests the arena planners: TFLite Micro's greedy-by-size placement worked by hand, the better
// planner reaching the lower bound where greedy fragments, and valid plans for every zoo model.
#include "RandomGraphs.h"

#include "core/Zoo.h"
#include "core/deploy/ArenaPlan.h"

#include <QTest>

using namespace nc::core;
using namespace nc::core::deploy;
using nc::test::memoryGraph;

class TestArena : public QObject {
    Q_OBJECT
private slots:
    void greedyBySizeByHand();
    void bestReachesTheLowerBound();
    void zooPlansAreValid_data();
    void zooPlansAreValid();
    void scratchIsABlockOfOneStep();
    void alignmentRoundsOffsets();
    void invalidPlanIsDetected();
    void headerNamesLayers();
};

namespace {

// a(8) → b(6) → c(1); d(6) reads c and b; e(7) reads d. Lifetimes in the only order:
// a [0,1], b [1,3], c [2,3], d [3,4], e [4,4]. Live per step: 8, 14, 7, 13, 13 → lower bound 14.
MemoryGraph fragmenting() { return memoryGraph({8, 6, 1, 6, 7}, {{}, {0}, {1}, {2, 1}, {3}}); }

} // namespace

void TestArena::greedyBySizeByHand()
{
    // Largest first, each at the lowest offset free during its lifetime:
    // a (8) at 0; e (7) at 0 (never live with a); b (6) above a at 8; d (6) is live with e [0,7)
    // and b [8,14): the 1-byte gap at 7 is too small, so 14; c (1) at 0 (a and e are dead then).
    MemoryGraph g = fragmenting();
    Timeline t = evaluateOrder(g, defaultOrder(g));
    QCOMPARE(t.peakBytes, int64_t(14));
    ArenaPlan p = planArena(g, t, Planner::Greedy);
    QCOMPARE(p.blocks.size(), size_t(5));
    QCOMPARE(p.blocks[0].offset, int64_t(0));
    QCOMPARE(p.blocks[4].offset, int64_t(0));
    QCOMPARE(p.blocks[1].offset, int64_t(8));
    QCOMPARE(p.blocks[3].offset, int64_t(14));
    QCOMPARE(p.blocks[2].offset, int64_t(0));
    QCOMPARE(p.arenaBytes, int64_t(20));
    QCOMPARE(p.lowerBoundBytes, int64_t(14));
    QVERIFY(planIsValid(p));
}

void TestArena::bestReachesTheLowerBound()
{
    // Stacking e on top of a short block instead (e at 7, d at 1) needs only the 14-byte peak.
    MemoryGraph g = fragmenting();
    Timeline t = evaluateOrder(g, defaultOrder(g));
    ArenaPlan p = planArena(g, t, Planner::Best);
    QCOMPARE(p.arenaBytes, int64_t(14));
    QVERIFY(planIsValid(p));
}

void TestArena::zooPlansAreValid_data()
{
    QTest::addColumn<QString>("key");
    QTest::addColumn<bool>("deploy");
    for (const auto& e : zooEntries()) {
        QTest::addRow("%s training", e.key.c_str()) << QString::fromStdString(e.key) << false;
        QTest::addRow("%s deployment", e.key.c_str()) << QString::fromStdString(e.key) << true;
    }
}

void TestArena::zooPlansAreValid()
{
    QFETCH(QString, key);
    QFETCH(bool, deploy);
    Network net = loadZoo(key.toStdString()).value();
    AnalysisResult a = analyze(net);
    MemoryGraph g = buildMemoryGraph(net, a, {deploy, true}).value();
    Timeline t = evaluateOrder(g, defaultOrder(g));
    ArenaPlan greedy = planArena(g, t, Planner::Greedy), best = planArena(g, t, Planner::Best);
    QVERIFY(planIsValid(greedy));
    QVERIFY(planIsValid(best));
    QVERIFY(greedy.arenaBytes >= t.peakBytes);
    QVERIFY(best.arenaBytes >= t.peakBytes);
    QVERIFY(best.arenaBytes <= greedy.arenaBytes);
}

void TestArena::scratchIsABlockOfOneStep()
{
    // MCU CNN deployed: block1.dw runs in place with a 50×50 channel of scratch at its step (2).
    Network net = loadZoo("mcu_cnn").value();
    AnalysisResult a = analyze(net);
    MemoryGraph g = buildMemoryGraph(net, a, {}).value();
    Timeline t = evaluateOrder(g, defaultOrder(g));
    ArenaPlan p = planArena(g, t, Planner::Best);
    const ArenaBlock* s = nullptr;
    for (const ArenaBlock& b : p.blocks)
        if (b.buffer < 0 && net.nodes()[static_cast<size_t>(b.node)].name == "block1.dw")
            s = &b;
    QVERIFY(s);
    QCOMPARE(s->bytes, int64_t(2500));
    QCOMPARE(s->firstStep, 2);
    QCOMPARE(s->lastStep, 2);
}

void TestArena::alignmentRoundsOffsets()
{
    MemoryGraph g = memoryGraph({5, 3, 2}, {{}, {0}, {1}});
    Timeline t = evaluateOrder(g, defaultOrder(g));
    ArenaPlan p = planArena(g, t, Planner::Greedy, 16);
    // a (5) at 0, b (3) live with a: at 16, not 5; c (2) live with b only: at 0.
    QCOMPARE(p.blocks[1].offset, int64_t(16));
    QCOMPARE(p.blocks[2].offset, int64_t(0));
    QCOMPARE(p.arenaBytes, int64_t(19));
}

void TestArena::invalidPlanIsDetected()
{
    ArenaPlan p;
    p.blocks = {{0, 0, 0, 0, 10, 0, 2}, {1, 1, 1, 9, 4, 2, 3}};
    QVERIFY(!planIsValid(p)); // both live at step 2, bytes 9 and 10 coincide
    p.blocks[1].offset = 10;
    QVERIFY(planIsValid(p));
}

void TestArena::headerNamesLayers()
{
    Network net = loadZoo("mcu_cnn").value();
    AnalysisResult a = analyze(net);
    MemoryGraph g = buildMemoryGraph(net, a, {}).value();
    Timeline t = evaluateOrder(g, defaultOrder(g));
    ArenaPlan p = planArena(g, t, Planner::Greedy);
    QString h = QString::fromStdString(arenaHeader(p, net));
    QVERIFY(h.contains(QString("#define NC_ARENA_BYTES %1\n").arg(p.arenaBytes)));
    QVERIFY(h.contains("#define NC_BLOCK1_PW_BYTES 18432\n")); // 32×24×24 at 8 bits
    QVERIFY(h.contains("#define NC_BLOCK1_DW_SCRATCH_BYTES 2500\n"));
    QVERIFY(h.contains("#endif"));
}

QTEST_GUILESS_MAIN(TestArena)
#include "tst_arena.moc"

// Tests the memory-optimal schedule: hand-made DAGs with a known optimum, an expand-then-reduce cell
// the default order handles badly, and Watts–Strogatz random cells checked against brute force.
#include "RandomGraphs.h"

#include "core/ModelBuilder.h"
#include "core/deploy/Schedule.h"

#include <QTest>

#include <functional>

using namespace nc::core;
using namespace nc::core::deploy;
using nc::test::memoryGraph;
using nc::test::wattsStrogatz;

class TestSchedule : public QObject {
    Q_OBJECT
private slots:
    void twoBranchesHandMade();
    void chainIsAlreadyOptimal();
    void lifetimesOfTheDefaultOrder();
    void expandReduceCellIntoConcat();
    void randomCellsMatchBruteForce_data();
    void randomCellsMatchBruteForce();
    void largeGraphFallsBackToHeuristic();
    void heuristicNeverWorseThanDefault();
};

namespace {

// Minimum peak over every topological order, by enumeration.
int64_t bruteForce(const MemoryGraph& g)
{
    const int n = static_cast<int>(g.ops.size());
    std::vector<int> order, indeg(static_cast<size_t>(n), 0);
    std::vector<std::vector<int>> succ(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i)
        for (int d : g.ops[static_cast<size_t>(i)].deps) {
            ++indeg[static_cast<size_t>(i)];
            succ[static_cast<size_t>(d)].push_back(i);
        }
    int64_t best = INT64_MAX;
    std::vector<char> done(static_cast<size_t>(n), 0);
    std::function<void()> rec = [&] {
        if (static_cast<int>(order.size()) == n) {
            best = std::min(best, evaluateOrder(g, order).peakBytes);
            return;
        }
        for (int i = 0; i < n; ++i) {
            if (done[static_cast<size_t>(i)] || indeg[static_cast<size_t>(i)] != 0)
                continue;
            done[static_cast<size_t>(i)] = 1;
            order.push_back(i);
            for (int s : succ[static_cast<size_t>(i)])
                --indeg[static_cast<size_t>(s)];
            rec();
            for (int s : succ[static_cast<size_t>(i)])
                ++indeg[static_cast<size_t>(s)];
            order.pop_back();
            done[static_cast<size_t>(i)] = 0;
        }
    };
    rec();
    return best;
}

} // namespace

void TestSchedule::twoBranchesHandMade()
{
    // x(1) feeds a1(10) → a2(1) and b1(10) → b2(1); cat(2) joins a2 and b2. The default order runs
    // both wide layers first: at b1, x + a1 + b1 = 21. Finishing one branch first peaks at 12
    // (x + a1 + a2 at a2, x + a2 + b1 at b1, a2 + b1 + b2 at b2), and no order avoids holding a
    // 10 next to x (1) and a 1 while the first narrow layer runs: 12 is optimal.
    //               x   a1  b1  a2  b2  cat
    MemoryGraph g = memoryGraph({1, 10, 10, 1, 1, 2}, {{}, {0}, {0}, {1}, {2}, {3, 4}});
    Timeline base = evaluateOrder(g, defaultOrder(g));
    QCOMPARE(base.peakBytes, int64_t(21));
    QCOMPARE(base.peakStep, 2);
    ScheduleResult r = optimalSchedule(g);
    QVERIFY(r.optimal);
    QCOMPARE(r.timeline.peakBytes, int64_t(12));
    QCOMPARE(r.defaultPeakBytes, int64_t(21));
    QCOMPARE(r.lowerBoundBytes, int64_t(12));
    QVERIFY(isTopologicalOrder(g, r.timeline.order));
    QCOMPARE(bruteForce(g), int64_t(12));
}

void TestSchedule::chainIsAlreadyOptimal()
{
    // A chain has one order; its peak is the largest neighbouring pair, 7 + 9 = 16.
    MemoryGraph g = memoryGraph({3, 7, 9, 2}, {{}, {0}, {1}, {2}});
    ScheduleResult r = optimalSchedule(g);
    QVERIFY(r.optimal);
    QCOMPARE(r.timeline.peakBytes, int64_t(16));
    QCOMPARE(r.timeline.order, (std::vector<int>{0, 1, 2, 3}));
}

void TestSchedule::lifetimesOfTheDefaultOrder()
{
    MemoryGraph g = memoryGraph({1, 10, 10, 1, 1, 2}, {{}, {0}, {0}, {1}, {2}, {3, 4}});
    Timeline t = evaluateOrder(g, defaultOrder(g));
    QCOMPARE(t.firstStep, (std::vector<int>{0, 1, 2, 3, 4, 5}));
    QCOMPARE(t.lastStep, (std::vector<int>{2, 3, 4, 5, 5, 5})); // cat is an output: to the end
    QCOMPARE(t.liveBytes, (std::vector<int64_t>{1, 11, 21, 21, 12, 4}));
}

void TestSchedule::expandReduceCellIntoConcat()
{
    // Three branches of 1×1 convolutions: expand 16 → 64 channels, reduce 64 → 8, on 8×8 at 8 bits:
    // the input is 1,024 B, an expansion 4,096 B, a reduction 512 B, the concat 24×8×8 = 1,536 B.
    // The default order (the order layers were added) expands all three first: at the third
    // expansion the input and three expansions are live, 1,024 + 3·4,096 = 13,312 B. Expanding and
    // reducing one branch at a time peaks at the second reduction: input, first reduction, second
    // expansion, second reduction = 1,024 + 512 + 4,096 + 512 = 6,144 B — and that is optimal: the
    // second reduction runs next to its expansion and the first reduction, and either the input is
    // still live (6,144) or all three expansions have run (≥ 8,192 with two still unread).
    ModelBuilder b("cell");
    NodeId x = b.input({16, 8, 8});
    NodeId e1 = b.conv(x, 64, 1, 1, 0, 1, true, "e1");
    NodeId e2 = b.conv(x, 64, 1, 1, 0, 1, true, "e2");
    NodeId e3 = b.conv(x, 64, 1, 1, 0, 1, true, "e3");
    NodeId r1 = b.conv(e1, 8, 1, 1, 0, 1, true, "r1");
    NodeId r2 = b.conv(e2, 8, 1, 1, 0, 1, true, "r2");
    NodeId r3 = b.conv(e3, 8, 1, 1, 0, 1, true, "r3");
    b.concat({r1, r2, r3}, "cat");
    Network n = b.finish();
    n.bits = 8;
    AnalysisResult a = analyze(n);
    MemoryGraph g = buildMemoryGraph(n, a, {}).value();
    ScheduleResult r = optimalSchedule(g);
    QCOMPARE(r.defaultPeakBytes, int64_t(1024 + 3 * 4096));
    QCOMPARE(r.timeline.peakBytes, int64_t(1024 + 512 + 4096 + 512));
    QVERIFY(r.optimal);
    QCOMPARE(bruteForce(g), int64_t(6144));
    // The chosen order alternates expansion and reduction.
    std::vector<std::string> names;
    for (int op : r.timeline.order)
        names.push_back(n.nodes()[static_cast<size_t>(g.ops[static_cast<size_t>(op)].node)].name);
    for (int k = 1; k < 6; k += 2)
        QCOMPARE(names[static_cast<size_t>(k)][0], 'e');
    for (int k = 2; k < 7; k += 2)
        QCOMPARE(names[static_cast<size_t>(k)][0], 'r');
}

void TestSchedule::randomCellsMatchBruteForce_data()
{
    QTest::addColumn<int>("inner");
    QTest::addColumn<int>("k");
    QTest::addColumn<double>("p");
    QTest::addColumn<uint>("seed");
    QTest::addColumn<bool>("scratch");
    for (uint seed = 1; seed <= 12; ++seed)
        QTest::addRow("n=7 k=4 p=0.75 seed=%u", seed) << 7 << 4 << 0.75 << seed << false;
    for (uint seed = 1; seed <= 6; ++seed)
        QTest::addRow("n=7 k=4 p=0.5 scratch seed=%u", seed) << 7 << 4 << 0.5 << seed << true;
    for (uint seed = 1; seed <= 6; ++seed)
        QTest::addRow("n=8 k=2 p=0.5 seed=%u", seed) << 8 << 2 << 0.5 << seed << false;
    for (uint seed = 1; seed <= 4; ++seed)
        QTest::addRow("n=8 k=4 p=0.25 seed=%u", seed) << 8 << 4 << 0.25 << seed << false;
}

void TestSchedule::randomCellsMatchBruteForce()
{
    QFETCH(int, inner);
    QFETCH(int, k);
    QFETCH(double, p);
    QFETCH(uint, seed);
    QFETCH(bool, scratch);
    MemoryGraph g = wattsStrogatz(inner, k, p, seed, 1, 100, scratch);
    ScheduleResult r = optimalSchedule(g);
    QVERIFY(isTopologicalOrder(g, r.timeline.order));
    QCOMPARE(evaluateOrder(g, r.timeline.order).peakBytes, r.timeline.peakBytes);
    QVERIFY(r.optimal);
    QCOMPARE(r.timeline.peakBytes, bruteForce(g));
    QVERIFY(r.timeline.peakBytes <= evaluateOrder(g, defaultOrder(g)).peakBytes);
    // The beam alone may miss the optimum but never goes below it nor above the default.
    ScheduleResult h = heuristicSchedule(g, 2);
    QVERIFY(h.timeline.peakBytes >= r.timeline.peakBytes);
    QVERIFY(h.timeline.peakBytes <= h.defaultPeakBytes);
}

void TestSchedule::largeGraphFallsBackToHeuristic()
{
    // 300 random nodes: the exact search needs some 50,000 sets here, more than the 1,000 allowed.
    MemoryGraph g = wattsStrogatz(300, 6, 0.3, 9, 1, 1000);
    ScheduleOptions o;
    o.maxStates = 1000;
    ScheduleResult r = optimalSchedule(g, o);
    QVERIFY(isTopologicalOrder(g, r.timeline.order));
    QVERIFY(!r.optimal);
    QVERIFY(r.lowerBoundBytes <= r.timeline.peakBytes);
    QVERIFY(r.lowerBoundBytes > 0);
    QVERIFY(r.timeline.peakBytes <= r.defaultPeakBytes);
}

void TestSchedule::heuristicNeverWorseThanDefault()
{
    for (unsigned seed = 1; seed <= 20; ++seed) {
        MemoryGraph g = wattsStrogatz(60, 4, 0.5, seed);
        ScheduleResult r = heuristicSchedule(g, 8);
        QVERIFY(isTopologicalOrder(g, r.timeline.order));
        QVERIFY(r.timeline.peakBytes <= evaluateOrder(g, defaultOrder(g)).peakBytes);
        QVERIFY(r.lowerBoundBytes <= r.timeline.peakBytes);
    }
}

QTEST_GUILESS_MAIN(TestSchedule)
#include "tst_schedule.moc"

// Tests the memory-optimal schedule: hand-made DAGs with a known optimum, an expand-then-reduce cell
// the default order handles badly, and Watts–Strogatz random cells checked against brute force.
#include "RandomGraphs.h"

#include "core/ModelBuilder.h"
#include "core/deploy/Schedule.h"

#include <QTest>

#include <functional>
#include <random>

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
    void subsetCheckerMatchesEnumeration();
    void randomDagsMatchExhaustiveSearch_data();
    void randomDagsMatchExhaustiveSearch();
    void randomCellsEachDirection();
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

// Minimum peak over every topological order by dynamic programming over all 2^n subsets, with none
// of the search's rules: best(P ∪ {x}) = min over the sinks x of max(best(P), step of x after P),
// where the step holds the persistent buffers, every buffer produced in P that is an output or has
// a reader outside P (x or later), x's own buffers and x's scratch.
int64_t exhaustive(const MemoryGraph& g)
{
    const int n = static_cast<int>(g.ops.size());
    const uint32_t full = (1u << n) - 1;
    std::vector<uint32_t> deps(static_cast<size_t>(n), 0);
    for (int i = 0; i < n; ++i)
        for (int d : g.ops[static_cast<size_t>(i)].deps)
            deps[static_cast<size_t>(i)] |= 1u << d;
    auto mem = [&](uint32_t P) {
        int64_t m = 0;
        for (const MemBuffer& b : g.buffers) {
            if (b.persistent) {
                m += b.bytes;
                continue;
            }
            if (!((P >> b.producer) & 1))
                continue;
            bool needed = b.output;
            for (int r : b.readers)
                needed = needed || !((P >> r) & 1);
            if (needed)
                m += b.bytes;
        }
        return m;
    };
    std::vector<int64_t> best(size_t(full) + 1, INT64_MAX);
    best[0] = 0;
    for (uint32_t P = 0; P < full; ++P) {
        if (best[P] == INT64_MAX)
            continue;
        const int64_t m = mem(P);
        for (int x = 0; x < n; ++x) {
            if (((P >> x) & 1) || (deps[static_cast<size_t>(x)] & ~P))
                continue;
            int64_t step = m + g.ops[static_cast<size_t>(x)].scratchBytes;
            for (size_t b = 0; b < g.buffers.size(); ++b)
                if (g.buffers[b].producer == x && !g.buffers[b].persistent)
                    step += g.buffers[b].bytes;
            const uint32_t Q = P | (1u << x);
            best[Q] = std::min(best[Q], std::max(best[P], step));
        }
    }
    return best[full];
}

// A random DAG in the memory graph's full model: ops of 1–100 B, some with scratch, some writing in
// place into their first input, some with a second output port that later ops may read, network
// outputs among read and unread buffers (an unread non-output is freed at once), and sometimes a
// persistent KV-cache-like buffer.
MemoryGraph randomDag(std::mt19937& rng, int n)
{
    auto coin = [&](double p) { return std::uniform_real_distribution<double>(0, 1)(rng) < p; };
    auto size = [&] { return std::uniform_int_distribution<int64_t>(1, 100)(rng); };
    MemoryGraph g;
    for (int i = 0; i < n; ++i) {
        MemOp op;
        op.node = i;
        for (int j = 0; j < i; ++j)
            if (coin(0.3))
                op.deps.push_back(j);
        if (i > 0 && op.deps.empty() && coin(0.8))
            op.deps.push_back(std::uniform_int_distribution<int>(0, i - 1)(rng));
        for (int d : op.deps) {
            const MemOp& dep = g.ops[static_cast<size_t>(d)];
            const int b = !dep.extraBuffers.empty() && coin(0.5) ? dep.extraBuffers[0] : dep.buffer;
            if (std::find(op.reads.begin(), op.reads.end(), b) == op.reads.end())
                op.reads.push_back(b);
        }
        if (!op.reads.empty() && coin(0.2)) {
            op.buffer = op.reads[0];
            op.allocates = false;
            op.outputBytes = g.buffers[static_cast<size_t>(op.buffer)].bytes;
        } else {
            op.buffer = static_cast<int>(g.buffers.size());
            MemBuffer b;
            b.producer = i;
            b.bytes = size();
            op.outputBytes = b.bytes;
            g.buffers.push_back(b);
        }
        if (coin(0.15)) {
            op.extraBuffers.push_back(static_cast<int>(g.buffers.size()));
            MemBuffer b;
            b.producer = i;
            b.bytes = size();
            b.port = 1;
            g.buffers.push_back(b);
        }
        if (coin(0.3))
            op.scratchBytes = size();
        for (int b : op.reads)
            g.buffers[static_cast<size_t>(b)].readers.push_back(i);
        g.ops.push_back(op);
    }
    for (MemBuffer& b : g.buffers)
        b.output = b.readers.empty() ? coin(0.7) : coin(0.1);
    if (coin(0.1)) {
        MemBuffer kv;
        kv.producer = std::uniform_int_distribution<int>(0, n - 1)(rng);
        kv.bytes = size();
        kv.persistent = true;
        g.buffers.push_back(kv);
    }
    return g;
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
    // 300 random nodes: proving the best order optimal takes the exact search some 500 sets here,
    // more than the 100 allowed.
    MemoryGraph g = wattsStrogatz(300, 6, 0.3, 9, 1, 1000);
    ScheduleOptions o;
    o.maxStates = 100;
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

void TestSchedule::subsetCheckerMatchesEnumeration()
{
    // The subset checker below is itself checked against enumerating every order, on graphs small
    // enough to enumerate.
    std::mt19937 rng(7);
    for (int k = 0; k < 40; ++k) {
        MemoryGraph g = randomDag(rng, 7);
        QCOMPARE(exhaustive(g), bruteForce(g));
    }
    QCOMPARE(exhaustive(memoryGraph({1, 10, 10, 1, 1, 2}, {{}, {0}, {0}, {1}, {2}, {3, 4}})), int64_t(12));
}

void TestSchedule::randomDagsMatchExhaustiveSearch_data()
{
    QTest::addColumn<uint>("seed");
    for (uint seed = 1; seed <= 4; ++seed)
        QTest::addRow("seed=%u", seed) << seed;
}

void TestSchedule::randomDagsMatchExhaustiveSearch()
{
    // 50 DAGs of 8–11 ops per seed; each direction of the exact search alone and both together must
    // find the exhaustive optimum, with an order that really peaks there.
    QFETCH(uint, seed);
    std::mt19937 rng(seed);
    for (int k = 0; k < 50; ++k) {
        MemoryGraph g = randomDag(rng, 8 + k % 4);
        const int64_t want = exhaustive(g);
        for (SearchFrom from : {SearchFrom::Both, SearchFrom::Start, SearchFrom::End}) {
            ScheduleOptions o;
            o.searchFrom = from;
            o.beamWidth = 1; // a weak first order, so the exact search has to do the work
            ScheduleResult r = optimalSchedule(g, o);
            QVERIFY(isTopologicalOrder(g, r.timeline.order));
            QCOMPARE(evaluateOrder(g, r.timeline.order).peakBytes, r.timeline.peakBytes);
            QVERIFY(r.optimal);
            QCOMPARE(r.timeline.peakBytes, want);
            QVERIFY(r.timeline.peakBytes <= r.defaultPeakBytes);
        }
        QVERIFY(peakLowerBound(g) <= want);
    }
}

void TestSchedule::randomCellsEachDirection()
{
    // Watts–Strogatz cells of 14 ops (2^14 subsets for the checker), each direction alone.
    for (unsigned seed = 1; seed <= 6; ++seed) {
        MemoryGraph g = wattsStrogatz(12, 4, 0.75, seed, 1, 100, seed % 2 == 0);
        const int64_t want = exhaustive(g);
        for (SearchFrom from : {SearchFrom::Start, SearchFrom::End}) {
            ScheduleOptions o;
            o.searchFrom = from;
            o.beamWidth = 1;
            ScheduleResult r = optimalSchedule(g, o);
            QVERIFY(r.optimal);
            QCOMPARE(r.timeline.peakBytes, want);
            QCOMPARE(evaluateOrder(g, r.timeline.order).peakBytes, want);
        }
    }
}

QTEST_GUILESS_MAIN(TestSchedule)
#include "tst_schedule.moc"

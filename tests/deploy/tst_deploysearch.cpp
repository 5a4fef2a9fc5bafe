// Tests that a Document never waits for the exact schedule search: an edit with the memory-optimal
// order selected returns with the heuristic's order marked as searching, the proven order arrives
// later through the event loop, and a result for an older revision is thrown away.
#include "core/Document.h"
#include "core/ModelBuilder.h"

#include <QSignalSpy>
#include <QTest>

using namespace nc::core;
using namespace nc::core::deploy;

class TestDeploySearch : public QObject {
    Q_OBJECT
private slots:
    void editShowsHeuristicThenOptimal();
    void staleResultIsDiscarded();
    void defaultOrderNeverSearches();
};

namespace {

// Two branches from a 1×8×8 input at 8 bits (64 B): e1 expands to `wide` channels, e2 to 64
// (4,096 B); each reduces to one channel (64 B); a concat joins them (128 B).
Network twoBranches(int64_t wide)
{
    ModelBuilder b("cell");
    const NodeId in = b.input({1, 8, 8});
    const NodeId e1 = b.conv(in, wide, 1, 1, 0, 1, true, "e1");
    const NodeId e2 = b.conv(in, 64, 1, 1, 0, 1, true, "e2");
    const NodeId r1 = b.conv(e1, 1, 1, 1, 0, 1, true, "r1");
    const NodeId r2 = b.conv(e2, 1, 1, 1, 0, 1, true, "r2");
    b.concat({r1, r2}, "cat");
    Network net = b.finish();
    net.bits = 8;
    return net;
}

DeploySettings optimalDeploy()
{
    DeploySettings s;
    s.deploy = true;
    s.optimalOrder = true;
    return s;
}

// Waits (without a time assertion: the spy's own generous timeout) until the search has landed.
bool waitForSearch(Document& doc, QSignalSpy& spy)
{
    while (doc.deployment().searching)
        if (!spy.wait(60'000))
            return false;
    return true;
}

void setE1Channels(Document& doc, int64_t channels)
{
    doc.edit(
        [channels](Network& n) {
            for (const Node& node : n.nodes())
                if (node.name == "e1")
                    n.node(node.id)->params.features = channels;
        },
        Change{ChangeKind::Params, {}});
}

} // namespace

void TestDeploySearch::editShowsHeuristicThenOptimal()
{
    Document doc;
    QSignalSpy spy(&doc, &Document::changed);
    doc.setNetwork(twoBranches(64));
    doc.setDeploySettings(optimalDeploy());
    QVERIFY(waitForSearch(doc, spy));
    // Optimal with e1 = 64 channels: one branch at a time, at e2: input 64 + r1 64 + e2 4,096.
    QCOMPARE(doc.deployment().schedule.timeline.peakBytes, int64_t(4224));
    QVERIFY(doc.deployment().schedule.optimal);

    // Widen e1 to 128 channels (8,192 B). The default order (e1, e2 first) holds input 64 + e1 8,192
    // + e2 4,096 = 12,352 B. Running r1 right after e1 peaks at r1: input 64 + e1 8,192 + r1 64 =
    // 8,320 B (the input is still live for e2); any order holds e1 and r1 with at least one other
    // 64 B tensor (the input, or e2's branch), so 8,320 B is optimal. The heuristic's bound (8,256 B:
    // r1's step without the input) cannot prove it, so the exact search is owed.
    const uint64_t before = doc.revision();
    spy.clear();
    setE1Channels(doc, 128);
    QCOMPARE(spy.count(), 1); // the edit itself
    QVERIFY(doc.deployment().searching);
    QVERIFY(!doc.deployment().schedule.optimal);
    QCOMPARE(doc.deployment().schedule.defaultPeakBytes, int64_t(12352));
    QVERIFY(doc.revision() > before);
    const uint64_t edited = doc.revision();

    QVERIFY(waitForSearch(doc, spy));
    QCOMPARE(spy.count(), 2); // the edit, then the search's result
    // Same layers, another order: kernel results taken since the edit stay current.
    QCOMPARE(doc.revision(), edited);
    QVERIFY(doc.deployment().schedule.optimal);
    QCOMPARE(doc.deployment().schedule.timeline.peakBytes, int64_t(8320));
    QCOMPARE(doc.deployment().schedule.lowerBoundBytes, int64_t(8320));
    // The per-step figures follow the new order.
    QCOMPARE(doc.deployment().stepNode.size(), size_t(6));
    QCOMPARE(doc.deployment().plan.lowerBoundBytes, int64_t(8320));
}

void TestDeploySearch::staleResultIsDiscarded()
{
    Document doc;
    QSignalSpy spy(&doc, &Document::changed);
    doc.setNetwork(twoBranches(128));
    doc.setDeploySettings(optimalDeploy());
    const uint64_t first = doc.revision();
    QVERIFY(doc.deployment().searching);
    // A second edit before the first search is back: its result must not land on the new design.
    setE1Channels(doc, 64);
    QVERIFY(doc.revision() != first);
    QVERIFY(doc.deployment().searching);
    // A hand-made result for the old revision (the 128-channel design's optimum) is refused.
    ScheduleResult old;
    old.timeline.peakBytes = 8320;
    old.optimal = true;
    QVERIFY(!doc.applyOptimalSchedule(first, old));
    QVERIFY(doc.deployment().searching);
    QCOMPARE(doc.deployment().schedule.defaultPeakBytes, int64_t(8256)); // 64 + 4,096 + 4,096

    QVERIFY(waitForSearch(doc, spy));
    // Only the current design's search landed: 4,224 B, not the old design's 8,320 B.
    QVERIFY(doc.deployment().schedule.optimal);
    QCOMPARE(doc.deployment().schedule.timeline.peakBytes, int64_t(4224));
    // Nothing else arrives later for the first revision.
    QVERIFY(!spy.wait(500));
    QCOMPARE(doc.deployment().schedule.timeline.peakBytes, int64_t(4224));
}

void TestDeploySearch::defaultOrderNeverSearches()
{
    Document doc;
    doc.setNetwork(twoBranches(128));
    DeploySettings s = optimalDeploy();
    s.optimalOrder = false;
    doc.setDeploySettings(s);
    QVERIFY(!doc.deployment().searching);
    QCOMPARE(doc.deployment().schedule.timeline.peakBytes, int64_t(12352));
}

QTEST_GUILESS_MAIN(TestDeploySearch)
#include "tst_deploysearch.moc"

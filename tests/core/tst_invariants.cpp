// tst_invariants: properties every analysis must have, whatever the design — checked on every zoo
// model and on 10,000 random designs generated from the catalogue (random kinds, attributes within
// their AttrSpec ranges, random wiring), so kinds added later are covered without touching this file.
//   - every count and size ≥ 0 (a negative one is a wrapped 64-bit overflow);
//   - a receptive field ≥ 1 with a jump ≥ 1, and no larger than the padded input extent scaled by
//     the jump: (largest spatial extent in the design + every padding on the way) × jump;
//   - peak live memory ≥ the largest single stored tensor.
// Designs the rules refuse are fine; only layers the analysis accepts are checked.
#include "core/Analysis.h"
#include "core/Catalogue.h"
#include "core/NetworkFile.h"
#include "core/Zoo.h"

#include <QFile>
#include <QTest>

#include <algorithm>
#include <random>

using namespace nc::core;

namespace {

// The first broken invariant of an analysis, or "" when all hold.
std::string violation(const Network& net, const AnalysisResult& a)
{
    int64_t extent = 1, pads = 0;
    for (const Shape& s : a.inputShapes)
        for (int64_t d : s)
            extent = std::max(extent, d);
    for (const LayerResult& l : a.layers)
        for (int64_t d : l.output)
            extent = std::max(extent, d);
    const Catalogue& cat = Catalogue::instance();
    for (const Node& n : net.nodes()) {
        const LayerSpec& spec = cat.spec(n.type);
        auto value = [&](std::string_view key) -> int64_t {
            const AttrSpec* a = spec.attr(key);
            return a && a->intField ? n.params.*(a->intField) : 0;
        };
        for (const AttrSpec& attr : spec.attrs)
            if (attr.intField && attr.key.rfind("pad_", 0) == 0 && attr.kind == AttrKind::Int &&
                n.params.*(attr.intField) > 0)
                pads += n.params.*(attr.intField);
        // "same" padding adds up to the dilated kernel extent, split over both sides.
        if (value("pad_same"))
            pads += std::max<int64_t>(1, value("dilation_h")) * value("kernel_h") +
                    std::max<int64_t>(1, value("dilation_w")) * value("kernel_w") +
                    std::max<int64_t>(1, value("dilation")) * value("kernel"); // 1-D kinds
    }
    int64_t largest = 0;
    bool anyError = false;
    for (const LayerResult& l : a.layers) {
        const std::string at = " at layer \"" + net.nodes()[static_cast<size_t>(l.nodeIndex)].name + "\" (" +
                               std::string(layerTypeKey(l.type)) + ")";
        if (l.status != LayerStatus::Ok) {
            anyError = true;
            continue;
        }
        for (int64_t v : {l.params, l.state, l.modelBytes, l.macs, l.flops, l.otherOps, l.outputElements, l.activations,
                          l.activationBytes, l.workspaceBytes, l.lectureMemory, l.liveBytes})
            if (v < 0)
                return "a negative count" + at;
        if (l.rf.valid)
            for (int k = 0; k < 2; ++k) {
                if (l.rf.jump[k] < 1)
                    return "jump " + std::to_string(l.rf.jump[k]) + " below 1" + at;
                if (l.rf.size[k] < 1)
                    return "receptive field " + std::to_string(l.rf.size[k]) + " below 1" + at;
                const double bound = static_cast<double>(extent + 2 * pads) * static_cast<double>(l.rf.jump[k]);
                if (static_cast<double>(l.rf.size[k]) > bound)
                    return "receptive field " + std::to_string(l.rf.size[k]) + " beyond the padded extent " +
                           std::to_string(extent + 2 * pads) + " × jump " + std::to_string(l.rf.jump[k]) + at;
            }
        largest = std::max(largest, l.activationBytes);
    }
    if (!anyError && a.totals.peakLiveBytes < largest)
        return "peak live memory " + std::to_string(a.totals.peakLiveBytes) + " below the largest tensor " +
               std::to_string(largest);
    return {};
}

// Random values inside an attribute's range, biased towards small sizes so designs stay analysable.
void randomise(const AttrSpec& attr, LayerParams& p, std::mt19937& rng)
{
    auto pick = [&](int64_t lo, int64_t hi) {
        return std::uniform_int_distribution<int64_t>(lo, std::max(lo, hi))(rng);
    };
    switch (attr.kind) {
    case AttrKind::Int: {
        const auto lo = static_cast<int64_t>(attr.min), hi = static_cast<int64_t>(attr.max);
        p.*(attr.intField) = rng() % 8 ? pick(lo, std::min(hi, lo + 6)) : pick(lo, std::min(hi, lo + 300));
        break;
    }
    case AttrKind::Bool:
        p.*(attr.intField) = static_cast<int64_t>(rng() % 2);
        break;
    case AttrKind::Enum:
        p.*(attr.intField) = pick(0, static_cast<int64_t>(attr.enumLabels.size()) - 1);
        break;
    case AttrKind::Float:
        p.*(attr.floatField) = std::uniform_real_distribution<double>(attr.min, std::min(attr.max, attr.min + 10))(rng);
        break;
    case AttrKind::Dims: {
        Shape d;
        const int rank = static_cast<int>(pick(1, 4));
        for (int k = 0; k < rank; ++k)
            d.push(pick(1, 40));
        p.dims = d;
        break;
    }
    }
}

Network randomDesign(std::mt19937& rng)
{
    const Catalogue& cat = Catalogue::instance();
    Network net;
    std::vector<NodeId> made;
    const int inputs = 1 + static_cast<int>(rng() % 2);
    for (int i = 0; i < inputs; ++i) {
        Node n;
        n.type = LayerType::Input;
        n.params = cat.spec(LayerType::Input).defaults;
        Shape d;
        const int rank = 1 + static_cast<int>(rng() % 3);
        for (int k = 0; k < rank; ++k)
            d.push(1 + static_cast<int64_t>(rng() % 40));
        n.params.dims = d;
        n.name = "in" + std::to_string(i);
        made.push_back(net.addNode(std::move(n)).value());
    }
    std::vector<const LayerSpec*> kinds;
    for (const LayerSpec& s : cat.specs())
        if (s.type != LayerType::Input)
            kinds.push_back(&s);
    const int layers = 1 + static_cast<int>(rng() % 12);
    for (int i = 0; i < layers; ++i) {
        const LayerSpec& spec = *kinds[rng() % kinds.size()];
        Node n;
        n.type = spec.type;
        n.params = spec.defaults;
        for (const AttrSpec& attr : spec.attrs)
            if (rng() % 2)
                randomise(attr, n.params, rng);
        if (spec.variadicInputs)
            n.params.inputs = std::min<int64_t>(n.params.inputs, 4);
        n.name = "l" + std::to_string(i);
        const NodeId id = net.addNode(std::move(n)).value();
        const Node& added = *net.node(id);
        for (int port = 0; port < net.inputCount(added); ++port) {
            // Mostly the latest layer (chains), sometimes any earlier one (branches, skips, broadcasts).
            const NodeId from = rng() % 3 ? made.back() : made[rng() % made.size()];
            (void)net.addEdgeUnchecked(Edge{{}, from, id, port});
        }
        made.push_back(id);
    }
    return net;
}

} // namespace

class TestInvariants : public QObject {
    Q_OBJECT
private slots:
    void zooModels_data();
    void zooModels();
    void randomDesigns();
    void squeezeExcitationChain();
};

void TestInvariants::zooModels_data()
{
    QTest::addColumn<QString>("key");
    for (const ZooEntry& e : zooEntries())
        QTest::newRow(e.key.c_str()) << QString::fromStdString(e.key);
}

void TestInvariants::zooModels()
{
    QFETCH(QString, key);
    auto net = loadZoo(key.toStdString());
    QVERIFY(net);
    AnalysisResult a = analyze(*net);
    QCOMPARE(a.totals.errors, 0);
    const std::string why = violation(*net, a);
    QVERIFY2(why.empty(), why.c_str());
}

void TestInvariants::randomDesigns()
{
    std::mt19937 rng(20261205);
    int analysed = 0, clean = 0;
    for (int i = 0; i < 10000; ++i) {
        Network net = randomDesign(rng);
        AnalysisResult a = analyze(net);
        ++analysed;
        clean += a.totals.errors == 0 && a.totals.blocked == 0;
        const std::string why = violation(net, a);
        if (!why.empty()) {
            const QByteArray file = serializeNetwork(net);
            QFAIL(qPrintable(QString("design %1: %2\n%3").arg(i).arg(QString::fromStdString(why), file)));
        }
    }
    qInfo("%d random designs analysed, %d without any refused layer", analysed, clean);
    // The generator must produce designs the rules accept, or the invariants check nothing (699 of
    // 10,000 with 58 kinds; fewer than 500 would mean the generator has drifted from the rules).
    QVERIFY(clean > 500);
}

void TestInvariants::squeezeExcitationChain()
{
    // 14 blocks of conv 3×3 "same" → global average pool → sigmoid → multiply (the gate C×1×1
    // broadcast over the C×32×32 map). The product keeps the map's grid (jump 1) and takes the
    // larger field, the gate's, which has seen all the map reaches: block 1's conv reaches 32 + 2
    // pixels (its padding), so the gate's field is 34; each later conv adds its 2 pixels of padding,
    // and the gate after it again covers everything: 34 + 13·2 = 60 = 32 + 14·2, the whole padded
    // input. Before the fix the gate's jump (the whole map) was kept and the field grew ×32 a block.
    QFile f(QString(NC_SOURCE_DIR) + "/tests/fuzz/regression/design/se_chain.json");
    QVERIFY(f.open(QIODevice::ReadOnly));
    auto net = parseNetwork(f.readAll());
    QVERIFY2(net, net ? "" : net.error().c_str());
    AnalysisResult a = analyze(*net);
    QCOMPARE(a.totals.rf.size[0], int64_t(60));
    QCOMPARE(a.totals.rf.jump[0], int64_t(1));
    const std::string why = violation(*net, a);
    QVERIFY2(why.empty(), why.c_str());
}

QTEST_GUILESS_MAIN(TestInvariants)
#include "tst_invariants.moc"

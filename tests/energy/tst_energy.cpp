// Tests the energy model (core/energy/Energy.h) on a two-layer design computed by hand, its JSON
// table, its errors, and AlexNet's fully connected layers against its convolutions.
#include "core/ModelBuilder.h"
#include "core/Zoo.h"
#include "core/energy/Energy.h"

#include <QTemporaryDir>
#include <QTest>

using namespace nc::core;
using namespace nc::core::energy;

class TestEnergy : public QObject {
    Q_OBJECT
private slots:
    void twoLayersByHand();
    void twoLayersInt8ByHand();
    void perMacModelByHand();
    void activationsSpillWhenTheStepExceedsTheBudget();
    void totalsMatchTheLayers();
    void tableRoundTrip();
    void badTablesNameTheField_data();
    void badTablesNameTheField();
    void errorsNameTheLayer();
    void alexNetFullyConnectedIsDataMovement();
    void formatting();
};

namespace {

// Input 2×4×4 → conv (3 filters, 3×3, no padding, bias) → 3×2×2 → flatten → linear 12 → 5 (bias).
Network twoLayers(int bits = 32)
{
    ModelBuilder b("two");
    NodeId x = b.input({2, 4, 4});
    x = b.conv(x, 3, 3, 1, 0, 1, true, "conv");
    x = b.flatten(x, "flat");
    b.linear(x, 5, true, "fc");
    Network n = b.finish();
    n.bits = bits;
    return n;
}

const LayerEnergy& layerNamed(const Network& n, const EnergyReport& r, const std::string& name)
{
    const int idx = n.nodeIndex(n.findByName(name));
    for (const LayerEnergy& e : r.layers)
        if (e.nodeIndex == idx)
            return e;
    qFatal("no layer %s", name.c_str());
}

EnergyReport estimate(const Network& n, const EnergyTable& t = horowitz45(), int64_t budget = 0)
{
    EnergyOptions o;
    o.onChipBytes = budget;
    auto r = estimateEnergy(n, analyze(n), t, o);
    if (!r)
        qFatal("%s", r.error().c_str());
    return *r;
}

} // namespace

// FP32, Horowitz 45 nm: a MAC is a mult and an add, 3.7 + 0.9 = 4.6 pJ; one value moved is 5 pJ on
// chip and 640 pJ off chip.
// conv: params 3·2·3·3 + 3 = 57; MACs 3·2·9·(2·2) = 216; bias adds 12 (one per output).
//   compute  216·4.6 + 12·0.9 = 993.6 + 10.8 = 1,004.4 pJ
//   on chip  (32 inputs + 57 weights + 12 outputs)·5 = 101·5 = 505 pJ
//   off chip 57 weights·640 = 36,480 pJ
// flatten: a view, nothing.
// fc: params 12·5 + 5 = 65; MACs 60; bias adds 5.
//   compute  60·4.6 + 5·0.9 = 276 + 4.5 = 280.5 pJ
//   on chip  (12 + 65 + 5)·5 = 82·5 = 410 pJ
//   off chip 65·640 = 41,600 pJ
void TestEnergy::twoLayersByHand()
{
    const Network n = twoLayers();
    const EnergyReport r = estimate(n);
    const LayerEnergy& conv = layerNamed(n, r, "conv");
    QCOMPARE(conv.computePj, 1004.4);
    QCOMPARE(conv.onChipValues, int64_t(101));
    QCOMPARE(conv.onChipPj, 505.0);
    QCOMPARE(conv.offChipPj, 36480.0);
    const LayerEnergy& flat = layerNamed(n, r, "flat");
    QCOMPARE(flat.totalPj(), 0.0);
    const LayerEnergy& fc = layerNamed(n, r, "fc");
    QCOMPARE(fc.computePj, 280.5);
    QCOMPARE(fc.onChipPj, 410.0);
    QCOMPARE(fc.offChipPj, 41600.0);
    // 1,004.4 + 280.5 = 1,284.9; 505 + 410 = 915; 36,480 + 41,600 = 78,080.
    QCOMPARE(r.totals.computePj, 1284.9);
    QCOMPARE(r.totals.onChipPj, 915.0);
    QCOMPARE(r.totals.offChipPj, 78080.0);
    QCOMPARE(r.spilledLayers, 0);
}

// INT8: a MAC is 0.2 + 0.03 = 0.23 pJ; a value is 8/32 of a word: 1.25 pJ on chip, 160 pJ off chip.
// conv: 216·0.23 + 12·0.03 = 49.68 + 0.36 = 50.04 pJ; 101·1.25 = 126.25 pJ; 57·160 = 9,120 pJ.
void TestEnergy::twoLayersInt8ByHand()
{
    const Network n = twoLayers(8);
    const EnergyReport r = estimate(n);
    const LayerEnergy& conv = layerNamed(n, r, "conv");
    QVERIFY(qFuzzyCompare(conv.computePj, 50.04));
    QCOMPARE(conv.onChipPj, 126.25);
    QCOMPARE(conv.offChipPj, 9120.0);
}

// Per-MAC operands: conv reads 2·216 operands and writes 12 outputs = 444 values, 444·5 = 2,220 pJ;
// fc 2·60 + 5 = 125 values, 625 pJ.
void TestEnergy::perMacModelByHand()
{
    EnergyTable t = horowitz45();
    t.onChip = OnChipModel::PerMac;
    const Network n = twoLayers();
    const EnergyReport r = estimate(n, t);
    QCOMPARE(layerNamed(n, r, "conv").onChipValues, int64_t(444));
    QCOMPARE(layerNamed(n, r, "conv").onChipPj, 2220.0);
    QCOMPARE(layerNamed(n, r, "fc").onChipPj, 625.0);
}

// Deployment memory at FP32: at conv's step its input (32·4 = 128 B) and output (12·4 = 48 B) are
// live, 176 B; at fc's step conv's output (48 B, through the flatten view) and fc's (5·4 = 20 B),
// 68 B. A 100-byte budget sends conv's activations to DRAM: (32 + 12)·640 = 28,160 pJ more, so its
// off-chip energy is 36,480 + 28,160 = 64,640 pJ; fc fits and keeps 41,600 pJ.
void TestEnergy::activationsSpillWhenTheStepExceedsTheBudget()
{
    const Network n = twoLayers();
    const EnergyReport r = estimate(n, horowitz45(), 100);
    const LayerEnergy& conv = layerNamed(n, r, "conv");
    QCOMPARE(conv.liveBytes, int64_t(176));
    QCOMPARE(conv.spilledValues, int64_t(44));
    QCOMPARE(conv.offChipPj, 64640.0);
    const LayerEnergy& fc = layerNamed(n, r, "fc");
    QCOMPARE(fc.liveBytes, int64_t(68));
    QCOMPARE(fc.spilledValues, int64_t(0));
    QCOMPARE(fc.offChipPj, 41600.0);
    QCOMPARE(r.spilledLayers, 1);
    QCOMPARE(r.deployPeakBytes, int64_t(176));
    // A budget of the peak itself keeps everything on chip.
    QCOMPARE(estimate(n, horowitz45(), 176).spilledLayers, 0);
}

void TestEnergy::totalsMatchTheLayers()
{
    const Network n = twoLayers();
    auto t = totalEnergy(n);
    QVERIFY(t.ok());
    QCOMPARE(t->totalPj(), 1284.9 + 915.0 + 78080.0);
}

void TestEnergy::tableRoundTrip()
{
    QTemporaryDir dir;
    const std::string path = dir.filePath("t.json").toStdString();
    EnergyTable t = horowitz45LargeSram();
    t.onChip = OnChipModel::PerMac;
    t.ops[3] = {0.01, 0.04};
    QVERIFY(saveEnergyTable(t, path).ok());
    auto back = loadEnergyTable(path);
    QVERIFY2(back.ok(), back ? "" : back.error().c_str());
    QCOMPARE(back->sramRead32, 50.0);
    QCOMPARE(back->dramRead32, 640.0);
    QCOMPARE(back->ops[0].mult, 3.7);
    QCOMPARE(back->ops[3].add, 0.01);
    QCOMPARE(back->ops[3].mult, 0.04);
    QVERIFY(back->onChip == OnChipModel::PerMac);
    QCOMPARE(back->name, t.name);
    QCOMPARE(energyTableToJson(*back), energyTableToJson(t));
}

void TestEnergy::badTablesNameTheField_data()
{
    QTest::addColumn<QString>("json");
    QTest::addColumn<QString>("says");
    const QString rows = R"("ops": [{"bits": 32, "add_pj": 0.9, "mult_pj": 3.7}, {"bits": 16, "add_pj": 0.4, "mult_pj": 1.1},
                         {"bits": 8, "add_pj": 0.03, "mult_pj": 0.2}, {"bits": 4, "add_pj": 0.015, "mult_pj": 0.05}])";
    const QString head = R"({"format": "netcanvas-energy", "version": 1, )";
    QTest::newRow("not json") << "{" << "not JSON";
    QTest::newRow("format") << R"({"format": "x", "version": 1})" << "\"format\"";
    QTest::newRow("negative sram") << head + R"("sram_read_32bit_pj": -1, "dram_read_32bit_pj": 640, )" + rows + "}"
                                   << "\"sram_read_32bit_pj\"";
    QTest::newRow("dram text") << head + R"("sram_read_32bit_pj": 5, "dram_read_32bit_pj": "a lot", )" + rows + "}"
                               << "\"dram_read_32bit_pj\"";
    QTest::newRow("missing row") << head + R"("sram_read_32bit_pj": 5, "dram_read_32bit_pj": 640, "ops": [{"bits": 32, "add_pj": 0.9, "mult_pj": 3.7}]})"
                                 << "no row for 16 bits";
    QTest::newRow("row field") << head + R"("sram_read_32bit_pj": 5, "dram_read_32bit_pj": 640, "ops": [{"bits": 32, "add_pj": 0.9}]})"
                               << "the 32-bit row's \"mult_pj\"";
    QTest::newRow("odd bits") << head + R"("sram_read_32bit_pj": 5, "dram_read_32bit_pj": 640, "ops": [{"bits": 12, "add_pj": 0.9, "mult_pj": 1}]})"
                              << "\"bits\" must be 32, 16, 8 or 4";
    QTest::newRow("on chip") << head + R"("on_chip": "sometimes", "sram_read_32bit_pj": 5, "dram_read_32bit_pj": 640, )" + rows + "}"
                             << "\"on_chip\"";
}

void TestEnergy::badTablesNameTheField()
{
    QFETCH(QString, json);
    QFETCH(QString, says);
    auto t = energyTableFromJson(json.toStdString());
    QVERIFY(!t.ok());
    QVERIFY2(QString::fromStdString(t.error()).contains(says), t.error().c_str());
}

void TestEnergy::errorsNameTheLayer()
{
    Network n = twoLayers();
    // A linear layer fed a mismatched width after the analysis: make conv's kernel larger than its input.
    Node* conv = n.node(n.findByName("conv"));
    conv->params.kh = 7;
    auto r = estimateEnergy(n, analyze(n), horowitz45(), {});
    QVERIFY(!r.ok());
    QVERIFY2(QString::fromStdString(r.error()).contains("conv"), r.error().c_str());
}

// AlexNet at FP32 (the lecture's grouped model). fc6: 9,216·4,096 + 4,096 = 37,752,832 weights, each
// read once from DRAM at 640 pJ: 24.16 mJ, against 37,748,736 MACs · 4.6 pJ = 0.174 mJ of arithmetic
// — data movement is over a hundred times the compute. conv2 (grouped, 128·48·5·5·27·27 ·2 = 223,948,800
// MACs, 307,456 weights): compute 1.03 mJ against 0.197 mJ of weight reads — arithmetic leads there.
void TestEnergy::alexNetFullyConnectedIsDataMovement()
{
    const Network n = loadZoo("alexnet").value();
    const EnergyReport r = estimate(n);
    const LayerEnergy& fc6 = layerNamed(n, r, "fc6");
    QCOMPARE(fc6.weightValues, int64_t(37752832));
    QVERIFY(fc6.offChipPj > 100 * fc6.computePj);
    QVERIFY(qFuzzyCompare(fc6.offChipPj, 37752832.0 * 640.0));
    const LayerEnergy& conv2 = layerNamed(n, r, "conv2");
    QCOMPARE(conv2.weightValues, int64_t(307456));
    QVERIFY(conv2.computePj > conv2.offChipPj);
    QVERIFY(r.totals.offChipPj > r.totals.computePj);
}

void TestEnergy::formatting()
{
    QCOMPARE(formatEnergy(12.0), std::string("12.0 pJ"));
    QCOMPARE(formatEnergy(24161812480.0), std::string("24.2 mJ"));
    QCOMPARE(formatEnergy(1284.9), std::string("1.28 nJ"));
    QCOMPARE(formatEnergy(412000.0), std::string("412 nJ"));
}

QTEST_GUILESS_MAIN(TestEnergy)
#include "tst_energy.moc"

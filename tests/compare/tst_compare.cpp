// Tests the comparison of two designs: totals against published and hand-counted figures, ratios and
// differences, the per-layer alignment, and `netcanvas-cli compare` as a user runs it.
#include "core/Analysis.h"
#include "core/ModelBuilder.h"
#include "core/NetworkFile.h"
#include "core/Zoo.h"
#include "core/compare/Compare.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>
#include <map>

using namespace nc::core;
using namespace nc::core::compare;

class TestCompare : public QObject {
    Q_OBJECT
private slots:
    void resnetTotals();
    void ratiosAndDifferences();
    void absentFiguresHaveNoRatio();
    void energyRow();
    void alignVariantsByName();
    void alignDifferentDesignsByKind();
    void cliJson();
    void cliTable();
    void cliVariant();
    void cliBadInput_data();
    void cliBadInput();
    void cliDesignWithErrors();

private:
    struct Run {
        int code;
        QByteArray out, err;
    };
    Run run(const QStringList& args);
    static const Metric& row(const Comparison& c, const std::string& key);
};

TestCompare::Run TestCompare::run(const QStringList& args)
{
    QProcess p;
    p.start(NC_CLI_PATH, args);
    p.waitForFinished(60000);
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, p.readAllStandardOutput(),
            p.readAllStandardError()};
}

const Metric& TestCompare::row(const Comparison& c, const std::string& key)
{
    for (const Metric& m : c.rows)
        if (m.key == key)
            return m;
    static Metric none;
    return none;
}

void TestCompare::resnetTotals()
{
    Network a = loadZoo("resnet18").value(), b = loadZoo("resnet50").value();
    Comparison c = compareDesigns(a, analyze(a), b, analyze(b));
    // Published (torchvision weight tables): 11,689,512 and 25,557,032 parameters; 1.81 and 4.09 GMACs.
    QCOMPARE(c.a.params, int64_t(11'689'512));
    QCOMPARE(c.b.params, int64_t(25'557'032));
    QCOMPARE(c.a.macs, int64_t(1'814'073'344));
    QCOMPARE(c.b.macs, int64_t(4'089'184'256));
    // Model size: 4 B per parameter at FP32; INT4 is ⌈params / 2⌉ bytes.
    QCOMPARE(c.a.modelBytesAt[0], int64_t(46'758'048));
    QCOMPARE(c.b.modelBytesAt[3], int64_t(12'778'516));
    // Layers, Input excluded. ResNet-18: stem conv, bn, relu, maxpool (4) + 8 basic blocks × 7 (conv, bn,
    // relu, conv, bn, add, relu) + 3 downsample conv + bn (6) + avgpool, flatten, fc (3) = 69.
    QCOMPARE(c.a.layers, 69);
    // ResNet-50: 4 + 16 bottlenecks × 10 (3 × conv, bn, relu, minus one relu, plus add, relu) + 4 × 2 + 3 =
    // 175.
    QCOMPARE(c.b.layers, 175);
    // Kernel launches in the deployment view (BatchNorm folded, ReLU fused into the conv or the Add,
    // flatten a view): ResNet-18: stem conv, maxpool, 8 × (conv, conv, add), 3 downsample convs, avgpool,
    // fc = 1 + 1 + 24 + 3 + 1 + 1 = 31.
    QCOMPARE(c.a.kernelLaunches.value(), 31);
    // ResNet-50: 1 + 1 + 16 × (3 convs + add) + 4 downsample convs + avgpool + fc = 2 + 64 + 4 + 2 = 72.
    QCOMPARE(c.b.kernelLaunches.value(), 72);
    // Receptive field, r += (k − 1)·j: ResNet-18's last conv sees 435 px (7 → 11 after the pool, jump 4;
    // layer1 + 4·2·4 = 43; layer2 43 + 2·4 + 3·2·8 = 99; layer3 99 + 2·8 + 3·2·16 = 211; layer4
    // 211 + 2·16 + 3·2·32 = 435), and the 7×7 global pool at jump 32 adds 6·32: 627.
    QCOMPARE(c.a.rf[0], int64_t(627));
    // ResNet-50: 11 + 3·2·4 = 35; + 2·4 + 3·2·8 = 91; + 2·8 + 5·2·16 = 267; + 2·16 + 2·2·32 = 427; + 192 =
    // 619.
    QCOMPARE(c.b.rf[1], int64_t(619));
    // Training view, FP32: at ResNet-18's bn1 step both conv1's and bn1's outputs, 64×112×112×4 B =
    // 3,211,264 B each, are live: 6,422,528 B.
    QCOMPARE(c.a.trainingPeakBytes, int64_t(6'422'528));
    // Deployment view: conv1 (BatchNorm folded, ReLU fused) writes 3,211,264 B that the max pool reads
    // while writing 64×56×56×4 = 802,816 B: 4,014,080 B.
    QCOMPARE(c.a.deployPeakBytes.value(), int64_t(4'014'080));
    QVERIFY(!c.a.latencyUs);
}

void TestCompare::ratiosAndDifferences()
{
    Network a = loadZoo("resnet18").value(), b = loadZoo("resnet50").value();
    Comparison c = compareDesigns(a, analyze(a), b, analyze(b));
    const Metric& p = row(c, "params");
    QCOMPARE(p.difference().value(), 13'867'520.0); // 25,557,032 − 11,689,512
    // 25,557,032 / 11,689,512 = 2.18632…
    QVERIFY(std::abs(p.ratio().value() - 2.18632) < 1e-5);
    const Metric& m = row(c, "macs");
    // 4,089,184,256 / 1,814,073,344 = 2.25415…
    QVERIFY(std::abs(m.ratio().value() - 2.25415) < 1e-5);
    QCOMPARE(row(c, "kernel_launches").difference().value(), 41.0); // 72 − 31
}

// The energy row, by hand (tests/energy/tst_energy.cpp's two-layer design, Horowitz 45 nm, FP32: a
// MAC 4.6 pJ, a bias add 0.9 pJ, a value 5 pJ on chip, a weight 640 pJ from DRAM):
//   conv (2×4×4 → 3×2×2, 3×3, bias): 216·4.6 + 12·0.9 + (32 + 57 + 12)·5 + 57·640 = 37,989.4 pJ
//   fc (12 → 5, bias):               60·4.6 + 5·0.9 + (12 + 65 + 5)·5 + 65·640    = 42,290.5 pJ
// A (conv, flatten, fc) = 80,279.9 pJ; B (conv alone) = 37,989.4 pJ.
void TestCompare::energyRow()
{
    auto design = [](bool fc) {
        ModelBuilder b(fc ? "two" : "conv");
        NodeId x = b.conv(b.input({2, 4, 4}), 3, 3, 1, 0, 1, true, "conv");
        if (fc)
            b.linear(b.flatten(x, "flat"), 5, true, "fc");
        return b.finish();
    };
    Network a = design(true), b = design(false);
    Comparison c = compareDesigns(a, analyze(a), b, analyze(b));
    const Metric& e = row(c, "energy_pj");
    QVERIFY(std::abs(e.a.value() - 80'279.9) < 1e-6);
    QVERIFY(std::abs(e.b.value() - 37'989.4) < 1e-6);
    QVERIFY(std::abs(e.difference().value() + 42'290.5) < 1e-6);
    QVERIFY(std::abs(e.ratio().value() - 37'989.4 / 80'279.9) < 1e-12);
    QCOMPARE(QString::fromStdString(formatValue(Unit::Picojoules, 80'279.9)), QString("80.3 nJ"));
}

void TestCompare::absentFiguresHaveNoRatio()
{
    Metric m{"x", "x", Unit::Count, 0.0, 5.0};
    QVERIFY(!m.ratio()); // B ÷ 0
    QCOMPARE(m.difference().value(), 5.0);
    Metric n{"y", "y", Unit::Microseconds, 10.0, std::nullopt};
    QVERIFY(!n.ratio());
    QVERIFY(!n.difference());
}

void TestCompare::alignVariantsByName()
{
    // Two variants of one design keep their layer names: every row pairs a layer with its namesake.
    Network a = loadZoo("resnet18").value();
    Network b = a;
    b.bits = 8;
    const AnalysisResult aa = analyze(a), ab = analyze(b);
    auto rows = alignLayers(a, aa, b, ab);
    QCOMPARE(rows.size(), aa.layers.size());
    for (const AlignedRow& r : rows) {
        QVERIFY(r.a >= 0 && r.b >= 0);
        QCOMPARE(a.nodes()[size_t(aa.layers[size_t(r.a)].nodeIndex)].name,
                 b.nodes()[size_t(ab.layers[size_t(r.b)].nodeIndex)].name);
    }
}

void TestCompare::alignDifferentDesignsByKind()
{
    Network a = loadZoo("resnet18").value(), b = loadZoo("resnet50").value();
    const AnalysisResult aa = analyze(a), ab = analyze(b);
    auto rows = alignLayers(a, aa, b, ab);
    // Both schedules appear whole and in order, and paired layers share their kind.
    int lastA = -1, lastB = -1, seenA = 0, seenB = 0;
    std::map<std::string, std::string> pairs;
    for (const AlignedRow& r : rows) {
        QVERIFY(r.a >= 0 || r.b >= 0);
        if (r.a >= 0) {
            QCOMPARE(r.a, lastA + 1);
            lastA = r.a;
            ++seenA;
        }
        if (r.b >= 0) {
            QCOMPARE(r.b, lastB + 1);
            lastB = r.b;
            ++seenB;
        }
        if (r.a >= 0 && r.b >= 0) {
            QCOMPARE(aa.layers[size_t(r.a)].type, ab.layers[size_t(r.b)].type);
            pairs[a.nodes()[size_t(aa.layers[size_t(r.a)].nodeIndex)].name] =
                b.nodes()[size_t(ab.layers[size_t(r.b)].nodeIndex)].name;
        }
    }
    QCOMPARE(seenA, int(aa.layers.size()));
    QCOMPARE(seenB, int(ab.layers.size()));
    // Names both designs share pair up.
    QCOMPARE(pairs["conv1"], std::string("conv1"));
    QCOMPARE(pairs["layer1.0.conv1"], std::string("layer1.0.conv1"));
    QCOMPARE(pairs["layer4.1.conv2"], std::string("layer4.1.conv2"));
    QCOMPARE(pairs["fc"], std::string("fc"));
}

void TestCompare::cliJson()
{
    Run r = run({"compare", "zoo:resnet18", "zoo:resnet50", "--format", "json"});
    QCOMPARE(r.code, 0);
    QJsonObject o = QJsonDocument::fromJson(r.out).object();
    QJsonObject a = o["a"].toObject(), b = o["b"].toObject(), ratios = o["ratios"].toObject();
    QCOMPARE(a["name"].toString(), QString("ResNet-18"));
    QCOMPARE(b["name"].toString(), QString("ResNet-50"));
    QCOMPARE(a["params"].toInteger(), qint64(11'689'512));
    QCOMPARE(b["params"].toInteger(), qint64(25'557'032));
    QCOMPARE(a["macs"].toInteger(), qint64(1'814'073'344));         // 1.814 G (torchvision: 1.81 GFLOPS)
    QCOMPARE(b["macs"].toInteger(), qint64(4'089'184'256));         // 4.09 G
    QCOMPARE(a["model_bytes_8"].toInteger(), qint64(11'689'512));   // one byte per parameter
    QCOMPARE(b["model_bytes_32"].toInteger(), qint64(102'228'128)); // 4 × 25,557,032
    QCOMPARE(a["kernel_launches"].toInt(), 31);
    QCOMPARE(b["kernel_launches"].toInt(), 72);
    QCOMPARE(a["rf_h"].toInt(), 627);
    QCOMPARE(b["rf_h"].toInt(), 619);
    QVERIFY(a["latency_us"].isNull());
    QVERIFY(std::abs(ratios["params"].toDouble() - 25'557'032.0 / 11'689'512.0) < 1e-9);
    QVERIFY(std::abs(ratios["macs"].toDouble() - 4'089'184'256.0 / 1'814'073'344.0) < 1e-9);
    QVERIFY(ratios["latency_us"].isNull());
    QCOMPARE(o["differences"].toObject()["layers"].toInt(), 106); // 175 − 69
    // Every row of the table is in both totals and in the ratios.
    for (const QJsonValue& v : o["rows"].toArray()) {
        const QString key = v.toObject()["key"].toString();
        QVERIFY2(a.contains(key) && b.contains(key) && ratios.contains(key), qPrintable(key));
    }
}

void TestCompare::cliTable()
{
    Run r = run({"compare", "zoo:resnet18", "zoo:resnet50"});
    QCOMPARE(r.code, 0);
    const QString t = QString::fromUtf8(r.out);
    QVERIFY(t.contains("A: ResNet-18"));
    QVERIFY(t.contains("B: ResNet-50"));
    QVERIFY(t.contains("11,689,512"));
    QVERIFY(t.contains("25,557,032"));
    QVERIFY(t.contains("+13,867,520"));
    QVERIFY(t.contains("2.186×"));
}

void TestCompare::cliVariant()
{
    // B is ResNet-18 at half width (divisor 8): 3,055,880 parameters (tst_scaling has the arithmetic).
    Run r = run({"compare", "zoo:resnet18", "--width", "0.5", "--format", "json"});
    QCOMPARE(r.code, 0);
    QJsonObject o = QJsonDocument::fromJson(r.out).object();
    QCOMPARE(o["b"].toObject()["params"].toInteger(), qint64(3'055'880));
    QCOMPARE(o["b"].toObject()["name"].toString(), QString("ResNet-18 (width ×0.5)"));
}

void TestCompare::cliBadInput_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("message");
    QTest::newRow("no design") << QStringList{"compare"} << "compare takes two designs";
    QTest::newRow("one design, no knob")
        << QStringList{"compare", "zoo:resnet18"} << "compare takes two designs";
    QTest::newRow("three designs") << QStringList{"compare", "zoo:resnet18", "zoo:resnet50", "zoo:vgg16"}
                                   << "a third was given: zoo:vgg16";
    QTest::newRow("unknown zoo") << QStringList{"compare", "zoo:resnet18", "zoo:nope"} << "zoo:nope";
    QTest::newRow("csv") << QStringList{"compare", "zoo:resnet18", "zoo:resnet50", "--format", "csv"}
                         << "table or json";
    QTest::newRow("bad width") << QStringList{"compare", "zoo:resnet18", "--width", "zero"}
                               << "--width takes";
    QTest::newRow("two knobs") << QStringList{"compare", "zoo:resnet18", "--width", "2", "--depth", "2"}
                               << "one scaling knob at a time";
    QTest::newRow("knob with two designs")
        << QStringList{"compare", "zoo:resnet18", "zoo:resnet50", "--depth", "2"} << "give one design";
    QTest::newRow("width on a transformer")
        << QStringList{"compare", "zoo:vit_tiny", "--width", "2"} << "layer \"patch_embed\"";
    QTest::newRow("unknown option") << QStringList{"compare", "zoo:resnet18", "zoo:resnet50", "--fast"}
                                    << "unknown option --fast";
}

void TestCompare::cliBadInput()
{
    QFETCH(QStringList, args);
    QFETCH(QString, message);
    Run r = run(args);
    QCOMPARE(r.code, 1);
    QVERIFY2(QString::fromUtf8(r.err).contains(message), r.err.constData());
    QVERIFY(!QString::fromUtf8(r.err).contains('\n') || QString::fromUtf8(r.err).count('\n') == 1);
}

void TestCompare::cliDesignWithErrors()
{
    // A 3×1×1 input leaves pool1's 2×2 window no room: the comparison still prints, the broken design's
    // deployment figures are absent, and the exit status names the layer.
    Network bad = loadZoo("wide_shallow").value();
    Node* input = bad.node(bad.findByName("input"));
    QVERIFY(input);
    input->params.dims = Shape{3, 1, 1};
    QTemporaryDir dir;
    const QString path = dir.filePath("bad.json");
    QVERIFY(saveNetwork(bad, path).ok());
    Run r = run({"compare", "zoo:wide_shallow", path, "--format", "json"});
    QCOMPARE(r.code, 1);
    QVERIFY2(QString::fromUtf8(r.err).contains("layer \""), r.err.constData());
    QJsonObject o = QJsonDocument::fromJson(r.out).object();
    QVERIFY(o["b"].toObject()["deploy_peak_bytes"].isNull());
    QVERIFY(o["b"].toObject()["errors"].toInt() > 0);
    QCOMPARE(o["a"].toObject()["params"].toInteger(), qint64(460'330));
}

QTEST_GUILESS_MAIN(TestCompare)
#include "tst_compare.moc"

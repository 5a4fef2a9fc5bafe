// Tests `netcanvas-cli bench` as a script reads it: per-layer output shape, MACs, spread, noise flag
// and foreign load; the machine object with the peak per thread count and the bandwidth per level;
// the --end-to-end inference figures.
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTest>

class TestBenchCli : public QObject {
    Q_OBJECT
private slots:
    void jsonCarriesSpreadShapesAndTheMachine();
    void noProbeGivesNullMachine();
    void deployFusesTheMcuCnnsActivations();
};

static QByteArray bench(const QStringList& args, int* code)
{
    QProcess p;
    p.start(NC_CLI_PATH, QStringList{"bench"} + args);
    p.waitForFinished(300000);
    *code = p.exitCode();
    return p.readAllStandardOutput();
}

void TestBenchCli::jsonCarriesSpreadShapesAndTheMachine()
{
    int code = -1;
    QByteArray out = bench({"zoo:mcu_cnn", "--threads", "1", "--seconds", "0.001", "--end-to-end", "--format", "json"},
                           &code);
    QCOMPARE(code, 0);
    QJsonObject o = QJsonDocument::fromJson(out).object();
    QJsonArray layers = o["layers"].toArray();
    QJsonObject conv0 = layers.at(1).toObject();
    QCOMPARE(conv0["name"].toString(), QString("conv0"));
    // conv0: 3×96×96 → 16 channels, 3×3 stride 2 pad 1 → 48×48, batch 1:
    // MACs = 16·48·48 · 3·3·3 = 36,864 · 27 = 995,328.
    QCOMPARE(conv0["output_shape"].toArray(), (QJsonArray{1, 16, 48, 48}));
    QCOMPARE(conv0["macs"].toInteger(), qint64(995328));
    // Output o's taps read 2o − 1 .. 2o + 1 of 96: o = 0's first is padding, 3·48 − 1 = 143 inside.
    QCOMPARE(conv0["padding_macs"].toInteger(), qint64(16 * 3 * (144 * 144 - 143 * 143)));
    QVERIFY(conv0["gops"].toDouble() > 0);
    QVERIFY(conv0["spread"].toDouble() >= 1.0);
    QVERIFY(conv0["noisy"].isBool());
    // noisy is exactly the documented rule on the reported spread.
    QCOMPARE(conv0["noisy"].toBool(), conv0["spread"].toDouble() > 1.25);
    const double load = conv0["foreign_load"].toDouble(-1);
    QVERIFY(load >= 0 && load <= 1);
    QVERIFY(QStringList({"l1", "l2", "l3", "dram"}).contains(conv0["roof_level"].toString()));
    QVERIFY(conv0["roof_gops"].toDouble() > 0);
    QJsonObject m = o["machine"].toObject();
    QVERIFY(m["peak_gflops"].toObject()["1"].toDouble() > 0);
    QJsonObject bw = m["bandwidth_gbs"].toObject()["1"].toObject();
    for (const char* level : {"l1", "l2", "l3", "dram"})
        QVERIFY2(bw[level].toDouble() > 0, level);
    QCOMPARE(m["peak_bits"].toInt(), 32);
    QJsonObject e = o["end_to_end"].toObject();
    QVERIFY(e["latency_us_median"].toDouble() > 0);
    QVERIFY(e["latency_us_p90"].toDouble() >= e["latency_us_median"].toDouble());
    QVERIFY(e["peak_bytes"].toInteger() > 0);
    QVERIFY(e["note"].isNull());
}

void TestBenchCli::noProbeGivesNullMachine()
{
    int code = -1;
    QByteArray out = bench({"zoo:mcu_cnn", "--seconds", "0.001", "--no-probe", "--format", "json"}, &code);
    QCOMPARE(code, 0);
    QJsonObject o = QJsonDocument::fromJson(out).object();
    QVERIFY(o["machine"].isNull());
    QVERIFY(!o.contains("end_to_end"));
    QVERIFY(o["layers"].toArray().at(1).toObject()["roof_level"].isNull());
}

// The MCU CNN has no BatchNorm and 9 convolutions (conv0, 4 depthwise, 4 pointwise), each followed
// by a ReLU6 that becomes its post-op: 0 folded, 9 fused.
void TestBenchCli::deployFusesTheMcuCnnsActivations()
{
    int code = -1;
    QByteArray out = bench({"zoo:mcu_cnn", "--seconds", "0.001", "--no-probe", "--deploy", "--format", "json"}, &code);
    QCOMPARE(code, 0);
    QJsonObject o = QJsonDocument::fromJson(out).object();
    QVERIFY(o["deploy"].toBool());
    QCOMPARE(o["totals"].toObject()["folded"].toInt(), 0);
    QCOMPARE(o["totals"].toObject()["fused"].toInt(), 9);
    int fused = 0;
    for (const QJsonValue& v : o["layers"].toArray())
        fused += v.toObject()["status"].toString() == "fused";
    QCOMPARE(fused, 9);
    QCOMPARE(o["layers"].toArray().at(2).toObject()["note"].toString(),
             QString("fused into \"conv0\" as its post-op (deployment graph)"));
}

QTEST_GUILESS_MAIN(TestBenchCli)
#include "tst_benchcli.moc"

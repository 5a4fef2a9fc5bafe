// Tests netcanvas-cli as a user runs it: the JSON schema and its figures, CSV rows, exit codes and
// one-line reasons on bad input.
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

class TestCli : public QObject {
    Q_OBJECT
private slots:
    void jsonSchemaAndFigures();
    void csvHasOneRowPerLayer();
    void tableShowsTotals();
    void zooListsModels();
    void benchJsonSchema();
    void badInput_data();
    void badInput();
    void layerErrorsExitNonZero();
    void benchLayerErrorsExitNonZero();
    void tableColumnsNeverTouch();
    void exportOnnxTooLargeNamesLayer();

private:
    struct Run {
        int code;
        QByteArray out, err;
    };
    Run run(const QStringList& args);
};

TestCli::Run TestCli::run(const QStringList& args)
{
    QProcess p;
    p.start(NC_CLI_PATH, args);
    p.waitForFinished(60000);
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, p.readAllStandardOutput(),
            p.readAllStandardError()};
}

void TestCli::jsonSchemaAndFigures()
{
    Run r = run({"analyze", "zoo:alexnet", "--format", "json", "--bits", "8"});
    QCOMPARE(r.code, 0);
    QJsonObject o = QJsonDocument::fromJson(r.out).object();
    QCOMPARE(o["network"].toString(), QString("AlexNet"));
    QCOMPARE(o["bits"].toInt(), 8);
    QCOMPARE(o["input"].toArray(), (QJsonArray{1, 3, 224, 224}));
    QJsonArray layers = o["layers"].toArray();
    QCOMPARE(layers.size(), 22);
    QJsonObject conv1 = layers.at(1).toObject();
    QCOMPARE(conv1["name"].toString(), QString("conv1"));
    QCOMPARE(conv1["output_shape"].toArray(), (QJsonArray{1, 96, 55, 55}));
    QCOMPARE(conv1["params"].toInteger(), qint64(34944));
    QCOMPARE(conv1["model_bytes"].toInteger(), qint64(34944));
    QCOMPARE(conv1["macs"].toInteger(), qint64(34848 * 55 * 55));
    QCOMPARE(conv1["flops"].toInteger(), qint64(2 * 34848 * 55 * 55));
    QCOMPARE(conv1["receptive_field"].toObject()["size"].toArray(), (QJsonArray{11, 11}));
    QCOMPARE(conv1["receptive_field"].toObject()["jump"].toArray(), (QJsonArray{4, 4}));
    QVERIFY(conv1["error"].isNull());
    for (const char* key : {"id", "type", "other_ops", "activations", "activation_bytes", "live_bytes"})
        QVERIFY2(conv1.contains(key), key);
    QJsonObject t = o["totals"].toObject();
    QCOMPARE(t["params"].toInteger(), qint64(60965224));
    QCOMPARE(t["model_bytes"].toInteger(), qint64(60965224));
    QCOMPARE(t["activations"].toInteger(), qint64(932264));
    QCOMPARE(t["peak_activations"].toInteger(), qint64(440928));
    QCOMPARE(t["peak_activations_layer"].toString(), QString("conv1"));
    QCOMPARE(t["peak_live_bytes"].toInteger(), qint64(440928));
    QCOMPARE(t["peak_live_layer"].toString(), QString("conv1"));
    for (const char* key : {"macs", "flops", "receptive_field"})
        QVERIFY2(t.contains(key), key);
}

void TestCli::csvHasOneRowPerLayer()
{
    Run r = run({"analyze", "zoo:resnet18", "--format", "csv"});
    QCOMPARE(r.code, 0);
    QList<QByteArray> lines = r.out.trimmed().split('\n');
    Run j = run({"analyze", "zoo:resnet18", "--format", "json"});
    int layers = static_cast<int>(QJsonDocument::fromJson(j.out).object()["layers"].toArray().size());
    QCOMPARE(lines.size(), layers + 1);
    QVERIFY(lines[0].startsWith("step,id,name,type,output_shape,params"));
    QVERIFY(lines[2].contains(",conv1,conv2d,1x64x112x112,9408,"));
}

void TestCli::tableShowsTotals()
{
    Run r = run({"analyze", "zoo:resnet50", "--batch", "2"});
    QCOMPARE(r.code, 0);
    QVERIFY(r.out.contains("Total params: 25,557,032"));
    QVERIFY(r.out.contains("batch 2"));
    QVERIFY(r.out.contains("[2, 64, 112, 112]"));
}

void TestCli::zooListsModels()
{
    Run r = run({"zoo"});
    QCOMPARE(r.code, 0);
    for (const char* m : {"zoo:alexnet", "zoo:vgg16", "zoo:resnet18", "zoo:resnet50", "zoo:mobilenet_v2",
                          "zoo:vit_tiny", "zoo:mcu_cnn"})
        QVERIFY2(r.out.contains(m), m);
}

void TestCli::benchJsonSchema()
{
    Run r = run({"bench", "zoo:mcu_cnn", "--backend", "onednn", "--threads", "1", "--batch", "2", "--seconds", "0.001",
                 "--format", "json"});
    QCOMPARE(r.code, 0);
    QJsonObject o = QJsonDocument::fromJson(r.out).object();
    QCOMPARE(o["backend"].toString(), QString("onednn"));
    QCOMPARE(o["batch"].toInt(), 2);
    QCOMPARE(o["threads"].toInt(), 1);
    QJsonArray layers = o["layers"].toArray();
    QCOMPARE(layers.size(), 22);
    QJsonObject conv0 = layers.at(1).toObject();
    QCOMPARE(conv0["name"].toString(), QString("conv0"));
    QCOMPARE(conv0["status"].toString(), QString("measured"));
    QVERIFY(conv0["latency_us_median"].toDouble() > 0);
    QVERIFY(conv0["latency_us_p90"].toDouble() >= conv0["latency_us_median"].toDouble());
    // bytes moved = fp32 (input 2·3·96·96 + weights 448 + output 2·16·48·48)
    QCOMPARE(conv0["bytes_moved"].toInteger(), qint64(4 * (2 * 3 * 96 * 96 + 448 + 2 * 16 * 48 * 48)));
    QVERIFY(conv0["gflops"].toDouble() > 0);
    QCOMPARE(layers.at(20).toObject()["status"].toString(), QString("view")); // flatten
    QJsonObject t = o["totals"].toObject();
    QVERIFY(t["latency_us_sum"].toDouble() > 0);
    QVERIFY(t["latency_us_end_to_end"].toDouble() > 0);
    Run bad = run({"bench", "zoo:mcu_cnn", "--backend", "cuda"});
    QCOMPARE(bad.code, 1);
    QVERIFY(bad.err.contains("--backend takes eigen or onednn"));
}

void TestCli::badInput_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("reason");
    QTest::newRow("missing file") << QStringList{"analyze", "/nonexistent/x.json"} << "cannot open /nonexistent/x.json";
    QTest::newRow("unknown zoo") << QStringList{"analyze", "zoo:lenet"} << "no zoo model \"lenet\"";
    QTest::newRow("bad bits") << QStringList{"analyze", "zoo:alexnet", "--bits", "7"} << "--bits takes 32, 16, 8 or 4";
    QTest::newRow("bad batch") << QStringList{"analyze", "zoo:alexnet", "--batch", "0"} << "--batch takes";
    QTest::newRow("bad format") << QStringList{"analyze", "zoo:alexnet", "--format", "xml"} << "--format takes";
    QTest::newRow("unknown command") << QStringList{"frobnicate"} << "unknown command";
}

void TestCli::badInput()
{
    QFETCH(QStringList, args);
    QFETCH(QString, reason);
    Run r = run(args);
    QVERIFY(r.code != 0);
    QVERIFY(r.out.isEmpty());
    QVERIFY2(QString::fromUtf8(r.err).contains(reason), r.err.constData());
    QCOMPARE(r.err.count('\n'), 1);
}

void TestCli::layerErrorsExitNonZero()
{
    QTemporaryDir dir;
    QString path = dir.filePath("bad.json");
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(R"({"format":"netcanvas","version":1,"layers":[
 {"id":1,"name":"in","type":"input","attrs":{"shape":[3,5,5]}},
 {"id":2,"name":"big","type":"conv2d","attrs":{"kernel_h":7,"kernel_w":7,"pad_top":0,"pad_bottom":0,"pad_left":0,"pad_right":0}}],
 "edges":[{"id":1,"from":1,"to":2,"port":0}]})");
    f.close();
    Run r = run({"analyze", path});
    QCOMPARE(r.code, 1);
    QVERIFY(r.out.contains("ERROR: layer \"big\": kernel 7 exceeds padded input 5 on axis H"));
    QVERIFY(r.err.contains("1 layer(s) have errors"));
}

void TestCli::benchLayerErrorsExitNonZero()
{
    QTemporaryDir dir;
    QString path = dir.filePath("bad.json");
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(R"({"format":"netcanvas","version":1,"layers":[
 {"id":1,"name":"in","type":"input","attrs":{"shape":[3,5,5]}},
 {"id":2,"name":"big","type":"conv2d","attrs":{"kernel_h":7,"kernel_w":7,"pad_top":0,"pad_bottom":0,"pad_left":0,"pad_right":0}}],
 "edges":[{"id":1,"from":1,"to":2,"port":0}]})");
    f.close();
    Run r = run({"bench", path, "--seconds", "0.001", "--threads", "1"});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("1 layer(s) have errors; first: layer \"big\": kernel 7 exceeds padded input 5"),
             r.err.constData());
}

void TestCli::tableColumnsNeverTouch()
{
    // A 3×3 convolution, 64 → 512 channels, "same" padding on 65,536 × 65,536:
    //   params = 512·64·3·3 + 512 = 295,424
    //   MACs   = 512·64·3·3 · 65,536² = 294,912 · 4,294,967,296 = 1,266,637,395,197,952
    //   activations = 512 · 65,536² = 2,199,023,255,552
    QTemporaryDir dir;
    QString path = dir.filePath("wide.json");
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(R"({"format":"netcanvas","version":1,"layers":[
 {"id":1,"name":"in","type":"input","attrs":{"shape":[64,65536,65536]}},
 {"id":2,"name":"wide","type":"conv2d","attrs":{"out_channels":512,"kernel_h":3,"kernel_w":3,"pad_same":true}}],
 "edges":[{"id":1,"from":1,"to":2,"port":0}]})");
    f.close();
    Run r = run({"analyze", path});
    QCOMPARE(r.code, 0);
    QByteArray row;
    for (const QByteArray& line : r.out.split('\n'))
        if (line.startsWith("wide "))
            row = line;
    QVERIFY2(!row.isEmpty(), r.out.constData());
    // Every column is separated from the next by at least two spaces.
    const QStringList cells = QString::fromUtf8(row).split(QRegularExpression("\\s{2,}"), Qt::SkipEmptyParts);
    QCOMPARE(cells.size(), 8);
    QCOMPARE(cells[0], QString("wide"));
    QCOMPARE(cells[2], QString("[1, 512, 65536, 65536]"));
    QCOMPARE(cells[3], QString("295,424"));
    QCOMPARE(cells[4], QString("1,266,637,395,197,952"));
    QCOMPARE(cells[5], QString("2,199,023,255,552"));
}

void TestCli::exportOnnxTooLargeNamesLayer()
{
    // A Linear layer on 2^31 inputs holds 4·2^31 + 4 = 8,589,934,596 weights: 34.4 GB as float32.
    QTemporaryDir dir;
    QString path = dir.filePath("big.json");
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(R"({"format":"netcanvas","version":1,"layers":[
 {"id":1,"name":"in","type":"input","attrs":{"shape":[2147483648]}},
 {"id":2,"name":"fc","type":"linear","attrs":{"out_features":4}}],
 "edges":[{"id":1,"from":1,"to":2,"port":0}]})");
    f.close();
    Run r = run({"export", path, "--to", "onnx", "-o", dir.filePath("big.onnx")});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("layer \"fc\" holds 8,589,934,596 weights"), r.err.constData());
    QVERIFY2(r.err.contains("2 GiB"), r.err.constData());
    QVERIFY(!r.err.contains("bad_alloc"));
    QVERIFY(!QFile::exists(dir.filePath("big.onnx")));
}

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"

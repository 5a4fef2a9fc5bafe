// Tests netcanvas-cli as a user runs it: the JSON schema and its figures, CSV rows, exit codes and
// one-line reasons on bad input.
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <map>

class TestCli : public QObject {
    Q_OBJECT
private slots:
    void jsonSchemaAndFigures();
    void csvHasOneRowPerLayer();
    void tableShowsTotals();
    void zooListsModels();
    void benchJsonSchema();
    void memoryJsonFields();
    void memoryVerdicts();
    void memoryTableMarksFusedLayers();
    void memoryHeaderHasOffsets();
    void memoryPatchesAndOptimal();
    void memoryFlashAttention();
    void memoryJsonTagsPortsAndKvCache();
    void badInput_data();
    void badInput();
    void layerErrorsExitNonZero();
    void benchLayerErrorsExitNonZero();
    void tableColumnsNeverTouch();
    void exportOnnxTooLargeNamesLayer();
    void fixedOperandInJson();

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
    // 11×11 stride 4, padding 2 on 224: output o's taps read 4o − 2 .. 4o + 8; o = 0 has two on the
    // padding, o = 54 one (index 224), so 11·55 − 3 = 602 of 605 are inside per axis.
    QCOMPARE(conv1["padding_macs"].toInteger(), qint64(96 * 3 * (605 * 605 - 602 * 602)));
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

void TestCli::memoryJsonFields()
{
    // The issue's schema, exactly: MobileNetV2 int8 deployment, 1,404,928 B at features.2.expand
    // (16×112×112 + 96×112×112), over a 256 KiB budget.
    Run r = run({"memory", "zoo:mobilenet_v2", "--bits", "8", "--deploy", "--budget", "262144", "--format", "json"});
    QCOMPARE(r.code, 0);
    QJsonObject o = QJsonDocument::fromJson(r.out).object();
    QStringList keys = o.keys();
    keys.sort();
    QCOMPARE(keys, (QStringList{"arena_bytes", "budget_bytes", "buffers", "default_peak_bytes", "fits",
                                "lower_bound_bytes", "patch", "peak_bytes", "peak_layer", "schedule"}));
    QCOMPARE(o["peak_bytes"].toInteger(), qint64(1404928));
    QCOMPARE(o["peak_layer"].toString(), QString("features.2.expand"));
    QCOMPARE(o["default_peak_bytes"].toInteger(), qint64(1404928));
    QCOMPARE(o["lower_bound_bytes"].toInteger(), qint64(1404928));
    QVERIFY(o["arena_bytes"].toInteger() >= o["lower_bound_bytes"].toInteger());
    QCOMPARE(o["budget_bytes"].toInteger(), qint64(262144));
    QCOMPARE(o["fits"].toBool(), false);
    QVERIFY(o["patch"].isNull());
    QJsonArray schedule = o["schedule"].toArray();
    QCOMPARE(schedule.at(0).toString(), QString("input"));
    QCOMPARE(schedule.at(1).toString(), QString("features.0")); // its BatchNorm and ReLU6 run inside it
    QCOMPARE(schedule.at(4).toString(), QString("features.2.expand"));
    QJsonObject b = o["buffers"].toArray().at(0).toObject();
    QStringList bkeys = b.keys();
    bkeys.sort();
    QCOMPARE(bkeys, (QStringList{"bytes", "first_step", "kind", "last_step", "layer", "offset", "port"}));
    QCOMPARE(b["layer"].toString(), QString("input"));
    QCOMPARE(b["bytes"].toInteger(), qint64(3 * 224 * 224));
    QCOMPARE(b["first_step"].toInt(), 0);
    QCOMPARE(b["last_step"].toInt(), 1);
}

void TestCli::memoryVerdicts()
{
    // 1,404,928 B = 1.34 MiB, 5.36× 256 KiB.
    Run over = run({"memory", "zoo:mobilenet_v2", "--bits", "8", "--deploy", "--budget", "256KiB"});
    QCOMPARE(over.code, 0);
    QVERIFY2(over.out.contains("needs 1.34 MiB, 5.4× the budget of 256 KiB"), over.out.constData());
    // MCU CNN: 27,648 + 36,864 = 64,512 B at conv0, 24.6% of 256 KiB.
    Run fits = run({"memory", "zoo:mcu_cnn", "--deploy", "--budget", "262144"});
    QCOMPARE(fits.code, 0);
    QVERIFY2(fits.out.contains("fits in 256 KiB (25% used)"), fits.out.constData());
    QVERIFY(fits.out.contains("peak: 64,512 B (63 KiB) at conv0"));
}

void TestCli::memoryTableMarksFusedLayers()
{
    Run r = run({"memory", "zoo:resnet18", "--deploy", "--bits", "8"});
    QCOMPARE(r.code, 0);
    QVERIFY(r.out.contains("20 BatchNorm folded, 17 activations fused"));
    QVERIFY(r.out.contains("conv1_bn (folded), conv1_relu (fused)"));
    QVERIFY(r.out.contains("layer1.0.add (in place)"));
    // conv1's 802,816 B and the max pool's 200,704 B.
    QVERIFY(r.out.contains("peak: 1,003,520 B"));
}

void TestCli::memoryHeaderHasOffsets()
{
    Run r = run({"memory", "zoo:mcu_cnn", "--deploy", "--format", "header"});
    QCOMPARE(r.code, 0);
    QVERIFY(r.out.contains("#define NC_ARENA_BYTES "));
    QVERIFY(r.out.contains("#define NC_CONV0_BYTES 36864"));
    QVERIFY(r.out.contains("#define NC_INPUT_BYTES 27648"));
    QVERIFY(r.out.contains("#define NC_BLOCK1_DW_SCRATCH_BYTES 2500")); // one padded 50×50 channel
    QVERIFY(r.out.contains("#ifndef NC_ARENA_"));
}

void TestCli::memoryPatchesAndOptimal()
{
    // MCU CNN, 2×2 patches over conv0: each patch reads the whole input and writes into the whole
    // 16×48×48 output, nothing in between: 27,648 + 36,864 B; conv0's 3×3 stride-2 windows overlap
    // by one input row, but patches split conv0's own output, so nothing is recomputed.
    Run r = run({"memory", "zoo:mcu_cnn", "--deploy", "--patches", "2", "--patch-layers", "1", "--format", "json"});
    QCOMPARE(r.code, 0);
    QJsonObject p = QJsonDocument::fromJson(r.out).object()["patch"].toObject();
    QCOMPARE(p["grid"].toInt(), 2);
    QCOMPARE(p["layers"].toInt(), 1);
    QCOMPARE(p["patch_peak_bytes"].toInteger(), qint64(27648 + 36864));
    QCOMPARE(p["extra_macs"].toInteger(), qint64(0));
    // After conv0: block1.dw in place in conv0's buffer, then block1.pw: 36,864 + 18,432 B.
    QCOMPARE(p["rest_peak_bytes"].toInteger(), qint64(36864 + 18432));
    // The deployment's peak is the larger part, the patch stage, at its op.
    QCOMPARE(QJsonDocument::fromJson(r.out).object()["peak_bytes"].toInteger(), qint64(27648 + 36864));
    QCOMPARE(QJsonDocument::fromJson(r.out).object()["peak_layer"].toString(), QString("conv0"));
    Run opt = run({"memory", "zoo:resnet18", "--deploy", "--schedule", "optimal", "--format", "json"});
    QCOMPARE(opt.code, 0);
    QJsonObject o = QJsonDocument::fromJson(opt.out).object();
    QVERIFY(o["peak_bytes"].toInteger() <= o["default_peak_bytes"].toInteger());
    Run autoP = run({"memory", "zoo:mobilenet_v2", "--bits", "8", "--deploy", "--patches", "auto", "--format", "json"});
    QCOMPARE(autoP.code, 0);
    QJsonObject a = QJsonDocument::fromJson(autoP.out).object();
    QVERIFY(a["patch"].isObject());
    QVERIFY(a["peak_bytes"].toInteger() < qint64(1404928));
}

void TestCli::memoryFlashAttention()
{
    // ViT-Tiny (197 tokens, 3 heads, fp32) peaks inside block0.attn. Flash attention replaces the
    // 3·197² map with 2·3·197 running statistics and a 197×64 block of scores:
    // 4·(116,427 − 1,182 − 12,608) = 410,548 B less.
    auto peak = [&](const char* flash) {
        Run r = run({"memory", "zoo:vit_tiny", "--deploy", "--flash-attention", flash, "--format", "json"});
        QJsonObject o = QJsonDocument::fromJson(r.out).object();
        return std::pair{o["peak_bytes"].toInteger(), o["peak_layer"].toString()};
    };
    auto [off, offLayer] = peak("off");
    auto [on, onLayer] = peak("on");
    QCOMPARE(offLayer, QString("block0.attn"));
    QCOMPARE(onLayer, QString("block0.attn"));
    QCOMPARE(off - on, qint64(410548));
}

void TestCli::memoryJsonTagsPortsAndKvCache()
{
    // An LSTM over 10 steps of 8 features, hidden 16, fp32: the sequence y is 10·16·4 = 640 B, h_n
    // and c_n 1·16·4 = 64 B each, and its scratch holds the gate pre-activations, 10·4·16·4 =
    // 2,560 B. h_n (port 1) feeds a linear layer 16 → 4 (1·4·4 = 16 B), the network's output; y and
    // c_n feed nothing, so they die at the LSTM's own step. The input is 10·8·4 = 320 B. The peak is
    // the LSTM's step: 320 + 640 + 64 + 64 + 2,560 = 3,648 B.
    QTemporaryDir dir;
    const QString path = dir.filePath("lstm.json");
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(R"({"format":"netcanvas","version":2,"layers":[
 {"id":1,"name":"in","type":"input","attrs":{"shape":[10,8]}},
 {"id":2,"name":"rnn","type":"lstm","attrs":{"hidden":16,"layers":1}},
 {"id":3,"name":"fc","type":"linear","attrs":{"out_features":4}}],
 "edges":[{"id":1,"from":1,"to":2,"port":0},{"id":2,"from":2,"to":3,"port":0,"from_port":1}]})");
    f.close();
    Run r = run({"memory", path, "--deploy", "--format", "json"});
    QCOMPARE(r.code, 0);
    const QJsonObject lstm = QJsonDocument::fromJson(r.out).object();
    QCOMPARE(lstm["peak_bytes"].toInteger(), qint64(3648));
    const QJsonArray buffers = lstm["buffers"].toArray();
    std::map<std::pair<QString, int>, QJsonObject> byPort;
    auto at = [&](const char* layer, int port) { return byPort[{QString(layer), port}]; };
    QJsonObject scratch;
    for (const QJsonValue& v : buffers) {
        const QJsonObject b = v.toObject();
        if (b["kind"].toString() == "scratch")
            scratch = b;
        else
            byPort[{b["layer"].toString(), b["port"].toInt(-1)}] = b;
    }
    QCOMPARE(buffers.size(), 6);
    QCOMPARE(at("in", 0)["bytes"].toInteger(), qint64(320));
    QCOMPARE(at("rnn", 0)["bytes"].toInteger(), qint64(640));
    QCOMPARE(at("rnn", 1)["bytes"].toInteger(), qint64(64));
    QCOMPARE(at("rnn", 2)["bytes"].toInteger(), qint64(64));
    QCOMPARE(at("fc", 0)["bytes"].toInteger(), qint64(16));
    for (const char* layer : {"in", "rnn", "fc"})
        QCOMPARE(at(layer, 0)["kind"].toString(), QString("output"));
    QCOMPARE(at("rnn", 1)["kind"].toString(), QString("output"));
    QCOMPARE(at("rnn", 2)["kind"].toString(), QString("output"));
    // h_n lives until fc reads it (step 2); c_n only during the LSTM's step.
    QCOMPARE(at("rnn", 1)["last_step"].toInt(), 2);
    QCOMPARE(at("rnn", 2)["last_step"].toInt(), 1);
    QCOMPARE(scratch["layer"].toString(), QString("rnn"));
    QCOMPARE(scratch["bytes"].toInteger(), qint64(2560));

    // GPT-2 small, fp32, context 1,024: each of the 12 causal attention layers keeps K and V of every
    // token, 2·768·1,024·4 = 6,291,456 B, live from the first step to the last.
    Run g = run({"memory", "zoo:gpt2", "--deploy", "--format", "json"});
    QCOMPARE(g.code, 0);
    const QJsonObject root = QJsonDocument::fromJson(g.out).object();
    const int last = static_cast<int>(root["schedule"].toArray().size()) - 1;
    int kv = 0;
    for (const QJsonValue& v : root["buffers"].toArray()) {
        const QJsonObject b = v.toObject();
        const QString kind = b["kind"].toString();
        QVERIFY2(kind == "output" || kind == "kv_cache" || kind == "scratch", qPrintable(kind));
        if (kind != "kv_cache")
            continue;
        ++kv;
        QCOMPARE(b["bytes"].toInteger(), qint64(6291456));
        QCOMPARE(b["first_step"].toInt(), 0);
        QCOMPARE(b["last_step"].toInt(), last);
        QCOMPARE(b["port"].toInt(-1), 0);
        QVERIFY2(b["layer"].toString().endsWith("attn"), qPrintable(b["layer"].toString()));
    }
    QCOMPARE(kv, 12);
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
    QTest::newRow("memory bad schedule") << QStringList{"memory", "zoo:mcu_cnn", "--schedule", "fast"}
                                         << "--schedule takes default or optimal";
    QTest::newRow("memory bad planner") << QStringList{"memory", "zoo:mcu_cnn", "--planner", "tlsf"}
                                        << "--planner takes greedy or best";
    QTest::newRow("memory bad budget") << QStringList{"memory", "zoo:mcu_cnn", "--budget", "lots"} << "--budget takes";
    QTest::newRow("memory patches without layers") << QStringList{"memory", "zoo:mcu_cnn", "--patches", "2"}
                                                   << "--patches N needs --patch-layers K";
    QTest::newRow("memory patch grid too fine")
        << QStringList{"memory", "zoo:mcu_cnn", "--deploy", "--patches", "64", "--patch-layers", "2"}
        << "a 64×64 grid does not fit the 24×24 output of layer \"block1.dw\"";
    QTest::newRow("memory patch stage past a chain")
        << QStringList{"memory", "zoo:resnet18", "--deploy", "--patches", "2", "--patch-layers", "4"}
        << "layer \"layer1.0.conv1\": its input is read by another layer too";
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

// A Multiply by a fixed scalar and an Add of a fixed [4,1] operand on a 4×8 input, as a user's
// design file: each layer reports 0 parameters and its operand's values as state (1 and 4), and
// 4·8 = 32 operations each.
void TestCli::fixedOperandInJson()
{
    QTemporaryDir dir;
    const QString path = dir.filePath("fixed.netcanvas");
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(R"({"format":"netcanvas","version":1,"layers":[
 {"id":1,"name":"in","type":"input","attrs":{"shape":[4,8]}},
 {"id":2,"name":"scale","type":"multiply","attrs":{"inputs":1,"operand":[1],"operand_fixed":true}},
 {"id":3,"name":"mask","type":"add","attrs":{"inputs":1,"operand":[4,1],"operand_fixed":true}}],
 "edges":[{"id":1,"from":1,"to":2,"port":0},{"id":2,"from":2,"to":3,"port":0}]})");
    f.close();
    Run r = run({"analyze", path, "--format", "json"});
    QCOMPARE(r.code, 0);
    const QJsonObject o = QJsonDocument::fromJson(r.out).object();
    const QJsonArray layers = o["layers"].toArray();
    QCOMPARE(layers.size(), 3);
    const QJsonObject scale = layers.at(1).toObject(), mask = layers.at(2).toObject();
    QCOMPARE(scale["params"].toInteger(), qint64(0));
    QCOMPARE(scale["state"].toInteger(), qint64(1));
    QCOMPARE(scale["other_ops"].toInteger(), qint64(32));
    QCOMPARE(mask["params"].toInteger(), qint64(0));
    QCOMPARE(mask["state"].toInteger(), qint64(4));
    QCOMPARE(mask["other_ops"].toInteger(), qint64(32));
    QCOMPARE(o["totals"].toObject()["params"].toInteger(), qint64(0));
    QCOMPARE(o["totals"].toObject()["state"].toInteger(), qint64(5));
}

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"

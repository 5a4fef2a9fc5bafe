// Tests `netcanvas-cli train` and `analyze --context` as a user runs them: the JSON fields of the
// issue with figures counted by hand (Llama-2-7B), the pipeline block, and refusals with a reason.
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTest>

class TestCliTrain : public QObject {
    Q_OBJECT
private slots:
    void jsonFieldsAndFigures();
    void pipelineBlock();
    void tableSaysWhetherItFits();
    void analyzeContext();
    void badInput_data();
    void badInput();

private:
    struct Run {
        int code;
        QByteArray out, err;
    };
    Run run(const QStringList& args);
};

TestCliTrain::Run TestCliTrain::run(const QStringList& args)
{
    QProcess p;
    p.start(NC_CLI_PATH, args);
    p.waitForFinished(120000);
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, p.readAllStandardOutput(),
            p.readAllStandardError()};
}

void TestCliTrain::jsonFieldsAndFigures()
{
    Run r = run({"train", "zoo:llama2_7b", "--tp", "2", "--context", "4096", "--format", "json"});
    QCOMPARE(r.code, 0);
    const QJsonObject o = QJsonDocument::fromJson(r.out).object();
    const QStringList keys{"communication_bytes_per_step", "fits", "kv_cache_bytes", "per_device", "pipeline",
                           "recompute_macs", "train_macs_per_step"};
    QCOMPARE(o.keys(), keys);
    const QJsonObject d = o["per_device"].toObject();
    QCOMPARE(d.keys(), (QStringList{"activations", "gradients", "optimizer", "total", "weights", "workspace"}));
    // Tensor parallel 2: half of 32·(4·4,096² + 3·4,096·11,008) plus the unsplit 262,410,240 (norms,
    // embedding, head), 2 B each.
    QCOMPARE(d["weights"].toInteger(), qint64(7'000'825'856));
    QCOMPARE(d["gradients"].toInteger(), qint64(7'000'825'856));
    QCOMPARE(d["optimizer"].toInteger(), qint64(6 * 7'000'825'856LL)); // 12 B per parameter
    QCOMPARE(d["total"].toInteger(), d["weights"].toInteger() + d["gradients"].toInteger() +
                                         d["optimizer"].toInteger() + d["activations"].toInteger() +
                                         d["workspace"].toInteger());
    QCOMPARE(o["kv_cache_bytes"].toInteger(), qint64(2'147'483'648)); // 2·32·4,096·32·128·2
    QCOMPARE(o["communication_bytes_per_step"].toInteger(), qint64(4'294'967'296));
    QCOMPARE(o["recompute_macs"].toInteger(), qint64(0));
    QVERIFY(o["pipeline"].isNull());
    QCOMPARE(o["fits"].toBool(), d["total"].toInteger() <= 80'000'000'000LL);
}

void TestCliTrain::pipelineBlock()
{
    Run r = run({"train", "zoo:llama2_7b", "--pp", "4", "--microbatches", "8", "--batch", "8", "--format", "json"});
    QCOMPARE(r.code, 0);
    const QJsonObject pipe = QJsonDocument::fromJson(r.out).object()["pipeline"].toObject();
    QCOMPARE(pipe["bubble"].toDouble(), 3.0 / 11.0); // (p − 1)/(m + p − 1)
    const QJsonArray stages = pipe["stages"].toArray();
    QCOMPARE(stages.size(), 4);
    int layers = 0;
    for (const auto& s : stages)
        layers += s.toObject()["layers"].toInt();
    QCOMPARE(layers, 196); // every layer of the design in exactly one stage

    // A user's split is kept as given.
    r = run({"train", "zoo:llama2_7b", "--pp", "2", "--stages", "100,96", "--format", "json"});
    QCOMPARE(r.code, 0);
    const QJsonArray two = QJsonDocument::fromJson(r.out).object()["pipeline"].toObject()["stages"].toArray();
    QCOMPARE(two[0].toObject()["layers"].toInt(), 100);
    QCOMPARE(two[1].toObject()["layers"].toInt(), 96);
}

void TestCliTrain::tableSaysWhetherItFits()
{
    // Unsharded mixed-precision Adam needs 16 B × 6.74 G parameters ≈ 107.8 GB: not on one 80 GB device.
    Run r = run({"train", "zoo:llama2_7b"});
    QCOMPARE(r.code, 0);
    QVERIFY2(r.out.contains("fits 80.00 GB: NO"), r.out.constData());
    r = run({"train", "zoo:llama2_7b", "--dp", "64", "--zero", "3", "--batch", "64", "--recompute", "selective"});
    QCOMPARE(r.code, 0);
    QVERIFY2(r.out.contains("fits 80.00 GB: yes"), r.out.constData());
}

void TestCliTrain::analyzeContext()
{
    Run r = run({"analyze", "zoo:llama2_7b", "--context", "1", "--format", "json"});
    QCOMPARE(r.code, 0);
    const QJsonObject o = QJsonDocument::fromJson(r.out).object();
    QCOMPARE(o["context"].toInteger(), qint64(1));
    QCOMPARE(o["totals"].toObject()["kv_cache_bytes"].toInteger(), qint64(524'288)); // per token
}

void TestCliTrain::badInput_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("message");
    QTest::addRow("recompute every:0") << QStringList{"train", "zoo:mlp_missing", "--recompute", "every:0"}
                                       << "--recompute takes none, full, selective or every:K";
    QTest::addRow("zero without dp") << QStringList{"train", "zoo:llama2_7b", "--zero", "2"} << "give --dp N";
    QTest::addRow("zero 4") << QStringList{"train", "zoo:llama2_7b", "--dp", "2", "--zero", "4"}
                            << "--zero takes a ZeRO stage";
    QTest::addRow("heads do not split") << QStringList{"train", "zoo:llama2_7b", "--tp", "3"}
                                        << "layer \"layers.0.self_attn\": 32 heads";
    QTest::addRow("batch does not split") << QStringList{"train", "zoo:llama2_7b", "--dp", "2", "--batch", "3"}
                                          << "does not split";
    QTest::addRow("stages disagree") << QStringList{"train", "zoo:llama2_7b", "--pp", "2", "--stages", "1,2,3"}
                                     << "--stages lists 3 stages but --pp is 2";
    QTest::addRow("csv") << QStringList{"train", "zoo:llama2_7b", "--format", "csv"} << "--format takes table or json";
    QTest::addRow("device memory") << QStringList{"train", "zoo:llama2_7b", "--device-memory", "lots"}
                                   << "--device-memory takes bytes";
    QTest::addRow("context") << QStringList{"analyze", "zoo:llama2_7b", "--context", "0"} << "--context takes";
}

void TestCliTrain::badInput()
{
    QFETCH(QStringList, args);
    QFETCH(QString, message);
    Run r = run(args);
    QCOMPARE(r.code, 1);
    QVERIFY2(QString::fromUtf8(r.err).contains(message), r.err.constData());
}

QTEST_GUILESS_MAIN(TestCliTrain)
#include "tst_cli_train.moc"

// Tests "netcanvas-cli energy": its JSON against hand figures, tables from files, and its errors.
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

class TestEnergyCli : public QObject {
    Q_OBJECT
private slots:
    void alexNetJson();
    void writtenTableLoadsBack();
    void errors_data();
    void errors();

private:
    struct Run {
        int code;
        QByteArray out, err;
    };
    static Run run(const QStringList& args)
    {
        QProcess p;
        p.start(NC_CLI_PATH, args);
        p.waitForFinished(120000);
        return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, p.readAllStandardOutput(),
                p.readAllStandardError()};
    }
    static QJsonObject layer(const QJsonObject& root, const QString& name)
    {
        for (const QJsonValue& v : root["layers"].toArray())
            if (v.toObject()["layer"].toString() == name)
                return v.toObject();
        return {};
    }
};

// fc6 at FP32: 37,752,832 weights · 640 pJ = 24,161,812,480 pJ off chip; at INT8 a quarter of it,
// 6,040,453,120 pJ. A 256 KiB budget at INT8: conv1's step holds 150,528 + 290,400 B, so its
// activations go to DRAM; fc6's (9,216 + 4,096 B) fits.
void TestEnergyCli::alexNetJson()
{
    Run r = run({"energy", "zoo:alexnet", "--format", "json"});
    QCOMPARE(r.code, 0);
    const QJsonObject root = QJsonDocument::fromJson(r.out).object();
    QCOMPARE(root["unit"].toString(), QString("pJ"));
    QCOMPARE(layer(root, "fc6")["off_chip_pj"].toDouble(), 24161812480.0);
    QVERIFY(root["budget_bytes"].isNull());
    r = run({"energy", "zoo:alexnet", "--format", "json", "--bits", "8", "--budget", "256KiB"});
    QCOMPARE(r.code, 0);
    const QJsonObject q = QJsonDocument::fromJson(r.out).object();
    QCOMPARE(layer(q, "fc6")["off_chip_pj"].toDouble(), 6040453120.0);
    QVERIFY(layer(q, "conv1")["activations_in_dram"].toBool());
    QVERIFY(!layer(q, "fc6")["activations_in_dram"].toBool());
    QCOMPARE(q["budget_bytes"].toInteger(), qint64(262144));
}

void TestEnergyCli::writtenTableLoadsBack()
{
    QTemporaryDir dir;
    const QString path = dir.filePath("t.json");
    QCOMPARE(run({"energy", "--table", "horowitz45-1mb", "--write-table", path}).code, 0);
    Run r = run({"energy", "zoo:alexnet", "--format", "json", "--table", path});
    QCOMPARE(r.code, 0);
    const QJsonObject root = QJsonDocument::fromJson(r.out).object();
    // conv2 on chip with 50 pJ per 32-bit access: 564,064 values · 50 = 28,203,200 pJ.
    QCOMPARE(layer(root, "conv2")["on_chip_pj"].toDouble(), 28203200.0);
    QVERIFY(root["table"].toObject()["name"].toString().contains("1 MB"));
}

void TestEnergyCli::errors_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("says");
    QTest::newRow("no design") << QStringList{"energy"} << "say which design";
    QTest::newRow("bad table") << QStringList{"energy", "zoo:alexnet", "--table", "/nonexistent/t.json"}
                               << "/nonexistent/t.json";
    QTest::newRow("bad budget") << QStringList{"energy", "zoo:alexnet", "--budget", "lots"} << "--budget";
    QTest::newRow("bad format") << QStringList{"energy", "zoo:alexnet", "--format", "xml"} << "--format";
    QTest::newRow("bad bits") << QStringList{"energy", "zoo:alexnet", "--bits", "12"} << "--bits";
}

void TestEnergyCli::errors()
{
    QFETCH(QStringList, args);
    QFETCH(QString, says);
    Run r = run(args);
    QVERIFY(r.code != 0);
    QVERIFY2(QString::fromUtf8(r.err).contains(says), r.err.constData());
}

QTEST_GUILESS_MAIN(TestEnergyCli)
#include "tst_energycli.moc"

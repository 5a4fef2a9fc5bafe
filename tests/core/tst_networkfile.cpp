// Tests the design file format: byte-identical round trips, version refusal, damaged and hostile
// files, and atomic saving.
#include "core/Analysis.h"
#include "core/NetworkFile.h"
#include "core/Zoo.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QTest>

using namespace nc::core;

class TestNetworkFile : public QObject {
    Q_OBJECT
private slots:
    void roundTripIsByteIdentical_data();
    void roundTripIsByteIdentical();
    void roundTripKeepsEverything();
    void damagedFilesAreRefused_data();
    void damagedFilesAreRefused();
    void hostileSizesFinishQuickly();
    void hugeDimensionsLoadButAnalyseAsErrors();
    void dimensionsNear2pow31_data();
    void dimensionsNear2pow31();
    void longChainLoadsAndAnalyses();
    void mutatedFilesNeverCrash();
    void saveIsAtomic();
    void failedSaveLeavesNoFile();
    void outputPortsRoundTrip();
    void fixedOperandRoundTrip();
};

namespace {
const char* kMinimal = R"({"format":"netcanvas","version":1,"layers":[
 {"id":1,"name":"in","type":"input","attrs":{"shape":[3,8,8]}},
 {"id":2,"name":"c","type":"conv2d","attrs":{"out_channels":4}}],
 "edges":[{"id":1,"from":1,"to":2,"port":0}]})";

QByteArray replaced(const char* from, const char* to) { return QByteArray(kMinimal).replace(from, to); }
} // namespace

void TestNetworkFile::roundTripIsByteIdentical_data()
{
    QTest::addColumn<QString>("key");
    for (const ZooEntry& e : zooEntries())
        QTest::newRow(e.key.c_str()) << QString::fromStdString(e.key);
}

void TestNetworkFile::roundTripIsByteIdentical()
{
    QFETCH(QString, key);
    Network n = loadZoo(key.toStdString()).value();
    QByteArray first = serializeNetwork(n);
    auto again = parseNetwork(first);
    QVERIFY(again.ok());
    QCOMPARE(serializeNetwork(*again), first);
    QVERIFY(*again == n);
}

void TestNetworkFile::roundTripKeepsEverything()
{
    auto r = parseNetwork(kMinimal);
    QVERIFY2(r.ok(), r.ok() ? "" : r.error().c_str());
    Network n = *r;
    n.batch = 7;
    n.bits = 4;
    n.node(NodeId{2})->params.padMode = static_cast<int64_t>(PadMode::Replicate);
    n.node(NodeId{2})->params.bits = 8;
    n.node(NodeId{2})->x = 12.5;
    auto back = parseNetwork(serializeNetwork(n));
    QVERIFY(back.ok());
    QVERIFY(*back == n);
    QCOMPARE(back->batch, int64_t(7));
    QCOMPARE(back->node(NodeId{2})->params.padMode, int64_t(2));
}

void TestNetworkFile::damagedFilesAreRefused_data()
{
    QTest::addColumn<QByteArray>("data");
    QTest::addColumn<QString>("message");
    QTest::newRow("empty") << QByteArray() << "not valid JSON";
    QTest::newRow("garbage") << QByteArray("\x89PNG\r\n\x1a\n garbage", 16) << "not valid JSON";
    QTest::newRow("truncated") << QByteArray(kMinimal).left(90) << "not valid JSON at line 2";
    QTest::newRow("array top level") << QByteArray("[1,2,3]") << "top level is not a JSON object";
    QTest::newRow("wrong format") << replaced("netcanvas", "tiled") << "\"format\" is not \"netcanvas\"";
    QTest::newRow("newer version") << replaced("\"version\":1", "\"version\":4")
                                   << "file format version 4 is newer than this NetCanvas supports (3)";
    // User groups (version 3): every member is a layer of the file, in one group at most.
    const auto grouped = [](const char* groups) {
        QByteArray f = replaced("\"version\":1", "\"version\":3");
        f.chop(1); // the closing brace
        return f + ",\"groups\":" + groups + "}";
    };
    QTest::newRow("groups in version 2") << grouped("[]").replace("\"version\":3", "\"version\":2")
                                         << "\"groups\" needs file format version 3";
    QTest::newRow("groups not a list") << grouped("{}") << "\"groups\" is not a list";
    QTest::newRow("group without name") << grouped(R"([{"members":[1,2]}])") << "group #1: \"name\" is missing";
    QTest::newRow("group without members") << grouped(R"([{"name":"g","members":[]}])")
                                           << "group \"g\": \"members\" must be a non-empty list";
    QTest::newRow("group of an unknown layer") << grouped(R"([{"name":"g","members":[1,7]}])")
                                               << "group \"g\": member 7 is not a layer id of this design";
    QTest::newRow("layer in two groups") << grouped(R"([{"name":"g","members":[1,2]},{"name":"h","members":[2]}])")
                                         << "group \"h\": layer \"c\" is already in group \"g\"";
    QTest::newRow("duplicate group name") << grouped(R"([{"name":"g","members":[1]},{"name":"g","members":[2]}])")
                                          << "group #2: duplicate group name \"g\"";
    QTest::newRow("from_port in version 1") << replaced("\"port\":0}", "\"port\":0,\"from_port\":0}")
                                            << "edge 1: \"from_port\" needs file format version 2";
    QTest::newRow("from_port beyond the outputs")
        << replaced("\"version\":1", "\"version\":2").replace("\"port\":0}", "\"port\":0,\"from_port\":1}")
        << "edge 1: layer \"in\" has no output port 1";
    QTest::newRow("version as string") << replaced("\"version\":1", "\"version\":\"1\"") << "\"version\" is missing";
    QTest::newRow("layers not a list") << QByteArray(R"({"format":"netcanvas","version":1,"layers":5})")
                                       << "\"layers\" is missing or not a list";
    QTest::newRow("missing id") << replaced("{\"id\":2,", "{") << "\"id\" is missing";
    QTest::newRow("id as string") << replaced("\"id\":2", "\"id\":\"2\"") << "\"id\" is missing";
    QTest::newRow("duplicate id") << replaced("\"id\":2", "\"id\":1") << "duplicate layer id 1";
    QTest::newRow("duplicate name") << replaced("\"name\":\"c\"", "\"name\":\"in\"") << "duplicate layer name";
    QTest::newRow("unknown type") << replaced("conv2d", "conv9d") << "unknown layer type \"conv9d\"";
    QTest::newRow("unknown attribute") << replaced("out_channels", "out_chanels")
                                       << "unknown attribute \"out_chanels\" for Conv2d";
    QTest::newRow("attribute wrong type") << replaced("\"out_channels\":4", "\"out_channels\":\"4\"")
                                          << "\"out_channels\" must be a whole number";
    QTest::newRow("attribute fractional") << replaced("\"out_channels\":4", "\"out_channels\":4.5")
                                          << "\"out_channels\" must be a whole number";
    QTest::newRow("attribute huge") << replaced("\"out_channels\":4", "\"out_channels\":1e300")
                                    << "\"out_channels\" must be a whole number";
    QTest::newRow("attribute zero stride") << replaced("\"out_channels\":4", "\"stride_h\":0")
                                           << "\"stride_h\" must be a whole number from 1";
    QTest::newRow("bool as number") << replaced("\"out_channels\":4", "\"bias\":1") << "must be true or false";
    QTest::newRow("shape not a list") << replaced("[3,8,8]", "\"3x8x8\"") << "must be a list";
    QTest::newRow("shape too deep") << replaced("[3,8,8]", "[1,1,1,1,1,1,1,1,1]") << "must be a list of 1 to 8";
    QTest::newRow("position not finite") << replaced("\"type\":\"conv2d\"", "\"type\":\"conv2d\",\"x\":\"a\"")
                                         << "position \"x\" must be a finite number";
    QTest::newRow("edge to nowhere") << replaced("\"to\":2", "\"to\":99") << "refers to layer 99, which does not exist";
    QTest::newRow("edge self loop") << replaced("\"to\":2", "\"to\":1") << "cannot feed itself";
    QTest::newRow("edge bad port") << replaced("\"port\":0", "\"port\":3") << "has no input port 3";
    QTest::newRow("edge negative port") << replaced("\"port\":0", "\"port\":-1") << "\"port\" must be a whole number";
    QTest::newRow("edge into occupied port")
        << replaced("\"edges\":[", "\"edges\":[{\"id\":5,\"from\":1,\"to\":2,\"port\":0},")
        << "input port 0 of layer \"c\" is already connected";
    QTest::newRow("duplicate edge id") << QByteArray(R"({"format":"netcanvas","version":1,"layers":[
 {"id":1,"name":"in","type":"input"},{"id":2,"name":"a","type":"add"}],
 "edges":[{"id":1,"from":1,"to":2,"port":0},{"id":1,"from":1,"to":2,"port":1}]})")
                                       << "duplicate edge id 1";
    QTest::newRow("cycle") << QByteArray(R"({"format":"netcanvas","version":1,"layers":[
 {"id":1,"name":"a","type":"relu"},{"id":2,"name":"b","type":"relu"}],
 "edges":[{"id":1,"from":1,"to":2,"port":0},{"id":2,"from":2,"to":1,"port":0}]})")
                           << "the edges form a cycle";
    QTest::newRow("batch negative") << replaced("\"version\":1", "\"version\":1,\"batch\":-4")
                                    << "\"batch\" must be a whole number";
    QTest::newRow("bits 7") << replaced("\"version\":1", "\"version\":1,\"bits\":7") << "\"bits\" must be 32, 16, 8 or 4";
    QTest::newRow("deep nesting") << QByteArray(100000, '[') << "not valid JSON";
    QByteArray deepObjects;
    for (int i = 0; i < 100000; ++i)
        deepObjects += "{\"a\":";
    QTest::newRow("deep object nesting (10^5 levels)") << deepObjects << "not valid JSON";
    QTest::newRow("deep nesting inside attrs")
        << replaced("[3,8,8]", (QByteArray(100000, '[') + QByteArray(100000, ']')).constData()) << "not valid JSON";
    QTest::newRow("size 2^62") << replaced("[3,8,8]", "[3,4611686018427387904]")
                               << "holds the size 4611686018427387904, which is too large: a design file holds sizes "
                                  "up to 9007199254740992 (2^53)";
    QTest::newRow("size 2^63") << replaced("[3,8,8]", "[9223372036854775808]")
                               << "holds the size 9223372036854775808, which is too large";
    QTest::newRow("size -2^63") << replaced("[3,8,8]", "[-9223372036854775808]") << "not a whole number ≥ −1";
    QTest::newRow("layer not an object") << QByteArray(R"({"format":"netcanvas","version":1,"layers":[42]})")
                                         << "layer #1 is not a JSON object";
}

void TestNetworkFile::damagedFilesAreRefused()
{
    QFETCH(QByteArray, data);
    QFETCH(QString, message);
    auto r = parseNetwork(data);
    QVERIFY(!r.ok());
    QVERIFY2(QString::fromStdString(r.error()).contains(message), r.error().c_str());
}

void TestNetworkFile::hostileSizesFinishQuickly()
{
    // Megabytes of garbage and a file over the limit are refused without hanging.
    QByteArray garbage(8 * 1024 * 1024, '\0');
    auto* rng = QRandomGenerator::global();
    for (char& c : garbage)
        c = static_cast<char>(rng->bounded(256));
    QElapsedTimer t;
    t.start();
    QVERIFY(!parseNetwork(garbage).ok());
    QByteArray tooLarge(kMaxFileBytes + 1, ' ');
    auto r = parseNetwork(tooLarge);
    QVERIFY(!r.ok());
    QVERIFY(QString::fromStdString(r.error()).contains("larger than 64 MB"));
    // A long but valid list of empty layers is refused by the same rules as any other file.
    QByteArray many = R"({"format":"netcanvas","version":1,"layers":[)";
    for (int i = 0; i < 100000; ++i)
        many += "{},";
    many += "{}]}";
    QVERIFY(!parseNetwork(many).ok());
    qInfo("hostile inputs refused in %lld ms", static_cast<long long>(t.elapsed()));
}

void TestNetworkFile::hugeDimensionsLoadButAnalyseAsErrors()
{
    auto r = parseNetwork(replaced("[3,8,8]", "[9007199254740992,9007199254740992]"));
    QVERIFY(r.ok());
    AnalysisResult a = analyze(*r);
    QCOMPARE(a.layers[0].status, LayerStatus::Error);
    QVERIFY(QString::fromStdString(a.layers[0].message).contains("overflows 64 bits"));
    QCOMPARE(a.layers[1].status, LayerStatus::Blocked);
}

void TestNetworkFile::dimensionsNear2pow31_data()
{
    QTest::addColumn<QByteArray>("shape");
    QTest::addColumn<qint64>("elements"); // -1: the figures overflow 64 bits and must be an error
    QTest::newRow("2^31 - 1") << QByteArray("[2147483647]") << qint64(2147483647);
    QTest::newRow("2^31") << QByteArray("[2147483648]") << qint64(2147483648);
    QTest::newRow("2^31 + 1, 3") << QByteArray("[2147483649,3]") << qint64(6442450947);
    // (2^31)^2 = 2^62 elements: the count fits int64, 4 bytes each (2^64) does not.
    QTest::newRow("2^31 × 2^31") << QByteArray("[2147483648,2147483648]") << qint64(-1);
    QTest::newRow("2^31 × 2^31 × 2^31") << QByteArray("[2147483648,2147483648,2147483648]") << qint64(-1);
}

void TestNetworkFile::dimensionsNear2pow31()
{
    // Loading accepts any size up to 2^53; the analysis then computes exact figures or names the overflow.
    QFETCH(QByteArray, shape);
    QFETCH(qint64, elements);
    auto r = parseNetwork(replaced("[3,8,8]", shape.constData()));
    QVERIFY2(r.ok(), r.ok() ? "" : r.error().c_str());
    AnalysisResult a = analyze(*r);
    if (elements > 0) {
        QCOMPARE(a.layers[0].status, LayerStatus::Ok);
        QCOMPARE(a.layers[0].outputElements, int64_t(elements));
        QCOMPARE(a.layers[0].activationBytes, int64_t(elements) * 4);
    } else {
        QCOMPARE(a.layers[0].status, LayerStatus::Error);
        QVERIFY2(QString::fromStdString(a.layers[0].message).contains("overflows 64 bits"), a.layers[0].message.c_str());
        QCOMPARE(a.layers[1].status, LayerStatus::Blocked);
    }
}

void TestNetworkFile::longChainLoadsAndAnalyses()
{
    // 10^5 layers (the time is measured by bench_load, tests/bench): loaded and analysed, not refused.
    const int layers = 100000;
    QByteArray json = R"({"format":"netcanvas","version":1,"layers":[{"id":1,"name":"in","type":"input","attrs":{"shape":[3,8,8]}})";
    for (int i = 2; i <= layers; ++i)
        json += ",{\"id\":" + QByteArray::number(i) + ",\"name\":\"r" + QByteArray::number(i) + "\",\"type\":\"relu\"}";
    json += "],\"edges\":[";
    for (int i = 2; i <= layers; ++i)
        json += (i > 2 ? ",{\"id\":" : "{\"id\":") + QByteArray::number(i - 1) + ",\"from\":" + QByteArray::number(i - 1) +
                ",\"to\":" + QByteArray::number(i) + ",\"port\":0}";
    json += "]}";
    auto r = parseNetwork(json);
    QVERIFY2(r.ok(), r.ok() ? "" : r.error().c_str());
    QCOMPARE(r->nodes().size(), size_t(layers));
    QCOMPARE(r->edges().size(), size_t(layers - 1));
    AnalysisResult a = analyze(*r);
    QCOMPARE(a.totals.errors, 0);
    QCOMPARE(a.layers.back().outputElements, int64_t(3 * 8 * 8));
    // Each ReLU reads and writes 192 floats and holds no parameters.
    QCOMPARE(a.totals.params, int64_t(0));
}

void TestNetworkFile::mutatedFilesNeverCrash()
{
    // 2,000 damaged copies of a real design (bytes flipped, cut, duplicated): each either loads and
    // analyses to figures or errors, or is refused with a message — never a crash or a hang.
    const QByteArray original = serializeNetwork(loadZoo("resnet18").value());
    QRandomGenerator rng(20261125);
    int loaded = 0, refused = 0;
    for (int i = 0; i < 2000; ++i) {
        QByteArray b = original;
        const int edits = 1 + static_cast<int>(rng.bounded(4));
        for (int e = 0; e < edits; ++e) {
            const qsizetype at = static_cast<qsizetype>(rng.bounded(static_cast<quint32>(b.size())));
            switch (rng.bounded(4)) {
            case 0: b[at] = static_cast<char>(rng.bounded(256)); break;               // flip a byte
            case 1: b[at] = "0123456789-.e"[rng.bounded(13)]; break;                 // a digit, sign or exponent
            case 2: b.truncate(at); break;                                            // cut the file
            default: b.insert(at, b.mid(at, static_cast<qsizetype>(rng.bounded(200)))); // repeat a span
            }
        }
        auto r = parseNetwork(b);
        if (r.ok()) {
            ++loaded;
            AnalysisResult a = analyze(*r);
            QCOMPARE(a.layers.size(), r->nodes().size());
        } else {
            ++refused;
            QVERIFY(!r.error().empty());
        }
    }
    qInfo("mutated designs: %d loaded and analysed, %d refused", loaded, refused);
    QVERIFY(loaded > 0);  // both paths were exercised: loading odd values and refusing damage
    QVERIFY(refused > 0);
}

void TestNetworkFile::saveIsAtomic()
{
    QTemporaryDir dir;
    QString path = dir.filePath("design.json");
    Network a = loadZoo("alexnet").value();
    QVERIFY(saveNetwork(a, path).ok());
    Network b = loadZoo("mcu_cnn").value();
    QVERIFY(saveNetwork(b, path).ok());
    auto back = loadNetwork(path);
    QVERIFY(back.ok());
    QCOMPARE(back->name, b.name);
    QCOMPARE(QDir(dir.path()).entryList(QDir::Files), QStringList{"design.json"}); // no temporary left
}

void TestNetworkFile::failedSaveLeavesNoFile()
{
    QTemporaryDir dir;
    QString path = dir.filePath("missing-folder/design.json");
    Status s = saveNetwork(loadZoo("alexnet").value(), path);
    QVERIFY(!s.ok());
    QVERIFY(QString::fromStdString(s.error()).contains("cannot write"));
    QVERIFY(!QFile::exists(path));
    // Saving over a directory fails and leaves the directory alone.
    QString asDir = dir.filePath("taken");
    QVERIFY(QDir().mkdir(asDir));
    QVERIFY(!saveNetwork(loadZoo("alexnet").value(), asDir).ok());
    QVERIFY(QFileInfo(asDir).isDir());
}

// An Add with a fixed operand keeps it through save and load; a file written before the attribute
// existed (an Add with only "operand") loads as a learned operand, and re-saving it writes no
// "operand_fixed", so such files stay byte-identical.
void TestNetworkFile::fixedOperandRoundTrip()
{
    const char* kOld = R"({"format":"netcanvas","version":1,"layers":[
 {"id":1,"name":"in","type":"input","attrs":{"shape":[4,8]}},
 {"id":2,"name":"a","type":"add","attrs":{"inputs":1,"operand":[4,1]}}],
 "edges":[{"id":1,"from":1,"to":2,"port":0}]})";
    auto old = parseNetwork(kOld);
    QVERIFY2(old.ok(), old.ok() ? "" : old.error().c_str());
    QCOMPARE(old->node(NodeId{2})->params.fixedOperand, int64_t(0));
    // Learned [4,1]: 4 parameters, no state.
    QCOMPARE(analyze(*old).totals.params, int64_t(4));
    QVERIFY(!serializeNetwork(*old).contains("operand_fixed"));

    Network n = *old;
    n.node(NodeId{2})->params.fixedOperand = 1;
    const QByteArray saved = serializeNetwork(n);
    QVERIFY(saved.contains("\"operand_fixed\""));
    auto back = parseNetwork(saved);
    QVERIFY2(back.ok(), back.ok() ? "" : back.error().c_str());
    QVERIFY(*back == n);
    QCOMPARE(serializeNetwork(*back), saved);
    // Fixed [4,1]: no parameters, its 4 values are state.
    const AnalysisResult a = analyze(*back);
    QCOMPARE(a.totals.params, int64_t(0));
    QCOMPARE(a.totals.state, int64_t(4));
}

QTEST_GUILESS_MAIN(TestNetworkFile)
#include "tst_networkfile.moc"

// Version 2 stores which output an edge leaves; a version-1 file (every edge from port 0) still opens.
void TestNetworkFile::outputPortsRoundTrip()
{
    const QByteArray v2 = R"({"format":"netcanvas","version":2,"layers":[
 {"id":1,"name":"in","type":"input","attrs":{"shape":[6,8,8]}},
 {"id":2,"name":"s","type":"split","attrs":{"axis":0,"sizes":[2,4]}},
 {"id":3,"name":"c","type":"conv2d","attrs":{"out_channels":4}}],
 "edges":[{"id":1,"from":1,"to":2,"port":0},{"id":2,"from":2,"to":3,"port":0,"from_port":1}]})";
    auto r = parseNetwork(v2);
    QVERIFY2(r.ok(), r.ok() ? "" : r.error().c_str());
    QCOMPARE(r->edges()[1].fromPort, 1);
    QByteArray saved = serializeNetwork(*r);
    QVERIFY(saved.contains("\"from_port\": 1"));
    QVERIFY(saved.contains("\"version\": 2"));
    auto again = parseNetwork(saved);
    QVERIFY(again.ok());
    QVERIFY(*again == *r);

    auto v1 = parseNetwork(kMinimal);
    QVERIFY(v1.ok());
    QCOMPARE(v1->edges()[0].fromPort, 0);
}

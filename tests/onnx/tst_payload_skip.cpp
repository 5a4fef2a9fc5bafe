// Weight payloads are skipped before parsing (core/onnx/detail/PayloadSkip.h): the skimmed model is
// the original without them, their sizes are still checked against the dims, and anything that is
// not plain wire data falls back to the parser's own error.
#include "OnnxTestUtil.h"

#include "core/Analysis.h"
#include "core/onnx/OnnxImport.h"
#include "core/onnx/detail/PayloadSkip.h"

#include <QTest>

using namespace nctest;
using nc::core::AnalysisResult;
using nc::core::onnx::detail::skimPayloads;
namespace nco = nc::core::onnx;

namespace {

// Conv 64 -> 64, 3x3, with bias, on 64x8x8: W is 64·64·3·3 = 36,864 floats = 147,456 bytes of
// raw_data (skipped); the bias is 64 floats = 256 bytes (kept: small enough to be a constant).
GraphBuilder convModel()
{
    GraphBuilder g("skip");
    const std::string x = g.input("x", {1, 64, 8, 8});
    const std::string w = g.weight("w", {64, 64, 3, 3});
    const std::string b = g.weight("b", {64});
    auto* n = g.node("Conv", {x, w, b}, {"y"}, "conv");
    attr(n, "pads", std::vector<int64_t>{1, 1, 1, 1});
    g.output("y");
    return g;
}

} // namespace

class TestPayloadSkip : public QObject {
    Q_OBJECT
private slots:
    void skimmedModelIsTheOriginalWithoutPayloads();
    void importCountsSkippedWeights();
    void skippedPayloadOfWrongSizeIsAnError();
    void smallPayloadsAreKept();
    void malformedDataFallsBackToTheParser();
};

void TestPayloadSkip::skimmedModelIsTheOriginalWithoutPayloads()
{
    GraphBuilder g = convModel();
    const QByteArray file = g.bytes();
    auto skim = skimPayloads(file.constData(), static_cast<size_t>(file.size()), 32768);
    QVERIFY(skim);
    QCOMPARE(skim->skipped.size(), size_t(1));
    QCOMPARE(skim->skipped[0].first, 0);                 // initializer #0, "w"
    QCOMPARE(skim->skipped[0].second, uint64_t(147456)); // 36,864 floats × 4 bytes
    QVERIFY(skim->bytes.size() < 1024);                  // the model without W: the bias and the graph
    ox::ModelProto parsed;
    QVERIFY(parsed.ParseFromString(skim->bytes));
    ox::ModelProto expected = g.model();
    expected.mutable_graph()->mutable_initializer(0)->clear_raw_data();
    QCOMPARE(parsed.SerializeAsString(), expected.SerializeAsString());
}

void TestPayloadSkip::importCountsSkippedWeights()
{
    auto r = nco::importOnnxBytes(convModel().bytes());
    QVERIFY2(r, r ? "" : r.error().c_str());
    const AnalysisResult a = nc::core::analyze(r->network);
    QCOMPARE(a.totals.params, int64_t(36928)); // 64·64·3·3 + 64
    QCOMPARE(r->report.initializerValues, int64_t(36928));
    QVERIFY2(r->report.paramDisagreements.empty(), r->report.text().c_str());
}

void TestPayloadSkip::skippedPayloadOfWrongSizeIsAnError()
{
    GraphBuilder g = convModel();
    g.graph().mutable_initializer(0)->mutable_raw_data()->resize(147455);
    auto r = nco::importOnnxBytes(g.bytes());
    QVERIFY(!r);
    QCOMPARE(QString::fromStdString(r.error()),
             QString("initializer \"w\" holds 147455 bytes of data but its dims 64×64×3×3 need 147456; the file is "
                     "damaged"));
}

void TestPayloadSkip::smallPayloadsAreKept()
{
    // 4,096 int64 values (32,768 bytes) is the largest constant the importer keeps for folding.
    GraphBuilder g("small");
    auto* t = g.graph().add_initializer();
    t->set_name("shape");
    t->set_data_type(ox::TensorProto::INT64);
    t->add_dims(4096);
    t->set_raw_data(std::string(32768, '\1'));
    const QByteArray file = g.bytes();
    QVERIFY(!skimPayloads(file.constData(), static_cast<size_t>(file.size()), 32768)); // nothing to skip
    t->set_raw_data(std::string(32769, '\1'));
    const QByteArray longer = g.bytes();
    auto skim = skimPayloads(longer.constData(), static_cast<size_t>(longer.size()), 32768);
    QVERIFY(skim);
    QCOMPARE(skim->skipped[0].second, uint64_t(32769));
}

void TestPayloadSkip::malformedDataFallsBackToTheParser()
{
    const QByteArray file = convModel().bytes();
    // Cut inside W's payload: the skim refuses, and the import says what protobuf says.
    const QByteArray cut = file.left(file.size() / 2);
    QVERIFY(!skimPayloads(cut.constData(), static_cast<size_t>(cut.size()), 32768));
    auto r = nco::importOnnxBytes(cut);
    QVERIFY(!r);
    QVERIFY2(QString::fromStdString(r.error()).contains("malformed, truncated"), r.error().c_str());
    // A group wire type (3) at the top level.
    const QByteArray group = QByteArray("\x0b", 1) + file;
    QVERIFY(!skimPayloads(group.constData(), static_cast<size_t>(group.size()), 32768));
    // Two graph fields (protobuf merges them): left to the parser, which still imports the file.
    ox::ModelProto extra;
    extra.mutable_graph()->set_doc_string("second graph field");
    const QByteArray twice = file + QByteArray::fromStdString(extra.SerializeAsString());
    QVERIFY(!skimPayloads(twice.constData(), static_cast<size_t>(twice.size()), 32768));
    auto merged = nco::importOnnxBytes(twice);
    QVERIFY2(merged, merged ? "" : merged.error().c_str());
    // A 10-byte varint that overflows, as a tag.
    const QByteArray overflow("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 11);
    QVERIFY(!skimPayloads(overflow.constData(), static_cast<size_t>(overflow.size()), 32768));
}

QTEST_GUILESS_MAIN(TestPayloadSkip)
#include "tst_payload_skip.moc"

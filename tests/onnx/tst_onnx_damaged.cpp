// tst_onnx_damaged: malformed, truncated and hostile files give an error naming the problem — never a
// crash, a hang or an escaping exception.
#include "OnnxTestUtil.h"

#include "core/Analysis.h"
#include "core/ModelBuilder.h"
#include "core/onnx/OnnxExport.h"
#include "core/onnx/OnnxImport.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>

#include <random>

using namespace nctest;
namespace nco = nc::core::onnx;

namespace {

// A small valid model: the exporter's output for a CNN block.
QByteArray validModel()
{
    nc::core::ModelBuilder b("small");
    auto x = b.input({3, 16, 16}, "x");
    auto c = b.relu(b.batchNorm(b.conv(x, 8, 3, 1, 1, 1, false, "conv"), "bn"), "relu");
    b.linear(b.flatten(b.globalAvgPool(c, "gap"), "flatten"), 4, true, "fc");
    return nco::exportOnnxBytes(b.finish()).value();
}

void expectError(const QByteArray& bytes, const char* mentions = nullptr)
{
    auto r = nco::importOnnxBytes(bytes);
    QVERIFY2(!r, "a damaged model was accepted");
    if (mentions)
        QVERIFY2(r.error().find(mentions) != std::string::npos, r.error().c_str());
}

std::string nested(ox::GraphProto* g, int depth)
{
    // If(cond) whose then-branch is another If, `depth` levels deep (else-branches are leaves).
    auto* n = g->add_node();
    n->set_op_type("If");
    n->add_input("cond");
    n->add_output("out" + std::to_string(depth));
    for (const char* branch : {"then_branch", "else_branch"}) {
        auto* a = n->add_attribute();
        a->set_name(branch);
        a->set_type(ox::AttributeProto::GRAPH);
        auto* sub = a->mutable_g();
        sub->set_name(std::string(branch) + std::to_string(depth));
        std::string out;
        if (depth > 0 && std::string(branch) == "then_branch") {
            out = nested(sub, depth - 1);
        } else {
            auto* r = sub->add_node();
            r->set_op_type("Identity");
            r->add_input("x");
            r->add_output("leaf");
            out = "leaf";
        }
        sub->add_output()->set_name(out);
    }
    return "out" + std::to_string(depth);
}

} // namespace

class TestOnnxDamaged : public QObject {
    Q_OBJECT
private slots:
    void notOnnx_data();
    void notOnnx();
    void randomBytes();
    void truncated_data();
    void truncated();
    void cycle();
    void missingInput();
    void producedTwice();
    void absurdDimensions_data();
    void absurdDimensions();
    void weightDataDoesNotMatchDims();
    void hostileAttributes_data();
    void hostileAttributes();
    void deepSubgraphs();
    void shallowSubgraphIsOpaque();
    void mutatedBytes();
    void largeGraphs_data();
    void largeGraphs();
    void libonnxCrashes_data();
    void libonnxCrashes();
    void initializerWithoutData();
    void badPaths_data();
    void badPaths();
    void isolatedImportMatches();
    void isolatedImportPassesErrors();
    void demotedSplitKeepsItsPorts();
};

void TestOnnxDamaged::notOnnx_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QString>("mentions");
    QTest::newRow("empty") << QByteArray() << "empty";
    QTest::newRow("text") << QByteArray("this is not a model\n") << "not an ONNX model";
    QTest::newRow("json design") << QByteArray("{\"format\": \"netcanvas\", \"version\": 1}") << "not an ONNX model";
    // A length-delimited field (graph, 7) claiming far more bytes than there are.
    QTest::newRow("huge declared length") << QByteArray("\x3a\xff\xff\xff\xff\x07\x00", 7) << "malformed, truncated";
    ox::ModelProto noGraph;
    noGraph.set_ir_version(8);
    QTest::newRow("no graph") << QByteArray::fromStdString(noGraph.SerializeAsString()) << "no graph";
    GraphBuilder noOpset("x");
    noOpset.model().clear_opset_import();
    noOpset.input("x", {1, 2});
    noOpset.op("Relu", {"x"}, "y");
    noOpset.output("y");
    QTest::newRow("no opset") << noOpset.bytes() << "operator set";
    GraphBuilder seq("seq");
    auto* in = seq.graph().add_input();
    in->set_name("s");
    in->mutable_type()->mutable_sequence_type()->mutable_elem_type()->mutable_tensor_type()->set_elem_type(1);
    seq.op("Identity", {"s"}, "y");
    seq.output("y");
    QTest::newRow("sequence input") << seq.bytes() << "not a tensor";
    GraphBuilder noShape("noshape");
    auto* ns = noShape.graph().add_input();
    ns->set_name("x");
    ns->mutable_type()->mutable_tensor_type()->set_elem_type(1);
    noShape.op("Relu", {"x"}, "y");
    noShape.output("y");
    QTest::newRow("input without shape") << noShape.bytes() << "has no shape";
}

void TestOnnxDamaged::notOnnx()
{
    QFETCH(QByteArray, bytes);
    QFETCH(QString, mentions);
    expectError(bytes, mentions.toUtf8().constData());
}

void TestOnnxDamaged::randomBytes()
{
    std::mt19937 rng(12345);
    for (int round = 0; round < 200; ++round) {
        QByteArray b(static_cast<int>(1 + rng() % 4096), '\0');
        for (auto& c : b)
            c = static_cast<char>(rng());
        auto r = nco::importOnnxBytes(b);
        QVERIFY(!r);
    }
}

void TestOnnxDamaged::truncated_data()
{
    QTest::addColumn<double>("fraction");
    for (double f : {0.02, 0.1, 0.25, 0.5, 0.75, 0.9})
        QTest::newRow(qPrintable(QString::number(f))) << f;
    QTest::newRow("last byte missing") << -1.0;
}

void TestOnnxDamaged::truncated()
{
    QFETCH(double, fraction);
    QByteArray b = validModel();
    QVERIFY(nco::importOnnxBytes(b));
    b.truncate(fraction < 0 ? b.size() - 1 : static_cast<qsizetype>(static_cast<double>(b.size()) * fraction));
    expectError(b);
}

void TestOnnxDamaged::cycle()
{
    GraphBuilder g("cycle");
    g.input("x", {1, 4});
    g.node("Add", {"x", "b"}, {"a"}, "first");
    g.node("Relu", {"a"}, {"b"}, "second");
    g.output("b");
    expectError(g.bytes(), "cycle");
}

void TestOnnxDamaged::missingInput()
{
    GraphBuilder g("missing");
    g.input("x", {1, 4});
    g.node("Add", {"x", "nowhere"}, {"y"}, "add");
    g.output("y");
    expectError(g.bytes(), "\"nowhere\"");
}

void TestOnnxDamaged::producedTwice()
{
    GraphBuilder g("twice");
    g.input("x", {1, 4});
    g.node("Relu", {"x"}, {"y"}, "a");
    g.node("Sigmoid", {"x"}, {"y"}, "b");
    g.output("y");
    expectError(g.bytes(), "defined twice");
}

void TestOnnxDamaged::absurdDimensions_data()
{
    QTest::addColumn<QList<qint64>>("inputDims");
    QTest::addColumn<QList<qint64>>("weightDims");
    QTest::addColumn<QString>("mentions");
    QTest::newRow("input 1e12 × 1e12") << QList<qint64>{1, 3, 1000000000000, 1000000000000} << QList<qint64>{}
                                       << "input \"x\"";
    QTest::newRow("negative input dim") << QList<qint64>{1, -3, 4, 4} << QList<qint64>{} << "input \"x\"";
    QTest::newRow("zero input dim") << QList<qint64>{1, 0, 4, 4} << QList<qint64>{} << "input \"x\"";
    QTest::newRow("product overflows") << QList<qint64>{1, 2147483647, 2147483647, 2147483647} << QList<qint64>{}
                                       << "absurd";
    QList<qint64> rank20;
    for (int i = 0; i < 20; ++i)
        rank20 << 1;
    QTest::newRow("rank 20") << rank20 << QList<qint64>{} << "dimensions";
    QTest::newRow("input dim 2^40") << QList<qint64>{1, 1LL << 40} << QList<qint64>{} << "1099511627776";
    QTest::newRow("input dim 2^31 + 1") << QList<qint64>{1, (1LL << 31) + 1} << QList<qint64>{} << "2147483649";
    QTest::newRow("initializer 2^40 × 2^40") << QList<qint64>{1, 4} << QList<qint64>{1LL << 40, 1LL << 40}
                                             << "initializer";
    QTest::newRow("negative initializer dim") << QList<qint64>{1, 4} << QList<qint64>{4, -1} << "initializer";
}

void TestOnnxDamaged::absurdDimensions()
{
    QFETCH(QList<qint64>, inputDims);
    QFETCH(QList<qint64>, weightDims);
    QFETCH(QString, mentions);
    GraphBuilder g("absurd");
    g.input("x", std::vector<int64_t>(inputDims.begin(), inputDims.end()));
    if (!weightDims.isEmpty()) {
        auto* t = g.graph().add_initializer();
        t->set_name("w");
        t->set_data_type(ox::TensorProto::FLOAT);
        for (qint64 d : weightDims)
            t->add_dims(d);
        g.node("MatMul", {"x", "w"}, {"y"}, "mm");
    } else {
        g.node("Relu", {"x"}, {"y"}, "relu");
    }
    g.output("y");
    expectError(g.bytes(), mentions.toUtf8().constData());
}

void TestOnnxDamaged::weightDataDoesNotMatchDims()
{
    GraphBuilder g("short");
    g.input("x", {1, 100});
    auto* t = g.graph().add_initializer();
    t->set_name("w");
    t->set_data_type(ox::TensorProto::FLOAT);
    t->add_dims(100);
    t->add_dims(100);
    t->set_raw_data(std::string(1000, '\0')); // 10,000 floats need 40,000 bytes
    g.node("MatMul", {"x", "w"}, {"y"}, "mm");
    g.output("y");
    expectError(g.bytes(), "damaged");
}

void TestOnnxDamaged::hostileAttributes_data()
{
    QTest::addColumn<QString>("op");
    QTest::addColumn<QString>("attribute");
    QTest::addColumn<QList<qint64>>("values");
    QTest::newRow("Conv stride 0") << "Conv" << "strides" << QList<qint64>{0, 0};
    QTest::newRow("Conv negative stride") << "Conv" << "strides" << QList<qint64>{-2, -2};
    QTest::newRow("Conv dilation 2^40") << "Conv" << "dilations" << QList<qint64>{1LL << 40, 1};
    QTest::newRow("Conv pads 2^40") << "Conv" << "pads" << QList<qint64>{1LL << 40, 0, 0, 0};
    QTest::newRow("Conv group 0") << "Conv" << "group" << QList<qint64>{0};
    QTest::newRow("MaxPool kernel 0") << "MaxPool" << "kernel_shape" << QList<qint64>{0, 0};
    QTest::newRow("MaxPool stride 0") << "MaxPool" << "strides" << QList<qint64>{0, 0};
    QTest::newRow("MaxPool wrong rank") << "MaxPool" << "kernel_shape" << QList<qint64>{3, 3, 3};
    QTest::newRow("AveragePool huge kernel") << "AveragePool" << "kernel_shape" << QList<qint64>{1LL << 40, 2};
    QTest::newRow("Softmax axis 99") << "Softmax" << "axis" << QList<qint64>{99};
    QTest::newRow("Flatten axis -99") << "Flatten" << "axis" << QList<qint64>{-99};
    QTest::newRow("SpaceToDepth blocksize 0") << "SpaceToDepth" << "blocksize" << QList<qint64>{0};
    QTest::newRow("DepthToSpace blocksize 0") << "DepthToSpace" << "blocksize" << QList<qint64>{0};
}

void TestOnnxDamaged::hostileAttributes()
{
    QFETCH(QString, op);
    QFETCH(QString, attribute);
    QFETCH(QList<qint64>, values);
    GraphBuilder g("hostile");
    std::string x = g.input("x", {1, 4, 8, 8});
    std::vector<std::string> ins{x};
    if (op == "Conv")
        ins.push_back(g.weight("w", {4, 4, 3, 3}));
    auto* n = g.node(op.toStdString(), ins, {"y"}, "node");
    if (op.endsWith("Pool") && attribute != "kernel_shape")
        attr(n, "kernel_shape", {2, 2});
    const std::string a = attribute.toStdString();
    if (a == "group" || a == "axis" || a == "blocksize")
        attr(n, a, static_cast<int64_t>(values[0]));
    else
        attr(n, a, std::vector<int64_t>(values.begin(), values.end()));
    g.op("Relu", {"y"}, "out");
    g.output("out");
    auto r = nco::importOnnxBytes(g.bytes());
    // Either an error, or a design whose figures NetCanvas can compute.
    if (r)
        QCOMPARE(nc::core::analyze(r->network).totals.errors, 0);
    else
        QVERIFY(!r.error().empty());
}

void TestOnnxDamaged::deepSubgraphs()
{
    GraphBuilder g("deep");
    g.input("x", {1, 4});
    auto* cond = g.graph().add_initializer();
    cond->set_name("cond");
    cond->set_data_type(ox::TensorProto::BOOL);
    cond->add_int32_data(1);
    std::string out = nested(&g.graph(), 40);
    g.op("Relu", {out}, "y");
    g.output("y");
    auto r = nco::importOnnxBytes(g.bytes());
    QVERIFY(!r);
    qInfo("40 nested subgraphs: %s", r.error().c_str());
    // Within protobuf's nesting limit but beyond NetCanvas's own: refused by name.
    GraphBuilder h("deep");
    h.input("x", {1, 4});
    h.graph().add_initializer()->CopyFrom(g.graph().initializer(0));
    out = nested(&h.graph(), 10);
    h.op("Relu", {out}, "y");
    h.output("y");
    expectError(h.bytes(), "nested more than");
}

void TestOnnxDamaged::shallowSubgraphIsOpaque()
{
    // An If whose branches read x from the outer graph: opaque, with the shape ONNX infers.
    GraphBuilder g("if");
    g.input("x", {1, 4});
    auto* c = g.graph().add_input();
    c->set_name("cond");
    c->mutable_type()->mutable_tensor_type()->set_elem_type(ox::TensorProto::BOOL);
    c->mutable_type()->mutable_tensor_type()->mutable_shape();
    std::string out = nested(&g.graph(), 0);
    g.op("Relu", {out}, "y");
    g.output("y");
    auto r = nco::importOnnxBytes(g.bytes());
    QVERIFY2(r, r ? "" : r.error().c_str());
    QCOMPARE(r->report.opaqueLayers, 1);
    QCOMPARE(r->report.unknownOps.size(), size_t(1));
    QCOMPARE(r->report.unknownOps[0].first, std::string("If"));
    QCOMPARE(nc::core::analyze(r->network).totals.errors, 0);
    QCOMPARE(r->outputs[0].dims, (std::vector<int64_t>{1, 4}));
}

void TestOnnxDamaged::mutatedBytes()
{
    // Random single-byte changes of a valid model: whatever the result, no crash and no hang.
    const QByteArray good = validModel();
    std::mt19937 rng(777);
    int ok = 0, failed = 0;
    for (int round = 0; round < 300; ++round) {
        QByteArray b = good;
        for (int k = 0; k < 1 + static_cast<int>(rng() % 4); ++k)
            b[static_cast<qsizetype>(rng() % static_cast<uint32_t>(b.size()))] = static_cast<char>(rng());
        auto r = nco::importOnnxBytes(b);
        if (r) {
            ++ok;
            (void)nc::core::analyze(r->network);
        } else {
            ++failed;
        }
    }
    qInfo("300 mutated models: %d imported, %d refused", ok, failed);
    QCOMPARE(ok + failed, 300);
}

void TestOnnxDamaged::largeGraphs_data()
{
    QTest::addColumn<int>("width");
    QTest::addColumn<int>("depth");
    QTest::newRow("fan-out: 5,000 x·sigmoid(x) branches of one tensor") << 5000 << 1;
    QTest::newRow("chain of 20,000 ReLUs") << 1 << 20000;
}

void TestOnnxDamaged::largeGraphs()
{
    // Large graphs import completely; their time is measured by bench_onnx_import (tests/bench/onnx).
    QFETCH(int, width);
    QFETCH(int, depth);
    GraphBuilder g("large");
    g.input("x", {1, 8});
    for (int w = 0; w < width; ++w) {
        std::string cur = "x";
        for (int d = 0; d < depth; ++d) {
            std::string name = "n" + std::to_string(w) + "_" + std::to_string(d);
            if (width > 1) {
                g.node("Sigmoid", {cur}, {name + "s"}, name + "/Sigmoid");
                g.node("Mul", {cur, name + "s"}, {name}, name + "/Mul");
            } else {
                g.node("Relu", {cur}, {name}, name);
            }
            cur = name;
        }
        g.output(cur);
    }
    auto r = nco::importOnnxBytes(g.bytes());
    QVERIFY2(r, r ? "" : r.error().c_str());
    QCOMPARE(r->network.nodes().size(), size_t(width * depth + 1));
    QCOMPARE(r->report.opaqueLayers, 0);
}

void TestOnnxDamaged::libonnxCrashes_data()
{
    // Nodes on which Debian's libonnx 1.12 shape inference reads out of bounds (SIGSEGV in
    // ScanInferenceFunction*, convPoolShapeInference, convTransposeShapeInference copying a
    // TensorShapeProto_Dimension). The importer must never hand them to it: each is refused with
    // the reason, by ONNX's checker or by the rank checks in front of it.
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QString>("mentions");
    auto scan = [](int opset, bool numScanInputs, bool body) {
        GraphBuilder g("scan", opset);
        g.input("x", {1, 3, 4});
        auto* n = g.node("Scan", {"x"}, {"y"}, "scan");
        if (numScanInputs)
            attr(n, "num_scan_inputs", int64_t(1));
        if (body) {
            auto* a = n->add_attribute();
            a->set_name("body");
            a->set_type(ox::AttributeProto::GRAPH);
            a->mutable_g()->set_name("empty");
        }
        g.output("y");
        return g.bytes();
    };
    for (int opset : {9, 11, 16, 17}) {
        QTest::newRow(qPrintable(QString("Scan opset %1 without num_scan_inputs").arg(opset)))
            << scan(opset, false, true) << "Required attribute 'num_scan_inputs' is missing";
        QTest::newRow(qPrintable(QString("Scan opset %1 without body").arg(opset)))
            << scan(opset, true, false) << "Required attribute 'body' is missing";
    }
    QTest::newRow("Scan with an empty body") << scan(17, true, true) << "Graph has 0 inputs";
    auto conv = [](const char* op, std::vector<int64_t> w, const char* autoPad) {
        GraphBuilder g("conv");
        g.input("x", {1, 3, 8, 8});
        auto* n = g.node(op, {"x", g.weight("w", std::move(w))}, {"y"}, "c");
        if (autoPad)
            n->add_attribute()->CopyFrom([&] {
                ox::AttributeProto a;
                a.set_name("auto_pad");
                a.set_type(ox::AttributeProto::STRING);
                a.set_s(autoPad);
                return a;
            }());
        g.output("y");
        return g.bytes();
    };
    QTest::newRow("Conv SAME_UPPER, weight of rank 2") << conv("Conv", {2, 3}, "SAME_UPPER")
                                                     << "weight has rank 2 but its data input has rank 4";
    QTest::newRow("Conv, weight of rank 1") << conv("Conv", {2}, nullptr) << "weight has rank 1";
    QTest::newRow("ConvTranspose, weight of rank 1") << conv("ConvTranspose", {3}, nullptr) << "weight has rank 1";
    GraphBuilder pool("pool");
    pool.input("x", {1, 8});
    attr(pool.node("MaxPool", {"x"}, {"y"}, "p"), "kernel_shape", std::vector<int64_t>{2, 2});
    pool.output("y");
    QTest::newRow("MaxPool on a rank-2 input") << pool.bytes() << "needs batch, channel and spatial axes";
    GraphBuilder pads("pads");
    pads.input("x", {1, 3, 8, 8});
    auto* p = pads.node("AveragePool", {"x"}, {"y"}, "p");
    attr(p, "kernel_shape", std::vector<int64_t>{2, 2});
    attr(p, "pads", std::vector<int64_t>{1});
    pads.output("y");
    QTest::newRow("AveragePool with one pad") << pads.bytes() << "attribute pads has 1 values";
}

void TestOnnxDamaged::libonnxCrashes()
{
    QFETCH(QByteArray, bytes);
    QFETCH(QString, mentions);
    auto r = nco::importOnnxBytes(bytes);
    QVERIFY(!r);
    QVERIFY2(r.error().find(mentions.toStdString()) != std::string::npos, r.error().c_str());
    // The error names the node whose shape is missing.
    QVERIFY2(r.error().find("output of node") != std::string::npos, r.error().c_str());
}

void TestOnnxDamaged::initializerWithoutData()
{
    // 10^12 float weights claimed, none stored: counting them would invent a trillion parameters.
    GraphBuilder g("nodata");
    g.input("x", {1, 1000000});
    auto* t = g.graph().add_initializer();
    t->set_name("w");
    t->set_data_type(ox::TensorProto::FLOAT);
    t->add_dims(1000000);
    t->add_dims(1000000);
    g.node("MatMul", {"x", "w"}, {"y"}, "mm");
    g.output("y");
    expectError(g.bytes(), "initializer \"w\" claims 1000000000000 elements (1000000×1000000) but holds no data");
}

void TestOnnxDamaged::badPaths_data()
{
    QTest::addColumn<QString>("what");
    QTest::addColumn<QString>("mentions");
    QTest::newRow("missing path") << "missing" << "cannot open";
    QTest::newRow("directory") << "directory" << "cannot open";
    QTest::newRow("empty file") << "empty" << "the file is empty";
    QTest::newRow("random bytes") << "random" << "not an ONNX model";
    QTest::newRow("truncated") << "truncated" << "malformed, truncated";
}

void TestOnnxDamaged::badPaths()
{
    QFETCH(QString, what);
    QFETCH(QString, mentions);
    QTemporaryDir dir;
    QString path = dir.filePath("model.onnx");
    if (what == "directory") {
        QVERIFY(QDir(dir.path()).mkdir("model.onnx"));
    } else if (what != "missing") {
        QByteArray b;
        if (what == "random") {
            std::mt19937 rng(99);
            b.resize(5000);
            for (auto& c : b)
                c = static_cast<char>(rng());
        } else if (what == "truncated") {
            b = validModel();
            b.truncate(b.size() / 2);
        }
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(b);
    }
    for (bool isolated : {false, true}) {
        auto r = isolated ? nco::importOnnxIsolated(path) : nco::importOnnx(path);
        QVERIFY(!r);
        QVERIFY2(r.error().find(mentions.toStdString()) != std::string::npos, r.error().c_str());
        QVERIFY2(r.error().find(path.toStdString()) != std::string::npos, r.error().c_str());
    }
}

void TestOnnxDamaged::isolatedImportMatches()
{
    // The child's result crosses a pipe as a design file plus the report: nothing may change on the way.
    QTemporaryDir dir;
    const QString path = dir.filePath("small.onnx");
    {
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(validModel());
    }
    auto local = nco::importOnnx(path);
    auto child = nco::importOnnxIsolated(path);
    QVERIFY2(local, local ? "" : local.error().c_str());
    QVERIFY2(child, child ? "" : child.error().c_str());
    QCOMPARE(child->network.nodes().size(), local->network.nodes().size());
    for (size_t i = 0; i < local->network.nodes().size(); ++i)
        QVERIFY(child->network.nodes()[i] == local->network.nodes()[i]);
    QVERIFY(child->network.edges() == local->network.edges());
    QCOMPARE(child->network.name, local->network.name);
    QCOMPARE(child->report.text(), local->report.text());
    QCOMPARE(child->outputs.size(), local->outputs.size());
    QCOMPARE(child->outputs[0].name, local->outputs[0].name);
    QCOMPARE(child->outputs[0].dims, local->outputs[0].dims);
}

void TestOnnxDamaged::isolatedImportPassesErrors()
{
    GraphBuilder g("missing");
    g.input("x", {1, 4});
    g.node("Add", {"x", "nowhere"}, {"y"}, "add");
    g.output("y");
    QTemporaryDir dir;
    const QString path = dir.filePath("bad.onnx");
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(g.bytes());
    f.close();
    auto r = nco::importOnnxIsolated(path);
    QVERIFY(!r);
    QVERIFY2(r.error().find("\"nowhere\" is not produced") != std::string::npos, r.error().c_str());
}

// A Split ONNX accepts (an empty middle piece: split = 4, 0, 4 of 8 channels) that NetCanvas's rules
// refuse becomes opaque; an opaque layer has one output, so the piece read from output 2 gets an
// opaque layer of its own (1×4×4 → per sample 4×4), fed by the same input, instead of an edge from a
// port that does not exist (the import used to fail with "reads output 2 of \"split\"").
void TestOnnxDamaged::demotedSplitKeepsItsPorts()
{
    GraphBuilder g("split0", 13);
    g.input("x", {1, 8, 4});
    attr(g.node("Split", {"x", g.ints("sp", {4, 0, 4})}, {"a", "b", "c"}, "/split"), "axis", int64_t{1});
    g.op("Relu", {"a"}, "ra");
    g.op("Relu", {"c"}, "rc");
    g.output("ra");
    g.output("rc");
    auto r = nco::importOnnxBytes(g.bytes());
    QVERIFY2(r, r ? "" : r.error().c_str());
    const nc::core::AnalysisResult a = nc::core::analyze(r->network);
    QCOMPARE(a.totals.errors, 0);
    QCOMPARE(r->report.opaqueLayers, 1);
    const nc::core::Node* rc = nullptr;
    for (const nc::core::Node& n : r->network.nodes())
        if (n.name == "rc")
            rc = &n;
    QVERIFY(rc);
    const nc::core::Edge* in = r->network.edgeInto(rc->id, 0);
    QVERIFY(in);
    QCOMPARE(in->fromPort, 0);
    const nc::core::Node* piece = r->network.node(in->from);
    QCOMPARE(piece->type, nc::core::LayerType::Opaque);
    QCOMPARE(QString::fromStdString(a.layer(piece->id, r->network)->output.toString()), QString("4×4"));
    QVERIFY(r->network.edgeInto(piece->id, 0)); // fed by the input, as the Split was
    for (const nc::core::Edge& e : r->network.edges())
        QVERIFY2(e.fromPort == 0, "an edge reads a port an opaque layer does not have");
    QVERIFY2(r->report.text().find("output 2") != std::string::npos, r->report.text().c_str());
}

QTEST_GUILESS_MAIN(TestOnnxDamaged)
#include "tst_onnx_damaged.moc"

// tst_onnx_roundtrip: design → ONNX → import gives the same design and the same per-layer figures; the
// exported model passes ONNX's checker and ONNX's own shape inference agrees with its value_info;
// design → PyTorch compiles and declares exactly the design's layers.
#include "OnnxTestUtil.h"

#include "core/Catalogue.h"
#include "core/ModelBuilder.h"
#include "core/NetworkFile.h"
#include "core/Zoo.h"
#include "core/export/PyTorchExport.h"
#include "core/onnx/OnnxExport.h"
#include "core/onnx/OnnxImport.h"

#include <onnx/checker.h>
#include <onnx/shape_inference/implementation.h>

#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTemporaryDir>

#include <set>

using namespace nctest;
namespace nco = nc::core::onnx;
using nc::core::LayerParams;
using nc::core::LayerType;
using nc::core::ModelBuilder;
using nc::core::Network;
using nc::core::NodeId;
using nc::core::Shape;

namespace {

LayerParams defaults(LayerType t) { return nc::core::Catalogue::instance().spec(t).defaults; }

// Every exportable layer kind and the attributes ONNX cannot hold (bits, in-place, affine, ...).
Network cnnDesign()
{
    ModelBuilder b("kitchen sink CNN");
    NodeId x = b.input({3, 64, 64}, "image");
    LayerParams c = defaults(LayerType::Conv2d);
    c.features = 16;
    c.padMode = static_cast<int64_t>(nc::core::PadMode::Reflect);
    NodeId c1 = b.layer(LayerType::Conv2d, c, {x}, "conv_reflect");
    c = defaults(LayerType::Conv2d);
    c.features = 32;
    c.sh = c.sw = 2;
    c.pt = c.pb = c.pl = c.pr = 0;
    c.padSame = 1;
    NodeId c2 = b.layer(LayerType::Conv2d, c, {c1}, "conv_same");
    NodeId dw = b.depthwise(c2, 3, 1, 1, 2, false, "depthwise");
    LayerParams bn = defaults(LayerType::BatchNorm);
    bn.affine = 0;
    bn.trackStats = 0;
    bn.eps = 1e-3;
    NodeId n1 = b.layer(LayerType::BatchNorm, bn, {dw}, "bn_plain");
    LayerParams r6 = defaults(LayerType::ReLU6);
    r6.bits = 8;
    NodeId a1 = b.layer(LayerType::ReLU6, r6, {n1}, "relu6_int8");
    LayerParams gn = defaults(LayerType::GroupNorm);
    gn.numGroups = 8;
    NodeId n2 = b.layer(LayerType::GroupNorm, gn, {a1}, "groupnorm");
    NodeId n3 = b.layer(LayerType::InstanceNorm, defaults(LayerType::InstanceNorm), {n2}, "instnorm");
    LayerParams lr = defaults(LayerType::LeakyReLU);
    lr.slope = 0.1;
    lr.inplace = 0;
    NodeId a2 = b.layer(LayerType::LeakyReLU, lr, {n3}, "leaky");
    NodeId a3 = b.act(LayerType::HardSwish, b.act(LayerType::SiLU, a2, "silu"), "hardswish");
    NodeId mp = b.maxPool(a3, 3, 2, 1, true, "maxpool");
    LayerParams ap = defaults(LayerType::AvgPool2d);
    ap.countIncludePad = 0;
    NodeId avg = b.layer(LayerType::AvgPool2d, ap, {mp}, "avgpool");
    NodeId side = b.conv(avg, 16, 1, 1, 0, 1, true, "side");
    NodeId cat = b.concat({avg, side}, "concat");
    NodeId gate = b.act(LayerType::Sigmoid, b.conv(b.globalAvgPool(cat, "se_pool"), 80, 1, 1, 0, 1, true, "se_fc"),
                        "se_gate");
    NodeId se = b.mul({cat, gate}, "se_scale");
    NodeId ad = b.adaptiveAvgPool(se, 2, 2, "adaptive");
    NodeId d = b.dropout(b.flatten(ad, "flatten"), 0.3, "dropout");
    NodeId fc = b.linear(d, 10, false, "fc");
    b.act(LayerType::Softmax, b.act(LayerType::Tanh, fc, "tanh"), "softmax");
    b.network().bits = 16;
    b.network().batch = 2;
    return b.finish();
}

Network transformerDesign()
{
    ModelBuilder b("tiny vit");
    NodeId x = b.input({3, 32, 32}, "image");
    LayerParams pe = defaults(LayerType::PatchEmbed);
    pe.features = 64;
    pe.patch = 8;
    NodeId t = b.layer(LayerType::PatchEmbed, pe, {x}, "patch_embed");
    for (int blk = 0; blk < 2; ++blk) {
        const std::string p = "block" + std::to_string(blk) + ".";
        NodeId n1 = b.layerNorm(t, p + "norm1");
        LayerParams mha = defaults(LayerType::MultiHeadAttention);
        mha.heads = 4;
        mha.bias = blk == 0;
        NodeId at = b.layer(LayerType::MultiHeadAttention, mha, {n1}, p + "attn");
        NodeId r1 = b.add({t, at}, p + "add1");
        LayerParams mlp = defaults(LayerType::Mlp);
        mlp.hidden = 128;
        NodeId m = b.layer(LayerType::Mlp, mlp, {b.layerNorm(r1, p + "norm2")}, p + "mlp");
        t = b.add({r1, m}, p + "add2");
    }
    NodeId cls = b.layer(LayerType::ClassTokenSelect, defaults(LayerType::ClassTokenSelect), {b.layerNorm(t, "norm")},
                         "cls");
    b.act(LayerType::GELU, b.linear(cls, 10, true, "head"), "gelu");
    return b.finish();
}

// Vectors and sequences: Gemm for 2-D inputs, merges of three, a reshape, an MLP with its own width.
Network sequenceDesign()
{
    ModelBuilder b("sequence");
    NodeId x = b.input({16, 32}, "tokens");
    NodeId y = b.input({48}, "side");
    LayerParams mlp = defaults(LayerType::Mlp);
    mlp.hidden = 64;
    mlp.features = 48;
    mlp.bias = 0;
    NodeId m = b.layer(LayerType::Mlp, mlp, {x}, "mlp");
    LayerParams r = defaults(LayerType::Reshape);
    r.dims = Shape{-1, 96};
    NodeId rs = b.layer(LayerType::Reshape, r, {m}, "reshape");
    LayerParams sm = defaults(LayerType::Softmax);
    sm.axis = -1;
    NodeId s = b.layer(LayerType::Softmax, sm, {rs}, "softmax");
    NodeId f = b.flatten(s, "flatten");
    NodeId v1 = b.linear(f, 48, true, "v1");
    NodeId v2 = b.act(LayerType::GELU, b.linear(f, 48, true, "v2"), "v2_gelu");
    NodeId sum = b.add({v1, v2, y}, "sum3");
    NodeId prod = b.mul({v1, v2, y}, "prod3");
    NodeId cat = b.concat({sum, prod, y}, "cat3");
    LayerParams mv = defaults(LayerType::Mlp);
    mv.hidden = 16;
    b.layer(LayerType::Mlp, mv, {cat}, "mlp_vector");
    b.linear(sum, 4, true, "second_output");
    b.network().batch = 3;
    return b.finish();
}

// The shape-plumbing kinds: transpose, slice, both pieces of a split, concatenation along channels
// and along H, a broadcast add, reductions, squeeze and unsqueeze.
Network plumbingDesign()
{
    ModelBuilder b("plumbing");
    NodeId x = b.input({6, 8, 10}, "x");
    NodeId g = b.input({6, 1, 1}, "gate");
    LayerParams tp = defaults(LayerType::Transpose);
    tp.dims = Shape{0, 2, 1};
    NodeId t = b.layer(LayerType::Transpose, tp, {x}, "swap_hw");
    NodeId conv = b.conv(t, 4, 3, 1, 1, 1, true, "conv"); // 4×10×8
    LayerParams sl = defaults(LayerType::Slice);
    sl.axis = 1;
    sl.sliceStart = 2;
    sl.sliceEnd = 8;
    sl.sliceStep = 2;
    NodeId s = b.layer(LayerType::Slice, sl, {x}, "rows"); // 6×3×10
    LayerParams sp = defaults(LayerType::Split);
    sp.dims = Shape{2, 4};
    NodeId split = b.layer(LayerType::Split, sp, {x}, "split");
    NodeId joined = b.concat({split, split}, "joined"); // 2 + 4 channels again
    b.connectPort(split, 1, joined, 1);
    NodeId tall = b.concat({x, s}, "tall"); // 6×11×10 along H
    b.network().node(tall)->params.axis = 1;
    NodeId gated = b.add({joined, g}, "gated"); // 6×8×10 + 6×1×1
    NodeId mean = b.layer(LayerType::Reduce, defaults(LayerType::Reduce), {gated}, "mean"); // 6×1×1
    LayerParams mx = defaults(LayerType::Reduce);
    mx.reduceOp = static_cast<int64_t>(nc::core::ReduceOp::Max);
    mx.dims = Shape{2};
    mx.keepDims = 0;
    b.layer(LayerType::Reduce, mx, {tall}, "row_max"); // 6×11
    NodeId sq = b.layer(LayerType::Squeeze, defaults(LayerType::Squeeze), {mean}, "squeeze"); // 6
    b.layer(LayerType::Unsqueeze, defaults(LayerType::Unsqueeze), {sq}, "unsqueeze");         // 1×6
    b.globalAvgPool(conv, "conv_pool");
    b.network().batch = 2;
    return b.finish();
}

// Learned and fixed elementwise operands, all of at most 64 values (the size whose contents the
// importer keeps, where the file alone cannot tell a weight from a constant): the ONNX export marks
// each initializer, so each comes back as the same kind. Params 4 + 8 = 12, state 1 + 8 = 9.
Network operandDesign()
{
    ModelBuilder b("operands");
    NodeId x = b.input({4, 8}, "x");
    const auto operand = [&](LayerType t, NodeId in, Shape dims, bool fixed, const char* name) {
        LayerParams p = defaults(t);
        p.inputs = 1;
        p.dims = dims;
        p.fixedOperand = fixed ? 1 : 0;
        return b.layer(t, p, {in}, name);
    };
    NodeId g = operand(LayerType::Multiply, x, Shape{4, 1}, false, "learned_scale");
    NodeId s = operand(LayerType::Add, g, Shape{1}, true, "fixed_shift");
    NodeId m = operand(LayerType::Multiply, s, Shape{8}, true, "fixed_scale");
    operand(LayerType::Add, m, Shape{8}, false, "learned_bias");
    return b.finish();
}

Network design(const QString& which)
{
    if (which == "operands")
        return operandDesign();
    if (which == "plumbing")
        return plumbingDesign();
    if (which.startsWith("zoo:"))
        return nc::core::loadZoo(which.mid(4).toStdString()).value();
    if (which == "cnn")
        return cnnDesign();
    if (which == "transformer")
        return transformerDesign();
    return sequenceDesign();
}

// Layers that become modules in the PyTorch file (the rest are expressions in forward).
bool isModule(LayerType t)
{
    switch (t) {
    case LayerType::Input: case LayerType::Add: case LayerType::Multiply: case LayerType::Concat:
    case LayerType::Flatten: case LayerType::Reshape: case LayerType::ClassTokenSelect: case LayerType::Opaque:
    case LayerType::Transpose: case LayerType::Slice: case LayerType::Split: case LayerType::Reduce:
    case LayerType::Squeeze: case LayerType::Unsqueeze:
        return false;
    default:
        return true;
    }
}

} // namespace

class TestOnnxRoundTrip : public QObject {
    Q_OBJECT
private slots:
    void onnxRoundTrip_data();
    void onnxRoundTrip();
    void pytorch_data() { exportData(true); }
    void pytorch();
    void pytorchRuns_data() { exportData(true); }
    void pytorchRuns();
    void plumbingPassesOnnxChecks();
    void exportErrors();

private:
    void exportData(bool withPlumbing);
};

void TestOnnxRoundTrip::onnxRoundTrip_data() { exportData(false); }

// The shape-plumbing design exports but does not import back yet (the importer maps Slice, Split,
// Transpose and reductions opaquely or onto other kinds), so it only joins the export tests.
void TestOnnxRoundTrip::exportData(bool withPlumbing)
{
    QTest::addColumn<QString>("which");
    if (withPlumbing)
        QTest::newRow("shape plumbing") << QString("plumbing");
    for (const char* z : {"zoo:resnet18", "zoo:resnet50", "zoo:mobilenet_v2", "zoo:vit_tiny", "zoo:mcu_cnn"})
        QTest::newRow(z) << QString(z);
    QTest::newRow("every CNN layer kind") << QString("cnn");
    QTest::newRow("transformer") << QString("transformer");
    QTest::newRow("vectors and merges") << QString("sequence");
    if (!withPlumbing)
        QTest::newRow("learned and fixed operands") << QString("operands");
}

void TestOnnxRoundTrip::onnxRoundTrip()
{
    QFETCH(QString, which);
    const Network net = design(which);
    auto bytes = nco::exportOnnxBytes(net);
    QVERIFY2(bytes, bytes ? "" : bytes.error().c_str());

    // Other ONNX tools accept it: the checker passes and ONNX's strict shape inference agrees with
    // every value_info shape the exporter wrote.
    ::onnx::ModelProto model;
    QVERIFY(model.ParseFromArray(bytes->constData(), static_cast<int>(bytes->size())));
    try {
        ::onnx::checker::check_model(model);
        ::onnx::shape_inference::InferShapes(model, ::onnx::OpSchemaRegistry::Instance(),
                                             ::onnx::ShapeInferenceOptions(true, 1, false));
    } catch (const std::exception& e) {
        QFAIL(e.what());
    }

    auto r = nco::importOnnxBytes(*bytes);
    QVERIFY2(r, r ? "" : r.error().c_str());
    compareFigures(r->network, net);
    if (QTest::currentTestFailed()) {
        qWarning("%s", r->report.text().c_str());
        for (const auto& n : r->network.nodes())
            qWarning("  %s %s", n.name.c_str(), std::string(nc::core::layerTypeKey(n.type)).c_str());
        return;
    }
    QCOMPARE(r->report.opaqueLayers, 0);
    QCOMPARE(r->report.shapeDisagreements.size(), size_t(0));
    QCOMPARE(r->report.paramDisagreements.size(), size_t(0));
    if (which == "operands") {
        const auto t = nc::core::analyze(r->network).totals;
        QCOMPARE(t.params, int64_t(12));
        QCOMPARE(t.state, int64_t(9));
    }
    auto reloaded = nc::core::parseNetwork(nc::core::serializeNetwork(r->network));
    QVERIFY2(reloaded, reloaded ? "" : reloaded.error().c_str());
    // The same design, attribute for attribute (only positions differ: the import is laid out anew).
    QCOMPARE(r->network.name, net.name);
    QCOMPARE(r->network.bits, net.bits);
    for (const auto& n : net.nodes()) {
        const auto* m = findLayer(r->network, n.name);
        QVERIFY2(m->params == n.params, n.name.c_str());
    }
}

void TestOnnxRoundTrip::pytorch()
{
    QFETCH(QString, which);
    const Network net = design(which);
    auto py = nc::core::exportPyTorch(net);
    QVERIFY2(py, py ? "" : py.error().c_str());
    const QString text = QString::fromStdString(*py);

    // __init__ declares exactly the design's module layers, under their names.
    std::set<std::string> declared, expected;
    QRegularExpression decl(R"(^        self\.([A-Za-z_][A-Za-z0-9_]*) = )", QRegularExpression::MultilineOption);
    for (auto it = decl.globalMatch(text); it.hasNext();)
        declared.insert(it.next().captured(1).toStdString());
    for (const auto& n : net.nodes()) {
        if (!isModule(n.type))
            continue;
        const std::string id = nc::core::pythonIdentifier(n.name);
        expected.insert(id);
        if (n.type == LayerType::PatchEmbed) {
            if (n.params.classToken)
                expected.insert(id + "_cls_token");
            if (n.params.posEmbed)
                expected.insert(id + "_pos_embed");
        }
    }
    QCOMPARE(declared, expected);
    QVERIFY(text.contains("    def forward(self, "));
    QVERIFY(text.contains("if __name__ == \"__main__\":"));

    const QString python = QStandardPaths::findExecutable("python3");
    if (python.isEmpty())
        QFAIL("python3 is not installed: scripts/setup.sh installs it");
    QTemporaryDir dir;
    const QString path = dir.filePath("model.py");
    QVERIFY(nc::core::savePyTorch(net, path));
    QProcess p;
    p.start(python, {"-m", "py_compile", path});
    QVERIFY(p.waitForFinished(30000));
    QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());
}

// Runs the exported file with real PyTorch (Debian's python3-torch, for /usr/bin/python3): it must
// build its model, count the parameters NetCanvas counts, run __main__ and print the output shapes
// NetCanvas computes.
void TestOnnxRoundTrip::pytorchRuns()
{
    QFETCH(QString, which);
    const QString python = "/usr/bin/python3";
    const Network net = design(which);
    QTemporaryDir dir;
    const QString path = dir.filePath("model.py");
    QVERIFY(nc::core::savePyTorch(net, path));
    static const char* driver = R"(
import importlib.util, runpy, sys
import torch
spec = importlib.util.spec_from_file_location("exported", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
cls = [v for v in vars(module).values() if isinstance(v, type) and v.__module__ == "exported"][0]
print("params:", sum(p.numel() for p in cls().parameters()))
runpy.run_path(sys.argv[1], run_name="__main__")
)";
    QProcess probe;
    probe.start(python, {"-c", "import torch"});
    if (!probe.waitForFinished(60000) || probe.exitCode() != 0)
        QFAIL("PyTorch is not installed for /usr/bin/python3: scripts/setup.sh installs python3-torch");
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("PYTHONDONTWRITEBYTECODE", "1");
    QProcess p;
    p.setProcessEnvironment(env);
    p.start(python, {"-c", driver, path});
    QVERIFY(p.waitForFinished(120000));
    const QString out = QString::fromUtf8(p.readAllStandardOutput());
    QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());

    const nc::core::AnalysisResult a = nc::core::analyze(net);
    QVERIFY2(out.contains(QString("params: %1\n").arg(a.totals.params)), qPrintable(out));
    std::map<uint32_t, int> consumers;
    for (const auto& e : net.edges())
        ++consumers[e.from.v];
    std::vector<std::string> outputs;
    for (const auto& l : a.layers) {
        const auto& n = net.nodes()[static_cast<size_t>(l.nodeIndex)];
        if (n.type == LayerType::Input || consumers[n.id.v])
            continue;
        std::string shape = "(" + std::to_string(net.batch);
        for (int64_t d : l.output)
            shape += ", " + std::to_string(d);
        outputs.push_back(n.name + ": " + shape + ")");
    }
    if (outputs.size() == 1)
        outputs[0] = "output" + outputs[0].substr(outputs[0].find(':'));
    for (const auto& o : outputs)
        QVERIFY2(out.contains(QString::fromStdString(o + "\n")), qPrintable(QString::fromStdString(o) + " not in " + out));
}

// ONNX's own checker and strict shape inference agree with every shape NetCanvas computed for the
// plumbing kinds (the exporter writes them all as value_info).
void TestOnnxRoundTrip::plumbingPassesOnnxChecks()
{
    auto bytes = nco::exportOnnxBytes(plumbingDesign());
    QVERIFY2(bytes, bytes ? "" : bytes.error().c_str());
    ::onnx::ModelProto model;
    QVERIFY(model.ParseFromArray(bytes->constData(), static_cast<int>(bytes->size())));
    try {
        ::onnx::checker::check_model(model);
        ::onnx::shape_inference::InferShapes(model, ::onnx::OpSchemaRegistry::Instance(),
                                             ::onnx::ShapeInferenceOptions(true, 1, false));
    } catch (const std::exception& e) {
        QFAIL(e.what());
    }
    int splits = 0;
    for (const auto& node : model.graph().node())
        if (node.op_type() == "Split") {
            ++splits;
            QCOMPARE(node.output_size(), 2);
        }
    QCOMPARE(splits, 1);
}

void TestOnnxRoundTrip::exportErrors()
{
    // An opaque layer (an operator NetCanvas does not model) cannot be written back to ONNX.
    GraphBuilder g("opaque");
    std::string x = g.input("x", {1, 4, 8, 8});
    g.op("Elu", {x}, "elu");
    g.output("elu");
    auto imported = nco::importOnnxBytes(g.bytes());
    QVERIFY(imported);
    auto bytes = nco::exportOnnxBytes(imported->network);
    QVERIFY(!bytes);
    QVERIFY2(bytes.error().find("layer \"elu\"") != std::string::npos, bytes.error().c_str());
    // ... but PyTorch export stands zeros of the right shape in for it, so the file still runs.
    auto py = nc::core::exportPyTorch(imported->network);
    QVERIFY(py);
    QVERIFY(py->find("x.new_zeros(x.shape[0], 4, 8, 8)") != std::string::npos);

    // Uneven adaptive pooling has no ONNX operator.
    ModelBuilder b("uneven");
    b.adaptiveAvgPool(b.input({8, 10, 10}, "x"), 3, 3, "pool");
    bytes = nco::exportOnnxBytes(b.finish());
    QVERIFY(!bytes);
    QVERIFY2(bytes.error().find("layer \"pool\"") != std::string::npos, bytes.error().c_str());

    // A design with an error is refused by both exporters, with the layer's message.
    ModelBuilder e("broken");
    e.conv(e.input({3, 4, 4}, "x"), 8, 7, 1, 0, 1, true, "conv");
    Network broken = e.finish();
    bytes = nco::exportOnnxBytes(broken);
    QVERIFY(!bytes);
    QVERIFY2(bytes.error().find("layer \"conv\"") != std::string::npos, bytes.error().c_str());
    py = nc::core::exportPyTorch(broken);
    QVERIFY(!py);
    QVERIFY2(py.error().find("layer \"conv\"") != std::string::npos, py.error().c_str());

    // Saving is atomic: a path in a missing directory fails cleanly.
    QVERIFY(!nco::exportOnnx(design("cnn"), "/nonexistent-dir/x.onnx"));
    QVERIFY(!nc::core::savePyTorch(design("cnn"), "/nonexistent-dir/x.py"));
}

QTEST_GUILESS_MAIN(TestOnnxRoundTrip)
#include "tst_onnx_roundtrip.moc"

// tst_onnx_models: models built here with ONNX's protobuf API, in the operator patterns PyTorch exports,
// import with the same per-layer figures as the same design built with ModelBuilder.
#include "OnnxTestUtil.h"

#include "core/Catalogue.h"
#include "core/ModelBuilder.h"
#include "core/NetworkFile.h"
#include "core/onnx/OnnxImport.h"

#include <cmath>
#include <functional>

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

Network importOk(const QByteArray& bytes, nco::ImportReport* report = nullptr, const nco::ImportOptions& o = {})
{
    auto r = nco::importOnnxBytes(bytes, o);
    if (!r) {
        qWarning("import failed: %s", r.error().c_str());
        return Network{};
    }
    if (report)
        *report = r->report;
    return r->network;
}

// conv(3×3, no bias) as PyTorch exports it: Conv with pads and the weight as an initializer.
std::string conv(GraphBuilder& g, const std::string& x, const std::string& name, int64_t ci, int64_t co, int64_t k,
                 int64_t stride, int64_t pad, int64_t group = 1, bool bias = false)
{
    std::vector<std::string> ins{x, g.weight(name + ".weight", {co, ci / group, k, k})};
    if (bias)
        ins.push_back(g.weight(name + ".bias", {co}));
    auto* n = g.node("Conv", ins, {name}, name);
    attr(n, "kernel_shape", {k, k});
    attr(n, "strides", {stride, stride});
    attr(n, "pads", {pad, pad, pad, pad});
    attr(n, "dilations", {1, 1});
    attr(n, "group", group);
    return name;
}

std::string bn(GraphBuilder& g, const std::string& x, const std::string& name, int64_t c)
{
    auto* n = g.node("BatchNormalization",
                     {x, g.weight(name + ".weight", {c}), g.weight(name + ".bias", {c}),
                      g.weight(name + ".running_mean", {c}), g.weight(name + ".running_var", {c})},
                     {name}, name);
    attrF(n, "epsilon", 1e-5f);
    return name;
}

std::string clip6(GraphBuilder& g, const std::string& x, const std::string& name)
{
    return g.op("Clip", {x, g.scalar(name + "/min", 0), g.scalar(name + "/max", 6)}, name);
}

// x·W + b as MatMul then Add, nodes "name/MatMul" and "name/Add", output tensor `name`.
std::string linear(GraphBuilder& g, const std::string& x, const std::string& name, int64_t in, int64_t out)
{
    g.node("MatMul", {x, g.weight(name + ".weight", {in, out})}, {name + "/mm"}, name + "/MatMul");
    g.node("Add", {name + "/mm", g.weight(name + ".bias", {out})}, {name}, name + "/Add");
    return name;
}

std::string geluErf(GraphBuilder& g, const std::string& x, const std::string& name)
{
    const std::string p = name + "/";
    g.node("Div", {x, g.scalar(p + "sqrt2", 1.4142135f)}, {p + "a"}, p + "Div");
    g.node("Erf", {p + "a"}, {p + "b"}, p + "Erf");
    g.node("Add", {p + "b", g.scalar(p + "one", 1)}, {p + "c"}, p + "Add");
    g.node("Mul", {x, p + "c"}, {p + "d"}, p + "Mul");
    g.node("Mul", {p + "d", g.scalar(p + "half", 0.5f)}, {name}, p + "Mul_1");
    return name;
}

std::string geluTanh(GraphBuilder& g, const std::string& x, const std::string& name)
{
    const std::string p = name + "/";
    g.node("Pow", {x, g.scalar(p + "three", 3)}, {p + "cube"}, p + "Pow");
    g.node("Mul", {p + "cube", g.scalar(p + "k", 0.044715f)}, {p + "a"}, p + "Mul");
    g.node("Add", {x, p + "a"}, {p + "b"}, p + "Add");
    g.node("Mul", {p + "b", g.scalar(p + "s", 0.7978845608f)}, {p + "c"}, p + "Mul_1");
    g.node("Tanh", {p + "c"}, {p + "t"}, p + "Tanh");
    g.node("Add", {p + "t", g.scalar(p + "one", 1)}, {p + "u"}, p + "Add_1");
    g.node("Mul", {x, p + "u"}, {p + "v"}, p + "Mul_2");
    g.node("Mul", {p + "v", g.scalar(p + "half", 0.5f)}, {name}, p + "Mul_3");
    return name;
}

// LayerNorm over the last axis, decomposed as older exporters write it.
std::string layerNormDecomposed(GraphBuilder& g, const std::string& x, const std::string& name, int64_t d)
{
    const std::string p = name + "/";
    attr(g.node("ReduceMean", {x}, {p + "mean"}, p + "ReduceMean"), "axes", std::vector<int64_t>{-1});
    g.node("Sub", {x, p + "mean"}, {p + "d"}, p + "Sub");
    g.node("Pow", {p + "d", g.scalar(p + "two", 2)}, {p + "sq"}, p + "Pow");
    attr(g.node("ReduceMean", {p + "sq"}, {p + "var"}, p + "ReduceMean_1"), "axes", std::vector<int64_t>{-1});
    g.node("Add", {p + "var", g.scalar(p + "eps", 1e-5f)}, {p + "ve"}, p + "Add");
    g.node("Sqrt", {p + "ve"}, {p + "std"}, p + "Sqrt");
    g.node("Div", {p + "d", p + "std"}, {p + "n"}, p + "Div");
    g.node("Mul", {p + "n", g.weight(name + ".weight", {d})}, {p + "g"}, p + "Mul");
    g.node("Add", {p + "g", g.weight(name + ".bias", {d})}, {name}, p + "Add_1");
    return name;
}

std::string layerNormOp(GraphBuilder& g, const std::string& x, const std::string& name, int64_t d)
{
    auto* n = g.node("LayerNormalization", {x, g.weight(name + ".weight", {d}), g.weight(name + ".bias", {d})},
                     {name}, name);
    attr(n, "axis", -1);
    attrF(n, "epsilon", 1e-5f);
    return name;
}

struct EncoderVariant {
    bool layerNormOp = true;
    bool mulScale = false;    // scores · (1/√d) instead of scores / √d
    bool fusedQkv = false;    // one D→3D projection, Reshape [B,T,3,H,d], Transpose, Gather
    bool tanhGelu = false;
    bool foldedShapes = false; // Reshape targets computed by Shape→Gather→Unsqueeze→Concat
    bool kTwoTransposes = false;
    bool unbind = false;     // fused QKV split with Split + Squeeze (qkv.unbind(0)) instead of Gather
    bool dynamicMask = false; // scores + a mask given as a second input (BERT's attention_mask)
};

constexpr int64_t kT = 16, kD = 64, kH = 4, kHidden = 256;

// A pre-norm transformer encoder block in the operator patterns of torch.onnx.export.
QByteArray encoderModel(const EncoderVariant& v)
{
    GraphBuilder g("encoder");
    const int64_t hd = kD / kH;
    std::string x = g.input("x", {1, kT, kD});
    std::string ln1 = v.layerNormOp ? layerNormOp(g, x, "ln1", kD) : layerNormDecomposed(g, x, "ln1", kD);
    const std::string a = "attn/";
    // Target [B, T, H, d]: constant, or folded from the input's shape as torch exports x.view(B, T, H, d).
    auto headShape = [&](const std::string& part, std::vector<int64_t> tail) {
        if (!v.foldedShapes) {
            std::vector<int64_t> t{0, 0};
            t.insert(t.end(), tail.begin(), tail.end());
            return g.ints(a + part + "/shape", t);
        }
        g.node("Shape", {ln1}, {a + part + "/shape_in"}, a + part + "/Shape");
        attr(g.node("Gather", {a + part + "/shape_in", g.ints(a + part + "/i0", {0}, true)}, {a + part + "/dim_b"},
                    a + part + "/Gather"),
             "axis", 0);
        attr(g.node("Gather", {a + part + "/shape_in", g.ints(a + part + "/i1", {1}, true)}, {a + part + "/dim_t"},
                    a + part + "/Gather_1"),
             "axis", 0);
        g.node("Unsqueeze", {a + part + "/dim_b", g.ints(a + part + "/ax0", {0})}, {a + part + "/b1"},
               a + part + "/Unsqueeze");
        g.node("Unsqueeze", {a + part + "/dim_t", g.ints(a + part + "/ax1", {0})}, {a + part + "/t1"},
               a + part + "/Unsqueeze_1");
        auto* c = g.node("Concat", {a + part + "/b1", a + part + "/t1", g.ints(a + part + "/tail", tail)},
                         {a + part + "/target"}, a + part + "/Concat");
        attr(c, "axis", 0);
        return a + part + "/target";
    };
    std::string q, k, vv;
    if (!v.fusedQkv) {
        auto heads = [&](const std::string& part, std::vector<int64_t> perm) {
            linear(g, ln1, a + part, kD, kD);
            g.node("Reshape", {a + part, headShape(part, {kH, hd})}, {a + part + "/r"}, a + part + "/Reshape");
            std::string t = a + part + "/heads";
            attr(g.node("Transpose", {a + part + "/r"}, {t}, a + part + "/Transpose"), "perm", perm);
            return t;
        };
        q = heads("q", {0, 2, 1, 3});
        if (v.kTwoTransposes) {
            std::string k1 = heads("k", {0, 2, 1, 3});
            attr(g.node("Transpose", {k1}, {a + "k/T"}, a + "k/Transpose_1"), "perm", {0, 1, 3, 2});
            k = a + "k/T";
        } else {
            k = heads("k", {0, 2, 3, 1});
        }
        vv = heads("v", {0, 2, 1, 3});
    } else {
        linear(g, ln1, a + "qkv", kD, 3 * kD);
        g.node("Reshape", {a + "qkv", headShape("qkv", {3, kH, hd})}, {a + "qkv/r"}, a + "qkv/Reshape");
        attr(g.node("Transpose", {a + "qkv/r"}, {a + "qkv/t"}, a + "qkv/Transpose"), "perm", {2, 0, 3, 1, 4});
        if (v.unbind) {
            auto* sp = g.node("Split", {a + "qkv/t", g.ints(a + "qkv/sizes", {1, 1, 1})},
                              {a + "qkv/s0", a + "qkv/s1", a + "qkv/s2"}, a + "qkv/Split");
            attr(sp, "axis", 0);
            for (int part = 0; part < 3; ++part) {
                std::string name = a + std::string("qkv/part") + std::to_string(part);
                g.node("Squeeze", {a + "qkv/s" + std::to_string(part), g.ints(name + "/axes", {0})}, {name},
                       name + "/Squeeze");
            }
        } else {
            for (int part = 0; part < 3; ++part) {
                std::string name = a + std::string("qkv/part") + std::to_string(part);
                attr(g.node("Gather", {a + "qkv/t", g.ints(name + "/index", {part}, true)}, {name}, name + "/Gather"),
                     "axis", 0);
            }
        }
        q = a + "qkv/part0";
        attr(g.node("Transpose", {a + "qkv/part1"}, {a + "k/T"}, a + "k/Transpose"), "perm", {0, 1, 3, 2});
        k = a + "k/T";
        vv = a + "qkv/part2";
    }
    g.node("MatMul", {q, k}, {a + "scores"}, a + "MatMul");
    if (v.mulScale)
        g.node("Mul", {a + "scores", g.scalar(a + "scale", 1.0f / std::sqrt(float(hd)))}, {a + "scaled"}, a + "Mul");
    else
        g.node("Div", {a + "scores", g.scalar(a + "scale", std::sqrt(float(hd)))}, {a + "scaled"}, a + "Div");
    std::string logits = a + "scaled";
    if (v.dynamicMask) {
        g.input("mask", {1, 1, 1, kT});
        g.node("Add", {a + "scaled", "mask"}, {a + "masked"}, a + "Add");
        logits = a + "masked";
    }
    attr(g.node("Softmax", {logits}, {a + "probs"}, a + "Softmax"), "axis", -1);
    g.node("MatMul", {a + "probs", vv}, {a + "ctx"}, a + "MatMul_1");
    attr(g.node("Transpose", {a + "ctx"}, {a + "ctx_t"}, a + "Transpose"), "perm", {0, 2, 1, 3});
    g.node("Reshape", {a + "ctx_t", g.ints(a + "merge", {1, kT, kD})}, {a + "merged"}, a + "Reshape");
    linear(g, a + "merged", "attn", kD, kD);
    g.op("Add", {x, "attn"}, "add1");
    std::string ln2 = layerNormOp(g, "add1", "ln2", kD);
    linear(g, ln2, "fc1", kD, kHidden);
    v.tanhGelu ? geluTanh(g, "fc1", "gelu") : geluErf(g, "fc1", "gelu");
    linear(g, "gelu", "fc2", kHidden, kD);
    g.op("Add", {"add1", "fc2"}, "add2");
    g.output("add2");
    return g.bytes();
}

Network encoderDesign(bool maskInput = false)
{
    ModelBuilder b("encoder");
    NodeId x = b.input({kT, kD}, "x");
    if (maskInput)
        b.input({1, 1, kT}, "mask"); // read by the attention, whose single input is x: not connected
    LayerParams ln = defaults(LayerType::LayerNorm);
    NodeId ln1 = b.layer(LayerType::LayerNorm, ln, {x}, "ln1");
    LayerParams mha = defaults(LayerType::MultiHeadAttention);
    mha.heads = kH;
    NodeId attn = b.layer(LayerType::MultiHeadAttention, mha, {ln1}, "attn");
    NodeId add1 = b.add({x, attn}, "add1");
    NodeId ln2 = b.layer(LayerType::LayerNorm, ln, {add1}, "ln2");
    NodeId fc1 = b.linear(ln2, kHidden, true, "fc1");
    NodeId gelu = b.act(LayerType::GELU, fc1, "gelu");
    NodeId fc2 = b.linear(gelu, kD, true, "fc2");
    b.add({add1, fc2}, "add2");
    return b.finish();
}

} // namespace

class TestOnnxModels : public QObject {
    Q_OBJECT
private slots:
    void residualBlock();
    void depthwiseSeparableBlock();
    void transformerEncoder_data();
    void transformerEncoder();
    void cnnHead();
    void activations_data();
    void activations();
    void convAndPoolAttributes_data();
    void convAndPoolAttributes();
    void poolingOverOneAndThreeAxes();
    void concatOfManyInputs();
    void unknownOperatorsAreReported();
    void customDomainUsesValueInfo();
    void valueInfoDisagreementIsReported();
    void parameterDisagreementIsReported();
    void batchFromInput_data();
    void batchFromInput();
    void namesAreKeptAndMadeUnique();
};

void TestOnnxModels::residualBlock()
{
    GraphBuilder g("residual");
    std::string x = g.input("x", {1, 64, 56, 56});
    conv(g, x, "conv1", 64, 64, 3, 1, 1);
    bn(g, "conv1", "bn1", 64);
    g.op("Relu", {"bn1"}, "relu1");
    conv(g, "relu1", "conv2", 64, 64, 3, 1, 1);
    bn(g, "conv2", "bn2", 64);
    g.op("Add", {"bn2", x}, "add");
    g.op("Relu", {"add"}, "relu2");
    g.output("relu2");

    ModelBuilder b("residual");
    NodeId in = b.input({64, 56, 56}, "x");
    NodeId c1 = b.conv(in, 64, 3, 1, 1, 1, false, "conv1");
    NodeId r1 = b.relu(b.batchNorm(c1, "bn1"), "relu1");
    NodeId b2 = b.batchNorm(b.conv(r1, 64, 3, 1, 1, 1, false, "conv2"), "bn2");
    b.relu(b.add({b2, in}, "add"), "relu2");

    nco::ImportReport report;
    Network net = importOk(g.bytes(), &report);
    compareFigures(net, b.finish());
    QCOMPARE(report.opaqueLayers, 0);
    QCOMPARE(report.paramDisagreements.size(), size_t(0));
    QCOMPARE(report.shapeDisagreements.size(), size_t(0));
}

void TestOnnxModels::depthwiseSeparableBlock()
{
    GraphBuilder g("dwsep");
    std::string x = g.input("x", {1, 32, 112, 112});
    conv(g, x, "dw", 32, 32, 3, 2, 1, 32);
    bn(g, "dw", "bn1", 32);
    clip6(g, "bn1", "relu6_1");
    conv(g, "relu6_1", "pw", 32, 64, 1, 1, 0);
    bn(g, "pw", "bn2", 64);
    clip6(g, "bn2", "relu6_2");
    g.output("relu6_2");

    ModelBuilder b("dwsep");
    NodeId in = b.input({32, 112, 112}, "x");
    NodeId d = b.act(LayerType::ReLU6, b.batchNorm(b.depthwise(in, 3, 2, 1, 1, false, "dw"), "bn1"), "relu6_1");
    b.act(LayerType::ReLU6, b.batchNorm(b.conv(d, 64, 1, 1, 0, 1, false, "pw"), "bn2"), "relu6_2");

    nco::ImportReport report;
    Network net = importOk(g.bytes(), &report);
    compareFigures(net, b.finish());
    QCOMPARE(report.opaqueLayers, 0);
}

void TestOnnxModels::transformerEncoder_data()
{
    QTest::addColumn<bool>("lnOp");
    QTest::addColumn<bool>("mulScale");
    QTest::addColumn<bool>("fused");
    QTest::addColumn<bool>("tanhGelu");
    QTest::addColumn<bool>("folded");
    QTest::addColumn<bool>("kTwice");
    QTest::addColumn<bool>("unbind");
    QTest::addColumn<bool>("mask");
    QTest::newRow("LayerNormalization op, Div scale") << true << false << false << false << false << false << false << false;
    QTest::newRow("decomposed LayerNorm") << false << false << false << false << false << false << false << false;
    QTest::newRow("Mul scale, k transposed twice") << true << true << false << false << false << true << false << false;
    QTest::newRow("fused QKV with Gather") << true << false << true << false << false << false << false << false;
    QTest::newRow("tanh GELU") << true << false << false << true << false << false << false << false;
    QTest::newRow("shape subgraphs folded") << false << true << false << false << true << false << false << false;
    QTest::newRow("fused QKV, folded shapes") << true << false << true << true << true << false << false << false;
    QTest::newRow("fused QKV unbound with Split") << true << true << true << false << false << false << true << false;
    QTest::newRow("attention mask input") << true << false << false << false << true << true << false << true;
}

void TestOnnxModels::transformerEncoder()
{
    EncoderVariant v;
    QFETCH(bool, lnOp);
    QFETCH(bool, mulScale);
    QFETCH(bool, fused);
    QFETCH(bool, tanhGelu);
    QFETCH(bool, folded);
    QFETCH(bool, kTwice);
    QFETCH(bool, unbind);
    QFETCH(bool, mask);
    v.unbind = unbind;
    v.dynamicMask = mask;
    v.layerNormOp = lnOp;
    v.mulScale = mulScale;
    v.fusedQkv = fused;
    v.tanhGelu = tanhGelu;
    v.foldedShapes = folded;
    v.kTwoTransposes = kTwice;
    nco::ImportReport report;
    Network net = importOk(encoderModel(v), &report);
    compareFigures(net, encoderDesign(mask));
    if (QTest::currentTestFailed())
        qWarning("%s", report.text().c_str());
    QCOMPARE(report.opaqueLayers, 0);
    QCOMPARE(report.paramDisagreements.size(), size_t(0));
    QCOMPARE(report.shapeDisagreements.size(), size_t(0));
    QVERIFY(report.fusedNodes > 20);
    QCOMPARE(report.droppedEdges, mask ? 1 : 0);
}

void TestOnnxModels::cnnHead()
{
    // x.view(x.size(0), -1) exports as Shape → Gather → Unsqueeze → Concat → Reshape.
    GraphBuilder g("head");
    std::string x = g.input("x", {2, 512, 7, 7});
    g.op("GlobalAveragePool", {x}, "gap");
    g.node("Shape", {"gap"}, {"s"}, "Shape");
    attr(g.node("Gather", {"s", g.ints("zero", {0}, true)}, {"b"}, "Gather"), "axis", 0);
    g.node("Unsqueeze", {"b", g.ints("axes", {0})}, {"b1"}, "Unsqueeze");
    attr(g.node("Concat", {"b1", g.ints("minus1", {-1})}, {"target"}, "Concat"), "axis", 0);
    g.op("Reshape", {"gap", "target"}, "flatten");
    attr(g.node("Gemm", {"flatten", g.weight("fc.weight", {10, 512}), g.weight("fc.bias", {10})}, {"fc"}, "fc"),
         "transB", 1);
    attr(g.node("Softmax", {"fc"}, {"softmax"}, "softmax"), "axis", -1);
    g.output("softmax");

    ModelBuilder b("head");
    NodeId in = b.input({512, 7, 7}, "x");
    b.network().batch = 2;
    NodeId gap = b.globalAvgPool(in, "gap");
    LayerParams r = defaults(LayerType::Reshape);
    r.dims = Shape{-1};
    NodeId flat = b.layer(LayerType::Reshape, r, {gap}, "flatten");
    b.act(LayerType::Softmax, b.linear(flat, 10, true, "fc"), "softmax");

    nco::ImportReport report;
    Network net = importOk(g.bytes(), &report);
    compareFigures(net, b.finish());
    QCOMPARE(report.foldedNodes, 4);
    const nc::core::Node* f = findLayer(net, "flatten");
    QVERIFY(f);
    QCOMPARE(f->params.dims, Shape{-1});
}

using Pattern = std::function<std::string(GraphBuilder&, const std::string&)>;
Q_DECLARE_METATYPE(Pattern)
Q_DECLARE_METATYPE(nc::core::LayerType)

void TestOnnxModels::activations_data()
{
    QTest::addColumn<Pattern>("pattern");
    QTest::addColumn<int>("opset");
    QTest::addColumn<LayerType>("expected"); // Opaque: not modelled
    auto row = [](const char* name, int opset, LayerType t, Pattern p) { QTest::newRow(name) << p << opset << t; };
    row("Relu", 17, LayerType::ReLU, [](GraphBuilder& g, const std::string& x) { return g.op("Relu", {x}, "y"); });
    row("Clip(0,6) inputs", 17, LayerType::ReLU6, [](GraphBuilder& g, const std::string& x) { return clip6(g, x, "y"); });
    row("Clip(0,6) attributes", 6, LayerType::ReLU6, [](GraphBuilder& g, const std::string& x) {
        auto* n = g.node("Clip", {x}, {"y"}, "y");
        attrF(n, "min", 0);
        attrF(n, "max", 6);
        return std::string("y");
    });
    row("Clip(0,4)", 17, LayerType::Opaque, [](GraphBuilder& g, const std::string& x) {
        return g.op("Clip", {x, g.scalar("lo", 0), g.scalar("hi", 4)}, "y");
    });
    row("LeakyRelu", 17, LayerType::LeakyReLU, [](GraphBuilder& g, const std::string& x) {
        g.op("LeakyRelu", {x}, "y");
        attrF(g.graph().mutable_node(0), "alpha", 0.2f);
        return std::string("y");
    });
    row("LeakyRelu alpha 1e9", 17, LayerType::Opaque, [](GraphBuilder& g, const std::string& x) {
        g.op("LeakyRelu", {x}, "y");
        attrF(g.graph().mutable_node(0), "alpha", 1e9f);
        return std::string("y");
    });
    row("Sigmoid", 17, LayerType::Sigmoid, [](GraphBuilder& g, const std::string& x) { return g.op("Sigmoid", {x}, "y"); });
    row("Tanh", 17, LayerType::Tanh, [](GraphBuilder& g, const std::string& x) { return g.op("Tanh", {x}, "y"); });
    row("HardSwish op", 17, LayerType::HardSwish,
        [](GraphBuilder& g, const std::string& x) { return g.op("HardSwish", {x}, "y"); });
    row("x·HardSigmoid(x)", 17, LayerType::HardSwish, [](GraphBuilder& g, const std::string& x) {
        auto* h = g.node("HardSigmoid", {x}, {"hs"}, "y/HardSigmoid");
        attrF(h, "alpha", 1.0f / 6);
        attrF(h, "beta", 0.5f);
        g.node("Mul", {x, "hs"}, {"y"}, "y/Mul");
        return std::string("y");
    });
    row("x·Clip(x+3,0,6)/6", 17, LayerType::HardSwish, [](GraphBuilder& g, const std::string& x) {
        g.node("Add", {x, g.scalar("three", 3)}, {"a"}, "y/Add");
        g.node("Clip", {"a", g.scalar("lo", 0), g.scalar("hi", 6)}, {"c"}, "y/Clip");
        g.node("Mul", {x, "c"}, {"m"}, "y/Mul");
        g.node("Div", {"m", g.scalar("six", 6)}, {"y"}, "y/Div");
        return std::string("y");
    });
    row("x·Sigmoid(x)", 17, LayerType::SiLU, [](GraphBuilder& g, const std::string& x) {
        g.node("Sigmoid", {x}, {"s"}, "y/Sigmoid");
        g.node("Mul", {x, "s"}, {"y"}, "y/Mul");
        return std::string("y");
    });
    row("Sigmoid(x)·x", 17, LayerType::SiLU, [](GraphBuilder& g, const std::string& x) {
        g.node("Sigmoid", {x}, {"s"}, "y/Sigmoid");
        g.node("Mul", {"s", x}, {"y"}, "y/Mul");
        return std::string("y");
    });
    row("GELU erf, PyTorch order", 17, LayerType::GELU,
        [](GraphBuilder& g, const std::string& x) { return geluErf(g, x, "y"); });
    row("GELU erf, 0.5·x first", 17, LayerType::GELU, [](GraphBuilder& g, const std::string& x) {
        g.node("Mul", {x, g.scalar("half", 0.5f)}, {"h"}, "y/Mul");
        g.node("Mul", {x, g.scalar("rs2", 0.70710678f)}, {"a"}, "y/Mul_1");
        g.node("Erf", {"a"}, {"e"}, "y/Erf");
        g.node("Add", {"e", g.scalar("one", 1)}, {"f"}, "y/Add");
        g.node("Mul", {"h", "f"}, {"y"}, "y/Mul_2");
        return std::string("y");
    });
    row("GELU tanh", 17, LayerType::GELU, [](GraphBuilder& g, const std::string& x) { return geluTanh(g, x, "y"); });
    row("Gelu op (opset 20)", 20, LayerType::GELU,
        [](GraphBuilder& g, const std::string& x) { return g.op("Gelu", {x}, "y"); });
    row("Erf alone", 17, LayerType::Opaque, [](GraphBuilder& g, const std::string& x) { return g.op("Erf", {x}, "y"); });
}

void TestOnnxModels::activations()
{
    QFETCH(Pattern, pattern);
    QFETCH(int, opset);
    QFETCH(LayerType, expected);
    GraphBuilder g("act", opset);
    std::string x = g.input("x", {1, 8, 4, 4});
    g.output(pattern(g, x));
    nco::ImportReport report;
    Network net = importOk(g.bytes(), &report);
    QCOMPARE(net.nodes().size(), size_t(2));
    const nc::core::Node* y = findLayer(net, "y");
    QVERIFY(y);
    QCOMPARE(int(y->type), int(expected));
    nc::core::AnalysisResult a = nc::core::analyze(net);
    QCOMPARE(a.totals.errors, 0);
    QCOMPARE(a.layer(y->id, net)->output, (Shape{8, 4, 4}));
    QCOMPARE(report.opaqueLayers, expected == LayerType::Opaque ? 1 : 0);
    auto reloaded = nc::core::parseNetwork(nc::core::serializeNetwork(net));
    QVERIFY2(reloaded, reloaded ? "" : reloaded.error().c_str());
    if (expected == LayerType::Opaque)
        QCOMPARE(report.unmapped.size(), size_t(1));
    if (expected == LayerType::LeakyReLU)
        QCOMPARE(float(y->params.slope), 0.2f);
}

using Build = std::function<void(GraphBuilder&, ModelBuilder&, const std::string&, NodeId)>;
Q_DECLARE_METATYPE(Build)

void TestOnnxModels::convAndPoolAttributes_data()
{
    QTest::addColumn<Build>("build");
    auto row = [](const char* name, Build b) { QTest::newRow(name) << b; };
    row("MaxPool ceil_mode", [](GraphBuilder& g, ModelBuilder& b, const std::string& x, NodeId in) {
        auto* n = g.node("MaxPool", {x}, {"y"}, "y");
        attr(n, "kernel_shape", {3, 3});
        attr(n, "strides", {2, 2});
        attr(n, "ceil_mode", 1);
        b.maxPool(in, 3, 2, 0, true, "y");
    });
    row("AveragePool excluding padding", [](GraphBuilder& g, ModelBuilder& b, const std::string& x, NodeId in) {
        auto* n = g.node("AveragePool", {x}, {"y"}, "y");
        attr(n, "kernel_shape", {3, 3});
        attr(n, "strides", {1, 1});
        attr(n, "pads", {1, 1, 1, 1});
        LayerParams p = defaults(LayerType::AvgPool2d);
        p.kh = p.kw = 3;
        p.sh = p.sw = 1;
        p.pt = p.pb = p.pl = p.pr = 1;
        p.countIncludePad = 0;
        b.layer(LayerType::AvgPool2d, p, {in}, "y");
    });
    row("Conv SAME_UPPER", [](GraphBuilder& g, ModelBuilder& b, const std::string& x, NodeId in) {
        auto* n = g.node("Conv", {x, g.weight("w", {8, 16, 3, 3})}, {"y"}, "y");
        attr(n, "strides", {2, 2});
        attrS(n, "auto_pad", "SAME_UPPER");
        LayerParams p = defaults(LayerType::Conv2d);
        p.features = 8;
        p.sh = p.sw = 2;
        p.pt = p.pb = p.pl = p.pr = 0;
        p.padSame = 1;
        p.bias = 0;
        b.layer(LayerType::Conv2d, p, {in}, "y");
    });
    row("Conv SAME_LOWER", [](GraphBuilder& g, ModelBuilder& b, const std::string& x, NodeId in) {
        auto* n = g.node("Conv", {x, g.weight("w", {8, 16, 4, 4})}, {"y"}, "y");
        attr(n, "strides", {2, 2});
        attrS(n, "auto_pad", "SAME_LOWER");
        LayerParams p = defaults(LayerType::Conv2d);
        p.features = 8;
        p.kh = p.kw = 4;
        p.sh = p.sw = 2;
        p.pt = p.pl = 2; // total padding 3 on a 15-pixel axis: SAME_LOWER puts the odd pixel first
        p.pb = p.pr = 1;
        p.bias = 0;
        b.layer(LayerType::Conv2d, p, {in}, "y");
    });
    row("Conv dilated, bias", [](GraphBuilder& g, ModelBuilder& b, const std::string& x, NodeId in) {
        auto* n = g.node("Conv", {x, g.weight("w", {8, 16, 3, 3}), g.weight("b", {8})}, {"y"}, "y");
        attr(n, "dilations", {2, 2});
        attr(n, "pads", {2, 2, 2, 2});
        LayerParams p = defaults(LayerType::Conv2d);
        p.features = 8;
        p.dh = p.dw = 2;
        p.pt = p.pb = p.pl = p.pr = 2;
        b.layer(LayerType::Conv2d, p, {in}, "y");
    });
    row("Conv grouped", [](GraphBuilder& g, ModelBuilder& b, const std::string& x, NodeId in) {
        auto* n = g.node("Conv", {x, g.weight("w", {32, 4, 1, 1})}, {"y"}, "y");
        attr(n, "group", 4);
        b.conv(in, 32, 1, 1, 0, 4, false, "y");
    });
    row("Conv depthwise ×2", [](GraphBuilder& g, ModelBuilder& b, const std::string& x, NodeId in) {
        auto* n = g.node("Conv", {x, g.weight("w", {32, 1, 3, 3})}, {"y"}, "y");
        attr(n, "group", 16);
        attr(n, "pads", {1, 1, 1, 1});
        b.depthwise(in, 3, 1, 1, 2, false, "y");
    });
    row("Pad(reflect) + Conv", [](GraphBuilder& g, ModelBuilder& b, const std::string& x, NodeId in) {
        auto* p = g.node("Pad", {x, g.ints("pads", {0, 0, 1, 1, 0, 0, 1, 1})}, {"padded"}, "y/Pad");
        attrS(p, "mode", "reflect");
        g.node("Conv", {"padded", g.weight("w", {8, 16, 3, 3})}, {"y"}, "y");
        LayerParams c = defaults(LayerType::Conv2d);
        c.features = 8;
        c.bias = 0;
        c.padMode = static_cast<int64_t>(nc::core::PadMode::Reflect);
        b.layer(LayerType::Conv2d, c, {in}, "y");
    });
    row("ReduceMean over H, W", [](GraphBuilder& g, ModelBuilder& b, const std::string& x, NodeId in) {
        attr(g.node("ReduceMean", {x}, {"y"}, "y"), "axes", {2, 3});
        b.globalAvgPool(in, "y");
    });
}

void TestOnnxModels::convAndPoolAttributes()
{
    QFETCH(Build, build);
    GraphBuilder g("attrs");
    std::string x = g.input("x", {1, 16, 15, 15});
    ModelBuilder b("attrs");
    NodeId in = b.input({16, 15, 15}, "x");
    build(g, b, x, in);
    g.output("y");
    nco::ImportReport report;
    Network net = importOk(g.bytes(), &report);
    compareFigures(net, b.finish());
    QCOMPARE(report.opaqueLayers, 0);
    QCOMPARE(report.shapeDisagreements.size(), size_t(0));
}

// MaxPool over N×C×L and AveragePool over N×C×D×H×W map onto the 1-D and 3-D kinds (PyTorch's
// F.max_pool1d and nn.AvgPool3d), with every attribute on the right axis. By hand:
//   MaxPool1d k 4, s 4 on 8×100: L = ⌊(100 − 4)/4⌋ + 1 = 25 → 8×25, 8·25·4 = 800 compares.
//   AvgPool3d k (2, 3, 3), s 2, pads D 0/0, H 1/1, W 1/0 on 4×8×10×12:
//     D ⌊(8 − 2)/2⌋ + 1 = 4, H ⌊(10 + 2 − 3)/2⌋ + 1 = 5, W ⌊(12 + 1 − 3)/2⌋ + 1 = 6 → 4×4×5×6,
//     480 outputs · 18 window elements = 8,640 adds.
void TestOnnxModels::poolingOverOneAndThreeAxes()
{
    GraphBuilder g("pools");
    std::string a = g.input("a", {1, 8, 100});
    std::string v = g.input("v", {1, 4, 8, 10, 12});
    auto* m = g.node("MaxPool", {a}, {"m"}, "/pool1d/MaxPool");
    attr(m, "kernel_shape", std::vector<int64_t>{4}); // a list of one: {4} would pick the scalar overload
    attr(m, "strides", std::vector<int64_t>{4});
    auto* p = g.node("AveragePool", {v}, {"p"}, "/pool3d/AveragePool");
    attr(p, "kernel_shape", {2, 3, 3});
    attr(p, "strides", {2, 2, 2});
    attr(p, "pads", {0, 1, 1, 0, 1, 0});
    g.output("m");
    g.output("p");
    nco::ImportReport report;
    Network net = importOk(g.bytes(), &report);
    QCOMPARE(net.nodes().size(), size_t(4)); // two inputs, two pools
    QCOMPARE(report.opaqueLayers, 0);
    const nc::core::AnalysisResult r = nc::core::analyze(net);
    int seen = 0;
    for (const auto& l : r.layers) {
        const auto& n = net.nodes()[static_cast<size_t>(l.nodeIndex)];
        if (n.type == LayerType::MaxPool1d) {
            ++seen;
            QCOMPARE(QString::fromStdString(l.output.toString()), QString("8×25"));
            QCOMPARE(l.otherOps, int64_t(800));
        } else if (n.type == LayerType::AvgPool3d) {
            ++seen;
            QCOMPARE(n.params.kd, int64_t(2));
            QCOMPARE(n.params.pf, int64_t(0));
            QCOMPARE(n.params.pt, int64_t(1));
            QCOMPARE(n.params.pl, int64_t(1));
            QCOMPARE(n.params.pr, int64_t(0));
            QCOMPARE(QString::fromStdString(l.output.toString()), QString("4×4×5×6"));
            QCOMPARE(l.otherOps, int64_t(8640));
        }
    }
    QCOMPARE(seen, 2);
}

// A Concat of 100 tensors (wider than any DenseNet block) is one Concat layer: 100 inputs of
// 2×4×4 give 200×4×4.
void TestOnnxModels::concatOfManyInputs()
{
    GraphBuilder g("wide concat");
    std::string x = g.input("x", {1, 2, 4, 4});
    std::vector<std::string> parts;
    for (int i = 0; i < 100; ++i) {
        parts.push_back("r" + std::to_string(i));
        g.op("Relu", {x}, parts.back());
    }
    attr(g.node("Concat", parts, {"y"}, "/cat/Concat"), "axis", 1);
    g.output("y");
    nco::ImportReport report;
    Network net = importOk(g.bytes(), &report);
    QCOMPARE(net.nodes().size(), size_t(102)); // the input, 100 ReLUs, the Concat
    QCOMPARE(report.opaqueLayers, 0);
    const nc::core::AnalysisResult r = nc::core::analyze(net);
    int concats = 0;
    for (const auto& l : r.layers)
        if (net.nodes()[static_cast<size_t>(l.nodeIndex)].type == LayerType::Concat) {
            ++concats;
            QCOMPARE(l.inputCount, 100);
            QCOMPARE(QString::fromStdString(l.output.toString()), QString("200×4×4"));
        }
    QCOMPARE(concats, 1);
}

void TestOnnxModels::unknownOperatorsAreReported()
{
    GraphBuilder g("unknown");
    std::string x = g.input("x", {1, 8, 4, 4});
    g.op("Elu", {x}, "e1");
    g.op("Elu", {"e1"}, "e2");
    g.op("Selu", {"e2"}, "s1");
    g.op("Relu", {"s1"}, "r");
    g.output("r");
    nco::ImportReport report;
    Network net = importOk(g.bytes(), &report);
    QCOMPARE(net.nodes().size(), size_t(5));
    QCOMPARE(report.opaqueLayers, 3);
    QCOMPARE(report.unknownNodes(), 3);
    QCOMPARE(report.unknownOps.size(), size_t(2));
    QVERIFY2(report.summary().find("3 nodes of 2 unknown types: Elu ×2, Selu ×1") != std::string::npos,
             report.summary().c_str());
    const nc::core::Node* s1 = findLayer(net, "s1");
    QVERIFY(s1);
    QCOMPARE(int(s1->type), int(LayerType::Opaque));
    QCOMPARE(s1->params.dims, (Shape{8, 4, 4}));
    nc::core::AnalysisResult a = nc::core::analyze(net);
    QCOMPARE(a.layer(s1->id, net)->macs, int64_t(0));
    QCOMPARE(a.totals.errors, 0);
}

void TestOnnxModels::customDomainUsesValueInfo()
{
    GraphBuilder g("custom");
    std::string x = g.input("x", {1, 8, 4, 4});
    g.op("Relu", {x}, "r");
    g.node("FusedThing", {"r"}, {"f"}, "f")->set_domain("com.example");
    auto* o = g.model().add_opset_import();
    o->set_domain("com.example");
    o->set_version(1);
    g.op("Relu", {"f"}, "out");
    g.output("out");
    // Without a shape in the file, ONNX cannot infer it: an error that names the tensor.
    auto r = nco::importOnnxBytes(g.bytes());
    QVERIFY(!r);
    QVERIFY2(r.error().find("\"f\"") != std::string::npos, r.error().c_str());
    // With value_info, the file's shape is used.
    g.valueInfo("f", {1, 8, 2, 2});
    nco::ImportReport report;
    Network net = importOk(g.bytes(), &report);
    const nc::core::Node* f = findLayer(net, "f");
    QVERIFY(f);
    QCOMPARE(f->params.dims, (Shape{8, 2, 2}));
    QCOMPARE(report.unknownOps.size(), size_t(1));
    QCOMPARE(report.unknownOps[0].first, std::string("com.example.FusedThing"));
}

void TestOnnxModels::valueInfoDisagreementIsReported()
{
    GraphBuilder g("vi");
    std::string x = g.input("x", {1, 3, 32, 32});
    conv(g, x, "conv", 3, 8, 3, 2, 1);
    g.op("Relu", {"conv"}, "relu");
    g.output("relu");
    g.valueInfo("conv", {1, 8, 15, 15}); // wrong: a 3×3 stride-2 pad-1 convolution of 32 gives 16
    nco::ImportReport report;
    Network net = importOk(g.bytes(), &report);
    QCOMPARE(report.shapeDisagreements.size(), size_t(1));
    QCOMPARE(report.shapeDisagreements[0].tensor, std::string("conv"));
    QCOMPARE(report.shapeDisagreements[0].ours, std::string("1×8×16×16"));
    QCOMPARE(report.shapeDisagreements[0].theirs, std::string("1×8×15×15"));
    QCOMPARE(report.shapeDisagreements[0].source, std::string("the file's value_info"));
    nc::core::AnalysisResult a = nc::core::analyze(net);
    QCOMPARE(a.layer(findLayer(net, "conv")->id, net)->output, (Shape{8, 16, 16})); // ours, not the file's
    QVERIFY(report.summary().find("1 shape disagreement") != std::string::npos);
}

void TestOnnxModels::parameterDisagreementIsReported()
{
    // A Gemm whose bias C is one broadcast scalar: NetCanvas's Linear counts `out` biases.
    GraphBuilder g("params");
    std::string x = g.input("x", {1, 16});
    attr(g.node("Gemm", {x, g.weight("w", {16, 4}), g.weight("c", {1})}, {"fc"}, "fc"), "transB", 0);
    g.output("fc");
    nco::ImportReport report;
    Network net = importOk(g.bytes(), &report);
    QCOMPARE(report.paramDisagreements.size(), size_t(1));
    QVERIFY2(report.paramDisagreements[0].find("NetCanvas counts 68 parameters, its initializers hold 65 values") !=
                 std::string::npos,
             report.paramDisagreements[0].c_str());
}

void TestOnnxModels::batchFromInput_data()
{
    QTest::addColumn<QString>("symbol");
    QTest::addColumn<int>("given");
    QTest::addColumn<int>("batch");
    QTest::newRow("fixed 8") << QString() << 0 << 8;
    QTest::newRow("symbolic N") << QString("N") << 0 << 1;
    QTest::newRow("symbolic N given 4") << QString("N") << 4 << 4;
}

void TestOnnxModels::batchFromInput()
{
    QFETCH(QString, symbol);
    QFETCH(int, given);
    QFETCH(int, batch);
    GraphBuilder g("batch");
    std::string x = g.input("x", {8, 3, 32, 32}, symbol.toStdString());
    conv(g, x, "conv", 3, 8, 3, 1, 1);
    g.output("conv");
    nco::ImportOptions o;
    if (given)
        o.symbols[symbol.toStdString()] = given;
    nco::ImportReport report;
    Network net = importOk(g.bytes(), &report, o);
    QCOMPARE(net.batch, int64_t(batch));
    const nc::core::Node* in = findLayer(net, "x");
    QVERIFY(in);
    QCOMPARE(in->params.dims, (Shape{3, 32, 32}));
    if (!symbol.isEmpty() && !given)
        QVERIFY(report.text().find("symbolic batch dimension \"N\" is taken as 1") != std::string::npos);
}

void TestOnnxModels::namesAreKeptAndMadeUnique()
{
    GraphBuilder g("names");
    std::string x = g.input("x", {1, 4, 8, 8});
    g.node("Relu", {x}, {"a"}, "/features/features.0/Relu");
    g.node("Relu", {"a"}, {"b"}, "same");
    g.node("Relu", {"b"}, {"c"}, "same");
    g.node("Relu", {"c"}, {"d"}, "");
    g.output("d");
    Network net = importOk(g.bytes());
    // torch's scope name reads as the module path (ImportNames.h); the full name stays as the source.
    QVERIFY(findLayer(net, "features.0"));
    QCOMPARE(net.node(net.findByName("features.0"))->source, std::string("/features/features.0/Relu"));
    QVERIFY(findLayer(net, "same"));
    QVERIFY(findLayer(net, "same_2"));
    QCOMPARE(net.nodes().size(), size_t(5));
    std::set<std::string> names;
    for (const auto& n : net.nodes())
        names.insert(n.name);
    QCOMPARE(names.size(), size_t(5));
    // The editor's automatic layout placed the layers (one row each).
    std::set<double> rows;
    for (const auto& n : net.nodes())
        rows.insert(n.y);
    QCOMPARE(rows.size(), size_t(5));
}

QTEST_GUILESS_MAIN(TestOnnxModels)
#include "tst_onnx_models.moc"

// The transformer patterns of detail/AttentionPatterns.cpp on small hand-built graphs, one spelling
// per row: nn.MultiheadAttention's packed export cut by Slice or by Split, attention masks (a Where
// or an Add, causal or not), RMSNorm written out in each form the matcher accepts, the SwiGLU MLP
// and its near misses, HardSigmoid as ONNX's operator. Figures are computed by hand in the comments;
// the real PyTorch exports are tst_torch_imports' job.
#include "OnnxTestUtil.h"

#include "core/Analysis.h"
#include "core/onnx/OnnxImport.h"

#include <QTest>

#include <cmath>
#include <cstring>
#include <map>

using namespace nc::core;
using namespace nctest;
namespace nco = nc::core::onnx;

namespace {

struct Imported {
    Network net;
    nco::ImportReport report;
    AnalysisResult analysis;
};

Imported importBytes(const QByteArray& bytes)
{
    auto r = nco::importOnnxBytes(bytes);
    if (!r)
        qFatal("import failed: %s", r.error().c_str());
    Imported i{r->network, r->report, {}};
    i.analysis = analyze(i.net);
    return i;
}

std::map<LayerType, int> kinds(const Network& net)
{
    std::map<LayerType, int> k;
    for (const Node& n : net.nodes())
        ++k[n.type];
    return k;
}

const Node* only(const Network& net, LayerType t)
{
    const Node* found = nullptr;
    for (const Node& n : net.nodes())
        if (n.type == t) {
            if (found)
                return nullptr;
            found = &n;
        }
    return found;
}

// A T×T mask initializer: BOOL (true where dropped) or FLOAT (value where dropped, 0 elsewhere).
void mask(GraphBuilder& g, const std::string& name, int64_t t, bool boolean, float dropValue,
          bool (*dropped)(int64_t i, int64_t j))
{
    auto* m = g.graph().add_initializer();
    m->set_name(name);
    m->set_data_type(boolean ? ox::TensorProto::BOOL : ox::TensorProto::FLOAT);
    m->add_dims(t);
    m->add_dims(t);
    for (int64_t i = 0; i < t; ++i)
        for (int64_t j = 0; j < t; ++j) {
            if (boolean)
                m->add_int32_data(dropped(i, j) ? 1 : 0);
            else
                m->add_float_data(dropped(i, j) ? dropValue : 0.0f);
        }
}

} // namespace

class TestOnnxAttentionPatterns : public QObject {
    Q_OBJECT
private slots:
    void packedMultiheadAttention_data();
    void packedMultiheadAttention();
    void masks_data();
    void masks();
    void rmsNorm_data();
    void rmsNorm();
    void swiglu_data();
    void swiglu();
    void hardSigmoidOperator_data();
    void hardSigmoidOperator();
};

void TestOnnxAttentionPatterns::packedMultiheadAttention_data()
{
    QTest::addColumn<bool>("split");
    QTest::newRow("Slice, as torch 1.13 chunks") << false;
    QTest::newRow("Split in equal thirds") << true;
}

void TestOnnxAttentionPatterns::packedMultiheadAttention()
{
    // torch's F.multi_head_attention_forward, batch first: T 6, D 8, 2 heads of 4.
    QFETCH(bool, split);
    GraphBuilder g("mha");
    std::string x = g.input("x", {1, 6, 8});
    attr(g.node("Transpose", {x}, {"xt"}, "/attn/Transpose"), "perm", {1, 0, 2});
    g.op("MatMul", {"xt", g.weight("w_in", {8, 24})}, "/attn/MatMul");
    g.op("Add", {g.weight("b_in", {24}), "/attn/MatMul"}, "/attn/Add");
    if (split) {
        attr(g.node("Split", {"/attn/Add", g.ints("thirds", {8, 8, 8})}, {"q0", "k0", "v0"}, "/attn/Split"),
             "axis", int64_t{-1});
    } else {
        const char* parts[] = {"q0", "k0", "v0"};
        for (int p = 0; p < 3; ++p)
            g.node("Slice",
                   {"/attn/Add", g.ints("s" + std::to_string(p), {8 * p}),
                    g.ints("e" + std::to_string(p), {8 * p + 8}), g.ints("a" + std::to_string(p), {-1})},
                   {parts[p]}, "/attn/Slice_" + std::to_string(p));
    }
    const std::string heads = g.ints("heads", {6, 2, 4});
    g.node("Reshape", {"q0", heads}, {"q1"}, "/attn/Reshape");
    g.node("Reshape", {"k0", heads}, {"k1"}, "/attn/Reshape_1");
    g.node("Reshape", {"v0", heads}, {"v1"}, "/attn/Reshape_2");
    attr(g.node("Transpose", {"q1"}, {"q2"}, "/attn/Transpose_1"), "perm", {1, 0, 2});
    attr(g.node("Transpose", {"k1"}, {"k2"}, "/attn/Transpose_2"), "perm", {1, 2, 0});
    attr(g.node("Transpose", {"v1"}, {"v2"}, "/attn/Transpose_3"), "perm", {1, 0, 2});
    g.node("Div", {"q2", g.scalar("sqrt_d", 2.0f)}, {"q3"}, "/attn/Div");
    g.node("MatMul", {"q3", "k2"}, {"s"}, "/attn/MatMul_1");
    attr(g.node("Softmax", {"s"}, {"p"}, "/attn/Softmax"), "axis", int64_t{-1});
    g.node("MatMul", {"p", "v2"}, {"o"}, "/attn/MatMul_2");
    attr(g.node("Transpose", {"o"}, {"o1"}, "/attn/Transpose_4"), "perm", {1, 0, 2});
    g.node("Reshape", {"o1", g.ints("rows", {6, 8})}, {"o2"}, "/attn/Reshape_3");
    attr(g.node("Gemm", {"o2", g.weight("w_out", {8, 8}), g.weight("b_out", {8})}, {"o3"}, "/attn/Gemm"),
         "transB", int64_t{1});
    g.node("Reshape", {"o3", g.ints("tbd", {6, 1, 8})}, {"o4"}, "/attn/Reshape_4");
    attr(g.node("Transpose", {"o4"}, {"y"}, "/attn/Transpose_5"), "perm", {1, 0, 2});
    g.output("y");

    Imported r = importBytes(g.bytes());
    QCOMPARE(r.report.opaqueLayers, 0);
    QCOMPARE(kinds(r.net)[LayerType::MultiHeadAttention], 1);
    const Node* a = only(r.net, LayerType::MultiHeadAttention);
    QVERIFY(a);
    QCOMPARE(a->params.heads, int64_t{2});
    QCOMPARE(a->params.bias, int64_t{1});
    QCOMPARE(a->params.causal, int64_t{0});
    QCOMPARE(a->name, std::string("attn"));
    // Params: in-projection 8·24 + 24, out-projection 8·8 + 8 = 288 = 4·D² + 4·D.
    QCOMPARE(r.analysis.totals.params, int64_t{288});
    // MACs: projections 4·T·D² = 4·6·64 = 1,536; Q·Kᵀ and A·V 2·T²·D = 2·36·8 = 576; 2,112.
    QCOMPARE(r.analysis.totals.macs, int64_t{2112});
    QCOMPARE(r.analysis.layer(a->id, r.net)->output.toString(), std::string("6×8"));
}

void TestOnnxAttentionPatterns::masks_data()
{
    QTest::addColumn<bool>("where");
    QTest::addColumn<bool>("triangle");
    QTest::addColumn<int>("causal");
    QTest::addColumn<bool>("note");
    QTest::newRow("Where, causal triangle") << true << true << 1 << false;
    QTest::newRow("Where, a band (not causal)") << true << false << 0 << true;
    QTest::newRow("Add of 0 / -1e9, causal triangle") << false << true << 1 << false;
    QTest::newRow("Add of 0 / -1e9, a band") << false << false << 0 << true;
}

void TestOnnxAttentionPatterns::masks()
{
    // Hand-written attention (GPT style): T 4, D 8, 2 heads, no biases, a constant mask before the
    // softmax. Only a mask dropping exactly j > i makes the layer causal.
    QFETCH(bool, where);
    QFETCH(bool, triangle);
    QFETCH(int, causal);
    QFETCH(bool, note);
    GraphBuilder g("masked");
    std::string x = g.input("x", {1, 4, 8});
    const std::string heads = g.ints("heads", {1, 4, 2, 4});
    for (const char* p : {"q", "k", "v"}) {
        const std::string P = p;
        g.op("MatMul", {x, g.weight("w" + P, {8, 8})}, "/" + P + "/MatMul");
        g.node("Reshape", {"/" + P + "/MatMul", heads}, {P + "1"}, "/Reshape_" + P);
        attr(g.node("Transpose", {P + "1"}, {P + "2"}, "/Transpose_" + P), "perm",
             P == "k" ? std::vector<int64_t>{0, 2, 3, 1} : std::vector<int64_t>{0, 2, 1, 3});
    }
    g.node("MatMul", {"q2", "k2"}, {"s"}, "/MatMul");
    g.node("Mul", {"s", g.scalar("scale", 0.5f)}, {"s1"}, "/Mul");
    auto band = +[](int64_t i, int64_t j) { return j > i + 1; };
    auto tri = +[](int64_t i, int64_t j) { return j > i; };
    if (where) {
        mask(g, "mask", 4, true, 0, triangle ? tri : band);
        g.node("Where", {"mask", g.scalar("minus_inf", -INFINITY), "s1"}, {"s2"}, "/Where");
    } else {
        mask(g, "mask", 4, false, -1e9f, triangle ? tri : band);
        g.node("Add", {"s1", "mask"}, {"s2"}, "/Add");
    }
    attr(g.node("Softmax", {"s2"}, {"p"}, "/Softmax"), "axis", int64_t{-1});
    g.node("MatMul", {"p", "v2"}, {"o"}, "/MatMul_1");
    attr(g.node("Transpose", {"o"}, {"o1"}, "/Transpose"), "perm", {0, 2, 1, 3});
    g.node("Reshape", {"o1", g.ints("merged", {1, 4, 8})}, {"o2"}, "/Reshape");
    g.op("MatMul", {"o2", g.weight("wo", {8, 8})}, "/o/MatMul");
    g.output("/o/MatMul");

    Imported r = importBytes(g.bytes());
    QCOMPARE(r.report.opaqueLayers, 0);
    const Node* a = only(r.net, LayerType::MultiHeadAttention);
    QVERIFY2(a, r.report.text().c_str());
    QCOMPARE(a->params.heads, int64_t{2});
    QCOMPARE(a->params.causal, int64_t(causal));
    bool noted = false;
    for (const std::string& n : r.report.notes)
        noted = noted || n.find("modelled without a mask") != std::string::npos;
    QCOMPARE(noted, note);
    // Params 4·D² = 256 (the mask is an operand, not a weight); MACs 4·T·D² + 2·T²·D = 1,024 + 256.
    QCOMPARE(r.analysis.totals.params, int64_t{256});
    QCOMPARE(r.analysis.totals.macs, int64_t{1280});
    // A causal layer keeps K and V of its 4 tokens: 2·D·T·4 B = 2·8·4·4 = 256 B in fp32.
    QCOMPARE(r.analysis.totals.kvCacheBytes, causal ? int64_t{256} : int64_t{0});
}

void TestOnnxAttentionPatterns::rmsNorm_data()
{
    QTest::addColumn<QString>("square");  // Pow or Mul
    QTest::addColumn<QString>("inverse"); // rsqrt, reciprocal, pow, divide
    QTest::addColumn<bool>("weight");
    QTest::newRow("Llama: Pow, torch.rsqrt as Div(1, Sqrt), weight") << "Pow"
                                                                     << "rsqrt" << true;
    QTest::newRow("Mul x·x, Reciprocal(Sqrt)") << "Mul"
                                               << "reciprocal" << true;
    QTest::newRow("Pow(-0.5)") << "Pow"
                               << "pow" << true;
    QTest::newRow("x / Sqrt, no weight") << "Pow"
                                         << "divide" << false;
}

void TestOnnxAttentionPatterns::rmsNorm()
{
    QFETCH(QString, square);
    QFETCH(QString, inverse);
    QFETCH(bool, weight);
    GraphBuilder g("rms");
    std::string x = g.input("x", {1, 5, 8});
    if (square == "Pow")
        g.node("Pow", {x, g.scalar("two", 2.0f)}, {"sq"}, "/norm/Pow");
    else
        g.node("Mul", {x, x}, {"sq"}, "/norm/Mul_sq");
    auto* mean = g.node("ReduceMean", {"sq"}, {"m"}, "/norm/ReduceMean");
    attr(mean, "axes", std::vector<int64_t>{-1});
    attr(mean, "keepdims", int64_t{1});
    g.node("Add", {"m", g.scalar("eps", 1e-5f)}, {"e"}, "/norm/Add");
    std::string normed = "n";
    if (inverse == "pow") {
        g.node("Pow", {"e", g.scalar("minus_half", -0.5f)}, {"inv"}, "/norm/Pow_1");
        g.node("Mul", {x, "inv"}, {normed}, "/norm/Mul");
    } else {
        g.node("Sqrt", {"e"}, {"root"}, "/norm/Sqrt");
        if (inverse == "divide") {
            g.node("Div", {x, "root"}, {normed}, "/norm/Div");
        } else {
            if (inverse == "rsqrt")
                g.node("Div", {g.scalar("one", 1.0f), "root"}, {"inv"}, "/norm/Div");
            else
                g.node("Reciprocal", {"root"}, {"inv"}, "/norm/Reciprocal");
            g.node("Mul", {x, "inv"}, {normed}, "/norm/Mul");
        }
    }
    if (weight) {
        g.node("Mul", {normed, g.weight("gamma", {8})}, {"y"}, "/norm/Mul_1");
        normed = "y";
    }
    g.output(normed);

    Imported r = importBytes(g.bytes());
    QVERIFY2(r.report.opaqueLayers == 0, r.report.text().c_str());
    QCOMPARE(r.net.nodes().size(), size_t(2)); // the input and one RMSNorm
    const Node* n = only(r.net, LayerType::RMSNorm);
    QVERIFY(n);
    QVERIFY(std::fabs(n->params.eps - 1e-5) < 1e-11); // float32(1e-5)
    QCOMPARE(n->params.affine, int64_t(weight));
    QCOMPARE(r.analysis.totals.params, weight ? int64_t{8} : int64_t{0}); // γ, D values
    QCOMPARE(n->name, std::string("norm"));
}

void TestOnnxAttentionPatterns::swiglu_data()
{
    QTest::addColumn<bool>("bias");
    QTest::addColumn<int64_t>("outWidth"); // of w2; the kind needs D
    QTest::addColumn<int>("swiglu");
    QTest::newRow("biases, gate on the right") << true << int64_t{8} << 1;
    QTest::newRow("no biases") << false << int64_t{8} << 1;
    QTest::newRow("w2 to 4, not D: no SwiGLU") << false << int64_t{4} << 0;
}

void TestOnnxAttentionPatterns::swiglu()
{
    // D 8, H 16 over 5 tokens: w2(silu(w1·x) ⊙ w3·x), F.silu as Mul(Sigmoid(h), h).
    QFETCH(bool, bias);
    QFETCH(int64_t, outWidth);
    QFETCH(int, swiglu);
    GraphBuilder g("swiglu");
    std::string x = g.input("x", {1, 5, 8});
    auto linear = [&](const std::string& name, const std::string& in, int64_t i, int64_t o) {
        g.op("MatMul", {in, g.weight(name + ".w", {i, o})}, "/mlp/" + name + "/MatMul");
        if (!bias)
            return "/mlp/" + name + "/MatMul";
        return g.op("Add", {"/mlp/" + name + "/MatMul", g.weight(name + ".b", {o})}, "/mlp/" + name + "/Add");
    };
    const std::string h1 = linear("w1", x, 8, 16);
    g.node("Sigmoid", {h1}, {"sig"}, "/mlp/Sigmoid");
    g.node("Mul", {"sig", h1}, {"silu"}, "/mlp/Mul");
    const std::string h3 = linear("w3", x, 8, 16);
    g.node("Mul", {h3, "silu"}, {"gated"}, "/mlp/Mul_1");
    g.output(linear("w2", "gated", 16, outWidth));

    Imported r = importBytes(g.bytes());
    QCOMPARE(r.report.opaqueLayers, 0);
    QCOMPARE(kinds(r.net)[LayerType::SwiGlu], swiglu);
    // Params 8·16 + 8·16 + 16·w (+ 16 + 16 + w); MACs 5 tokens · (2·8·16 + 16·w), whatever the kinds.
    const int64_t w = outWidth;
    QCOMPARE(r.analysis.totals.params, 256 + 16 * w + (bias ? 32 + w : 0));
    QCOMPARE(r.analysis.totals.macs, 5 * (256 + 16 * w));
    if (swiglu) {
        const Node* n = only(r.net, LayerType::SwiGlu);
        QCOMPARE(n->params.hidden, int64_t{16});
        QCOMPARE(n->params.bias, int64_t(bias));
        QCOMPARE(n->name, std::string("mlp"));
    } else {
        // The near miss keeps its parts: three Linear layers and the SiLU.
        QCOMPARE(kinds(r.net)[LayerType::Linear], 3);
        QCOMPARE(kinds(r.net)[LayerType::SiLU], 1);
    }
}

void TestOnnxAttentionPatterns::hardSigmoidOperator_data()
{
    QTest::addColumn<float>("alpha");
    QTest::addColumn<int>("hardSigmoid");
    QTest::newRow("alpha 1/6, as torch exports nn.Hardsigmoid") << 1.0f / 6.0f << 1;
    QTest::newRow("alpha 0.2, ONNX's default: another function") << 0.2f << 0;
}

void TestOnnxAttentionPatterns::hardSigmoidOperator()
{
    QFETCH(float, alpha);
    QFETCH(int, hardSigmoid);
    GraphBuilder g("hsig");
    std::string x = g.input("x", {1, 4, 3, 3});
    auto* n = g.node("HardSigmoid", {x}, {"y"}, "/gate/HardSigmoid");
    attrF(n, "alpha", alpha);
    attrF(n, "beta", 0.5f);
    g.output("y");
    Imported r = importBytes(g.bytes());
    QCOMPARE(kinds(r.net)[LayerType::HardSigmoid], hardSigmoid);
    QCOMPARE(r.report.opaqueLayers, 1 - hardSigmoid);
    if (!hardSigmoid) {
        QCOMPARE(r.report.unmapped.size(), size_t(1));
        QVERIFY2(r.report.unmapped[0].find("alpha 0.2") != std::string::npos, r.report.unmapped[0].c_str());
    }
}

QTEST_GUILESS_MAIN(TestOnnxAttentionPatterns)
#include "tst_onnx_attention_patterns.moc"

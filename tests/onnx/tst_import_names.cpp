// Readable layer names from torch's ONNX scope names (core/onnx/ImportNames.h), checked on node
// names copied from real torch 1.13 exports (torchvision resnet18 and vit_b_16, nn.TransformerEncoder),
// then end to end: a model exported by real torch at test time imports with readable names, keeps
// the full ONNX name in `source` through save and load, the CLI's JSON carries it, and
// `netcanvas-cli import --report` prints the report on stdout.
#include "core/Analysis.h"
#include "core/NetworkFile.h"
#include "core/Report.h"
#include "core/onnx/ImportNames.h"
#include "core/onnx/OnnxImport.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <set>

using namespace nc::core;
using onnx::OnnxLayerName;

namespace {

const char* kPython = "/usr/bin/python3";

std::vector<std::string> names(const std::vector<OnnxLayerName>& in) { return onnx::readableLayerNames(in); }

// A small torchvision-style CNN (stem, a Sequential of two residual blocks with reused ReLUs and a
// downsample branch, pooling, Flatten, head) and a 2-layer nn.TransformerEncoder, exported by torch.
const char* kExport = R"PY(
import sys, torch, torch.nn as nn
torch.manual_seed(0)
class Block(nn.Module):
    def __init__(s, ci, co, stride):
        super().__init__()
        s.conv1 = nn.Conv2d(ci, co, 3, stride, 1, bias=False); s.bn1 = nn.BatchNorm2d(co)
        s.relu = nn.ReLU(); s.conv2 = nn.Conv2d(co, co, 3, 1, 1, bias=False); s.bn2 = nn.BatchNorm2d(co)
        s.downsample = nn.Sequential(nn.Conv2d(ci, co, 1, stride, bias=False), nn.BatchNorm2d(co)) if stride != 1 else None
    def forward(s, x):
        y = s.relu(s.bn1(s.conv1(x))); y = s.bn2(s.conv2(y))
        return s.relu(y + (s.downsample(x) if s.downsample is not None else x))
class Net(nn.Module):
    def __init__(s):
        super().__init__()
        s.conv1 = nn.Conv2d(3, 8, 3, 1, 1); s.relu = nn.ReLU()
        s.layer1 = nn.Sequential(Block(8, 8, 1), Block(8, 16, 2))
        s.avgpool = nn.AdaptiveAvgPool2d(1); s.fc = nn.Linear(16, 10)
    def forward(s, x):
        x = s.layer1(s.relu(s.conv1(x)))
        return s.fc(torch.flatten(s.avgpool(x), 1))
m = Net().eval()
torch.onnx.export(m, torch.randn(1, 3, 16, 16), sys.argv[1] + '/cnn.onnx', opset_version=17)
enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(32, 4, 64, batch_first=True), 2).eval()
torch.onnx.export(enc, torch.randn(1, 6, 32), sys.argv[1] + '/tenc.onnx', opset_version=17)
import onnx
print(len(onnx.load(sys.argv[1] + '/tenc.onnx').graph.node))
)PY";

} // namespace

class TestImportNames : public QObject {
    Q_OBJECT
private slots:
    void resnet18();
    void visionTransformer();
    void transformerEncoder();
    void unscopedNamesKept_data();
    void unscopedNamesKept();
    void edgeCases();
    void uniqueness();
    void designFileKeepsSource();
    void realExportEndToEnd();
};

// Every data node of torchvision's resnet18 export (torch 1.13, opset 17), in file order.
void TestImportNames::resnet18()
{
    std::vector<OnnxLayerName> in{{"/conv1/Conv", "Conv"}, {"/relu/Relu", "Relu"}, {"/maxpool/MaxPool", "MaxPool"}};
    std::vector<std::string> want{"conv1", "relu", "maxpool"};
    for (const char* stage : {"layer1", "layer2", "layer3", "layer4"})
        for (int b = 0; b < 2; ++b) {
            const std::string scope = "/" + std::string(stage) + "/" + stage + "." + std::to_string(b);
            const std::string path = std::string(stage) + "." + std::to_string(b);
            in.push_back({scope + "/conv1/Conv", "Conv"});
            in.push_back({scope + "/relu/Relu", "Relu"});
            in.push_back({scope + "/conv2/Conv", "Conv"});
            want.insert(want.end(), {path + ".conv1", path + ".relu", path + ".conv2"});
            if (b == 0 && std::string(stage) != "layer1") {
                in.push_back({scope + "/downsample/downsample.0/Conv", "Conv"});
                want.push_back(path + ".downsample.0"); // "downsample" then "downsample.0": one ".0"
            }
            // The residual Add is traced in the block itself, which holds other layers: the operator
            // part tells it apart from the block ("layer1.0" names the whole block in the overview).
            in.push_back({scope + "/Add", "Add"});
            // torch suffixes the scope of a module's second call: the reused ReLU is "relu_1".
            in.push_back({scope + "/relu_1/Relu", "Relu"});
            want.insert(want.end(), {path + ".add", path + ".relu_1"});
        }
    in.insert(in.end(), {{"/avgpool/GlobalAveragePool", "GlobalAveragePool"}, {"/Flatten", "Flatten"}, {"/fc/Gemm", "Gemm"}});
    want.insert(want.end(), {"avgpool", "flatten", "fc"});
    QCOMPARE(in.size(), size_t(49)); // 65 nodes in the file, 16 of them Identity (BatchNorm folded away)
    QCOMPARE(names(in), want);
}

// vit_b_16 as the importer sees it today: the attention block's nodes are layers of their own
// (opaque or single-node), MatMul+Add pairs are Linear layers named by their common scope.
void TestImportNames::visionTransformer()
{
    const std::string l0 = "/encoder/layers/encoder_layer_0";
    const std::string sa = l0 + "/self_attention";
    const std::vector<OnnxLayerName> in{
        {"/conv_proj/Conv", "Conv"},
        {"/Reshape", "Reshape"},
        {"/Transpose", "Transpose"},
        {"/Concat", "Concat"},
        {"/encoder/Add", "Add"},
        {l0 + "/ln_1/LayerNormalization", "LayerNormalization"},
        {sa + "/Transpose", "Transpose"},
        {sa, "Add", "linear"}, // MatMul + Add: the packed in-projection
        {sa + "/Slice", "Slice"},
        {sa + "/Slice_1", "Slice"},
        {sa + "/MatMul", "MatMul"},
        {sa + "/MatMul_1", "MatMul"},
        {sa + "/Softmax", "Softmax"},
        {sa + "/MatMul_2", "MatMul"},
        {sa + "/Gemm", "Gemm"},
        {l0 + "/Add", "Add"},
        {l0 + "/ln_2/LayerNormalization", "LayerNormalization"},
        {l0 + "/mlp/mlp.0", "Add", "linear"},
        {l0 + "/mlp/mlp.1", "Mul", "gelu"},
        {l0 + "/mlp/mlp.3", "Add", "linear"},
        {l0 + "/Add_1", "Add"},
        {"/encoder/ln/LayerNormalization", "LayerNormalization"},
        {"/Gather", "Gather"},
        {"/heads/head/Gemm", "Gemm"},
    };
    const std::string e0 = "encoder.layers.encoder_layer_0";
    const std::vector<std::string> want{
        "conv_proj", "reshape", "transpose", "concat",
        "encoder.add", // "encoder" holds the layers: the operator part is kept
        e0 + ".ln_1",
        e0 + ".self_attention.transpose",
        e0 + ".self_attention.linear", // not "…self_attention": that module holds ten layers here
        e0 + ".self_attention.slice", e0 + ".self_attention.slice_1",
        e0 + ".self_attention.matmul", // the issue's example
        e0 + ".self_attention.matmul_1", e0 + ".self_attention.softmax", e0 + ".self_attention.matmul_2",
        e0 + ".self_attention.gemm",
        e0 + ".add", e0 + ".ln_2", e0 + ".mlp.0", e0 + ".mlp.1", e0 + ".mlp.3", e0 + ".add_1",
        "encoder.ln", "gather", "heads.head"};
    QCOMPARE(names(in), want);

    // Once the whole attention block is one layer, its module names it.
    const std::vector<OnnxLayerName> fused{{l0 + "/ln_1/LayerNormalization", "LayerNormalization"},
                                           {sa, "Transpose", "multi_head_attention"},
                                           {l0 + "/Add", "Add"}};
    QCOMPARE(names(fused), (std::vector<std::string>{e0 + ".ln_1", e0 + ".self_attention", e0 + ".add"}));
}

// nn.TransformerEncoder: layers live in a ModuleList that is never called, so the first scope is
// "layers.0" itself; the feed-forward ReLU is a functional call traced in the layer's own scope.
void TestImportNames::transformerEncoder()
{
    const std::vector<OnnxLayerName> in{
        {"/layers.0/self_attn", "Add", "linear"},
        {"/layers.0/self_attn/Reshape", "Reshape"},
        {"/layers.0/self_attn/Gemm", "Gemm"},
        {"/layers.0/Add", "Add"},
        {"/layers.0/norm1/LayerNormalization", "LayerNormalization"},
        {"/layers.0/linear1", "Add", "linear"},
        {"/layers.0/Relu", "Relu"},
        {"/layers.0/linear2", "Add", "linear"},
        {"/layers.0/Add_1", "Add"},
        {"/layers.0/norm2/LayerNormalization", "LayerNormalization"},
        {"/layers.1/norm2/LayerNormalization", "LayerNormalization"},
    };
    const std::vector<std::string> want{"layers.0.self_attn.linear", "layers.0.self_attn.reshape",
                                        "layers.0.self_attn.gemm", "layers.0.add", "layers.0.norm1",
                                        "layers.0.linear1", "layers.0.relu", "layers.0.linear2",
                                        "layers.0.add_1", "layers.0.norm2", "layers.1.norm2"};
    QCOMPARE(names(in), want);
}

void TestImportNames::unscopedNamesKept_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QString>("op");
    QTest::newRow("torch < 1.13") << "Conv_0" << "Conv";
    QTest::newRow("netcanvas export") << "layer1.0.conv1" << "Conv";
    QTest::newRow("tf2onnx") << "StatefulPartitionedCall/model/conv2d/Conv2D" << "Conv";
    QTest::newRow("with colon") << "node:3" << "Split";
    QTest::newRow("spaces") << "my layer" << "Relu";
}

void TestImportNames::unscopedNamesKept()
{
    QFETCH(QString, name);
    QFETCH(QString, op);
    QCOMPARE(names({{name.toStdString(), op.toStdString()}}), (std::vector<std::string>{name.toStdString()}));
}

void TestImportNames::edgeCases()
{
    // Empty stays empty (the importer names it after the operator); "/" alone has nothing to say.
    QCOMPARE(names({{"", "Relu"}, {"/", "Relu"}}), (std::vector<std::string>{"", ""}));
    // A module named like an operator is still the operator part only at the end of the name.
    QCOMPARE(names({{"/Conv/conv/Conv", "Conv"}}), (std::vector<std::string>{"Conv.conv"}));
    // Output k of a multi-output node keeps its ":k".
    QCOMPARE(names({{"/blocks/Split:1", "Split"}, {"/blocks/Split:2", "Split"}}),
             (std::vector<std::string>{"blocks.split:1", "blocks.split:2"}));
    // Doubled slashes and a trailing counter that is not torch's ("Conv_x") are scopes.
    QCOMPARE(names({{"//stem//Conv", "Conv"}}), (std::vector<std::string>{"stem"}));
    QCOMPARE(names({{"/stem/Conv_x", "Conv"}}), (std::vector<std::string>{"stem.Conv_x"}));
    // No operator type given: every component is a scope.
    QCOMPARE(names({{"/head/fc", ""}}), (std::vector<std::string>{"head.fc"}));
}

void TestImportNames::uniqueness()
{
    // A scope name and an unscoped name that read the same; two nodes that end in the same module.
    const auto out = names({{"/a/b/Conv", "Conv"}, {"a.b", "Relu"}, {"a.b", "Relu"}, {"/x", "Add", "add"}, {"/x/Add", "Add"}});
    QCOMPARE(out, (std::vector<std::string>{"a.b", "a.b_2", "a.b_3", "x.add", "x.add_2"}));
    const std::set<std::string> distinct(out.begin(), out.end());
    QCOMPARE(distinct.size(), out.size());
}

void TestImportNames::designFileKeepsSource()
{
    Network net;
    Node in;
    in.type = LayerType::Input;
    in.name = "x";
    in.params.dims = Shape{3, 8, 8};
    NodeId a = net.addNode(in).value();
    Node relu;
    relu.type = LayerType::ReLU;
    relu.name = "layer1.0.relu";
    relu.source = "/layer1/layer1.0/relu/Relu";
    NodeId b = net.addNode(relu).value();
    QVERIFY(bool(net.connect(a, b, 0)));
    const QByteArray file = serializeNetwork(net);
    QVERIFY(file.contains("\"source\": \"/layer1/layer1.0/relu/Relu\""));
    QVERIFY(!file.contains("\"source\": \"\"")); // drawn layers write no source
    auto back = parseNetwork(file);
    QVERIFY2(bool(back), back ? "" : back.error().c_str());
    QCOMPARE(back->node(b)->source, std::string("/layer1/layer1.0/relu/Relu"));
    QCOMPARE(serializeNetwork(*back), file); // save -> load -> save is byte-identical
    // A file without it (every design written before) loads with an empty source.
    QByteArray old = file;
    old.replace("\"source\": \"/layer1/layer1.0/relu/Relu\",", "");
    auto oldNet = parseNetwork(old);
    QVERIFY2(bool(oldNet), oldNet ? "" : oldNet.error().c_str());
    QCOMPARE(oldNet->node(b)->source, std::string());
    // A source that is not a string names the layer.
    QByteArray bad = file;
    bad.replace("\"source\": \"/layer1/layer1.0/relu/Relu\"", "\"source\": 7");
    auto refused = parseNetwork(bad);
    QVERIFY(!refused);
    QVERIFY2(QString::fromStdString(refused.error()).contains("layer1.0.relu"), refused.error().c_str());
}

void TestImportNames::realExportEndToEnd()
{
    QTemporaryDir dir;
    QProcess py;
    py.start(kPython, {"-c", kExport, dir.path()});
    QVERIFY2(py.waitForFinished(300000), "torch export timed out");
    QVERIFY2(py.exitCode() == 0, py.readAllStandardError().constData());
    const QString tencNodes = QString::fromUtf8(py.readAllStandardOutput()).trimmed(); // as onnx.load counts

    auto r = onnx::importOnnx(dir.path() + "/cnn.onnx");
    QVERIFY2(bool(r), r ? "" : r.error().c_str());
    std::map<std::string, std::string> sourceOf;
    for (const Node& n : r->network.nodes())
        sourceOf[n.name] = n.source;
    // Names as torch's module tree spells them; the full ONNX name stays on the layer.
    QCOMPARE(sourceOf.at("conv1"), std::string("/conv1/Conv"));
    QCOMPARE(sourceOf.at("layer1.0.conv1"), std::string("/layer1/layer1.0/conv1/Conv"));
    QCOMPARE(sourceOf.at("layer1.0.add"), std::string("/layer1/layer1.0/Add"));
    QCOMPARE(sourceOf.at("layer1.1.relu_1"), std::string("/layer1/layer1.1/relu_1/Relu"));
    QCOMPARE(sourceOf.at("layer1.1.downsample.0"), std::string("/layer1/layer1.1/downsample/downsample.0/Conv"));
    QCOMPARE(sourceOf.at("fc"), std::string("/fc/Gemm"));
    QCOMPARE(sourceOf.at("flatten"), std::string("/Flatten"));
    for (const Node& n : r->network.nodes())
        QVERIFY2(n.name.find('/') == std::string::npos, n.name.c_str());

    // The CLI: --report prints the report on stdout (and writes nothing without -o); with -o the
    // design is written too, and its layers keep their source; the JSON of `analyze` carries it.
    const QString tenc = dir.path() + "/tenc.onnx";
    QProcess cli;
    cli.start(NC_CLI_PATH, {"import", tenc, "--report"});
    QVERIFY(cli.waitForFinished(120000));
    QCOMPARE(cli.exitCode(), 0);
    const QString out = QString::fromUtf8(cli.readAllStandardOutput());
    const QString err = QString::fromUtf8(cli.readAllStandardError());
    auto direct = onnx::importOnnx(tenc);
    QVERIFY(bool(direct));
    QCOMPARE(out.toStdString(), direct->report.text(SIZE_MAX)); // the whole report, never cut
    QVERIFY2(out.startsWith("imported " + tencNodes + " ONNX nodes as "), qPrintable(out));
    // nn.MultiheadAttention is one layer, named by its module; its source is the scope of its nodes.
    const Node* attn = direct->network.node(direct->network.findByName("layers.0.self_attn"));
    QVERIFY2(attn, qPrintable(out));
    QCOMPARE(attn->source, std::string("/layers.0/self_attn"));
    QVERIFY2(err.isEmpty(), qPrintable(err));

    const QString design = dir.path() + "/tenc.json";
    cli.start(NC_CLI_PATH, {"import", tenc, "--report", "-o", design});
    QVERIFY(cli.waitForFinished(120000));
    QCOMPARE(cli.exitCode(), 0);
    QCOMPARE(QString::fromUtf8(cli.readAllStandardOutput()), out);
    auto saved = loadNetwork(design);
    QVERIFY2(bool(saved), saved ? "" : saved.error().c_str());
    const Node* norm = saved->node(saved->findByName("layers.1.norm2"));
    QVERIFY(norm);
    QCOMPARE(norm->source, std::string("/layers.1/norm2/LayerNormalization"));

    // Without -o and without --report there is nothing to do: a one-line reason.
    cli.start(NC_CLI_PATH, {"import", tenc});
    QVERIFY(cli.waitForFinished(120000));
    QCOMPARE(cli.exitCode(), 1);
    QVERIFY(cli.readAllStandardError().contains("--report"));

    cli.start(NC_CLI_PATH, {"analyze", design, "--format", "json"});
    QVERIFY(cli.waitForFinished(120000));
    QCOMPARE(cli.exitCode(), 0);
    const QJsonArray layers = QJsonDocument::fromJson(cli.readAllStandardOutput()).object()["layers"].toArray();
    bool found = false;
    for (const QJsonValue& l : layers)
        if (l["name"].toString() == "layers.0.linear1") {
            QCOMPARE(l["source"].toString(), QString("/layers.0/linear1"));
            found = true;
        } else if (l["type"].toString() == "input") {
            QVERIFY(!l.toObject().contains("source")); // the input kept its ONNX name: no source
        }
    QVERIFY(found);
}

QTEST_GUILESS_MAIN(TestImportNames)
#include "tst_import_names.moc"

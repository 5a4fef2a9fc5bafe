// LSTM and GRU final states as output ports (issue 9): h_n on port 1, c_n on port 2 (LSTM), each
// (layers·directions)×H per sample. Shapes, counts and formula lines against hand computations;
// the PyTorch export run by torch; the ONNX export through onnx.checker and back through our
// importer; a real PyTorch classifier on h_n[-1] imported with h_n read from port 1. Needs
// /usr/bin/python3 with torch and onnx (label torch); fails, never skips, without them.
#include "core/Analysis.h"
#include "core/Explain.h"
#include "core/ModelBuilder.h"
#include "core/export/PyTorchExport.h"
#include "core/layers/LayerKind.h"
#include "core/onnx/OnnxExport.h"
#include "../common/TorchPython.h"
#include "core/onnx/OnnxImport.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace nc::core;
using nctest::runPython;

namespace {

// input 7×10 → LSTM (H 20, 2 layers, bidirectional) "lstm"; its h_n (port 1) → Linear 5 "fc_h", its
// c_n (port 2) → Linear 3 "fc_c"; the sequence (port 0) is read by nobody: a network output.
Network lstmDesign()
{
    ModelBuilder b("lstm states");
    NodeId x = b.input({7, 10}, "x");
    LayerParams p = b.defaults(LayerType::LSTM);
    p.hidden = 20;
    p.layers = 2;
    p.bidirectional = 1;
    b.layer(LayerType::LSTM, p, {x}, "lstm");
    Network net = b.finish();
    const NodeId rnn = net.nodes()[1].id;
    for (auto [port, out, name] : {std::tuple{1, 5, "fc_h"}, std::tuple{2, 3, "fc_c"}}) {
        Node fc;
        fc.id = net.newNodeId();
        fc.type = LayerType::Linear;
        fc.name = name;
        fc.params = Catalogue::instance().spec(LayerType::Linear).defaults;
        fc.params.features = out;
        net.addNode(fc).value();
        net.connect(rnn, fc.id, 0, {}, port).value();
    }
    net.batch = 3;
    return net;
}

// input 9×12 → GRU (H 32) "gru"; its h_n (port 1) → Linear 4 "fc", its sequence → Linear 6 "seq_fc".
Network gruDesign()
{
    ModelBuilder b("gru state");
    NodeId x = b.input({9, 12}, "x");
    LayerParams p = b.defaults(LayerType::GRU);
    p.hidden = 32;
    NodeId rnn = b.layer(LayerType::GRU, p, {x}, "gru");
    b.linear(rnn, 6, true, "seq_fc");
    Network net = b.finish();
    Node fc;
    fc.id = net.newNodeId();
    fc.type = LayerType::Linear;
    fc.name = "fc";
    fc.params = Catalogue::instance().spec(LayerType::Linear).defaults;
    fc.params.features = 4;
    net.addNode(fc).value();
    net.connect(rnn, fc.id, 0, {}, 1).value();
    net.batch = 2;
    return net;
}

const LayerResult* layerNamed(const Network& net, const AnalysisResult& a, const std::string& name)
{
    for (const Node& n : net.nodes())
        if (n.name == name)
            return a.layer(n.id, net);
    return nullptr;
}

QString writeTemp(QTemporaryDir& dir, const QString& name, const QByteArray& data)
{
    const QString path = dir.filePath(name);
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(data) != data.size())
        return {};
    return path;
}

} // namespace

class TestRnnPorts : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void portCountsAndShapes();
    void statesAreCountedAsActivations();
    void explainShowsTheStates();
    void pytorchExportRuns_data();
    void pytorchExportRuns();
    void unreadStatesAreNotExported();
    void onnxExportIsValidAndRoundTrips_data();
    void onnxExportIsValidAndRoundTrips();
    void torchClassifierOnHnImports();
};

void TestRnnPorts::initTestCase()
{
    QVERIFY2(QFile::exists(nctest::kTorchPython), "/usr/bin/python3 is missing: these checks need it");
    const QString v = runPython("import torch, onnx; print(torch.__version__)");
    QVERIFY2(!v.startsWith("ERROR"), qPrintable("torch and onnx are needed: " + v));
}

void TestRnnPorts::portCountsAndShapes()
{
    LayerParams p = layerKind(LayerType::LSTM).spec.defaults;
    QCOMPARE(layerKind(LayerType::LSTM).spec.outputCount(p), 3); // sequence, h_n, c_n
    QCOMPARE(layerKind(LayerType::GRU).spec.outputCount(p), 2);  // sequence, h_n

    const Network net = lstmDesign();
    const AnalysisResult a = analyze(net);
    QCOMPARE(a.totals.errors, 0);
    const LayerResult* l = layerNamed(net, a, "lstm");
    QVERIFY(l);
    // Sequence 7×(20·2); h_n and c_n (2 layers · 2 directions)×20 = 4×20.
    QCOMPARE(l->output, (Shape{7, 40}));
    QCOMPARE(l->extraOutputs.size(), size_t(2));
    QCOMPARE(l->extraOutputs[0], (Shape{4, 20}));
    QCOMPARE(l->extraOutputs[1], (Shape{4, 20}));
    // Params: layer 0 4·(20·(10 + 20) + 2·20)·2 = 5,120; layer 1 (I = 40) 4·(20·60 + 40)·2 = 9,920.
    QCOMPARE(l->params, int64_t{15040});
    // MACs per sample 7·4·20·30·2 + 7·4·20·60·2 = 33,600 + 67,200 = 100,800; × batch 3 = 302,400.
    QCOMPARE(l->macs, int64_t{302400});
    // Linear on h_n: 4×20 → 4×5, params 20·5 + 5 = 105, MACs 4·20·5 = 400 per sample, × 3 = 1,200.
    const LayerResult* h = layerNamed(net, a, "fc_h");
    QCOMPARE(h->output, (Shape{4, 5}));
    QCOMPARE(h->params, int64_t{105});
    QCOMPARE(h->macs, int64_t{1200});
    // Linear on c_n: 4×20 → 4×3, params 63, MACs 4·20·3 = 240 per sample, × 3 = 720.
    const LayerResult* c = layerNamed(net, a, "fc_c");
    QCOMPARE(c->output, (Shape{4, 3}));
    QCOMPARE(c->macs, int64_t{720});
    // Totals: 15,040 + 105 + 63 = 15,208 params; 302,400 + 1,200 + 720 = 304,320 MACs.
    QCOMPARE(a.totals.params, int64_t{15208});
    QCOMPARE(a.totals.macs, int64_t{304320});

    const Network g = gruDesign();
    const AnalysisResult ga = analyze(g);
    QCOMPARE(ga.totals.errors, 0);
    const LayerResult* gl = layerNamed(g, ga, "gru");
    QCOMPARE(gl->output, (Shape{9, 32}));
    QCOMPARE(gl->extraOutputs.size(), size_t(1)); // 1 layer · 1 direction × 32
    QCOMPARE(gl->extraOutputs[0], (Shape{1, 32}));
    // GRU params 3·(32·(12 + 32) + 2·32) = 4,416; fc 32·4 + 4 = 132 over a 1×32 input (MACs 128).
    QCOMPARE(gl->params, int64_t{4416});
    QCOMPARE(layerNamed(g, ga, "fc")->output, (Shape{1, 4}));
    QCOMPARE(layerNamed(g, ga, "fc")->macs, int64_t{2 * 128});

    // A GRU has no port 2.
    Network bad = gruDesign();
    const NodeId gru = bad.nodes()[1].id;
    const NodeId fc = bad.nodes().back().id;
    QVERIFY(!bad.connectionPossible(gru, fc, 0, 2));
}

// h_n and c_n are stored with the sequence, like any output: batch 3 · (7·40 + 80 + 80) = 3·440.
void TestRnnPorts::statesAreCountedAsActivations()
{
    const Network net = lstmDesign();
    const AnalysisResult a = analyze(net);
    const LayerResult* l = layerNamed(net, a, "lstm");
    QCOMPARE(l->outputElements, int64_t{3 * 440});
    QCOMPARE(l->activationBytes, int64_t{3 * 440 * 4}); // fp32
}

void TestRnnPorts::explainShowsTheStates()
{
    const Network net = lstmDesign();
    const AnalysisResult a = analyze(net);
    QString all;
    for (const ExplainLine& line : explainLayer(net, a, net.nodes()[1].id))
        all += QString::fromStdString(line.quantity + ": " + line.text) + "\n";
    QVERIFY2(all.contains("h_n: h_n = 4×20 (layers·directions × H = 2·2 × 20"), qPrintable(all));
    QVERIFY2(all.contains("c_n: c_n = 4×20"), qPrintable(all));
    QVERIFY2(!all.contains("not yet"), qPrintable(all));

    const Network g = gruDesign();
    const AnalysisResult ga = analyze(g);
    all.clear();
    for (const ExplainLine& line : explainLayer(g, ga, g.nodes()[1].id))
        all += QString::fromStdString(line.quantity + ": " + line.text) + "\n";
    QVERIFY2(all.contains("h_n: h_n = 1×32 (layers·directions × H = 1·1 × 32"), qPrintable(all));
    QVERIFY2(!all.contains("c_n"), qPrintable(all));
}

void TestRnnPorts::pytorchExportRuns_data()
{
    QTest::addColumn<QString>("which");
    QTest::addColumn<QStringList>("shapes");
    QTest::addColumn<qint64>("params");
    QTest::newRow("lstm") << "lstm" << QStringList{"lstm: (3, 7, 40)", "fc_h: (3, 4, 5)", "fc_c: (3, 4, 3)"}
                          << qint64(15208);
    // GRU 4,416 + seq_fc 32·6 + 6 = 198 + fc 132 = 4,746.
    QTest::newRow("gru") << "gru" << QStringList{"seq_fc: (2, 9, 6)", "fc: (2, 1, 4)"} << qint64(4746);
}

// torch runs the exported module (its __main__ prints each output's shape) and counts its
// parameters; both must be ours. The LSTM's h_n is also checked against PyTorch's own ordering.
void TestRnnPorts::pytorchExportRuns()
{
    QFETCH(QString, which);
    QFETCH(QStringList, shapes);
    QFETCH(qint64, params);
    const Network net = which == "lstm" ? lstmDesign() : gruDesign();
    auto py = exportPyTorch(net);
    QVERIFY2(py.ok(), py.ok() ? "" : py.error().c_str());
    QVERIFY2(py->find(".transpose(0, 1)") != std::string::npos, py->c_str());
    QTemporaryDir dir;
    const QString path = writeTemp(dir, "model.py", QByteArray::fromStdString(*py));
    QVERIFY(!path.isEmpty());
    static const char* driver = R"(
import importlib.util, runpy, sys, torch
spec = importlib.util.spec_from_file_location("exported", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
cls = [v for v in vars(module).values() if isinstance(v, type) and v.__module__ == "exported"][0]
print("params:", sum(p.numel() for p in cls().parameters()))
runpy.run_path(sys.argv[1], run_name="__main__")
m = cls().eval()
rnn = getattr(m, "lstm", None)
if rnn is not None:
    # Layer-major, direction-minor: row 2 of h_n is layer 1 forward (its last step), row 3 layer 1
    # backward (its first step); each sample's rows, batch first after the export's transpose.
    x = torch.randn(3, 7, 10)
    with torch.no_grad():
        y, (h, c) = rnn(x)
    h = h.transpose(0, 1)
    print("fwd", bool(torch.allclose(h[:, 2], y[:, -1, :20])), "bwd", bool(torch.allclose(h[:, 3], y[:, 0, 20:])))
)";
    const QString out = runPython(driver, {path});
    QVERIFY2(!out.startsWith("ERROR"), qPrintable(out + "\n" + QString::fromStdString(*py)));
    QVERIFY2(out.contains(QString("params: %1\n").arg(params)), qPrintable(out));
    for (const QString& s : shapes)
        QVERIFY2(out.contains(s + "\n"),
                 qPrintable(out + " expected " + s + "\n" + QString::fromStdString(*py)));
    if (which == "lstm")
        QVERIFY2(out.contains("fwd True bwd True"), qPrintable(out));
}

// An LSTM whose h_n and c_n nobody reads exports as before: `y, _ =`, one output, no state tensors.
void TestRnnPorts::unreadStatesAreNotExported()
{
    ModelBuilder b("plain");
    NodeId x = b.input({5, 3});
    LayerParams p = b.defaults(LayerType::LSTM);
    p.hidden = 4;
    b.layer(LayerType::LSTM, p, {x}, "lstm");
    const Network net = b.finish();
    auto py = exportPyTorch(net);
    QVERIFY2(py.ok(), py.ok() ? "" : py.error().c_str());
    QVERIFY2(py->find("lstm, _ = self.lstm(") != std::string::npos, py->c_str());
    QVERIFY2(py->find("transpose") == std::string::npos, py->c_str());
    QVERIFY2(py->find("return lstm\n") != std::string::npos, py->c_str());
    auto bytes = onnx::exportOnnxBytes(net);
    QVERIFY2(bytes.ok(), bytes.ok() ? "" : bytes.error().c_str());
    auto r = onnx::importOnnxBytes(*bytes);
    QVERIFY2(r.ok(), r.ok() ? "" : r.error().c_str());
    QCOMPARE(r->outputs.size(), size_t(1));
}

void TestRnnPorts::onnxExportIsValidAndRoundTrips_data()
{
    QTest::addColumn<QString>("which");
    QTest::newRow("lstm") << "lstm";
    QTest::newRow("gru") << "gru";
}

// The export passes onnx.checker and strict shape inference (which re-derives h_n's shape from the
// LSTM nodes, the Concat and the Transpose and refuses one that disagrees with ours); our importer
// reads it back to the same counts, with the Linear layers reading ports 1 and 2 again.
void TestRnnPorts::onnxExportIsValidAndRoundTrips()
{
    QFETCH(QString, which);
    Network net = which == "lstm" ? lstmDesign() : gruDesign();
    // Batch 1: the time-major tensors inside a recurrent layer do not carry the batch on axis 0, so
    // the importer reads any recurrent model with batch 1 (and a batch-3 file as 3-sample tensors).
    net.batch = 1;
    const AnalysisResult a = analyze(net);
    auto bytes = onnx::exportOnnxBytes(net);
    QVERIFY2(bytes.ok(), bytes.ok() ? "" : bytes.error().c_str());
    QTemporaryDir dir;
    const QString path = writeTemp(dir, "model.onnx", *bytes);
    const QString out = runPython("import onnx, sys\n"
                                  "m = onnx.load(sys.argv[1])\n"
                                  "onnx.checker.check_model(m, full_check=True)\n"
                                  "onnx.shape_inference.infer_shapes(m, check_type=True, strict_mode=True)\n"
                                  "print('ok')\n",
                                  {path});
    QVERIFY2(out == "ok\n", qPrintable(out));

    auto r = onnx::importOnnxBytes(*bytes);
    QVERIFY2(r.ok(), r.ok() ? "" : r.error().c_str());
    const Network& back = r->network;
    const AnalysisResult b = analyze(back);
    QCOMPARE(b.totals.errors, 0);
    std::string unmapped;
    for (const std::string& u : r->report.unmapped)
        unmapped += u + "\n";
    QVERIFY2(r->report.opaqueLayers == 0, unmapped.c_str());
    QVERIFY(r->report.shapeDisagreements.empty());
    QVERIFY(r->report.paramDisagreements.empty());
    QCOMPARE(b.totals.params, a.totals.params);
    QCOMPARE(b.totals.macs, a.totals.macs);
    QCOMPARE(b.totals.activations, a.totals.activations);
    // The readers of the states hang off ports 1 (and 2) of the recurrent layer again.
    std::map<int, int64_t> featuresByPort;
    for (const Edge& e : back.edges()) {
        const Node* from = back.node(e.from);
        if (from->type == LayerType::LSTM || from->type == LayerType::GRU)
            featuresByPort[e.fromPort] = back.node(e.to)->params.features;
    }
    if (which == "lstm") {
        QCOMPARE(featuresByPort.size(), size_t(2));
        QCOMPARE(featuresByPort[1], int64_t{5});
        QCOMPARE(featuresByPort[2], int64_t{3});
    } else {
        QCOMPARE(featuresByPort.size(), size_t(2));
        QCOMPARE(featuresByPort[0], int64_t{6});
        QCOMPARE(featuresByPort[1], int64_t{4});
    }
}

// PyTorch's classic sequence classifier, fc(h_n[-1]), exported by torch (batch 1: a recurrent
// model's time-major tensors do not carry the batch on axis 0, so the importer takes batch 1 anyway):
// the LSTM maps to one layer, h_n (4×1×20 in the file, batch on axis 1) leaves it on port 1, and the
// Gather of h_n[-1] is a Slice of the port's axis 0 (layers·dirs = 4, so index −1 is 3:4) and a Reshape
// to the 20 features: nothing stays opaque.
void TestRnnPorts::torchClassifierOnHnImports()
{
    QTemporaryDir dir;
    const QString path = dir.filePath("classifier.onnx");
    const QString out = runPython(R"(
import sys, torch
from torch import nn
class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(10, 20, num_layers=2, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(20, 5)
    def forward(self, x):
        _, (h_n, _) = self.lstm(x)
        return self.fc(h_n[-1])
m = M().eval()
torch.onnx.export(m, torch.randn(1, 7, 10), sys.argv[1], opset_version=14)
print("params:", sum(p.numel() for p in m.parameters()))
)",
                                  {path});
    QVERIFY2(out.contains("params: 15145\n"), qPrintable(out)); // 15,040 + 20·5 + 5
    auto r = onnx::importOnnx(path);
    QVERIFY2(r.ok(), r.ok() ? "" : r.error().c_str());
    const Network& net = r->network;
    const AnalysisResult a = analyze(net);
    QCOMPARE(a.totals.errors, 0);
    QVERIFY(r->report.shapeDisagreements.empty());
    QVERIFY(r->report.paramDisagreements.empty());
    QCOMPARE(a.totals.params, int64_t{15145});
    // LSTM 100,800 per sample (see portCountsAndShapes) + fc 20·5 = 100.
    QCOMPARE(a.totals.macs, int64_t{100900});
    const Node* lstm = nullptr;
    for (const Node& n : net.nodes())
        if (n.type == LayerType::LSTM)
            lstm = &n;
    QVERIFY(lstm);
    QCOMPARE(lstm->params.layers, int64_t{2});
    QCOMPARE(lstm->params.bidirectional, int64_t{1});
    int fromPort1 = 0, fromOther = 0;
    for (const Edge& e : net.edges())
        if (e.from == lstm->id)
            (e.fromPort == 1 ? fromPort1 : fromOther)++;
    QCOMPARE(fromPort1, 1);
    QCOMPARE(fromOther, 0);
    QVERIFY2(r->report.opaqueLayers == 0, r->report.text().c_str());
    for (const Edge& e : net.edges())
        if (e.from == lstm->id) {
            const Node* slice = net.node(e.to);
            QCOMPARE(slice->type, LayerType::Slice);
            QCOMPARE(slice->params.axis, int64_t{0});
            QCOMPARE(slice->params.sliceStart, int64_t{3});
            QCOMPARE(slice->params.sliceEnd, int64_t{4});
            QCOMPARE(QString::fromStdString(a.layer(slice->id, net)->output.toString()), QString("1×20"));
        }
    QCOMPARE(r->outputs.size(), size_t(1));
    QCOMPARE(r->outputs[0].dims, (std::vector<int64_t>{1, 5}));
}

QTEST_GUILESS_MAIN(TestRnnPorts)
#include "tst_rnn_ports.moc"

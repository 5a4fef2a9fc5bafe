// The sequence and language-model kinds checked against PyTorch itself: small designs using every
// one of them are exported to PyTorch and run by torch (parameter count and output shapes must be
// NetCanvas's), and exported to ONNX, which must pass the checker and strict shape inference. The
// zoo's GPT-2, BERT and Llama-2 figures are compared with the same architectures written directly
// in torch.nn. Fails, never skips, when python3 or torch is missing.
#include "core/Analysis.h"
#include "core/ModelBuilder.h"
#include "core/Zoo.h"
#include "core/export/PyTorchExport.h"
#include "core/onnx/OnnxExport.h"
#include "../common/TorchPython.h"

#include <QTemporaryDir>
#include <QTest>

#include <map>

using namespace nc::core;
using nctest::runPython;

namespace {

LayerParams with(ModelBuilder& b, LayerType t, void (*f)(LayerParams&))
{
    LayerParams p = b.defaults(t);
    f(p);
    return p;
}

// A tiny GPT: embedding with positions, causal attention, tanh-GELU MLP, tied head.
Network gptMini()
{
    ModelBuilder b("gpt mini");
    NodeId x = b.input({16}, "ids");
    x = b.layer(LayerType::Embedding, with(b, LayerType::Embedding,
                                           [](LayerParams& p) {
                                               p.vocab = 100;
                                               p.features = 32;
                                               p.positions = 24;
                                           }),
                {x}, "wte");
    NodeId a = b.layer(LayerType::MultiHeadAttention, with(b, LayerType::MultiHeadAttention,
                                                          [](LayerParams& p) {
                                                              p.heads = 4;
                                                              p.causal = 1;
                                                          }),
                       {b.layerNorm(x, "ln1")}, "attn");
    x = b.add({x, a}, "add1");
    NodeId f = b.linear(b.layerNorm(x, "ln2"), 128, true, "fc");
    f = b.linear(b.act(LayerType::GeluTanh, f, "gelu"), 32, true, "proj");
    x = b.add({x, f}, "add2");
    b.layer(LayerType::Linear, with(b, LayerType::Linear,
                                    [](LayerParams& p) {
                                        p.features = 100;
                                        p.bias = 0;
                                        p.tied = 1;
                                    }),
            {b.layerNorm(x, "ln_f")}, "lm_head");
    return b.finish();
}

// A tiny Llama: RMSNorm, grouped-query causal attention with rotary embedding (flash), SwiGLU.
Network llamaMini()
{
    ModelBuilder b("llama mini");
    NodeId x = b.input({16}, "ids");
    x = b.layer(LayerType::Embedding, with(b, LayerType::Embedding,
                                           [](LayerParams& p) {
                                               p.vocab = 100;
                                               p.features = 32;
                                           }),
                {x}, "embed");
    NodeId a = b.layer(LayerType::MultiHeadAttention, with(b, LayerType::MultiHeadAttention,
                                                          [](LayerParams& p) {
                                                              p.heads = 4;
                                                              p.kvHeads = 2;
                                                              p.causal = 1;
                                                              p.rope = 1;
                                                              p.flash = 1;
                                                              p.bias = 0;
                                                          }),
                       {b.layer(LayerType::RMSNorm, b.defaults(LayerType::RMSNorm), {x}, "norm1")}, "attn");
    x = b.add({x, a}, "add1");
    NodeId f = b.layer(LayerType::SwiGlu, with(b, LayerType::SwiGlu, [](LayerParams& p) { p.hidden = 64; }),
                       {b.layer(LayerType::RMSNorm, b.defaults(LayerType::RMSNorm), {x}, "norm2")}, "mlp");
    x = b.add({x, f}, "add2");
    b.linear(x, 100, false, "lm_head");
    return b.finish();
}

// A tiny BERT: token, position and segment tables, a multi-query attention, pooler, hard sigmoid.
Network bertMini()
{
    ModelBuilder b("bert mini");
    NodeId x = b.input({12}, "ids");
    x = b.layer(LayerType::Embedding, with(b, LayerType::Embedding,
                                           [](LayerParams& p) {
                                               p.vocab = 50;
                                               p.features = 24;
                                               p.positions = 12;
                                               p.tokenTypes = 2;
                                           }),
                {x}, "embeddings");
    x = b.layerNorm(x, "ln0");
    NodeId a = b.layer(LayerType::MultiHeadAttention, with(b, LayerType::MultiHeadAttention,
                                                          [](LayerParams& p) {
                                                              p.heads = 3;
                                                              p.kvHeads = 1;
                                                          }),
                       {x}, "attn");
    x = b.layerNorm(b.add({x, a}, "add"), "ln1");
    x = b.layer(LayerType::ClassTokenSelect, b.defaults(LayerType::ClassTokenSelect), {x}, "first");
    b.act(LayerType::HardSigmoid, b.linear(x, 24, true, "pooler"), "gate");
    return b.finish();
}

// Recurrent and two-input kinds: a 2-layer bidirectional LSTM, a GRU, cross-attention between
// them, and a product of two activations.
Network seqMini()
{
    ModelBuilder b("seq mini");
    NodeId src = b.input({8, 6}, "src");
    NodeId tgt = b.input({5, 10}, "tgt");
    NodeId mat = b.input({32, 7}, "mat");
    NodeId enc = b.layer(LayerType::LSTM, with(b, LayerType::LSTM,
                                               [](LayerParams& p) {
                                                   p.hidden = 16;
                                                   p.layers = 2;
                                                   p.bidirectional = 1;
                                               }),
                         {src}, "lstm");
    NodeId dec = b.layer(LayerType::GRU, with(b, LayerType::GRU, [](LayerParams& p) { p.hidden = 32; }), {tgt}, "gru");
    NodeId x = b.layer(LayerType::CrossAttention, with(b, LayerType::CrossAttention,
                                                      [](LayerParams& p) {
                                                          p.heads = 4;
                                                          p.kvHeads = 2;
                                                      }),
                       {dec, enc}, "xattn");
    b.layer(LayerType::MatMul, b.defaults(LayerType::MatMul), {x, mat}, "matmul");
    return b.finish();
}

Network design(const QString& which)
{
    if (which == "gpt")
        return gptMini();
    if (which == "llama")
        return llamaMini();
    if (which == "bert")
        return bertMini();
    return seqMini();
}

} // namespace

class TestTorchKinds : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void pytorchAgrees_data();
    void pytorchAgrees();
    void onnxIsValid_data() { pytorchAgrees_data(); }
    void onnxIsValid();
    void zooMatchesTorchNn();
};

void TestTorchKinds::initTestCase()
{
    QVERIFY2(QFile::exists(nctest::kTorchPython), "/usr/bin/python3 is missing: these checks need it");
    const QString v = runPython("import torch, onnx; print(torch.__version__)");
    QVERIFY2(!v.startsWith("ERROR"), qPrintable("torch and onnx are needed: " + v));
}

void TestTorchKinds::pytorchAgrees_data()
{
    QTest::addColumn<QString>("which");
    for (const char* w : {"gpt", "llama", "bert", "seq"})
        QTest::newRow(w) << QString(w);
}

// torch builds the exported model, counts sum(p.numel()) (a tied weight once) and runs __main__,
// which prints the output shapes.
void TestTorchKinds::pytorchAgrees()
{
    QFETCH(QString, which);
    const Network net = design(which);
    const AnalysisResult a = analyze(net);
    QCOMPARE(a.totals.errors, 0);
    auto py = exportPyTorch(net);
    QVERIFY2(py.ok(), py.ok() ? "" : py.error().c_str());
    QTemporaryDir dir;
    const QString path = dir.filePath("model.py");
    {
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QByteArray::fromStdString(*py));
    }
    static const char* driver = R"(
import importlib.util, runpy, sys
spec = importlib.util.spec_from_file_location("exported", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
cls = [v for v in vars(module).values() if isinstance(v, type) and v.__module__ == "exported"][0]
print("params:", sum(p.numel() for p in cls().parameters()))
runpy.run_path(sys.argv[1], run_name="__main__")
)";
    const QString out = runPython(driver, {path});
    QVERIFY2(!out.startsWith("ERROR"), qPrintable(out + "\n" + QString::fromStdString(*py)));
    QVERIFY2(out.contains(QString("params: %1\n").arg(a.totals.params)), qPrintable(out));
    // Every network output with NetCanvas's shape.
    std::map<uint32_t, int> consumers;
    for (const Edge& e : net.edges())
        ++consumers[e.from.v];
    int outputs = 0;
    QString shape;
    for (const LayerResult& l : a.layers) {
        const Node& n = net.nodes()[static_cast<size_t>(l.nodeIndex)];
        if (n.type == LayerType::Input || consumers[n.id.v])
            continue;
        ++outputs;
        shape = "(" + QString::number(net.batch);
        for (int64_t d : l.output)
            shape += ", " + QString::number(d);
        shape += ")";
    }
    QCOMPARE(outputs, 1);
    QVERIFY2(out.contains("output: " + shape), qPrintable(out + " expected " + shape));
}

void TestTorchKinds::onnxIsValid()
{
    QFETCH(QString, which);
    const Network net = design(which);
    QTemporaryDir dir;
    const QString path = dir.filePath("model.onnx");
    auto s = onnx::exportOnnx(net, path);
    QVERIFY2(s.ok(), s.ok() ? "" : s.error().c_str());
    // Strict shape inference re-derives every tensor's shape and refuses one that disagrees with the
    // shapes NetCanvas declared for its layers' outputs.
    const QString out = runPython("import onnx, sys\n"
                                  "m = onnx.load(sys.argv[1])\n"
                                  "onnx.checker.check_model(m, full_check=True)\n"
                                  "onnx.shape_inference.infer_shapes(m, check_type=True, strict_mode=True)\n"
                                  "print('ok')\n",
                                  {path});
    QVERIFY2(out == "ok\n", qPrintable(out));
}

// The published architectures written directly with torch.nn (on the meta device: no memory, no
// download), counted by torch, against NetCanvas's zoo figures.
void TestTorchKinds::zooMatchesTorchNn()
{
    static const char* script = R"(
import torch
from torch import nn
m = dict(device='meta')
def count(mod):
    return sum(p.numel() for p in mod.parameters())
# GPT-2 small: wte, wpe, 12 pre-norm blocks (attention 4·(768² + 768), MLP 768→3072→768), ln_f, tied head.
wte = nn.Embedding(50257, 768, **m)
gpt = nn.ModuleList([wte, nn.Embedding(1024, 768, **m)] +
    [nn.TransformerEncoderLayer(768, 12, 3072, norm_first=True, **m) for _ in range(12)] + [nn.LayerNorm(768, **m)])
head = nn.Linear(768, 50257, bias=False, **m)
head.weight = wte.weight
gpt.append(head)
print('gpt2', count(gpt))
# BERT-base uncased: word, position, segment tables, LayerNorm, 12 post-norm blocks, pooler.
bert = nn.ModuleList([nn.Embedding(30522, 768, **m), nn.Embedding(512, 768, **m), nn.Embedding(2, 768, **m),
    nn.LayerNorm(768, **m)] + [nn.TransformerEncoderLayer(768, 12, 3072, **m) for _ in range(12)] +
    [nn.Linear(768, 768, **m)])
print('bert', count(bert))
# Llama-2-7B: q, k, v, o without bias, SwiGLU gate/up/down, two RMSNorm weights per block.
class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.q, self.k, self.v, self.o = [nn.Linear(4096, 4096, bias=False, **m) for _ in range(4)]
        self.gate, self.up = [nn.Linear(4096, 11008, bias=False, **m) for _ in range(2)]
        self.down = nn.Linear(11008, 4096, bias=False, **m)
        self.n1, self.n2 = nn.Parameter(torch.ones(4096, **m)), nn.Parameter(torch.ones(4096, **m))
llama = nn.ModuleList([nn.Embedding(32000, 4096, **m)] + [Block() for _ in range(32)] +
    [nn.Linear(4096, 32000, bias=False, **m)])
llama.norm = nn.Parameter(torch.ones(4096, **m))
print('llama', count(llama))
)";
    const QString out = runPython(script);
    QVERIFY2(!out.startsWith("ERROR"), qPrintable(out));
    for (const auto& [key, label] : {std::pair{"gpt2", "gpt2"}, {"bert_base", "bert"}, {"llama2_7b", "llama"}}) {
        auto net = loadZoo(key);
        QVERIFY(net.ok());
        const int64_t params = analyze(*net).totals.params;
        QVERIFY2(out.contains(QString("%1 %2\n").arg(label).arg(params)),
                 qPrintable(QString("%1: NetCanvas %2, torch said\n%3").arg(key).arg(params).arg(out)));
    }
}

QTEST_GUILESS_MAIN(TestTorchKinds)
#include "tst_torch_kinds.moc"

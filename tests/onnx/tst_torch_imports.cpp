// Real PyTorch exports imported: torchvision classifiers and segmentation models, a transformer
// encoder, a GPT-style decoder, a UNet, a Conv1d audio model and recurrent models are built by real
// PyTorch (tests/onnx/torch_exports.py, weights=None), exported to ONNX at test time, and imported.
// For each: NetCanvas's MACs equal the count PyTorch's side makes while the model runs (forward hooks
// and interception of every convolution, F.linear and matrix product, README convention), the
// parameters (plus what the exporter's constant folding adds, computed from the model: Swin's
// expanded relative-position bias) and the state (BatchNorm's, plus the fixed operands: constants joined
// with data that are not parameters, counted from the model) equal the model's, the output shape equals torch's, and no operator
// that multiplies and accumulates is left opaque.
//
// The models of the label in NC_TORCH_LABEL run ("torch" by default, the slow ones under "torch-slow");
// exports are kept in NC_TORCH_CACHE (the build dir) and made again when the script changes.
// Needs /usr/bin/python3 with torch, torchvision and onnx: the test fails, not skips, without them.
#include "core/Analysis.h"
#include "core/NetworkFile.h"
#include "core/export/PyTorchExport.h"
#include "core/onnx/OnnxExport.h"
#include "core/onnx/OnnxImport.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTest>

#include <cmath>
#include <map>
#include <set>

using namespace nc::core;

namespace {

QString scriptPath() { return qEnvironmentVariable("NC_SOURCE_DIR") + "/tests/onnx/torch_exports.py"; }

QString cacheDir()
{
    QString d = qEnvironmentVariable("NC_TORCH_CACHE");
    return d.isEmpty() ? QDir::tempPath() + "/netcanvas_torch_exports" : d;
}

QString label() { return qEnvironmentVariable("NC_TORCH_LABEL", "torch"); }

// The operators that multiply and accumulate: none of them may stay opaque (their MACs would be lost).
const std::set<std::string> kMacOperators{"Conv", "ConvTranspose", "Gemm", "MatMul", "Einsum", "LSTM", "GRU", "RNN"};

// The layers a transformer or hard-gate model must import as (README "Real PyTorch exports"): how
// many layers of each kind, and how many stay opaque. From the model definitions, not from a run:
//   transformer_encoder: 2 nn.TransformerEncoderLayer, each one nn.MultiheadAttention (4 heads).
//   gpt: 2 blocks of hand-written causal attention (4 heads); the token + position Add is an Add with
//   the gathered position table as its learned operand, so nothing stays opaque.
//   llama: 2 blocks × (2 RMSNorm, causal attention of 6 heads, SwiGLU of hidden 256) + final RMSNorm.
//   hard_gates: x·relu6(x+3)/6 and nn.Hardswish; relu6(x+3)/6 and nn.Hardsigmoid.
//   mobilenet_v3_small: 9 squeeze-excitation gates (nn.Hardsigmoid), 19 nn.Hardswish.
//   vit_b_16: 12 encoder blocks, one nn.MultiheadAttention (12 heads) each.
//   audio_conv1d: 4 blocks, each ending in F.max_pool1d(·, 4).
//   gpt_additive_24 / gpt_additive_128: the GPT with an additive float mask (−∞ above the diagonal) of
//   24×24 = 576 and 128×128 = 16,384 values (64 KB: a payload the importer skips and reads back for
//   the mask), 2 blocks of 4 heads: both attention layers causal.
//   encoder_seq_first: one nn.TransformerEncoderLayer(batch_first=False), 4 heads; mha_seq_first: a bare
//   nn.MultiheadAttention(48, 6) on T×1×D. No Transpose in front: the attention layer sits between
//   Reshapes T×1×D → T×D → T×1×D. Hand check of mha_seq_first against torch's figures: params
//   4·48² + 4·48 = 9,408; MACs 4·T·D² + 2·T²·D = 4·12·2,304 + 2·144·48 = 124,416.
//   lstm_classifier / gru_classifier: fc(h_n[-1]); h_n[-1] (a Gather of index −1 on the state port)
//   is a Slice of length 1 and a Reshape, so nothing stays opaque.
struct Expected {
    std::map<LayerType, int> kinds;
    int opaque = 0;
    int64_t heads = 0;   // of every attention layer
    int causal = 0;      // attention layers with the causal mask
};
const std::map<QString, Expected>& expectedKinds()
{
    static const std::map<QString, Expected> e{
        {"transformer_encoder", {{{LayerType::MultiHeadAttention, 2}}, 0, 4, 0}},
        {"gpt", {{{LayerType::MultiHeadAttention, 2}}, 0, 4, 2}},
        {"llama",
         {{{LayerType::MultiHeadAttention, 2}, {LayerType::RMSNorm, 5}, {LayerType::SwiGlu, 2}}, 0, 6, 2}},
        {"hard_gates", {{{LayerType::HardSwish, 2}, {LayerType::HardSigmoid, 2}}, 0, 0, 0}},
        {"mobilenet_v3_small", {{{LayerType::HardSigmoid, 9}, {LayerType::HardSwish, 19}}, 0, 0, 0}},
        {"vit_b_16", {{{LayerType::MultiHeadAttention, 12}}, 0, 12, 0}},
        {"audio_conv1d", {{{LayerType::MaxPool1d, 4}}, 0, 0, 0}},
        {"gpt_additive_24", {{{LayerType::MultiHeadAttention, 2}}, 0, 4, 2}},
        {"gpt_additive_128", {{{LayerType::MultiHeadAttention, 2}}, 0, 4, 2}},
        {"encoder_seq_first", {{{LayerType::MultiHeadAttention, 1}}, 0, 4, 0}},
        {"mha_seq_first", {{{LayerType::MultiHeadAttention, 1}, {LayerType::Reshape, 2}}, 0, 6, 0}},
        {"lstm_classifier", {{{LayerType::LSTM, 1}, {LayerType::Slice, 1}}, 0, 0, 0}},
        {"gru_classifier", {{{LayerType::GRU, 1}, {LayerType::Slice, 1}}, 0, 0, 0}},
    };
    return e;
}

QJsonObject readJson(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(f.readAll()).object();
}

// Exports `net` to PyTorch code, runs it in real torch on `input` (a Python expression) and returns
// what it prints: the parameter count, with `buffers` the buffer values too, and the output shape.
// Empty when the export fails or torch does not answer in 2 minutes.
QString runExportedInTorch(const Network& net, const QString& name, const QString& input, bool buffers)
{
    auto py = exportPyTorch(net);
    if (!py)
        return QString::fromStdString("export failed: " + py.error());
    const QString pyPath = cacheDir() + "/" + name + "_export.py";
    QFile f(pyPath);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return "cannot write " + pyPath;
    f.write(QByteArray::fromStdString(*py));
    f.close();
    QProcess run;
    run.setProcessChannelMode(QProcess::MergedChannels);
    run.start("/usr/bin/python3",
              {"-c", QString("import runpy, sys, torch\n"
                             "ns = runpy.run_path(sys.argv[1], run_name='exported')\n"
                             "m = [v for v in ns.values() if isinstance(v, type) and issubclass(v, torch.nn.Module)"
                             " and v.__module__ == 'exported'][0]().eval()\n"
                             "print(sum(p.numel() for p in m.parameters()),%1 tuple(m(%2).shape))\n")
                         .arg(buffers ? " sum(b.numel() for b in m.buffers())," : "", input),
               pyPath});
    if (!run.waitForFinished(120000))
        return "torch did not finish";
    return QString::fromUtf8(run.readAll()).trimmed();
}

} // namespace

class TestTorchImports : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void imports_data();
    void imports();

private:
    QStringList m_models;
};

void TestTorchImports::initTestCase()
{
    QProcess list;
    list.start("/usr/bin/python3", {scriptPath(), "--list"});
    QVERIFY2(list.waitForFinished(120000) && list.exitCode() == 0,
             "this test needs /usr/bin/python3 with torch, torchvision and onnx (Debian: python3-torch, "
             "python3-torchvision, python3-onnx)");
    for (const QString& line : QString::fromUtf8(list.readAllStandardOutput()).split('\n', Qt::SkipEmptyParts)) {
        const QStringList parts = line.split(' ');
        if (parts.size() == 2 && parts[1] == label())
            m_models << parts[0];
    }
    QVERIFY2(!m_models.isEmpty(), qPrintable("no model has the label " + label()));
    QDir().mkpath(cacheDir());
    QProcess p;
    p.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    p.start("/usr/bin/python3", QStringList{scriptPath(), cacheDir()} + m_models);
    QVERIFY2(p.waitForFinished(1800000), "the exports did not finish in 30 minutes");
    QVERIFY2(p.exitCode() == 0, "torch_exports.py failed (see its output above)");
}

void TestTorchImports::imports_data()
{
    QTest::addColumn<QString>("model");
    for (const QString& m : m_models)
        QTest::newRow(qPrintable(m)) << m;
}

void TestTorchImports::imports()
{
    QFETCH(QString, model);
    const QJsonObject torch = readJson(cacheDir() + "/" + model + ".json");
    QVERIFY2(!torch.isEmpty(), "the export wrote no figures");

    auto r = onnx::importOnnx(cacheDir() + "/" + model + ".onnx");
    QVERIFY2(r, r ? "" : r.error().c_str());
    const AnalysisResult a = analyze(r->network);
    QCOMPARE(a.totals.errors, 0);

    // The line for the README's table: model, MACs, parameters, opaque layers.
    qInfo("%s: MACs %lld (torch %lld), params %lld (torch %lld), state %lld (torch %lld), opaque %d",
          qPrintable(model), static_cast<long long>(a.totals.macs),
          static_cast<long long>(torch["macs"].toInteger()), static_cast<long long>(a.totals.params),
          static_cast<long long>(torch["params"].toInteger()), static_cast<long long>(a.totals.state),
          static_cast<long long>(torch["state"].toInteger() + torch["fixed_constants"].toInteger()),
          r->report.opaqueLayers);

    std::string opaqueMac;
    for (const auto& [op, count] : r->report.opaqueOps)
        if (kMacOperators.count(op))
            opaqueMac += op + " ×" + std::to_string(count) + " ";
    QVERIFY2(opaqueMac.empty(), ("operators that multiply and accumulate left opaque: " + opaqueMac + "\n" +
                                 r->report.text()).c_str());

    // Operators these models use only in ways NetCanvas models: none may stay opaque. MobileNetV3's
    // squeeze-excitation gate is HardSigmoid(s) · x (a broadcast Multiply), ConvNeXt's layer scale a Mul
    // by a learned C×1×1 tensor, DenseNet's dense blocks Concats of up to 25 inputs (block 3: the
    // block input and 24 layers) and of one (the first layer of each block).
    static const std::map<QString, std::set<std::string>> kMapped{
        {"mobilenet_v3_small", {"HardSigmoid", "Mul"}},
        {"lraspp_mobilenet_v3_large", {"HardSigmoid", "Mul"}},
        {"deeplabv3_mobilenet_v3_large", {"HardSigmoid", "Mul"}},
        {"convnext_tiny", {"Mul", "Add"}},
        {"densenet121", {"Concat"}},
        {"scale_split", {"Mul", "Add", "Split"}},
    };
    if (auto it = kMapped.find(model); it != kMapped.end())
        for (const auto& [op, count] : r->report.opaqueOps)
            QVERIFY2(!it->second.count(op), (op + " kept opaque:\n" + r->report.text()).c_str());
    if (model == "scale_split") {
        // x·γ and x + pos hold their parameters as learned operands: γ 96×1×1 = 96, pos 16×16 = 256
        // values (the model's nn.Parameters). Both pieces of torch.split(x, [48, 48], dim=1) are read:
        // one Split layer with an edge from each port, 48×16×16 each.
        QCOMPARE(r->report.opaqueLayers, 0);
        QStringList operands;
        int splits = 0;
        std::set<int> portsRead;
        for (const Node& n : r->network.nodes()) {
            if ((n.type == LayerType::Multiply || n.type == LayerType::Add) && n.params.dims.rank() > 0)
                operands << QString::fromStdString(n.params.dims.toString()) + " " +
                                QString::number(a.layer(n.id, r->network)->params);
            if (n.type == LayerType::Split) {
                ++splits;
                for (const Edge& e : r->network.edges())
                    if (e.from == n.id)
                        portsRead.insert(e.fromPort);
                const LayerResult* l = a.layer(n.id, r->network);
                QCOMPARE(QString::fromStdString(l->output.toString()), QString("48×16×16"));
                QCOMPARE(l->extraOutputs.size(), size_t(1));
                QCOMPARE(QString::fromStdString(l->extraOutputs[0].toString()), QString("48×16×16"));
            }
        }
        operands.sort();
        QCOMPARE(operands, (QStringList{"16×16 256", "96×1×1 96"}));
        QCOMPARE(splits, 1);
        QCOMPARE(portsRead, (std::set<int>{0, 1}));

        // The operands survive the design file, the ONNX export (imported back) and the PyTorch export
        // (run by torch: its parameter count and output shape), each with torch's 3,210 parameters.
        const qint64 params = torch["params"].toInteger();
        auto reloaded = parseNetwork(serializeNetwork(r->network));
        QVERIFY2(reloaded, reloaded ? "" : reloaded.error().c_str());
        QCOMPARE(analyze(*reloaded).totals.params, params);
        auto bytes = onnx::exportOnnxBytes(r->network);
        QVERIFY2(bytes, bytes ? "" : bytes.error().c_str());
        auto back = onnx::importOnnxBytes(*bytes);
        QVERIFY2(back, back ? "" : back.error().c_str());
        QCOMPARE(back->report.opaqueLayers, 0);
        QCOMPARE(analyze(back->network).totals.params, params);
        QCOMPARE(runExportedInTorch(r->network, "scale_split", "torch.randn(1, 3, 16, 16)", false),
                 QString("%1 (1, 16, 10)").arg(params));
    }
    if (model == "swin_t") {
        // torchvision's shifted_window_attention folds the windows into ONNX's axis 0 (B·nW×49×C; batch
        // 1, so the whole tensor is the sample): the window partition and reverse are Reshape and
        // Transpose layers, q, k, v = qkv[0], qkv[1], qkv[2] Slices, Q·Kᵀ and A·V MatMul layers, the
        // relative-position bias an Add with its (exporter-expanded) table as the learned operand,
        // torch.roll Slice + Concat. The constants joined with data that are not parameters are
        // Multiply and Add layers with a fixed operand (state, not parameters):
        //   Mul: q · head_dim^−½ (a scalar, operand [1]), once per block: depths 2+2+6+2 = 12;
        //   Add: the shifted-window mask (−100 between regions), in every odd block whose map is
        //   larger than one 7×7 window: stage 1 (56×56) 1, stage 2 (28×28) 1, stage 3 (14×14) 3,
        //   stage 4 (7×7, shift 0) none = 5, each nW·49·49 values: 64·2,401 = 153,664,
        //   16·2,401 = 38,416, 4·2,401 = 9,604 (×3).
        // So nothing stays opaque; the state is 12 + 153,664 + 38,416 + 3·9,604 = 220,904, the
        // script's fixed_constants (from hooks on the blocks' real input sizes), checked below.
        QCOMPARE(r->report.opaqueLayers, 0);
        int fixedMul = 0, fixedAdd = 0;
        for (const Node& n : r->network.nodes())
            if (n.params.fixedOperand) {
                fixedMul += n.type == LayerType::Multiply && n.params.dims == Shape{1};
                fixedAdd += n.type == LayerType::Add;
                QCOMPARE(a.layer(n.id, r->network)->params, int64_t(0));
            }
        QCOMPARE(fixedMul, 12);
        QCOMPARE(fixedAdd, 5);
        QCOMPARE(torch["fixed_constants"].toInteger(), qint64(220904));
        QVERIFY2(r->report.shapeDisagreements.empty(), r->report.text().c_str());
        int matmuls = 0, slicesThenReshape = 0;
        for (const Node& n : r->network.nodes()) {
            matmuls += n.type == LayerType::MatMul;
            if (n.type == LayerType::Slice)
                for (const Edge& e : r->network.edges())
                    if (e.from == n.id && r->network.node(e.to)->type == LayerType::Reshape &&
                        n.params.sliceEnd - n.params.sliceStart == 1)
                        ++slicesThenReshape;
        }
        QCOMPARE(matmuls, 24);           // Q·Kᵀ and A·V in each of the 12 blocks
        QCOMPARE(slicesThenReshape, 36); // q, k and v in each of the 12 blocks
    }
    if (model == "fixed_operands") {
        // y = proj(x)·0.125 + mask, then y·2 + 1: four Add/Multiply layers with fixed operands, none
        // opaque. By hand: operands [1] (0.125), [8,8] (the 64-value buffer), [1] (2), [1] (1), each
        // with 0 parameters and its values as state: 1 + 64 + 1 + 1 = 67. Parameters are torch's
        // 16·8 (proj, no bias) + 8·4 + 4 (head) = 164.
        QCOMPARE(r->report.opaqueLayers, 0);
        QStringList operands;
        for (const Node& n : r->network.nodes())
            if ((n.type == LayerType::Multiply || n.type == LayerType::Add) && n.params.dims.rank() > 0) {
                QCOMPARE(n.params.fixedOperand, int64_t(1));
                const LayerResult* l = a.layer(n.id, r->network);
                operands << QString("%1 %2 params %3 state %4")
                                .arg(n.type == LayerType::Add ? "add" : "mul",
                                     QString::fromStdString(n.params.dims.toString()))
                                .arg(l->params)
                                .arg(l->state);
            }
        operands.sort();
        QCOMPARE(operands, (QStringList{"add 1 params 0 state 1", "add 8×8 params 0 state 64",
                                        "mul 1 params 0 state 1", "mul 1 params 0 state 1"}));
        QCOMPARE(a.totals.params, qint64(164));
        QCOMPARE(a.totals.state, qint64(67));
        QVERIFY2(r->report.paramDisagreements.empty(), r->report.text().c_str());

        // ONNX export: onnx.checker's full check, then imported back with the same figures.
        auto bytes = onnx::exportOnnxBytes(r->network);
        QVERIFY2(bytes, bytes ? "" : bytes.error().c_str());
        const QString onnxPath = cacheDir() + "/fixed_operands_export.onnx";
        QFile of(onnxPath);
        QVERIFY(of.open(QIODevice::WriteOnly | QIODevice::Truncate));
        of.write(*bytes);
        of.close();
        QProcess check;
        check.setProcessChannelMode(QProcess::MergedChannels);
        check.start("/usr/bin/python3", {"-c",
                                         "import onnx, sys\nonnx.checker.check_model(onnx.load(sys.argv[1]), "
                                         "full_check=True)\nprint('ok')\n",
                                         onnxPath});
        QVERIFY(check.waitForFinished(120000));
        QCOMPARE(QString::fromUtf8(check.readAll()).trimmed(), QString("ok"));
        auto back = onnx::importOnnxBytes(*bytes);
        QVERIFY2(back, back ? "" : back.error().c_str());
        QCOMPARE(back->report.opaqueLayers, 0);
        QVERIFY2(back->report.paramDisagreements.empty(), back->report.text().c_str());
        const AnalysisResult b = analyze(back->network);
        QCOMPARE(b.totals.params, a.totals.params);
        QCOMPARE(b.totals.state, a.totals.state);
        QCOMPARE(b.totals.macs, a.totals.macs);
        QCOMPARE(b.totals.otherOps, a.totals.otherOps);

        // PyTorch export: the operands are buffers, so torch counts 164 parameters and 67 buffer values.
        QCOMPARE(runExportedInTorch(r->network, "fixed_operands", "torch.randn(1, 8, 16)", true),
                 QString("164 67 (1, 8, 4)"));
    }
    if (model == "resize_reduce") {
        // Both resizes become Upsample layers and the four reductions Reduce layers, each with the
        // shape ONNX gives: 8×32×32 after ×2 nearest, 8×40×24 after bilinear to a size; 8 after each
        // reduction over H and W, 8×40 after the sum over W alone.
        for (const auto& [op, count] : r->report.opaqueOps)
            QVERIFY2(op != "Resize" && op.rfind("Reduce", 0) != 0, (op + " kept opaque:\n" + r->report.text()).c_str());
        QVERIFY2(r->report.shapeDisagreements.empty(), r->report.text().c_str());
        QStringList shapes;
        for (const Node& n : r->network.nodes())
            if (n.type == LayerType::Upsample || n.type == LayerType::Reduce)
                shapes << QString::fromStdString(a.layer(n.id, r->network)->output.toString());
        shapes.sort();
        QCOMPARE(shapes, (QStringList{"8", "8", "8", "8×32×32", "8×40", "8×40×24"}));
    }
    if (auto it = expectedKinds().find(model); it != expectedKinds().end()) {
        const Expected& want = it->second;
        std::map<LayerType, int> count;
        int causal = 0;
        for (const Node& n : r->network.nodes()) {
            ++count[n.type];
            if (n.type == LayerType::MultiHeadAttention) {
                QCOMPARE(n.params.heads, want.heads);
                causal += n.params.causal ? 1 : 0;
            }
        }
        for (const auto& [type, k] : want.kinds)
            QVERIFY2(count[type] == k, qPrintable(QString("%1 layers of kind %2, expected %3\n%4")
                                                      .arg(count[type])
                                                      .arg(static_cast<int>(type))
                                                      .arg(k)
                                                      .arg(QString::fromStdString(r->report.text()))));
        QCOMPARE(r->report.opaqueLayers, want.opaque);
        QCOMPARE(causal, want.causal);
        if (model == "llama") {
            // RMSNorm(dim, eps=1e-6) with its weight; SwiGLU of w1, w3 96→256 and w2 256→96, no biases.
            for (const Node& n : r->network.nodes()) {
                if (n.type == LayerType::RMSNorm) {
                    QVERIFY(std::fabs(n.params.eps - 1e-6) < 1e-12); // the file holds float32(1e-6)
                    QCOMPARE(n.params.affine, int64_t{1});
                }
                if (n.type == LayerType::SwiGlu) {
                    QCOMPARE(n.params.hidden, int64_t{256});
                    QCOMPARE(n.params.bias, int64_t{0});
                }
            }
        }
    }
    QCOMPARE(a.totals.macs, torch["macs"].toInteger());
    // The taps on zero padding, as PyTorch's own convolutions count them on all-ones tensors.
    int64_t paddingMacs = 0;
    for (const LayerResult& l : a.layers)
        paddingMacs += l.paddingMacs;
    QCOMPARE(paddingMacs, torch["padding_macs"].toInteger());
    // The exporter's own constant folding can add values (Swin: each relative-position bias table
    // gathered into a w²×w²×heads tensor); the script computes that difference from the model.
    QCOMPARE(a.totals.params, torch["params"].toInteger() + torch["exporter_folding"].toInteger());
    // State: BatchNorm's running statistics, plus the fixed operands (constants joined with data that
    // are not parameters: a buffer, 1/√d, Swin's masks), which the script counts from the model.
    QCOMPARE(a.totals.state, torch["state"].toInteger() + torch["fixed_constants"].toInteger());

    QVERIFY(!r->outputs.empty());
    QList<qint64> ours, theirs;
    for (int64_t d : r->outputs[0].dims)
        ours << d;
    for (const QJsonValue& d : torch["output"].toArray())
        theirs << d.toInteger();
    QCOMPARE(ours, theirs);
}

QTEST_GUILESS_MAIN(TestTorchImports)
#include "tst_torch_imports.moc"

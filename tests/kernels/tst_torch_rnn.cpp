// Our GRU and LSTM kernels against PyTorch 1.13 itself: /usr/bin/python3 builds nn.GRU and nn.LSTM
// (2 layers, bidirectional, batch_first, fixed seed), writes its weights, an input and its output as
// raw float32; the weights go into each backend through PrepareOptions::parameters (the canonical
// layout of sequence::parameterShapes is PyTorch's own) and the outputs must match torch's to 1e-5,
// and so must the final states h_n (and c_n) written with KernelOp::finalStates (torch's
// (layers·dirs)×N×H moved to our batch-first N×(layers·dirs)×H).
// Label torch: fails, never skips, without /usr/bin/python3 and torch.
#include "KernelCases.h"

#include "../common/TorchPython.h"

#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <memory>

using namespace nc::core::kernels;

namespace {

// N = 3 sequences of T = 5 steps, I = 4 features, hidden H = 6. Parameters are written per layer,
// then per direction (forward, then _reverse), each as weight_ih, weight_hh, bias_ih, bias_hh —
// the order parameterShapes documents.
const char* kScript = R"(
import sys, torch
out = sys.argv[1]
torch.manual_seed(9)
N, T, I, H = 3, 5, 4, 6
x = torch.randn(N, T, I)
x.numpy().tofile(out + '/x.bin')
for name, cls in (('gru', torch.nn.GRU), ('lstm', torch.nn.LSTM)):
    m = cls(I, H, num_layers=2, bidirectional=True, batch_first=True)
    with torch.no_grad():
        y, states = m(x)
    states = states if isinstance(states, tuple) else (states,)
    for k, st in enumerate(states):
        st.transpose(0, 1).contiguous().numpy().tofile(out + '/' + name + '_state' + str(k) + '.bin')
    parts = []
    for l in range(2):
        for sfx in ('', '_reverse'):
            for w in ('weight_ih', 'weight_hh', 'bias_ih', 'bias_hh'):
                parts.append(getattr(m, w + '_l' + str(l) + sfx).detach().reshape(-1))
    torch.cat(parts).numpy().tofile(out + '/' + name + '_params.bin')
    y.contiguous().numpy().tofile(out + '/' + name + '_y.bin')
)";

constexpr int64_t kN = 3, kT = 5, kI = 4, kH = 6;

std::vector<float> readFloats(const QString& path)
{
    std::ifstream in(path.toStdString(), std::ios::binary | std::ios::ate);
    if (!in)
        return {};
    std::vector<float> v(static_cast<std::size_t>(in.tellg()) / sizeof(float));
    in.seekg(0);
    in.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(v.size() * sizeof(float)));
    return v;
}

std::unique_ptr<Backend> makeBackend(const QString& name)
{
    if (name == "reference")
        return std::make_unique<ReferenceBackend>();
    if (name == "eigen")
        return std::make_unique<EigenBackend>(2);
    return std::make_unique<OneDnnBackend>(1);
}

} // namespace

class TestTorchRnn : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;

private slots:
    void initTestCase();
    void matchesTorch_data();
    void matchesTorch();
};

void TestTorchRnn::initTestCase()
{
    QVERIFY(dir_.isValid());
    QVERIFY2(QFile::exists(nctest::kTorchPython), "/usr/bin/python3 is missing: this check needs it");
    const QString out = nctest::runPython(kScript, {dir_.path()});
    QVERIFY2(!out.startsWith("ERROR") && out != "TIMEOUT", qPrintable("torch script failed: " + out));
}

void TestTorchRnn::matchesTorch_data()
{
    QTest::addColumn<QString>("backend");
    QTest::addColumn<QString>("kind");
    for (const char* b : {"reference", "eigen", "onednn"})
        for (const char* k : {"gru", "lstm"})
            QTest::newRow((std::string(b) + "/" + k).c_str()) << QString(b) << QString(k);
}

void TestTorchRnn::matchesTorch()
{
    QFETCH(QString, backend);
    QFETCH(QString, kind);
    KernelOp op = KernelOp::make(kind == "gru" ? OpKind::GRU : OpKind::LSTM);
    op.outChannels = kH, op.rnnLayers = 2, op.bidirectional = true, op.bias = true;
    op.finalStates = true;
    const std::vector<Shape> in{{kN, kT, kI}};

    const std::vector<float> xs = readFloats(dir_.filePath("x.bin"));
    const std::vector<float> flat = readFloats(dir_.filePath(kind + "_params.bin"));
    const std::vector<float> expected = readFloats(dir_.filePath(kind + "_y.bin"));
    QCOMPARE(static_cast<int64_t>(xs.size()), kN * kT * kI);
    // Output [N, T, 2·H] = 3·5·12 = 180 values.
    QCOMPARE(static_cast<int64_t>(expected.size()), kN * kT * 2 * kH);
    // Gates G = 3 (GRU) or 4 (LSTM). Per direction: layer 0 G·H·(I + H) + 2·G·H = G·6·10 + 12·G = 72·G;
    // layer 1 (input 2·H = 12) G·6·18 + 12·G = 120·G; both directions: 2·(72 + 120)·G = 384·G
    // (GRU 1,152, LSTM 1,536 — PyTorch's own count for these modules).
    const int64_t g = kind == "gru" ? 3 : 4;
    QCOMPARE(static_cast<int64_t>(flat.size()), 384 * g);

    PrepareOptions options;
    std::size_t at = 0;
    // PyTorch's layout by hand: per layer, per direction, weight_ih [G·H, I_l], weight_hh [G·H, H],
    // bias_ih [G·H], bias_hh [G·H], with I_0 = I and I_1 = 2·H.
    std::vector<Shape> shapes;
    for (int64_t l = 0; l < 2; ++l)
        for (int d = 0; d < 2; ++d)
            for (const Shape& s : {Shape{g * kH, l == 0 ? kI : 2 * kH}, Shape{g * kH, kH}, Shape{g * kH}, Shape{g * kH}})
                shapes.push_back(s);
    for (const Shape& s : shapes) {
        Tensor t(s);
        QVERIFY(at + static_cast<std::size_t>(t.size()) <= flat.size());
        std::copy(flat.begin() + static_cast<std::ptrdiff_t>(at),
                  flat.begin() + static_cast<std::ptrdiff_t>(at + static_cast<std::size_t>(t.size())), t.data());
        at += static_cast<std::size_t>(t.size());
        options.parameters.push_back(std::move(t));
    }
    QCOMPARE(at, flat.size());

    std::unique_ptr<Backend> b = makeBackend(backend);
    auto prepared = b->prepare(op, in, options);
    QVERIFY2(prepared.ok(), prepared.message().c_str());
    Tensor x(in[0]), y;
    std::copy(xs.begin(), xs.end(), x.data());
    const KernelStatus st = b->run(prepared.value(), x, y);
    QVERIFY2(st.ok, st.message.c_str());
    QCOMPARE(y.size(), static_cast<int64_t>(expected.size()));
    double worst = 0;
    int64_t worstAt = 0;
    for (int64_t i = 0; i < y.size(); ++i) {
        const double d = std::abs(double(y[i]) - double(expected[static_cast<std::size_t>(i)]));
        if (d > worst)
            worst = d, worstAt = i;
    }
    QVERIFY2(worst <= 1e-5, qPrintable(QString("largest difference %1 at element %2 (ours %3, torch %4)")
                                           .arg(worst).arg(worstAt).arg(y[worstAt])
                                           .arg(expected[static_cast<std::size_t>(worstAt)])));
    // h_n (and c_n): N·(layers·dirs)·H = 3·4·6 = 72 values each.
    const std::vector<Tensor>& states = prepared.value().states();
    QCOMPARE(static_cast<int>(states.size()), kind == "gru" ? 1 : 2);
    for (std::size_t k = 0; k < states.size(); ++k) {
        const std::vector<float> want = readFloats(dir_.filePath(kind + "_state" + QString::number(k) + ".bin"));
        QCOMPARE(static_cast<int64_t>(want.size()), kN * 4 * kH);
        QCOMPARE(states[k].size(), static_cast<int64_t>(want.size()));
        double diff = 0;
        for (int64_t i = 0; i < states[k].size(); ++i)
            diff = std::max(diff, std::abs(double(states[k][i]) - double(want[static_cast<std::size_t>(i)])));
        QVERIFY2(diff <= 1e-5, qPrintable(QString("state %1: largest difference %2").arg(k).arg(diff)));
    }
}

QTEST_GUILESS_MAIN(TestTorchRnn)
#include "tst_torch_rnn.moc"

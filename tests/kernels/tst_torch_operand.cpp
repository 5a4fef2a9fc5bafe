// Add and Mul with a learned operand on all three backends against PyTorch 1.13 itself:
// /usr/bin/python3 computes x·γ and x + γ with torch's broadcasting (a per-sample operand right-
// aligned against [N, …], as the exported module's nn.Parameter is), and our kernels, given the same
// x and γ, must agree to 1e-5 (one rounding of one operation).
// Label torch: fails, never skips, without /usr/bin/python3 and torch.
#include "../common/TorchPython.h"
#include "kernels/Kernels.h"

#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <fstream>
#include <memory>

using namespace nc::core::kernels;

Q_DECLARE_METATYPE(nc::core::kernels::Shape)

namespace {

// Per case: the input [N, …], the per-sample operand shape, the op; files <case>_x/_w/_y.bin.
const char* kScript = R"(
import sys, torch
out = sys.argv[1]
torch.manual_seed(5)
cases = {'scale': ((2, 8, 5, 5), (8, 1, 1), 'mul'),   # ConvNeXt's layer scale
         'table': ((2, 6, 4), (6, 4), 'add'),          # a learned table added to the tokens
         'wider': ((2, 1, 4), (3, 4), 'mul')}          # the operand wider than the input
for name, (xs, ws, op) in cases.items():
    x, w = torch.randn(*xs), torch.randn(*ws)
    y = x * w if op == 'mul' else x + w
    for k, t in (('x', x), ('w', w), ('y', y)):
        t.contiguous().numpy().tofile(out + '/' + name + '_' + k + '.bin')
    print(name, tuple(y.shape))
)";

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

} // namespace

class TestTorchOperand : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    QString m_shapes;

private slots:
    void initTestCase();
    void matchesTorch_data();
    void matchesTorch();
};

void TestTorchOperand::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QVERIFY2(QFile::exists(nctest::kTorchPython), "/usr/bin/python3 is missing: this check needs it");
    m_shapes = nctest::runPython(kScript, {m_dir.path()});
    QVERIFY2(!m_shapes.startsWith("ERROR") && m_shapes != "TIMEOUT", qPrintable("torch script failed: " + m_shapes));
}

void TestTorchOperand::matchesTorch_data()
{
    QTest::addColumn<QString>("backend");
    QTest::addColumn<QString>("name");
    QTest::addColumn<int>("kind");
    QTest::addColumn<Shape>("input");
    QTest::addColumn<Shape>("operand"); // the kernel's: a leading 1 for the batch axis
    QTest::addColumn<Shape>("output");
    for (const char* b : {"reference", "eigen", "onednn"}) {
        const std::string n(b);
        QTest::newRow((n + "/scale").c_str()) << QString(b) << QString("scale") << static_cast<int>(OpKind::Mul)
                                              << Shape{2, 8, 5, 5} << Shape{1, 8, 1, 1} << Shape{2, 8, 5, 5};
        QTest::newRow((n + "/table").c_str()) << QString(b) << QString("table") << static_cast<int>(OpKind::Add)
                                              << Shape{2, 6, 4} << Shape{1, 6, 4} << Shape{2, 6, 4};
        // [2,1,4]·[3,4]: both sides broadcast to [2,3,4] (oneDNN runs our kernel for it).
        QTest::newRow((n + "/wider").c_str()) << QString(b) << QString("wider") << static_cast<int>(OpKind::Mul)
                                              << Shape{2, 1, 4} << Shape{1, 3, 4} << Shape{2, 3, 4};
    }
}

void TestTorchOperand::matchesTorch()
{
    QFETCH(QString, backend);
    QFETCH(QString, name);
    QFETCH(int, kind);
    QFETCH(Shape, input);
    QFETCH(Shape, operand);
    QFETCH(Shape, output);
    QVERIFY2(m_shapes.contains(name + " (" ), qPrintable(m_shapes));
    std::unique_ptr<Backend> be;
    if (backend == "reference")
        be = std::make_unique<ReferenceBackend>();
    else if (backend == "eigen")
        be = std::make_unique<EigenBackend>(2);
    else
        be = std::make_unique<OneDnnBackend>(1);
    const std::vector<float> xs = readFloats(m_dir.filePath(name + "_x.bin"));
    const std::vector<float> ws = readFloats(m_dir.filePath(name + "_w.bin"));
    const std::vector<float> ys = readFloats(m_dir.filePath(name + "_y.bin"));
    QCOMPARE(static_cast<int64_t>(xs.size()), shapeElements(input));
    QCOMPARE(static_cast<int64_t>(ws.size()), shapeElements(operand));
    QCOMPARE(static_cast<int64_t>(ys.size()), shapeElements(output));
    KernelOp op = KernelOp::make(static_cast<OpKind>(kind));
    op.operand = operand;
    PrepareOptions options;
    Tensor w(operand);
    std::copy(ws.begin(), ws.end(), w.data());
    options.parameters.push_back(std::move(w));
    const std::vector<Shape> in{input};
    auto prepared = be->prepare(op, in, options);
    QVERIFY2(prepared.ok(), prepared.message().c_str());
    QCOMPARE(prepared.value().outputShape(), output);
    Tensor x(input), y;
    std::copy(xs.begin(), xs.end(), x.data());
    QVERIFY(be->run(prepared.value(), x, y).ok);
    double worst = 0;
    for (int64_t i = 0; i < y.size(); ++i)
        worst = std::max(worst, std::abs(double(y[i]) - ys[static_cast<std::size_t>(i)]) /
                                    std::max(1.0, std::abs(double(ys[static_cast<std::size_t>(i)]))));
    QVERIFY2(worst <= 1e-5, qPrintable(QString::number(worst)));
}

QTEST_GUILESS_MAIN(TestTorchOperand)
#include "tst_torch_operand.moc"

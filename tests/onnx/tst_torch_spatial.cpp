// The spatial kinds of issue 9 against real PyTorch and ONNX: small designs with every new kind are
// exported with exportPyTorch and run by torch (parameter count, MACs counted by forward hooks with
// the README's convention, output shape), exported to ONNX and checked by onnx.checker with full
// shape inference; the zoo's UNet and M5 are also rebuilt independently in PyTorch in the script.
// Needs /usr/bin/python3 with torch and onnx: the test fails, not skips, without them.
#include "core/Analysis.h"
#include "core/Catalogue.h"
#include "core/ModelBuilder.h"
#include "core/Zoo.h"
#include "core/export/PyTorchExport.h"
#include "core/onnx/OnnxExport.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <map>

using namespace nc::core;

namespace {

struct Design {
    std::string name;
    Network net;
};

LayerParams def(LayerType t) { return Catalogue::instance().spec(t).defaults; }

// One input, then the layers in a chain.
Network chain(const std::string& name, Shape in, std::vector<std::pair<LayerType, LayerParams>> layers)
{
    ModelBuilder b(name);
    NodeId x = b.input(std::move(in));
    for (auto& [t, p] : layers)
        x = b.layer(t, p, {x});
    return b.finish();
}

std::vector<Design> designs()
{
    using T = LayerType;
    std::vector<Design> d;
    {
        LayerParams a = def(T::Conv1d);
        a.features = 8, a.sw = 2, a.groups = 2;
        LayerParams r = def(T::Conv1d); // uneven reflect padding: a padding module in front
        r.features = 6, r.pl = 2, r.pr = 1, r.dw = 2, r.padMode = static_cast<int64_t>(PadMode::Reflect);
        LayerParams s = def(T::Conv1d);
        s.features = 5, s.kw = 4, s.padSame = 1, s.bias = 0;
        d.push_back({"conv1d", chain("conv1d", {4, 50}, {{T::Conv1d, a}, {T::Conv1d, r}, {T::Conv1d, s}})});
    }
    {
        LayerParams a = def(T::Conv3d);
        a.features = 6;
        LayerParams b = def(T::Conv3d);
        b.features = 4, b.kd = 1, b.pf = b.pk = 0, b.sh = b.sw = 2, b.dh = b.dw = 2, b.pt = b.pb = b.pl = b.pr = 2,
        b.padMode = static_cast<int64_t>(PadMode::Replicate), b.groups = 2;
        d.push_back({"conv3d", chain("conv3d", {2, 5, 9, 9}, {{T::Conv3d, a}, {T::Conv3d, b}})});
    }
    {
        LayerParams a = def(T::ConvTranspose2d);
        a.features = 6, a.kh = a.kw = 3, a.pt = a.pl = 1, a.outPadH = a.outPadW = 1, a.groups = 2;
        LayerParams b = def(T::ConvTranspose2d);
        b.features = 4, b.kh = 4, b.sh = 1, b.dw = 2, b.bias = 0;
        d.push_back({"conv_transpose2d", chain("convT2d", {8, 5, 5}, {{T::ConvTranspose2d, a}, {T::ConvTranspose2d, b}})});
    }
    {
        LayerParams a = def(T::ConvTranspose1d);
        a.features = 6, a.kw = 4, a.pl = 1;
        LayerParams b = def(T::ConvTranspose1d);
        b.features = 3, b.kw = 3, b.sw = 3, b.outPadW = 2, b.groups = 3;
        d.push_back({"conv_transpose1d", chain("convT1d", {4, 10}, {{T::ConvTranspose1d, a}, {T::ConvTranspose1d, b}})});
    }
    {
        LayerParams m = def(T::MaxPool1d);
        m.kw = 3, m.sw = 2, m.ceilMode = 1;
        LayerParams a = def(T::AvgPool1d);
        a.kw = 3, a.sw = 2, a.pl = a.pr = 1, a.countIncludePad = 0;
        LayerParams g = def(T::GlobalMaxPool);
        d.push_back({"pool1d", chain("pool1d", {3, 41}, {{T::MaxPool1d, m}, {T::AvgPool1d, a}, {T::GlobalMaxPool, g}})});
        d.push_back({"global_avg_pool1d", chain("gap1d", {3, 41}, {{T::GlobalAvgPool, def(T::GlobalAvgPool)}})});
    }
    {
        LayerParams m = def(T::MaxPool3d);
        m.kd = m.kh = m.kw = 3, m.pf = m.pk = m.pt = m.pb = m.pl = m.pr = 1;
        LayerParams a = def(T::AvgPool3d);
        a.kd = 1, a.sd = 1, a.ceilMode = 1;
        d.push_back({"pool3d", chain("pool3d", {2, 5, 9, 9}, {{T::MaxPool3d, m}, {T::AvgPool3d, a}})});
        d.push_back({"global_max_pool2d", chain("gmp2d", {4, 7, 7}, {{T::GlobalMaxPool, def(T::GlobalMaxPool)}})});
    }
    {
        LayerParams n = def(T::Upsample); // nearest ×2
        LayerParams b = def(T::Upsample);
        b.resizeMode = 1, b.resizeToSize = 1, b.outH = 23, b.outW = 29, b.alignCorners = 1;
        LayerParams f = def(T::Upsample);
        f.scaleH = f.scaleW = 1.5;
        d.push_back({"upsample2d", chain("up2d", {3, 5, 7}, {{T::Upsample, n}, {T::Upsample, b}, {T::Upsample, f}})});
        LayerParams l = def(T::Upsample);
        l.resizeMode = 1, l.scaleW = 3;
        d.push_back({"upsample1d", chain("up1d", {2, 8}, {{T::Upsample, l}})});
    }
    {
        LayerParams r = def(T::Pad);
        r.padMode = static_cast<int64_t>(PadMode::Reflect), r.pt = 2, r.pb = 1, r.pl = 3, r.pr = 2;
        LayerParams c = def(T::Pad);
        c.padValue = 0.5, c.pt = 0, c.pr = 4;
        LayerParams e = def(T::Pad);
        e.padMode = static_cast<int64_t>(PadMode::Replicate);
        d.push_back({"pad2d", chain("pad2d", {3, 4, 5}, {{T::Pad, r}, {T::Pad, c}, {T::Pad, e}})});
        LayerParams one = def(T::Pad);
        one.padMode = static_cast<int64_t>(PadMode::Reflect), one.pl = 2, one.pr = 3;
        d.push_back({"pad1d", chain("pad1d", {3, 6}, {{T::Pad, one}})});
    }
    for (const char* z : {"unet", "m5"})
        d.push_back({std::string("zoo_") + z, loadZoo(z).value()});
    return d;
}

// Loads each exported file (or, for "torch_unet" / "torch_m5", the model written here in PyTorch),
// feeds one random sample (on the meta device for the zoo models) and prints "name params state macs d0,d1,...". MACs follow NetCanvas's
// convention: convolutions out·(ci/g)·Πk, transposed convolutions in·(co/g)·Πk, linear rows·in·out.
const char* kTorchDriver = R"PY(
import importlib.util, sys, torch, torch.nn as nn, torch.nn.functional as F
torch.manual_seed(0)
torch.set_num_threads(1)

def macs_of(model, x):
    total = [0]
    def hook(m, inp, out):
        i = inp[0]
        if isinstance(m, (nn.Conv1d, nn.Conv2d, nn.Conv3d)):
            k = 1
            for v in m.kernel_size: k *= v
            total[0] += out.numel() // out.shape[0] * (m.in_channels // m.groups) * k
        elif isinstance(m, (nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)):
            k = 1
            for v in m.kernel_size: k *= v
            total[0] += i.numel() // i.shape[0] * (m.out_channels // m.groups) * k
        elif isinstance(m, nn.Linear):
            total[0] += i.numel() // i.shape[0] // m.in_features * m.in_features * m.out_features
    hooks = [m.register_forward_hook(hook) for m in model.modules()]
    with torch.no_grad():
        y = model(x)
    for h in hooks: h.remove()
    return total[0], y

def double_conv(i, o):
    return nn.Sequential(nn.Conv2d(i, o, 3, padding=1), nn.ReLU(), nn.Conv2d(o, o, 3, padding=1), nn.ReLU())

class UNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.d1, self.d2, self.d3 = double_conv(3, 64), double_conv(64, 128), double_conv(128, 256)
        self.bottleneck = double_conv(256, 512)
        self.pool = nn.MaxPool2d(2)
        self.u3 = nn.ConvTranspose2d(512, 256, 2, stride=2)
        self.u2 = nn.ConvTranspose2d(256, 128, 2, stride=2)
        self.u1 = nn.ConvTranspose2d(128, 64, 2, stride=2)
        self.c3, self.c2, self.c1 = double_conv(512, 256), double_conv(256, 128), double_conv(128, 64)
        self.head = nn.Conv2d(64, 2, 1)
    def forward(self, x):
        x1 = self.d1(x)
        x2 = self.d2(self.pool(x1))
        x3 = self.d3(self.pool(x2))
        y = self.bottleneck(self.pool(x3))
        y = self.c3(torch.cat([x3, self.u3(y)], 1))
        y = self.c2(torch.cat([x2, self.u2(y)], 1))
        y = self.c1(torch.cat([x1, self.u1(y)], 1))
        return self.head(y)

class M5(nn.Module):
    def __init__(self):
        super().__init__()
        self.convs = nn.ModuleList([nn.Conv1d(1, 128, 80, stride=4, padding=38), nn.Conv1d(128, 128, 3, padding=1),
                                    nn.Conv1d(128, 256, 3, padding=1), nn.Conv1d(256, 512, 3, padding=1)])
        self.bns = nn.ModuleList([nn.BatchNorm1d(c) for c in (128, 128, 256, 512)])
        self.pool = nn.MaxPool1d(4)
        self.fc = nn.Linear(512, 10)
    def forward(self, x):
        for conv, bn in zip(self.convs, self.bns):
            x = self.pool(F.relu(bn(conv(x))))
        x = F.avg_pool1d(x, x.shape[-1])
        return self.fc(x.flatten(1))

for line in open(sys.argv[1]):
    name, path, dims = line.rstrip("\n").split("\t")
    shape = [1] + [int(v) for v in dims.split(",")]
    if name == "torch_unet":
        model = UNet()
    elif name == "torch_m5":
        model = M5()
    else:
        spec = importlib.util.spec_from_file_location("exported_" + name, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        cls = [v for v in vars(module).values() if isinstance(v, type) and issubclass(v, nn.Module)
               and v.__module__ == spec.name][0]
        model = cls()
    model.eval()
    params = sum(p.numel() for p in model.parameters())
    state = sum(b.numel() for n, b in model.named_buffers() if n.endswith(("running_mean", "running_var")))
    # The zoo models run on the meta device (PyTorch's shape rules without the arithmetic: the machine
    # running the tests is small); the small designs compute for real.
    big = name.startswith(("zoo_", "torch_"))
    if big:
        model = model.to("meta")
    macs, y = macs_of(model, torch.randn(*shape, device="meta" if big else "cpu"))
    print(name, params, state, macs, ",".join(str(v) for v in y.shape), flush=True)
)PY";

// Checks each ONNX file (full_check runs strict shape inference over the declared shapes) and prints
// its output shape.
const char* kOnnxDriver = R"PY(
import sys, onnx
for line in open(sys.argv[1]):
    name, path = line.rstrip("\n").split("\t")
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True)
    dims = inferred.graph.output[0].type.tensor_type.shape.dim
    print(name, ",".join(str(d.dim_value) for d in dims), flush=True)
)PY";

struct TorchFigures {
    int64_t params = -1, state = -1, macs = -1;
    QString shape;
};

QString batchShape(const Shape& s)
{
    QString r = "1";
    for (int64_t v : s)
        r += "," + QString::number(v);
    return r;
}

} // namespace

class TestTorchSpatial : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void pytorchAgrees_data();
    void pytorchAgrees();
    void onnxCheckerAgrees_data();
    void onnxCheckerAgrees();
    void zooMatchesModelsWrittenInPyTorch_data();
    void zooMatchesModelsWrittenInPyTorch();

private:
    QString run(const char* driver, const QString& manifest);
    QTemporaryDir m_dir;
    std::vector<Design> m_designs;
    std::map<std::string, TorchFigures> m_torch;
    std::map<std::string, QString> m_onnx;
};

QString TestTorchSpatial::run(const char* driver, const QString& manifest)
{
    QProcess p;
    p.start("/usr/bin/python3", {"-c", driver, manifest});
    if (!p.waitForFinished(300000))
        qFatal("python did not finish");
    if (p.exitCode() != 0)
        qWarning("%s", p.readAllStandardError().constData());
    return QString::fromUtf8(p.readAllStandardOutput());
}

void TestTorchSpatial::initTestCase()
{
    QProcess probe;
    probe.start("/usr/bin/python3", {"-c", "import torch, onnx"});
    QVERIFY2(probe.waitForFinished(120000) && probe.exitCode() == 0,
             "this test needs /usr/bin/python3 with torch and onnx (Debian: python3-torch, python3-onnx)");
    m_designs = designs();
    QString torchList, onnxList;
    for (const Design& d : m_designs) {
        const QString py = m_dir.filePath(QString::fromStdString(d.name) + ".py");
        const QString onnx = m_dir.filePath(QString::fromStdString(d.name) + ".onnx");
        auto s = savePyTorch(d.net, py);
        QVERIFY2(s.ok(), s.ok() ? "" : s.error().c_str());
        auto o = nc::core::onnx::exportOnnx(d.net, onnx);
        QVERIFY2(o.ok(), o.ok() ? "" : o.error().c_str());
        const Shape& in = d.net.nodes().front().params.dims;
        QString dims;
        for (int64_t v : in)
            dims += (dims.isEmpty() ? "" : ",") + QString::number(v);
        torchList += QString::fromStdString(d.name) + "\t" + py + "\t" + dims + "\n";
        onnxList += QString::fromStdString(d.name) + "\t" + onnx + "\n";
    }
    torchList += "torch_unet\t-\t3,256,256\ntorch_m5\t-\t1,32000\n";
    auto write = [&](const QString& name, const QString& text) -> QString {
        QFile f(m_dir.filePath(name));
        if (!f.open(QIODevice::WriteOnly))
            qFatal("cannot write %s", qPrintable(f.fileName()));
        f.write(text.toUtf8());
        return f.fileName();
    };
    const QString torchOut = run(kTorchDriver, write("torch.txt", torchList));
    for (const QString& line : torchOut.split('\n', Qt::SkipEmptyParts)) {
        const QStringList f = line.split(' ');
        if (f.size() == 5)
            m_torch[f[0].toStdString()] = {f[1].toLongLong(), f[2].toLongLong(), f[3].toLongLong(), f[4]};
    }
    const QString onnxOut = run(kOnnxDriver, write("onnx.txt", onnxList));
    for (const QString& line : onnxOut.split('\n', Qt::SkipEmptyParts)) {
        const QStringList f = line.split(' ');
        if (f.size() == 2)
            m_onnx[f[0].toStdString()] = f[1];
    }
}

void TestTorchSpatial::pytorchAgrees_data()
{
    QTest::addColumn<int>("index");
    const std::vector<Design> all = designs();
    for (size_t i = 0; i < all.size(); ++i)
        QTest::newRow(all[i].name.c_str()) << static_cast<int>(i);
}

void TestTorchSpatial::pytorchAgrees()
{
    QFETCH(int, index);
    const Design& d = m_designs[static_cast<size_t>(index)];
    auto it = m_torch.find(d.name);
    QVERIFY2(it != m_torch.end(), "PyTorch did not run the exported file (see the warning above)");
    const AnalysisResult a = analyze(d.net);
    QCOMPARE(a.totals.errors, 0);
    QCOMPARE(it->second.params, a.totals.params);
    QCOMPARE(it->second.state, a.totals.state);
    QCOMPARE(it->second.macs, a.totals.macs);
    QCOMPARE(it->second.shape, batchShape(a.layers.back().output));
}

void TestTorchSpatial::onnxCheckerAgrees_data() { pytorchAgrees_data(); }

void TestTorchSpatial::onnxCheckerAgrees()
{
    QFETCH(int, index);
    const Design& d = m_designs[static_cast<size_t>(index)];
    auto it = m_onnx.find(d.name);
    QVERIFY2(it != m_onnx.end(), "onnx.checker refused the exported file (see the warning above)");
    QCOMPARE(it->second, batchShape(analyze(d.net).layers.back().output));
}

void TestTorchSpatial::zooMatchesModelsWrittenInPyTorch_data()
{
    QTest::addColumn<QString>("zoo");
    QTest::addColumn<QString>("torch");
    QTest::newRow("UNet") << "unet" << "torch_unet";
    QTest::newRow("M5") << "m5" << "torch_m5";
}

// The figures tst_zoo states by hand, from PyTorch modules written independently of our exporter.
void TestTorchSpatial::zooMatchesModelsWrittenInPyTorch()
{
    QFETCH(QString, zoo);
    QFETCH(QString, torch);
    auto it = m_torch.find(torch.toStdString());
    QVERIFY(it != m_torch.end());
    const AnalysisResult a = analyze(loadZoo(zoo.toStdString()).value());
    QCOMPARE(it->second.params, a.totals.params);
    QCOMPARE(it->second.state, a.totals.state);
    QCOMPARE(it->second.macs, a.totals.macs);
    QCOMPARE(it->second.shape, batchShape(a.layers.back().output));
}

QTEST_GUILESS_MAIN(TestTorchSpatial)
#include "tst_torch_spatial.moc"

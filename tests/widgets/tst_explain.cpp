// tst_explain: the inspector's formula lines end with the analysis figures and their left-hand sides
// evaluate to those figures, for chosen layers and for every layer of every zoo model.
#include "core/Analysis.h"
#include "core/Catalogue.h"
#include "core/Explain.h"
#include "core/ModelBuilder.h"
#include "core/Zoo.h"

#include <QRegularExpression>
#include <QtTest>

#include <cmath>
#include <optional>

using namespace nc::core;

namespace {

// Evaluates the expressions Explain writes: integers, + − · /, ( ), ⌊ ⌋ and ⌈ ⌉. long double holds every
// integer the tests meet exactly (below 2^64) and the divisions are exact or floored/ceiled at once.
class Evaluator {
public:
    explicit Evaluator(const QString& s) : m_s(s) {}
    std::optional<long double> run()
    {
        auto v = sum();
        skipSpace();
        if (!v || m_i != m_s.size())
            return std::nullopt;
        return v;
    }

private:
    void skipSpace()
    {
        while (m_i < m_s.size() && m_s[m_i] == ' ')
            ++m_i;
    }
    bool take(QChar c)
    {
        skipSpace();
        if (m_i < m_s.size() && m_s[m_i] == c) {
            ++m_i;
            return true;
        }
        return false;
    }
    std::optional<long double> sum()
    {
        auto v = product();
        while (v) {
            if (take('+')) {
                auto r = product();
                if (!r)
                    return std::nullopt;
                *v += *r;
            } else if (take(QChar(0x2212))) {
                auto r = product();
                if (!r)
                    return std::nullopt;
                *v -= *r;
            } else {
                break;
            }
        }
        return v;
    }
    std::optional<long double> product()
    {
        auto v = atom();
        while (v) {
            if (take(QChar(0x00B7))) {
                auto r = atom();
                if (!r)
                    return std::nullopt;
                *v *= *r;
            } else if (take('/')) {
                auto r = atom();
                if (!r || *r == 0)
                    return std::nullopt;
                *v /= *r;
            } else {
                break;
            }
        }
        return v;
    }
    std::optional<long double> bracket(QChar close)
    {
        auto v = sum();
        if (!v || !take(close))
            return std::nullopt;
        return v;
    }
    std::optional<long double> atom()
    {
        if (take('('))
            return bracket(')');
        if (take(QChar(0x230A))) {
            auto v = bracket(QChar(0x230B));
            return v ? std::optional<long double>(std::floor(*v)) : std::nullopt;
        }
        if (take(QChar(0x2308))) {
            auto v = bracket(QChar(0x2309));
            return v ? std::optional<long double>(std::ceil(*v)) : std::nullopt;
        }
        skipSpace();
        qsizetype start = m_i;
        while (m_i < m_s.size() && m_s[m_i].isDigit())
            ++m_i;
        if (m_i == start)
            return std::nullopt;
        return static_cast<long double>(m_s.mid(start, m_i - start).toLongLong());
    }
    QString m_s;
    qsizetype m_i = 0;
};

// "label = expr = 36,928 B" -> {expr, 36928}; nullopt for lines without an expression.
struct Parsed {
    QString label;
    QString expr;
    int64_t value = 0;
};
std::optional<Parsed> parse(const std::string& line)
{
    const QStringList parts = QString::fromStdString(line).split(" = ");
    if (parts.size() != 3)
        return std::nullopt;
    QString v = parts[2];
    v.remove(',');
    v.remove(" B");
    bool ok = false;
    int64_t value = v.toLongLong(&ok);
    if (!ok)
        return std::nullopt;
    return Parsed{parts[0], parts[1], value};
}

std::optional<int64_t> finalValue(const std::string& line)
{
    QString s = QString::fromStdString(line);
    QString v = s.mid(s.lastIndexOf(" = ") + 3);
    v.remove(',');
    v.remove(" B");
    bool ok = false;
    int64_t r = v.toLongLong(&ok);
    return ok ? std::optional<int64_t>(r) : std::nullopt;
}

const ExplainLine* find(const std::vector<ExplainLine>& lines, const std::string& q)
{
    for (const ExplainLine& l : lines)
        if (l.quantity == q)
            return &l;
    return nullptr;
}

// The analysis figure a line's quantity must end with.
std::optional<int64_t> expected(const ExplainLine& l, const LayerResult& r)
{
    const QString label = QString::fromStdString(l.text).section(" = ", 0, 0);
    if (l.quantity == "params")
        return r.params;
    if (l.quantity == "MACs")
        return r.macs;
    if (l.quantity == "padding MACs")
        return r.paddingMacs;
    if (l.quantity == "ops")
        return r.otherOps;
    if (l.quantity == "memory")
        return r.activationBytes;
    if (l.quantity == "state")
        return r.state;
    if (l.quantity == "workspace")
        return r.workspaceBytes;
    if (l.quantity == "ho")
        return r.output[1];
    if (l.quantity == "wo")
        return r.output[2];
    if (l.quantity == "co")
        return r.output[0];
    if (l.quantity == "RF")
        return r.rf.size[label.contains(" W") ? 1 : 0];
    if (l.quantity == "jump")
        return r.rf.jump[label.contains(" W") ? 1 : 0];
    return std::nullopt;
}

} // namespace

class TestExplain : public QObject {
    Q_OBJECT
private slots:
    void chosenLayers_data();
    void chosenLayers();
    void everyZooLayerIsConsistent_data();
    void everyZooLayerIsConsistent();
    void spatialKindsAreConsistent();
    void failedLayerHasNoLines();
    void hyperSummary_data();
    void hyperSummary();

private:
    void checkEveryLayer(const Network& net);
};

// Builds a small network around one layer and returns the expected text of one of its lines.
void TestExplain::chosenLayers_data()
{
    QTest::addColumn<QString>("layer");
    QTest::addColumn<int>("batch");
    QTest::addColumn<QString>("quantity");
    QTest::addColumn<QString>("text");
    QTest::newRow("conv ho") << "conv" << 1 << "ho"
                             << "ho = ⌊(56 + 1 + 1 − 3)/2⌋ + 1 = 28";
    QTest::newRow("conv params") << "conv" << 1 << "params"
                                 << "params = 64·(64/1)·3·3 + 64 = 36,928";
    QTest::newRow("conv MACs") << "conv" << 1 << "MACs"
                               << "MACs = 64·(64/1)·3·3·28·28 = 28,901,376";
    // Taps of output o read 2o − 1 .. 2o + 1 of 56: only o = 0's first is padding, 3·28 − 1 = 83 inside.
    QTest::newRow("conv padding MACs") << "conv" << 1 << "padding MACs"
                                       << "MACs on zero padding = 64·(64/1)·(3·28·3·28 − 83·83) = 684,032";
    QTest::newRow("conv MACs batch") << "conv" << 8 << "MACs"
                                     << "MACs (batch 8) = 64·(64/1)·3·3·28·28·8 = 231,211,008";
    QTest::newRow("conv RF") << "conv" << 1 << "RF"
                             << "RF = 7 + (3 − 1)·2 = 11";
    QTest::newRow("conv jump") << "conv" << 1 << "jump"
                               << "jump = 2·2 = 4";
    QTest::newRow("conv memory") << "conv" << 1 << "memory"
                                 << "memory = 64·28·28·32/8 = 200,704 B";
    QTest::newRow("grouped params") << "grouped" << 1 << "params"
                                    << "params = 64·(64/32)·3·3 + 64 = 1,216";
    QTest::newRow("dw co") << "dw" << 1 << "co"
                           << "co = 64·2 = 128";
    QTest::newRow("dw params") << "dw" << 1 << "params"
                               << "params = 128·3·3 = 1,152";
    QTest::newRow("dw MACs") << "dw" << 1 << "MACs"
                             << "MACs = 128·3·3·56·56 = 3,612,672";
    QTest::newRow("dilated ho") << "dilated" << 1 << "ho"
                                << "ho = 56 + 2 + 2 − 2·(3 − 1) − 1 + 1 = 56";
    QTest::newRow("pool ho") << "pool" << 1 << "ho"
                             << "ho = ⌊(56 + 1 + 1 − 3)/2⌋ + 1 = 28";
    QTest::newRow("pool ops") << "pool" << 1 << "ops"
                              << "ops = 64·28·28·3·3 = 451,584";
    QTest::newRow("ceil pool ho") << "ceilpool" << 1 << "ho"
                                  << "ho = ⌈(7 − 2)/2⌉ + 1 = 4";
    QTest::newRow("linear params") << "linear" << 1 << "params"
                                   << "params = 200704·10 + 10 = 2,007,050";
    QTest::newRow("linear MACs") << "linear" << 1 << "MACs"
                                 << "MACs = 200704·10 = 2,007,040";
    QTest::newRow("attention params") << "mha" << 1 << "params"
                                      << "params = 4·192·192 + 4·192 = 148,224";
    QTest::newRow("attention MACs") << "mha" << 1 << "MACs"
                                    << "MACs = 4·197·192·192 + 2·197·197·192 = 43,951,488";
    QTest::newRow("attention MACs batch")
        << "mha" << 2 << "MACs"
        << "MACs (batch 2) = (4·197·192·192 + 2·197·197·192)·2 = 87,902,976";
    QTest::newRow("patch tokens") << "patch" << 1 << "out"
                                  << "tokens = (224/16)·(224/16) + 1 = 197";
    QTest::newRow("concat channels") << "concat" << 1 << "out"
                                     << "channels = 64 + 64 = 128";
}

void TestExplain::chosenLayers()
{
    QFETCH(QString, layer);
    QFETCH(int, batch);
    QFETCH(QString, quantity);
    QFETCH(QString, text);

    ModelBuilder b("t");
    NodeId target;
    if (layer == "mha" || layer == "patch") {
        NodeId x = b.input({3, 224, 224});
        NodeId pe = b.layer(LayerType::PatchEmbed, b.defaults(LayerType::PatchEmbed), {x}, "pe");
        LayerParams m = b.defaults(LayerType::MultiHeadAttention);
        m.heads = 3;
        NodeId a = b.layer(LayerType::MultiHeadAttention, m, {pe}, "mha");
        target = layer == "mha" ? a : pe;
    } else if (layer == "ceilpool") {
        NodeId x = b.input({8, 7, 7});
        target = b.maxPool(x, 2, 2, 0, true);
    } else {
        // 64×56×56 feature map whose receptive field is 7 with jump 2 (a 3×3 stride-2 conv then a 3×3).
        NodeId x = b.input({64, 112, 112});
        x = b.conv(x, 64, 3, 2, 1);
        x = b.conv(x, 64, 3, 1, 1);
        if (layer == "conv")
            target = b.conv(x, 64, 3, 2, 1);
        else if (layer == "grouped")
            target = b.conv(x, 64, 3, 2, 1, 32);
        else if (layer == "dw")
            target = b.depthwise(x, 3, 1, 1, 2);
        else if (layer == "dilated") {
            LayerParams p = b.defaults(LayerType::Conv2d);
            p.dh = p.dw = 2;
            p.pt = p.pb = p.pl = p.pr = 2;
            target = b.layer(LayerType::Conv2d, p, {x});
        } else if (layer == "pool")
            target = b.maxPool(x, 3, 2, 1);
        else if (layer == "linear")
            target = b.linear(b.flatten(x), 10);
        else if (layer == "concat")
            target = b.concat({x, b.relu(x)});
    }
    Network net = b.finish();
    net.batch = batch;
    AnalysisResult a = analyze(net);
    const LayerResult* r = a.layer(target, net);
    QVERIFY(r);
    QCOMPARE(int(r->status), int(LayerStatus::Ok));
    auto lines = explainLayer(net, a, target);
    const ExplainLine* l = find(lines, quantity.toStdString());
    QVERIFY2(l, qPrintable("no line " + quantity));
    QCOMPARE(QString::fromStdString(l->text), text);
}

void TestExplain::everyZooLayerIsConsistent_data()
{
    QTest::addColumn<QString>("model");
    QTest::addColumn<int>("batch");
    QTest::addColumn<int>("bits");
    for (const ZooEntry& e : zooEntries()) {
        QTest::newRow(e.key.c_str()) << QString::fromStdString(e.key) << 1 << 32;
        QTest::newRow((e.key + " b3 int4").c_str()) << QString::fromStdString(e.key) << 3 << 4;
    }
}

void TestExplain::everyZooLayerIsConsistent()
{
    QFETCH(QString, model);
    QFETCH(int, batch);
    QFETCH(int, bits);
    auto net = loadZoo(model.toStdString());
    QVERIFY(net);
    net->batch = batch;
    net->bits = bits;
    checkEveryLayer(*net);
}

// The spatial kinds the zoo does not use (Conv3d, 3-D pools, ConvTranspose1d, Upsample, Pad, global max).
void TestExplain::spatialKindsAreConsistent()
{
    auto with = [](LayerType t, void (*f)(LayerParams&)) {
        LayerParams p = Catalogue::instance().spec(t).defaults;
        f(p);
        return p;
    };
    auto none = [](LayerParams&) {};
    ModelBuilder b("spatial");
    NodeId v = b.input({3, 8, 16, 16}, "clip");
    v = b.layer(LayerType::Conv3d, with(LayerType::Conv3d, [](LayerParams& p) { p.sh = p.sw = 2; }), {v});
    v = b.layer(LayerType::MaxPool3d, with(LayerType::MaxPool3d, none), {v});
    v = b.layer(LayerType::AvgPool3d, with(LayerType::AvgPool3d, [](LayerParams& p) { p.kd = p.sd = 1; }), {v});
    b.layer(LayerType::GlobalMaxPool, with(LayerType::GlobalMaxPool, none), {v});
    NodeId s = b.input({4, 40}, "signal");
    s = b.layer(LayerType::AvgPool1d, with(LayerType::AvgPool1d, none), {s});
    s = b.layer(LayerType::ConvTranspose1d, with(LayerType::ConvTranspose1d, [](LayerParams& p) { p.outPadW = 1; }),
                {s});
    s = b.layer(LayerType::Upsample, with(LayerType::Upsample, [](LayerParams& p) { p.resizeMode = 1; }), {s});
    b.layer(LayerType::Pad, with(LayerType::Pad, none), {s});
    NodeId x = b.input({3, 12, 12}, "image");
    x = b.conv(x, 8, 3, 2, 1);
    x = b.layer(LayerType::Upsample, with(LayerType::Upsample, [](LayerParams& p) { p.resizeMode = 1; }), {x});
    x = b.layer(LayerType::Pad, with(LayerType::Pad, [](LayerParams& p) { p.padMode = 1; }), {x});
    b.layer(LayerType::ConvTranspose2d, with(LayerType::ConvTranspose2d, [](LayerParams& p) { p.dh = 2; }), {x});
    Network net = b.finish();
    net.batch = 2;
    checkEveryLayer(net);
}

void TestExplain::checkEveryLayer(const Network& n0)
{
    const Network* net = &n0;
    AnalysisResult a = analyze(*net);
    QCOMPARE(a.totals.errors, 0);
    int checked = 0;
    for (const Node& n : net->nodes()) {
        const LayerResult* r = a.layer(n.id, *net);
        QVERIFY(r);
        auto lines = explainLayer(*net, a, n.id);
        QVERIFY2(!lines.empty(), n.name.c_str());
        // Every kind states its output, parameters, MACs and memory.
        for (const char* q : {"out", "params", "MACs", "memory"})
            QVERIFY2(find(lines, q), (n.name + " has no " + q + " line").c_str());
        for (const ExplainLine& l : lines) {
            if (auto want = expected(l, *r)) {
                auto got = finalValue(l.text);
                QVERIFY2(got, l.text.c_str());
                QVERIFY2(*got == *want,
                         (n.name + ": " + l.text + " but analysis says " + std::to_string(*want)).c_str());
                ++checked;
            }
            if (auto p = parse(l.text)) {
                auto v = Evaluator(p->expr).run();
                QVERIFY2(v, (n.name + ": cannot evaluate " + l.text).c_str());
                QVERIFY2(*v == static_cast<long double>(p->value), (n.name + ": " + l.text).c_str());
            }
        }
    }
    QVERIFY(checked > 3 * static_cast<int>(net->nodes().size()));
}

void TestExplain::failedLayerHasNoLines()
{
    ModelBuilder b("t");
    NodeId x = b.input({3, 4, 4});
    NodeId c = b.conv(x, 8, 7, 1, 0);
    Network net = b.finish();
    AnalysisResult a = analyze(net);
    QCOMPARE(int(a.layer(c, net)->status), int(LayerStatus::Error));
    QVERIFY(explainLayer(net, a, c).empty());
    QVERIFY(explainLayer(net, a, NodeId{999}).empty());
}

void TestExplain::hyperSummary_data()
{
    QTest::addColumn<int>("kind");
    QTest::addColumn<QString>("text");
    QTest::newRow("conv s2 g32") << 0 << "3×3 s2 p1 g32";
    QTest::newRow("dw int8") << 1 << "dw 3×3 p1 INT8";
    QTest::newRow("linear") << 2 << "→1000";
    QTest::newRow("pool") << 3 << "2×2 s2";
}

void TestExplain::hyperSummary()
{
    QFETCH(int, kind);
    QFETCH(QString, text);
    const Catalogue& cat = Catalogue::instance();
    Node n;
    switch (kind) {
    case 0:
        n.type = LayerType::Conv2d;
        n.params = cat.spec(n.type).defaults;
        n.params.sh = n.params.sw = 2;
        n.params.groups = 32;
        break;
    case 1:
        n.type = LayerType::DepthwiseConv2d;
        n.params = cat.spec(n.type).defaults;
        n.params.bits = 8;
        break;
    case 2:
        n.type = LayerType::Linear;
        n.params = cat.spec(n.type).defaults;
        break;
    default:
        n.type = LayerType::MaxPool2d;
        n.params = cat.spec(n.type).defaults;
        break;
    }
    QCOMPARE(QString::fromStdString(nc::core::hyperSummary(n, 32)), text);
}

QTEST_GUILESS_MAIN(TestExplain)
#include "tst_explain.moc"

// The "Transformer decoder block (pre-norm)" palette template: one undoable AddNodesCommand of
// existing kinds, wired after the selected layer, named under one prefix, with the figures of a
// GPT-2 block computed by hand from the README's counting conventions.
#include "core/BlockGroups.h"
#include "core/BlockTemplates.h"
#include "core/Document.h"
#include "core/ModelBuilder.h"
#include "core/NetworkFile.h"

#include <QTest>

using namespace nc::core;

class TestBlockTemplates : public QObject {
    Q_OBJECT
private slots:
    void decoderBlockFigures();
    void oneUndoRemovesEverything();
    void secondBlockGetsItsOwnPrefix();
    void headsFollowWidth_data();
    void headsFollowWidth();
    void refusesNonSequenceInput();
};

namespace {

Network tokens(int64_t t, int64_t d)
{
    ModelBuilder b("tokens");
    b.input({t, d}, "x");
    return b.finish();
}

const Node& named(const Network& net, const std::string& name)
{
    for (const Node& n : net.nodes())
        if (n.name == name)
            return n;
    static Node none;
    return none;
}

} // namespace

void TestBlockTemplates::decoderBlockFigures()
{
    Document doc;
    doc.setNetwork(tokens(16, 64));
    const NodeId x = doc.network().nodes()[0].id;
    auto cmd = blockTemplateCommand(0, doc.network(), x, Shape{16, 64}, 0, 110);
    QVERIFY2(cmd.ok(), cmd.ok() ? "" : cmd.error().c_str());
    doc.execute(std::move(*cmd));
    const Network& net = doc.network();
    const AnalysisResult& a = doc.analysis();
    QCOMPARE(net.nodes().size(), size_t(7));
    QCOMPARE(a.totals.errors, 0);
    for (const char* name : {"block0.ln_1", "block0.attn", "block0.add_1", "block0.ln_2", "block0.mlp", "block0.add_2"})
        QVERIFY2(named(net, name).id.valid(), name);
    QCOMPARE(named(net, "block0.attn").type, LayerType::MultiHeadAttention);
    QCOMPARE(named(net, "block0.attn").params.causal, int64_t(1));
    QCOMPARE(named(net, "block0.attn").params.heads, int64_t(8)); // 64 % 12 ≠ 0, 64 % 8 = 0
    QCOMPARE(named(net, "block0.mlp").params.hidden, int64_t(256));

    // Edges: x→ln_1, ln_1→attn, attn→add_1:0, x→add_1:1, add_1→ln_2, ln_2→mlp, mlp→add_2:0, add_1→add_2:1.
    QCOMPARE(net.edges().size(), size_t(8));
    auto wired = [&](const char* from, const char* to, int port) {
        const NodeId f = from[0] == 'x' ? x : named(net, from).id, t = named(net, to).id;
        for (const Edge& e : net.edges())
            if (e.from == f && e.to == t && e.toPort == port)
                return true;
        return false;
    };
    QVERIFY(wired("x", "block0.ln_1", 0));
    QVERIFY(wired("x", "block0.add_1", 1));
    QVERIFY(wired("block0.attn", "block0.add_1", 0));
    QVERIFY(wired("block0.add_1", "block0.add_2", 1));
    QVERIFY(wired("block0.mlp", "block0.add_2", 0));

    // Parameters, D = 64 (README: LayerNorm 2·D, attention 4·D² + 4·D, MLP D·H + H + H·D + D, H = 4·D):
    // ln_1 + ln_2 = 4·64 = 256; attn = 4·4,096 + 256 = 16,640; mlp = 64·256 + 256 + 256·64 + 64 =
    // 16,384 + 256 + 16,384 + 64 = 33,088 (= 8·D² + 5·D); Adds 0.
    // Sum 256 + 16,640 + 33,088 = 49,984 = 12·D² + 13·D = 49,152 + 832.
    QCOMPARE(a.totals.params, int64_t(49984));
    // MACs per sample, T = 16 (README: attention 4·T·D² + 2·T²·D, MLP rows·(D·H + H·D); norms and
    // Adds are other ops, not MACs): attn 4·16·4,096 + 2·256·64 = 262,144 + 32,768 = 294,912;
    // mlp 16·(16,384 + 16,384) = 524,288. Sum 819,200 = 12·T·D² + 2·T²·D.
    QCOMPARE(a.totals.macs, int64_t(819200));
    QCOMPARE(a.layers.back().output, (Shape{16, 64}));

    // BlockGroups: the six layers form one group, "block0"; the input stays outside it.
    const auto groups = inferBlockGroups(net);
    QCOMPARE(groups.size(), size_t(1));
    QCOMPARE(groups[0].name, std::string("block0"));
    QCOMPARE(groups[0].members.size(), size_t(6));
}

void TestBlockTemplates::oneUndoRemovesEverything()
{
    Document doc;
    doc.setNetwork(tokens(16, 64));
    const QByteArray before = serializeNetwork(doc.network());
    auto cmd = blockTemplateCommand(0, doc.network(), doc.network().nodes()[0].id, Shape{16, 64}, 0, 110);
    QVERIFY(cmd.ok());
    std::unique_ptr<Command> c = std::move(*cmd);
    c->redo(doc);
    QCOMPARE(doc.network().nodes().size(), size_t(7));
    c->undo(doc);
    QCOMPARE(doc.network().nodes().size(), size_t(1));
    QCOMPARE(doc.network().edges().size(), size_t(0));
    QCOMPARE(serializeNetwork(doc.network()), before);
    QCOMPARE(QString::fromStdString(c->text()), QString("Add Transformer decoder block (pre-norm)"));
}

void TestBlockTemplates::secondBlockGetsItsOwnPrefix()
{
    Document doc;
    doc.setNetwork(tokens(8, 48));
    auto first = blockTemplateCommand(0, doc.network(), doc.network().nodes()[0].id, Shape{8, 48}, 0, 110);
    QVERIFY(first.ok());
    doc.execute(std::move(*first));
    const NodeId last = named(doc.network(), "block0.add_2").id;
    auto second = blockTemplateCommand(0, doc.network(), last, Shape{8, 48}, 0, 770);
    QVERIFY(second.ok());
    doc.execute(std::move(*second));
    QCOMPARE(doc.analysis().totals.errors, 0);
    const auto groups = inferBlockGroups(doc.network());
    QCOMPARE(groups.size(), size_t(2));
    QCOMPARE(groups[1].name, std::string("block1"));
    // Two blocks of D = 48: 2·(12·2,304 + 13·48) = 2·(27,648 + 624) = 56,544.
    QCOMPARE(doc.analysis().totals.params, int64_t(56544));
}

void TestBlockTemplates::headsFollowWidth_data()
{
    QTest::addColumn<int64_t>("d");
    QTest::addColumn<int64_t>("heads");
    QTest::newRow("768: GPT-2's 12") << int64_t(768) << int64_t(12);
    QTest::newRow("64: 8") << int64_t(64) << int64_t(8);
    QTest::newRow("20: 4") << int64_t(20) << int64_t(4);
    QTest::newRow("6: 2") << int64_t(6) << int64_t(2);
    QTest::newRow("7: 1") << int64_t(7) << int64_t(1);
}

void TestBlockTemplates::headsFollowWidth()
{
    QFETCH(int64_t, d);
    QFETCH(int64_t, heads);
    const Network net = tokens(4, d);
    auto cmd = blockTemplateCommand(0, net, net.nodes()[0].id, Shape{4, d}, 0, 110);
    QVERIFY(cmd.ok());
    for (const Node& n : (*cmd)->nodes())
        if (n.type == LayerType::MultiHeadAttention)
            QCOMPARE(n.params.heads, heads);
}

void TestBlockTemplates::refusesNonSequenceInput()
{
    ModelBuilder b("img");
    const NodeId x = b.input({3, 32, 32}, "image");
    const Network net = b.finish();
    auto cmd = blockTemplateCommand(0, net, x, Shape{3, 32, 32}, 0, 110);
    QVERIFY(!cmd.ok());
    QVERIFY2(QString::fromStdString(cmd.error()).contains("'image'"), cmd.error().c_str());
    QVERIFY(QString::fromStdString(cmd.error()).contains("T×D"));
    auto none = blockTemplateCommand(0, net, NodeId{}, Shape{16, 64}, 0, 110);
    QVERIFY(!none.ok());
}

QTEST_GUILESS_MAIN(TestBlockTemplates)
#include "tst_block_templates.moc"

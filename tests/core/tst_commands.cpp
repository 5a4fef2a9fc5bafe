// Tests every edit command: redo applies it, undo restores the design exactly (byte-identical file),
// redo again re-applies it, and the document re-analyses and notifies on each step.
#include "core/BlockGroups.h"
#include "core/Catalogue.h"
#include "core/Commands.h"
#include "core/Document.h"
#include "core/ModelBuilder.h"
#include "core/NetworkFile.h"

#include <QSignalSpy>
#include <QTest>

using namespace nc::core;

Q_DECLARE_METATYPE(nc::core::Change)

class TestCommands : public QObject {
    Q_OBJECT
private slots:
    void init();
    void addNode();
    void addWiredNodeRefusesBadEdges();
    void removeNodesRestoresOrder();
    void moveNodesIsOneCommandWithoutReanalysis();
    void connectAndDisconnect();
    void connectRefusals();
    void setNodeChangesFigures();
    void setSettings();
    void changeTypeKeepsIdOrderAndEdges();
    void setNodeRefusals();
    void historyTruncatesRedo();
    void groupUndoRedoSaveLoad();
    void groupRefusals();
    void groupSurvivesDeleteAndUndo();
    void groupFiguresAreSums();

private:
    void checkUndoRedo(std::unique_ptr<Command> cmd);
    Document* m_doc = nullptr;
    NodeId m_in, m_conv, m_relu;
};

void TestCommands::init()
{
    delete m_doc;
    m_doc = new Document(this);
    ModelBuilder b("cmd");
    m_in = b.input({3, 32, 32});
    m_conv = b.conv(m_in, 16, 3, 1, 1, 1, true, "conv");
    m_relu = b.relu(m_conv, "relu");
    m_doc->setNetwork(b.finish());
}

void TestCommands::checkUndoRedo(std::unique_ptr<Command> cmd)
{
    QByteArray before = serializeNetwork(m_doc->network());
    cmd->redo(*m_doc);
    QByteArray after = serializeNetwork(m_doc->network());
    QVERIFY(after != before);
    cmd->undo(*m_doc);
    QCOMPARE(serializeNetwork(m_doc->network()), before);
    cmd->redo(*m_doc);
    QCOMPARE(serializeNetwork(m_doc->network()), after);
}

void TestCommands::addNode()
{
    Node n;
    n.type = LayerType::Linear;
    n.params = Catalogue::instance().spec(LayerType::Linear).defaults;
    auto cmd = AddNodesCommand::make(m_doc->network(), {n}, {}, "Add Linear");
    QVERIFY(cmd.ok());
    QSignalSpy spy(m_doc, &Document::changed);
    (*cmd)->redo(*m_doc);
    QCOMPARE(spy.count(), 1);
    QCOMPARE(m_doc->network().nodes().size(), size_t(4));
    QCOMPARE(m_doc->network().nodes().back().name, std::string("linear1"));
    // The new Linear has an unconnected input: the analysis says so at once.
    QCOMPARE(m_doc->analysis().layers.back().status, LayerStatus::Error);
    (*cmd)->undo(*m_doc);
    QCOMPARE(m_doc->network().nodes().size(), size_t(3));
    QCOMPARE(m_doc->analysis().totals.errors, 0);
}

void TestCommands::addWiredNodeRefusesBadEdges()
{
    Node n;
    n.type = LayerType::ReLU;
    n.id = m_doc->network().newNodeId();
    auto ok = AddNodesCommand::make(m_doc->network(), {n}, {Edge{{}, m_relu, n.id, 0}}, "Append");
    QVERIFY(ok.ok());
    checkUndoRedo(std::move(*ok));
    auto bad = AddNodesCommand::make(m_doc->network(), {n}, {Edge{{}, m_relu, m_conv, 0}}, "Append");
    QVERIFY(!bad.ok()); // port 0 of conv is taken (and it would be a cycle)
}

void TestCommands::removeNodesRestoresOrder()
{
    checkUndoRedo(std::make_unique<RemoveNodesCommand>(m_doc->network(), std::vector<NodeId>{m_conv}));
    QCOMPARE(m_doc->network().nodes().size(), size_t(2));
    QCOMPARE(m_doc->network().edges().size(), size_t(0));
}

void TestCommands::moveNodesIsOneCommandWithoutReanalysis()
{
    uint64_t rev = m_doc->revision();
    const Node* c = m_doc->network().node(m_conv);
    const Node* r = m_doc->network().node(m_relu);
    auto cmd = std::make_unique<MoveNodesCommand>(
        std::vector<MoveNodesCommand::Move>{{m_conv, c->x, c->y, c->x + 50, c->y + 10},
                                            {m_relu, r->x, r->y, 300, 300}});
    QSignalSpy spy(m_doc, &Document::changed);
    checkUndoRedo(std::move(cmd));
    QCOMPARE(spy.count(), 3);
    QCOMPARE(spy.at(0).at(0).value<Change>().kind, ChangeKind::Positions);
    QCOMPARE(m_doc->revision(), rev); // positions change no figure
    QCOMPARE(m_doc->network().node(m_relu)->x, 300.0);
}

void TestCommands::connectAndDisconnect()
{
    Node n;
    n.type = LayerType::Sigmoid;
    auto add = AddNodesCommand::make(m_doc->network(), {n}, {}, "Add");
    (*add)->redo(*m_doc);
    NodeId s = (*add)->nodes()[0].id;
    auto c = ConnectCommand::make(m_doc->network(), m_relu, s, 0);
    QVERIFY(c.ok());
    checkUndoRedo(std::move(*c));
    QCOMPARE(m_doc->analysis().totals.errors, 0);
    EdgeId e = m_doc->network().edgeInto(s, 0)->id;
    checkUndoRedo(std::make_unique<DisconnectCommand>(m_doc->network(), e));
    QCOMPARE(m_doc->analysis().totals.errors, 1);
}

void TestCommands::connectRefusals()
{
    auto self = ConnectCommand::make(m_doc->network(), m_conv, m_conv, 0);
    QVERIFY(!self.ok());
    QVERIFY(QString::fromStdString(self.error()).contains("cannot feed itself"));
    auto taken = ConnectCommand::make(m_doc->network(), m_in, m_relu, 0);
    QVERIFY(QString::fromStdString(taken.error()).contains("already connected"));
    Network copy = m_doc->network();
    copy.removeEdge(copy.edgeInto(m_conv, 0)->id);
    Status cycle = copy.connectionPossible(m_relu, m_conv, 0);
    QVERIFY(!cycle.ok());
    QVERIFY(QString::fromStdString(cycle.error()).contains("would make a cycle"));
    auto noPort = ConnectCommand::make(m_doc->network(), m_relu, m_in, 0);
    QVERIFY(QString::fromStdString(noPort.error()).contains("takes no input"));
}

void TestCommands::setNodeChangesFigures()
{
    LayerParams p = m_doc->network().node(m_conv)->params;
    p.kh = p.kw = 5;
    p.pt = p.pb = p.pl = p.pr = 0;
    checkUndoRedo(std::make_unique<SetNodeCommand>(m_doc->network(), m_conv, p, "conv5x5"));
    const LayerResult* l = m_doc->analysis().layer(m_conv, m_doc->network());
    QCOMPARE(QString::fromStdString(l->output.toString()), QString("16×28×28"));
    QCOMPARE(l->params, int64_t(16 * 3 * 25 + 16));
    QCOMPARE(m_doc->network().node(m_conv)->name, std::string("conv5x5"));
}

void TestCommands::setSettings()
{
    int64_t bytes32 = m_doc->analysis().totals.activationBytes;
    checkUndoRedo(std::make_unique<SetSettingsCommand>(m_doc->network(), 2, 8));
    QCOMPARE(m_doc->analysis().totals.activationBytes, bytes32 * 2 / 4);
}

void TestCommands::changeTypeKeepsIdOrderAndEdges()
{
    LayerParams gelu = Catalogue::instance().spec(LayerType::GELU).defaults;
    auto cmd = SetNodeCommand::make(m_doc->network(), m_relu, LayerType::GELU, gelu, "relu");
    QVERIFY(cmd.ok());
    QCOMPARE((*cmd)->text(), std::string("Change relu to GELU"));
    checkUndoRedo(std::move(*cmd));
    QCOMPARE(m_doc->network().nodes()[2].id, m_relu);
    QCOMPARE(m_doc->network().nodes()[2].type, LayerType::GELU);
    QVERIFY(m_doc->network().edgeInto(m_relu, 0) != nullptr);
    QCOMPARE(m_doc->analysis().layers[2].otherOps, int64_t(5 * 16 * 32 * 32));
}

void TestCommands::setNodeRefusals()
{
    const Network& net = m_doc->network();
    LayerParams p = net.node(m_conv)->params;
    auto dup = SetNodeCommand::make(net, m_conv, LayerType::Conv2d, p, "relu");
    QVERIFY(!dup.ok());
    QCOMPARE(dup.error(), std::string("the name \"relu\" is already used by another layer"));
    QVERIFY(!SetNodeCommand::make(net, m_conv, LayerType::Conv2d, p, "").ok());
    QVERIFY(!SetNodeCommand::make(net, m_conv, LayerType::Conv2d, p, std::string(300, 'x')).ok());
    // Turning the conv into an Input would leave its connected port 0 dangling.
    auto cut = SetNodeCommand::make(net, m_conv, LayerType::Input, Catalogue::instance().spec(LayerType::Input).defaults,
                                    "conv");
    QVERIFY(!cut.ok());
    QVERIFY(QString::fromStdString(cut.error()).contains("disconnect it before reducing the inputs to 0"));
    QVERIFY(!SetNodeCommand::make(net, NodeId{999}, LayerType::Conv2d, p, "x").ok());
}

void TestCommands::historyTruncatesRedo()
{
    History h(*m_doc);
    LayerParams p = m_doc->network().node(m_conv)->params;
    p.features = 32;
    h.execute(std::make_unique<SetNodeCommand>(m_doc->network(), m_conv, p, ""));
    QVERIFY(h.undo());
    QVERIFY(h.canRedo());
    p.features = 8;
    h.execute(std::make_unique<SetNodeCommand>(m_doc->network(), m_conv, p, ""));
    QVERIFY(!h.canRedo());
    QCOMPARE(m_doc->network().node(m_conv)->params.features, int64_t(8));
    QVERIFY(h.undo());
    QCOMPARE(m_doc->network().node(m_conv)->params.features, int64_t(16));
    QVERIFY(!h.undo());
}


// Group is a document edit: undoable, in the saved file (version 3), read back as it was.
void TestCommands::groupUndoRedoSaveLoad()
{
    const QByteArray plain = serializeNetwork(m_doc->network());
    QVERIFY(plain.contains("\"version\": 2")); // no groups: still readable by version-2 releases
    QSignalSpy spy(m_doc, &Document::changed);
    // Given in reverse order: the group keeps network order.
    auto cmd = GroupCommand::make(m_doc->network(), {m_relu, m_conv}, "head");
    QVERIFY2(cmd.ok(), cmd.ok() ? "" : cmd.error().c_str());
    QCOMPARE((*cmd)->text(), std::string("Group head"));
    checkUndoRedo(std::move(*cmd));
    QCOMPARE(spy.count(), 3);
    QCOMPARE(m_doc->network().groups.size(), size_t(1));
    QCOMPARE(m_doc->network().groups[0].name, std::string("head"));
    QCOMPARE(m_doc->network().groups[0].members, (std::vector<NodeId>{m_conv, m_relu}));

    const QByteArray saved = serializeNetwork(m_doc->network());
    QVERIFY(saved.contains("\"version\": 3"));
    QVERIFY(saved.contains("\"groups\""));
    auto loaded = parseNetwork(saved);
    QVERIFY2(loaded.ok(), loaded.ok() ? "" : loaded.error().c_str());
    QVERIFY(*loaded == m_doc->network());
    QCOMPARE(serializeNetwork(*loaded), saved);

    auto un = UngroupCommand::make(m_doc->network(), "head");
    QVERIFY(un.ok());
    checkUndoRedo(std::move(*un));
    QVERIFY(m_doc->network().groups.empty());
    QCOMPARE(serializeNetwork(m_doc->network()), plain);
    QVERIFY(!UngroupCommand::make(m_doc->network(), "head").ok());
}

void TestCommands::groupRefusals()
{
    const Network& net = m_doc->network();
    QCOMPARE(GroupCommand::make(net, {m_conv}, "g").error(), std::string("select at least two layers to group"));
    QCOMPARE(GroupCommand::make(net, {m_conv, m_conv}, "g").error(), std::string("select at least two layers to group"));
    QCOMPARE(GroupCommand::make(net, {m_conv, m_relu}, "").error(), std::string("a group needs a name"));
    QCOMPARE(GroupCommand::make(net, {m_conv, NodeId{99}}, "g").error(), std::string("layer 99 does not exist"));
    QCOMPARE(GroupCommand::suggestName(net), std::string("group1"));
    m_doc->execute(std::move(*GroupCommand::make(net, {m_conv, m_relu}, "group1")));
    QCOMPARE(GroupCommand::suggestName(net), std::string("group2"));
    QCOMPARE(GroupCommand::make(net, {m_in, m_conv}, "other").error(),
             std::string("layer \"conv\" is already in group \"group1\"; ungroup it first"));
    QCOMPARE(GroupCommand::make(net, {m_in, NodeId{99}}, "group1").error(),
             std::string("the name \"group1\" is already used by another group"));
}

// A deleted member leaves the group (and the file); undoing the delete brings it back into the group.
void TestCommands::groupSurvivesDeleteAndUndo()
{
    m_doc->execute(std::move(*GroupCommand::make(m_doc->network(), {m_in, m_conv, m_relu}, "all")));
    History h(*m_doc);
    h.execute(std::make_unique<RemoveNodesCommand>(m_doc->network(), std::vector<NodeId>{m_relu}));
    const auto groups = designGroups(m_doc->network());
    QCOMPARE(groups.size(), size_t(1));
    QCOMPARE(groups[0].members, (std::vector<NodeId>{m_in, m_conv}));
    QVERIFY(groups[0].user);
    auto reread = parseNetwork(serializeNetwork(m_doc->network()));
    QVERIFY(reread.ok());
    QCOMPARE(reread->groups[0].members, (std::vector<NodeId>{m_in, m_conv}));
    QVERIFY(h.undo());
    QCOMPARE(designGroups(m_doc->network())[0].members, (std::vector<NodeId>{m_in, m_conv, m_relu}));
}

// A user group takes its layers out of the blocks inferred from names, and its figures are the sums
// of its members'.
void TestCommands::groupFiguresAreSums()
{
    ModelBuilder b("g");
    NodeId x = b.input({3, 8, 8});
    NodeId c1 = b.conv(x, 4, 3, 1, 1, 1, true, "blk.0.conv");   // params 4·3·3·3 + 4 = 112
    NodeId r1 = b.relu(c1, "blk.0.relu");
    NodeId c2 = b.conv(r1, 8, 1, 1, 0, 1, true, "blk.0.proj"); // params 8·4·1·1 + 8 = 40
    Document doc;
    doc.setNetwork(b.finish());
    QCOMPARE(designGroups(doc.network()).size(), size_t(1)); // "blk.0", inferred
    doc.execute(std::move(*GroupCommand::make(doc.network(), {c1, r1}, "stem")));
    const auto groups = designGroups(doc.network());
    // The inferred block keeps only blk.0.proj, fewer than two layers: gone.
    QCOMPARE(groups.size(), size_t(1));
    QCOMPARE(groups[0].name, std::string("stem"));
    const GroupFigures f = groupFigures(doc.network(), doc.analysis(), groups[0]);
    QCOMPARE(f.sums.params, int64_t(112));
    // MACs: conv 4·8·8 outputs × 3·3·3 = 256 × 27 = 6912; ReLU counts none.
    QCOMPARE(f.sums.macs, int64_t(6912));
    QCOMPARE(f.inputs.size(), size_t(1));
    QCOMPARE(f.inputs[0], Shape({3, 8, 8}));
    QCOMPARE(f.outputs.size(), size_t(1));
    QCOMPARE(f.outputs[0], Shape({4, 8, 8}));
    (void)c2;
}

QTEST_GUILESS_MAIN(TestCommands)
#include "tst_commands.moc"

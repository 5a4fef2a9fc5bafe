// Commands: the undoable edits.
#include "Commands.h"

#include "BlockGroups.h"
#include "Catalogue.h"

#include <algorithm>
#include <unordered_set>

namespace nc::core {

void Document::execute(std::unique_ptr<Command> command)
{
    if (command)
        command->redo(*this);
}

namespace {
std::vector<NodeId> idsOf(const std::vector<Node>& nodes)
{
    std::vector<NodeId> v;
    for (const Node& n : nodes)
        v.push_back(n.id);
    return v;
}
} // namespace

Result<std::unique_ptr<AddNodesCommand>> AddNodesCommand::make(const Network& net, std::vector<Node> nodes,
                                                               std::vector<Edge> edges, std::string text)
{
    // Dry run on a copy: the very same rules the redo will meet, so redo cannot fail.
    Network trial = net;
    for (Node& n : nodes) {
        if (n.name.empty() || std::any_of(trial.nodes().begin(), trial.nodes().end(),
                                          [&](const Node& o) { return o.name == n.name; }))
            n.name = trial.uniqueName(n.name.empty() ? std::string(layerTypeKey(n.type)) : n.name);
        auto id = trial.addNode(n);
        if (!id)
            return Error{id.error()};
        n.id = *id;
    }
    for (Edge& e : edges) {
        auto id = trial.connect(e.from, e.to, e.toPort, e.id, e.fromPort);
        if (!id)
            return Error{id.error()};
        e.id = *id;
    }
    auto cmd = std::unique_ptr<AddNodesCommand>(new AddNodesCommand);
    cmd->m_nodes = std::move(nodes);
    cmd->m_edges = std::move(edges);
    cmd->m_text = std::move(text);
    return cmd;
}

void AddNodesCommand::redo(Document& doc)
{
    doc.edit(
        [&](Network& net) {
            for (const Node& n : m_nodes)
                (void)net.addNode(n);
            for (const Edge& e : m_edges)
                (void)net.addEdgeUnchecked(e);
        },
        {ChangeKind::Structure, idsOf(m_nodes)});
}

void AddNodesCommand::undo(Document& doc)
{
    doc.edit(
        [&](Network& net) {
            for (const Edge& e : m_edges)
                net.removeEdge(e.id);
            for (const Node& n : m_nodes)
                net.removeNode(n.id);
        },
        {ChangeKind::Structure, idsOf(m_nodes)});
}

RemoveNodesCommand::RemoveNodesCommand(const Network& net, std::vector<NodeId> ids)
{
    std::unordered_set<uint32_t> set;
    for (NodeId id : ids)
        if (int i = net.nodeIndex(id); i >= 0 && set.insert(id.v).second)
            m_nodes.push_back({i, net.nodes()[static_cast<size_t>(i)]});
    std::sort(m_nodes.begin(), m_nodes.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (size_t i = 0; i < net.edges().size(); ++i) {
        const Edge& e = net.edges()[i];
        if (set.count(e.from.v) || set.count(e.to.v))
            m_edges.push_back({static_cast<int>(i), e});
    }
}

void RemoveNodesCommand::redo(Document& doc)
{
    std::vector<NodeId> ids;
    for (const auto& [i, n] : m_nodes)
        ids.push_back(n.id);
    doc.edit(
        [&](Network& net) {
            for (const auto& [i, e] : m_edges)
                net.removeEdge(e.id);
            for (const auto& [i, n] : m_nodes)
                net.removeNode(n.id);
        },
        {ChangeKind::Structure, ids});
}

void RemoveNodesCommand::undo(Document& doc)
{
    std::vector<NodeId> ids;
    for (const auto& [i, n] : m_nodes)
        ids.push_back(n.id);
    doc.edit(
        [&](Network& net) {
            // Ascending original indices: each insert lands where it was.
            for (const auto& [i, n] : m_nodes)
                (void)net.insertNode(n, i);
            for (const auto& [i, e] : m_edges)
                (void)net.insertEdgeUnchecked(e, i);
        },
        {ChangeKind::Structure, ids});
}

std::string RemoveNodesCommand::text() const
{
    return m_nodes.size() == 1 ? "Delete " + m_nodes[0].second.name
                               : "Delete " + std::to_string(m_nodes.size()) + " layers";
}

MoveNodesCommand::MoveNodesCommand(std::vector<Move> moves, std::string text)
    : m_moves(std::move(moves)), m_text(std::move(text))
{
}

void MoveNodesCommand::apply(Document& doc, bool forward)
{
    std::vector<NodeId> ids;
    for (const Move& m : m_moves)
        ids.push_back(m.id);
    doc.edit(
        [&](Network& net) {
            for (const Move& m : m_moves)
                if (Node* n = net.node(m.id)) {
                    n->x = forward ? m.toX : m.fromX;
                    n->y = forward ? m.toY : m.fromY;
                }
        },
        {ChangeKind::Positions, ids});
}
void MoveNodesCommand::redo(Document& doc) { apply(doc, true); }
void MoveNodesCommand::undo(Document& doc) { apply(doc, false); }
std::string MoveNodesCommand::text() const
{
    if (!m_text.empty())
        return m_text;
    return m_moves.size() == 1 ? "Move layer" : "Move " + std::to_string(m_moves.size()) + " layers";
}

Result<std::unique_ptr<ConnectCommand>> ConnectCommand::make(const Network& net, NodeId from, NodeId to, int port,
                                                             int fromPort)
{
    Status s = net.connectionPossible(from, to, port, fromPort);
    if (!s)
        return Error{s.error()};
    auto c = std::unique_ptr<ConnectCommand>(new ConnectCommand);
    c->m_edge = Edge{net.newEdgeId(), from, to, port, fromPort};
    return c;
}
void ConnectCommand::redo(Document& doc)
{
    doc.edit([&](Network& net) { (void)net.addEdgeUnchecked(m_edge); },
             {ChangeKind::Structure, {m_edge.from, m_edge.to}});
}
void ConnectCommand::undo(Document& doc)
{
    doc.edit([&](Network& net) { net.removeEdge(m_edge.id); }, {ChangeKind::Structure, {m_edge.from, m_edge.to}});
}

DisconnectCommand::DisconnectCommand(const Network& net, EdgeId id)
{
    m_index = net.edgeIndex(id);
    if (const Edge* e = net.edge(id))
        m_edge = *e;
}
void DisconnectCommand::redo(Document& doc)
{
    doc.edit([&](Network& net) { net.removeEdge(m_edge.id); }, {ChangeKind::Structure, {m_edge.from, m_edge.to}});
}
void DisconnectCommand::undo(Document& doc)
{
    if (!m_edge.id.valid())
        return;
    doc.edit([&](Network& net) { (void)net.insertEdgeUnchecked(m_edge, m_index); },
             {ChangeKind::Structure, {m_edge.from, m_edge.to}});
}

Result<std::unique_ptr<SetNodeCommand>> SetNodeCommand::make(const Network& net, NodeId id, LayerType type,
                                                             LayerParams params, std::string name)
{
    const Node* n = net.node(id);
    if (!n)
        return Error{"layer " + std::to_string(id.v) + " does not exist"};
    if (name.empty())
        return Error{"a layer needs a name"};
    if (name.size() > 256)
        return Error{"a layer name may have at most 256 characters"};
    if (name != n->name)
        for (const Node& o : net.nodes())
            if (o.name == name)
                return Error{"the name \"" + name + "\" is already used by another layer"};
    const int ports = Catalogue::instance().spec(type).inputCount(params);
    for (const Edge& e : net.edges())
        if (e.to == id && e.toPort >= ports)
            return Error{"input " + std::to_string(e.toPort) + " of \"" + n->name +
                         "\" is connected; disconnect it before reducing the inputs to " + std::to_string(ports)};
    auto cmd = std::unique_ptr<SetNodeCommand>(new SetNodeCommand(net, id, std::move(params), std::move(name)));
    cmd->m_newType = type;
    return cmd;
}

SetNodeCommand::SetNodeCommand(const Network& net, NodeId id, LayerParams params, std::string name)
    : m_id(id), m_new(std::move(params)), m_newName(std::move(name))
{
    if (const Node* n = net.node(id)) {
        m_old = n->params;
        m_oldName = n->name;
        m_oldType = m_newType = n->type;
    }
    if (m_newName.empty())
        m_newName = m_oldName;
}
void SetNodeCommand::swap(Document& doc, LayerType type, const LayerParams& p, const std::string& name)
{
    doc.edit(
        [&](Network& net) {
            if (Node* n = net.node(m_id)) {
                n->type = type;
                n->params = p;
                n->name = name;
            }
        },
        {m_oldType == m_newType ? ChangeKind::Params : ChangeKind::Structure, {m_id}});
}
void SetNodeCommand::redo(Document& doc) { swap(doc, m_newType, m_new, m_newName); }
void SetNodeCommand::undo(Document& doc) { swap(doc, m_oldType, m_old, m_oldName); }
std::string SetNodeCommand::text() const
{
    if (m_oldType != m_newType)
        return "Change " + m_oldName + " to " + std::string(layerTypeLabel(m_newType));
    return "Edit " + m_newName;
}

SetSettingsCommand::SetSettingsCommand(const Network& net, int64_t batch, int bits)
    : m_oldBatch(net.batch), m_newBatch(batch), m_oldBits(net.bits), m_newBits(bits)
{
}
void SetSettingsCommand::redo(Document& doc)
{
    doc.edit([&](Network& net) { net.batch = m_newBatch, net.bits = m_newBits; }, {ChangeKind::Params, {}});
}
void SetSettingsCommand::undo(Document& doc)
{
    doc.edit([&](Network& net) { net.batch = m_oldBatch, net.bits = m_oldBits; }, {ChangeKind::Params, {}});
}

namespace {
bool groupNameTaken(const Network& net, const std::string& name)
{
    for (const NodeGroup& g : net.groups)
        if (g.name == name)
            return true;
    for (const BlockGroup& g : designGroups(net))
        if (g.name == name)
            return true;
    return false;
}
} // namespace

Result<std::unique_ptr<GroupCommand>> GroupCommand::make(const Network& net, std::vector<NodeId> ids, std::string name)
{
    if (name.empty())
        return Error{"a group needs a name"};
    if (name.size() > 256)
        return Error{"a group name may have at most 256 characters"};
    if (groupNameTaken(net, name))
        return Error{"the name \"" + name + "\" is already used by another group"};
    std::vector<std::pair<int, NodeId>> members; // network index, id
    std::unordered_set<uint32_t> seen;
    for (NodeId id : ids) {
        const int i = net.nodeIndex(id);
        if (i < 0)
            return Error{"layer " + std::to_string(id.v) + " does not exist"};
        if (seen.insert(id.v).second)
            members.push_back({i, id});
    }
    if (members.size() < 2)
        return Error{"select at least two layers to group"};
    for (const NodeGroup& g : net.groups)
        for (NodeId m : g.members)
            if (seen.count(m.v))
                return Error{"layer \"" + net.node(m)->name + "\" is already in group \"" + g.name +
                             "\"; ungroup it first"};
    std::sort(members.begin(), members.end());
    auto cmd = std::unique_ptr<GroupCommand>(new GroupCommand);
    cmd->m_group.name = std::move(name);
    for (const auto& [i, id] : members)
        cmd->m_group.members.push_back(id);
    return cmd;
}

std::string GroupCommand::suggestName(const Network& net)
{
    for (int k = 1;; ++k)
        if (std::string n = "group" + std::to_string(k); !groupNameTaken(net, n))
            return n;
}

void GroupCommand::redo(Document& doc)
{
    doc.edit([&](Network& net) { net.groups.push_back(m_group); }, {ChangeKind::Structure, m_group.members});
}
void GroupCommand::undo(Document& doc)
{
    doc.edit([&](Network& net) { std::erase(net.groups, m_group); }, {ChangeKind::Structure, m_group.members});
}

Result<std::unique_ptr<UngroupCommand>> UngroupCommand::make(const Network& net, const std::string& name)
{
    for (size_t i = 0; i < net.groups.size(); ++i)
        if (net.groups[i].name == name) {
            auto cmd = std::unique_ptr<UngroupCommand>(new UngroupCommand);
            cmd->m_group = net.groups[i];
            cmd->m_index = i;
            return cmd;
        }
    return Error{"there is no group named \"" + name + "\""};
}
void UngroupCommand::redo(Document& doc)
{
    doc.edit([&](Network& net) { net.groups.erase(net.groups.begin() + static_cast<std::ptrdiff_t>(m_index)); },
             {ChangeKind::Structure, m_group.members});
}
void UngroupCommand::undo(Document& doc)
{
    doc.edit(
        [&](Network& net) { net.groups.insert(net.groups.begin() + static_cast<std::ptrdiff_t>(m_index), m_group); },
        {ChangeKind::Structure, m_group.members});
}

void History::execute(std::unique_ptr<Command> c)
{
    m_stack.resize(m_index);
    c->redo(m_doc);
    m_stack.push_back(std::move(c));
    m_index = m_stack.size();
}
bool History::undo()
{
    if (!canUndo())
        return false;
    m_stack[--m_index]->undo(m_doc);
    return true;
}
bool History::redo()
{
    if (!canRedo())
        return false;
    m_stack[m_index++]->redo(m_doc);
    return true;
}

} // namespace nc::core

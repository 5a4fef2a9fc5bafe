// Editor: user intents as core commands on the undo stack.
#include "Editor.h"

#include "UndoCommand.h"
#include "core/BlockTemplates.h"
#include "core/Catalogue.h"
#include "core/Layout.h"
#include "core/layers/LayerKind.h"
#include "core/NetworkFile.h"

#include <QApplication>
#include <QClipboard>
#include <QMimeData>
#include <QUndoStack>

#include <algorithm>
#include <cmath>
#include <unordered_map>
#include <unordered_set>

namespace nc::widgets {

namespace {

QString q(const std::string& s) { return QString::fromStdString(s); }

// Core errors are lower-case clauses; the status bar shows sentences.
QString sentence(const std::string& s)
{
    QString t = q(s);
    if (!t.isEmpty())
        t[0] = t[0].toUpper();
    return t.endsWith('.') ? t : t + '.';
}

// Whole scene units: positions round-trip exactly through the file format (it keeps two decimals).
double snap(double v) { return std::round(v); }

} // namespace

std::string nameStem(core::LayerType t)
{
    const core::LayerKind& k = core::layerKind(t);
    return std::string(k.nameStem.empty() ? k.spec.key : k.nameStem);
}

Editor::Editor(core::Document& doc, QUndoStack& stack, Selection& selection, QObject* parent)
    : QObject(parent), m_doc(doc), m_stack(stack), m_selection(selection)
{
    connect(&m_doc, &core::Document::changed, this, [this](const core::Change& c) {
        if (c.kind == core::ChangeKind::Structure || c.kind == core::ChangeKind::Reset)
            pruneSelection();
    });
}

void Editor::push(std::unique_ptr<core::Command> cmd)
{
    m_stack.push(new UndoCommand(m_doc, std::move(cmd)));
}

void Editor::pruneSelection()
{
    std::vector<core::NodeId> kept;
    for (core::NodeId id : m_selection.ids())
        if (m_doc.network().node(id))
            kept.push_back(id);
    if (kept.size() != m_selection.ids().size())
        m_selection.set(std::move(kept));
}

std::optional<core::NodeId> Editor::addLayer(int paletteIndex, QPointF centre)
{
    const auto palette = core::Catalogue::instance().palette();
    if (paletteIndex >= static_cast<int>(palette.size()))
        return insertBlock(paletteIndex - static_cast<int>(palette.size()), centre);
    if (paletteIndex < 0 || paletteIndex >= static_cast<int>(palette.size()))
        return std::nullopt;
    const core::PaletteEntry& e = palette[static_cast<size_t>(paletteIndex)];
    core::Node n;
    n.type = e.type;
    n.params = e.params;
    n.name = m_doc.network().uniqueName(nameStem(e.type));
    n.x = snap(centre.x());
    n.y = snap(centre.y());
    auto cmd = core::AddNodesCommand::make(m_doc.network(), {n}, {}, "Add " + std::string(e.label));
    if (!cmd) {
        emit message(q(cmd.error()));
        return std::nullopt;
    }
    const core::NodeId id = (*cmd)->nodes().front().id;
    push(std::move(*cmd));
    m_selection.set({id});
    return id;
}

QPointF Editor::freeSpotBelow(const core::Node& above) const
{
    QPointF p(above.x, above.y + core::kLayoutRow);
    auto occupied = [&](QPointF c) {
        for (const core::Node& n : m_doc.network().nodes())
            if (std::abs(n.x - c.x()) < core::kLayoutColumn * 0.8 &&
                std::abs(n.y - c.y()) < core::kLayoutRow * 0.8)
                return true;
        return false;
    };
    for (int i = 0; i < 64 && occupied(p); ++i)
        p.rx() += core::kLayoutColumn;
    return p;
}

std::optional<core::NodeId> Editor::appendLayer(int paletteIndex)
{
    const auto palette = core::Catalogue::instance().palette();
    if (paletteIndex >= static_cast<int>(palette.size()))
        return insertBlock(paletteIndex - static_cast<int>(palette.size()), std::nullopt);
    if (paletteIndex < 0 || paletteIndex >= static_cast<int>(palette.size()))
        return std::nullopt;
    const core::PaletteEntry& e = palette[static_cast<size_t>(paletteIndex)];
    const core::Network& net = m_doc.network();
    const core::Node* above = net.node(m_selection.current());

    core::Node n;
    n.id = net.newNodeId();
    n.type = e.type;
    n.params = e.params;
    n.name = net.uniqueName(nameStem(e.type));
    std::vector<core::Edge> edges;
    if (above) {
        // Fit what arrives: a Linear after a 512-feature layer keeps 512 features (the catalogue's
        // 1000-class head is rarely what comes next); the user changes it from there.
        if (const core::LayerResult* r = net.node(above->id) ? m_doc.analysis().layer(above->id, net) : nullptr;
            r && r->status == core::LayerStatus::Ok && r->output.rank() > 0 && e.type == core::LayerType::Linear)
            n.params.features = r->output.back();
        const QPointF p = freeSpotBelow(*above);
        n.x = snap(p.x());
        n.y = snap(p.y());
        if (core::Catalogue::instance().spec(e.type).inputCount(e.params) > 0)
            edges.push_back(core::Edge{{}, above->id, n.id, 0});
    } else {
        // Nothing selected: start a new column to the right of the design.
        double right = -core::kLayoutColumn, top = 0;
        for (const core::Node& o : net.nodes()) {
            right = std::max(right, o.x);
            top = std::min(top, o.y);
        }
        n.x = snap(net.nodes().empty() ? 0 : right + core::kLayoutColumn);
        n.y = snap(top);
    }
    auto cmd = core::AddNodesCommand::make(net, {n}, edges, "Add " + std::string(e.label));
    if (!cmd) {
        emit message(q(cmd.error()));
        return std::nullopt;
    }
    const core::NodeId id = (*cmd)->nodes().front().id;
    push(std::move(*cmd));
    m_selection.set({id});
    return id;
}

std::optional<core::NodeId> Editor::insertBlock(int templateIndex, std::optional<QPointF> at)
{
    const auto templates = core::blockTemplates();
    if (templateIndex < 0 || templateIndex >= static_cast<int>(templates.size()))
        return std::nullopt;
    const core::Network& net = m_doc.network();
    const core::Node* above = net.node(m_selection.current());
    if (!above) {
        emit message(tr("Select the layer to insert the %1 after.")
                         .arg(q(std::string(templates[static_cast<size_t>(templateIndex)].label)).toLower()));
        return std::nullopt;
    }
    const core::LayerResult* r = m_doc.analysis().layer(above->id, net);
    const core::Shape in = r && r->status == core::LayerStatus::Ok ? r->output : core::Shape{};
    const QPointF p = at ? *at : freeSpotBelow(*above);
    auto cmd = core::blockTemplateCommand(templateIndex, net, above->id, in, snap(p.x()), snap(p.y()));
    if (!cmd) {
        emit message(q(cmd.error()));
        return std::nullopt;
    }
    const core::NodeId last = (*cmd)->nodes().back().id;
    push(std::move(*cmd));
    m_selection.set({last});
    return last;
}

bool Editor::connectPorts(core::NodeId from, core::NodeId to, int port, int fromPort)
{
    auto cmd = core::ConnectCommand::make(m_doc.network(), from, to, port, fromPort);
    if (!cmd) {
        emit message("Cannot connect: " + q(cmd.error()));
        return false;
    }
    push(std::move(*cmd));
    return true;
}

bool Editor::reconnect(core::EdgeId edgeId, core::NodeId to, int port)
{
    const core::Edge* e = m_doc.network().edge(edgeId);
    if (!e)
        return false;
    if (!to.valid()) {
        disconnectEdge(edgeId);
        return true;
    }
    if (e->to == to && e->toPort == port)
        return true; // dropped back where it was
    // Check against the network without the old edge: moving an edge to another port of the same
    // layer must not be refused as "already connected".
    core::Network trial = m_doc.network();
    trial.removeEdge(edgeId);
    const core::Edge old = *e;
    auto check = core::ConnectCommand::make(trial, old.from, to, port, old.fromPort);
    if (!check) {
        emit message("Cannot connect: " + q(check.error()));
        return false;
    }
    m_stack.beginMacro(QStringLiteral("Reconnect"));
    push(std::make_unique<core::DisconnectCommand>(m_doc.network(), edgeId));
    auto cmd = core::ConnectCommand::make(m_doc.network(), old.from, to, port, old.fromPort);
    if (cmd)
        push(std::move(*cmd));
    m_stack.endMacro();
    return true;
}

void Editor::disconnectEdge(core::EdgeId edge)
{
    if (m_doc.network().edge(edge))
        push(std::make_unique<core::DisconnectCommand>(m_doc.network(), edge));
}

void Editor::removeNodes(const std::vector<core::NodeId>& nodes, const std::vector<core::EdgeId>& edges)
{
    const core::Network& net = m_doc.network();
    std::unordered_set<uint32_t> doomed;
    for (core::NodeId id : nodes)
        if (net.node(id))
            doomed.insert(id.v);
    // Edges that go away with their nodes need no command of their own.
    std::vector<core::EdgeId> loose;
    for (core::EdgeId id : edges)
        if (const core::Edge* e = net.edge(id); e && !doomed.count(e->from.v) && !doomed.count(e->to.v))
            loose.push_back(id);
    if (doomed.empty() && loose.empty())
        return;
    const bool macro = (doomed.empty() ? 0u : 1u) + loose.size() > 1;
    if (macro)
        m_stack.beginMacro(QStringLiteral("Delete"));
    for (core::EdgeId id : loose)
        push(std::make_unique<core::DisconnectCommand>(m_doc.network(), id));
    if (!doomed.empty())
        push(std::make_unique<core::RemoveNodesCommand>(m_doc.network(), nodes));
    if (macro)
        m_stack.endMacro();
}

void Editor::moveNodes(std::vector<core::MoveNodesCommand::Move> moves)
{
    for (auto& m : moves) {
        m.toX = snap(m.toX);
        m.toY = snap(m.toY);
    }
    std::erase_if(moves, [](const auto& m) { return m.fromX == m.toX && m.fromY == m.toY; });
    if (!moves.empty())
        push(std::make_unique<core::MoveNodesCommand>(std::move(moves)));
}

bool Editor::setNode(core::NodeId id, const core::LayerParams& params, const std::string& name)
{
    const core::Network& net = m_doc.network();
    const core::Node* n = net.node(id);
    if (!n)
        return false;
    if (params == n->params && name == n->name)
        return true;
    auto cmd = core::SetNodeCommand::make(net, id, n->type, params, name);
    if (!cmd) {
        emit message(sentence(cmd.error()));
        return false;
    }
    push(std::move(*cmd));
    return true;
}

bool Editor::groupSelection(const std::string& name)
{
    auto cmd = core::GroupCommand::make(m_doc.network(), m_selection.ids(), name);
    if (!cmd) {
        emit message(sentence(cmd.error()));
        return false;
    }
    push(std::move(*cmd));
    return true;
}

bool Editor::ungroup(const std::string& name)
{
    auto cmd = core::UngroupCommand::make(m_doc.network(), name);
    if (!cmd) {
        emit message(sentence(cmd.error()));
        return false;
    }
    push(std::move(*cmd));
    return true;
}

bool Editor::changeType(core::NodeId id, core::LayerType type)
{
    const core::Network& net = m_doc.network();
    const core::Node* n = net.node(id);
    if (!n || n->type == type)
        return false;
    const core::Catalogue& cat = core::Catalogue::instance();
    core::LayerParams params = cat.spec(type).defaults;
    params.inplace = n->params.inplace;
    params.bits = n->params.bits;
    if (cat.spec(type).inputCount(params) != net.inputCount(*n)) {
        emit message(QStringLiteral("Only a layer with the same number of inputs can replace it."));
        return false;
    }
    auto cmd = core::SetNodeCommand::make(net, id, type, params, n->name);
    if (!cmd) {
        emit message(sentence(cmd.error()));
        return false;
    }
    push(std::move(*cmd));
    m_selection.set({id});
    return true;
}

void Editor::setSettings(int64_t batch, int bits)
{
    const core::Network& net = m_doc.network();
    if (batch != net.batch || bits != net.bits)
        push(std::make_unique<core::SetSettingsCommand>(net, batch, bits));
}

void Editor::autoLayout()
{
    const core::Network& net = m_doc.network();
    std::vector<core::MoveNodesCommand::Move> moves;
    for (const core::NodePosition& p : core::layeredLayout(net))
        if (const core::Node* n = net.node(p.id); n && (n->x != p.x || n->y != p.y))
            moves.push_back({p.id, n->x, n->y, p.x, p.y});
    if (moves.empty()) {
        emit message(QStringLiteral("The layout is already tidy."));
        return;
    }
    push(std::make_unique<core::MoveNodesCommand>(std::move(moves), "Auto layout"));
}

QMimeData* Editor::copy(const std::vector<core::NodeId>& ids) const
{
    const core::Network& net = m_doc.network();
    std::unordered_set<uint32_t> chosen;
    for (core::NodeId id : ids)
        chosen.insert(id.v);
    core::Network clip;
    clip.name = "clipboard";
    for (const core::Node& n : net.nodes())
        if (chosen.count(n.id.v))
            (void)clip.addNode(n);
    for (const core::Edge& e : net.edges())
        if (chosen.count(e.from.v) && chosen.count(e.to.v))
            (void)clip.addEdgeUnchecked(e);
    auto* data = new QMimeData;
    const QByteArray json = core::serializeNetwork(clip);
    data->setData(kClipboardMime, json);
    data->setText(QString::fromUtf8(json));
    return data;
}

bool Editor::paste(const QMimeData* data, std::optional<QPointF> at)
{
    if (!data || !data->hasFormat(kClipboardMime))
        return false;
    auto clip = core::parseNetwork(data->data(kClipboardMime));
    if (!clip || clip->nodes().empty()) {
        emit message(QStringLiteral("The clipboard holds no layers NetCanvas can read."));
        return false;
    }
    const core::Network& net = m_doc.network();
    QPointF offset(40.0 * (m_pasteCount + 1), 40.0 * (m_pasteCount + 1));
    if (at) {
        double left = clip->nodes().front().x, top = clip->nodes().front().y;
        for (const core::Node& n : clip->nodes()) {
            left = std::min(left, n.x);
            top = std::min(top, n.y);
        }
        offset = *at - QPointF(left, top);
    } else {
        ++m_pasteCount;
    }

    std::unordered_set<std::string> used;
    for (const core::Node& n : net.nodes())
        used.insert(n.name);
    std::unordered_map<uint32_t, core::NodeId> fresh;
    uint32_t next = net.newNodeId().v;
    std::vector<core::Node> nodes;
    std::vector<core::NodeId> ids;
    for (core::Node n : clip->nodes()) {
        const core::NodeId id{next++};
        fresh[n.id.v] = id;
        n.id = id;
        if (used.count(n.name)) {
            std::string base = n.name;
            for (int k = 1; used.count(n.name); ++k)
                n.name = base + "_" + std::to_string(k);
        }
        used.insert(n.name);
        n.x = snap(n.x + offset.x());
        n.y = snap(n.y + offset.y());
        ids.push_back(id);
        nodes.push_back(std::move(n));
    }
    std::vector<core::Edge> edges;
    for (const core::Edge& e : clip->edges())
        edges.push_back(core::Edge{{}, fresh[e.from.v], fresh[e.to.v], e.toPort, e.fromPort});
    const std::string text = nodes.size() == 1 ? "Paste " + nodes.front().name
                                               : "Paste " + std::to_string(nodes.size()) + " layers";
    auto cmd = core::AddNodesCommand::make(net, std::move(nodes), std::move(edges), text);
    if (!cmd) {
        emit message("Cannot paste: " + q(cmd.error()));
        return false;
    }
    push(std::move(*cmd));
    m_selection.set(ids);
    return true;
}

void Editor::copySelection()
{
    if (m_selection.ids().empty())
        return;
    QApplication::clipboard()->setMimeData(copy(m_selection.ids()));
    m_pasteCount = 0;
}

void Editor::cutSelection()
{
    if (m_selection.ids().empty())
        return;
    copySelection();
    removeNodes(m_selection.ids());
}

void Editor::pasteClipboard(std::optional<QPointF> at)
{
    const QMimeData* data = QApplication::clipboard()->mimeData();
    if (!data || !data->hasFormat(kClipboardMime)) {
        emit message(QStringLiteral("Nothing to paste: copy some layers first."));
        return;
    }
    paste(data, at);
}

void Editor::deleteSelection(const std::vector<core::EdgeId>& selectedEdges)
{
    removeNodes(m_selection.ids(), selectedEdges);
}

} // namespace nc::widgets

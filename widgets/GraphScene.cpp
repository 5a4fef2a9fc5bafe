// GraphScene: item bookkeeping, incremental refresh and the canvas gestures.
#include "GraphScene.h"

#include "EdgeItem.h"
#include "EdgeRouter.h"
#include "Editor.h"
#include "NodeItem.h"
#include "PaletteWidget.h"
#include "Selection.h"
#include "ViewOptions.h"
#include "core/Format.h"

#include <QGraphicsPathItem>
#include <QGraphicsSceneContextMenuEvent>
#include <QGraphicsSceneDragDropEvent>
#include <QGraphicsSceneHelpEvent>
#include <QGraphicsSceneMouseEvent>
#include <QGraphicsView>
#include <QMenu>
#include <QMimeData>
#include <QToolTip>

#include <algorithm>
#include <cmath>
#include <unordered_set>

namespace nc::widgets {

namespace {

QString q(const std::string& s) { return QString::fromStdString(s); }

// A port is easy to hit at any zoom: at least 9 scene units, at least 7 pixels on screen.
qreal portRadius(const QGraphicsSceneEvent* e)
{
    qreal scale = 1;
    if (e->widget())
        if (auto* view = qobject_cast<QGraphicsView*>(e->widget()->parentWidget()))
            scale = std::max<qreal>(view->transform().m11(), 0.01);
    return std::max<qreal>(9, 7 / scale);
}

} // namespace

GraphScene::GraphScene(core::Document& doc, Editor& editor, Selection& selection, ViewOptions& options,
                       QObject* parent)
    : QGraphicsScene(parent), m_doc(doc), m_editor(editor), m_selection(selection), m_options(options)
{
    setBackgroundBrush(QColor(0xf4, 0xf5, 0xf7));
    connect(&m_doc, &core::Document::changed, this, &GraphScene::onDocumentChanged);
    connect(&m_options, &ViewOptions::changed, this, &GraphScene::onOptionsChanged);
    connect(this, &QGraphicsScene::selectionChanged, this, &GraphScene::onSceneSelectionChanged);
    connect(&m_selection, &Selection::changed, this, &GraphScene::onSelectionChanged);
    rebuild();
}

GraphScene::~GraphScene()
{
    // Items die with the scene; stop reacting to the selection changes their removal causes.
    m_syncing = true;
    disconnect(this, &QGraphicsScene::selectionChanged, this, &GraphScene::onSceneSelectionChanged);
}

NodeItem* GraphScene::nodeItem(core::NodeId id) const
{
    auto it = m_nodes.find(id.v);
    return it == m_nodes.end() ? nullptr : it->second;
}

EdgeItem* GraphScene::edgeItem(core::EdgeId id) const
{
    auto it = m_edges.find(id.v);
    return it == m_edges.end() ? nullptr : it->second;
}

std::vector<core::EdgeId> GraphScene::selectedEdges() const
{
    std::vector<core::EdgeId> ids;
    for (QGraphicsItem* it : selectedItems())
        if (auto* e = qgraphicsitem_cast<EdgeItem*>(it))
            ids.push_back(e->id());
    return ids;
}

QRectF GraphScene::designRect() const
{
    QRectF r;
    for (const auto& [id, item] : m_nodes)
        if (item->isVisible()) // members of a collapsed block are hidden
            r |= item->sceneBoundingRect();
    return r.isNull() ? QRectF(-400, -300, 800, 600) : r;
}

QString GraphScene::toolTipFor(core::NodeId id) const
{
    const core::Node* n = m_doc.network().node(id);
    if (!n)
        return {};
    if (auto g = m_groupAtRep.find(id.v); g != m_groupAtRep.end()) {
        const core::BlockGroup& group = m_groups[g->second];
        const core::GroupFigures f = core::groupFigures(m_doc.network(), m_doc.analysis(), group);
        auto shapes = [](const std::vector<core::Shape>& v) {
            QStringList s;
            for (const core::Shape& x : v)
                s << QString::fromStdString(x.toString());
            return s.isEmpty() ? QStringLiteral("—") : s.join(QStringLiteral(", "));
        };
        const int count = static_cast<int>(group.members.size());
        QString tip = "<b>" + QString::fromStdString(group.name).toHtmlEscaped() + "</b> — " +
                      (group.user ? tr("group of %n layers", nullptr, count) : tr("block of %n layers", nullptr, count)) +
                      "<br>" +
                      tr("in: %1<br>out: %2").arg(shapes(f.inputs), shapes(f.outputs)) + "<br>" +
                      tr("params %1 · MACs %2 · activations %3 · peak live %4")
                          .arg(QString::fromStdString(core::humanCount(f.sums.params)),
                               QString::fromStdString(core::humanCount(f.sums.macs)),
                               QString::fromStdString(core::humanBytes(f.sums.activationBytes)),
                               QString::fromStdString(core::humanBytes(f.peakLiveBytes)));
        if (f.errors)
            tip += "<br><span style='color:#c62828'>" + tr("%n layer(s) with errors", nullptr, f.errors) +
                   "</span>";
        return tip + "<br><i>" +
               (group.user ? tr("Double-click to open the group") : tr("Double-click to open the block")) + "</i>";
    }
    auto lat = m_latencyNs.find(id.v);
    if (const std::string note = deployMark(m_doc.network().nodeIndex(id)); !note.empty())
        return NodeLook::toolTip(*n, m_doc.analysis().layer(id, m_doc.network()), m_options.costColour(), m_scale,
                                 m_options.budgetBytes(), lat == m_latencyNs.end() ? 0 : lat->second) +
               "<br><i>" + tr("Deployment view: %1").arg(QString::fromStdString(note)).toHtmlEscaped() + "</i>";
    return NodeLook::toolTip(*n, m_doc.analysis().layer(id, m_doc.network()), m_options.costColour(), m_scale,
                             m_options.budgetBytes(), lat == m_latencyNs.end() ? 0 : lat->second);
}

std::string GraphScene::deployMark(int nodeIndex) const
{
    const core::deploy::DeployFigures& f = m_doc.deployment();
    if (!f.deploy || nodeIndex < 0 || static_cast<size_t>(nodeIndex) >= f.graph.layers.size())
        return {};
    switch (f.graph.layers[static_cast<size_t>(nodeIndex)].role) {
    case core::deploy::Role::FoldedBatchNorm:
    case core::deploy::Role::FusedActivation:
    case core::deploy::Role::Dropped: return f.noteFor(m_doc.network(), nodeIndex);
    case core::deploy::Role::Op:
    case core::deploy::Role::View: return {}; // runs as it is, or aliases as in training
    }
    return {};
}

void GraphScene::setLayerLatencies(const std::vector<std::pair<core::NodeId, double>>& seconds)
{
    m_latencyNs.clear();
    for (const auto& [id, s] : seconds)
        m_latencyNs[id.v] = static_cast<int64_t>(s * 1e9);
    refreshLooks();
}

void GraphScene::setPipelineStages(const std::vector<std::pair<core::NodeId, int>>& stages)
{
    m_stageOf.clear();
    for (const auto& [id, st] : stages)
        m_stageOf[id.v] = st;
    refreshLooks();
}

void GraphScene::onDocumentChanged(const core::Change& change)
{
    switch (change.kind) {
    case core::ChangeKind::Reset:
        rebuild();
        break;
    case core::ChangeKind::Structure:
        m_syncing = true;
        syncItems();
        refreshLooks();
        applySelection();
        m_syncing = false;
        break;
    case core::ChangeKind::Params:
        refreshLooks();
        // An input count may have changed, and with it where the ports sit.
        for (core::NodeId id : change.nodes)
            nodeMoved(id);
        break;
    case core::ChangeKind::Positions:
        for (core::NodeId id : change.nodes)
            if (NodeItem* item = nodeItem(id))
                if (const core::Node* n = m_doc.network().node(id); n && item->pos() != QPointF(n->x, n->y))
                    item->setPos(n->x, n->y);
        // Layers that moved may now stand in the way of edges they do not join: route all again.
        if (!overview())
            for (const core::Edge& e : m_doc.network().edges())
                updateEdgeGeometry(edgeItem(e.id), e);
        break;
    }
    if (change.kind == core::ChangeKind::Reset || change.kind == core::ChangeKind::Structure || overview())
        applyOverview();
    if (change.kind != core::ChangeKind::Params)
        setSceneRect(designRect().adjusted(-800, -600, 800, 600));
}

void GraphScene::onOptionsChanged() { refreshLooks(); }

NodeItem* GraphScene::shownItem(core::NodeId id) const
{
    auto it = m_repOf.find(id.v);
    return nodeItem(it == m_repOf.end() ? id : core::NodeId{it->second});
}

NodeItem* GraphScene::groupItem(const std::string& name) const
{
    for (const auto& [rep, index] : m_groupAtRep)
        if (m_groups[index].name == name)
            return nodeItem(core::NodeId{rep});
    return nullptr;
}

const core::BlockGroup* GraphScene::collapsedGroupOf(core::NodeId id) const
{
    auto it = m_repOf.find(id.v);
    return it == m_repOf.end() ? nullptr : &m_groups[m_groupAtRep.at(it->second)];
}

void GraphScene::setGroupCollapsed(const std::string& name, bool collapsed)
{
    if (collapsed == isGroupCollapsed(name))
        return;
    if (collapsed) {
        m_collapsed.insert(name);
    } else {
        m_collapsed.erase(name);
        m_collapseAll = false; // one block opened: the others stay as they are, new ones expanded
    }
    applyOverview();
    setSceneRect(designRect().adjusted(-800, -600, 800, 600));
    emit overviewChanged();
}

void GraphScene::setAllGroupsCollapsed(bool collapsed)
{
    m_collapseAll = collapsed;
    m_collapsed.clear();
    if (collapsed)
        for (const core::BlockGroup& g : m_groups)
            m_collapsed.insert(g.name);
    applyOverview();
    setSceneRect(designRect().adjusted(-800, -600, 800, 600));
    emit overviewChanged();
}

void GraphScene::setOverviewAspect(double aspect)
{
    if (std::abs(aspect - m_aspect) < 0.05 * m_aspect)
        return;
    m_aspect = aspect;
    if (overview()) {
        applyOverview();
        setSceneRect(designRect().adjusted(-800, -600, 800, 600));
    }
}

void GraphScene::applyOverview()
{
    const core::Network& net = m_doc.network();
    m_groups = core::designGroups(net);
    // Blocks that no longer exist (renamed, deleted, another design) are forgotten; a design opened
    // with "collapse all" on starts collapsed.
    std::set<std::string> names;
    for (const core::BlockGroup& g : m_groups)
        names.insert(g.name);
    if (m_collapseAll)
        m_collapsed = names;
    std::erase_if(m_collapsed, [&](const std::string& n) { return !names.count(n); });

    std::vector<core::BlockGroup> collapsed;
    m_repOf.clear();
    m_groupAtRep.clear();
    m_groupPort.clear();
    for (size_t i = 0; i < m_groups.size(); ++i)
        if (m_collapsed.count(m_groups[i].name)) {
            collapsed.push_back(m_groups[i]);
            const core::NodeId rep = m_groups[i].members.front();
            m_groupAtRep[rep.v] = i;
            for (core::NodeId m : m_groups[i].members)
                m_repOf[m.v] = rep.v;
        }
    const bool on = !collapsed.empty();
    std::unordered_map<uint32_t, QPointF> placed;
    if (on)
        for (const core::NodePosition& p : core::collapsedLayout(net, collapsed, m_aspect))
            placed[p.id.v] = QPointF(p.x, p.y);

    const bool was = m_syncing;
    m_syncing = true;
    for (const core::Node& n : net.nodes()) {
        NodeItem* item = nodeItem(n.id);
        if (!item)
            continue;
        auto r = m_repOf.find(n.id.v);
        const bool hidden = r != m_repOf.end() && r->second != n.id.v;
        item->setVisible(!hidden);
        if (hidden && item->isSelected())
            item->setSelected(false);
        item->setFlag(QGraphicsItem::ItemIsMovable, !on);
        auto p = placed.find(n.id.v);
        const QPointF at = on && p != placed.end() ? p->second : QPointF(n.x, n.y);
        if (item->pos() != at)
            item->setPos(at);
    }
    m_syncing = was;
    std::unordered_map<uint32_t, int> nextPort;
    for (const core::Edge& e : net.edges()) {
        EdgeItem* item = edgeItem(e.id);
        if (!item)
            continue;
        const NodeItem* from = shownItem(e.from);
        const NodeItem* to = shownItem(e.to);
        item->setVisible(from != to);
        if (from != to && to && to->id() != e.to)
            m_groupPort[e.id.v] = nextPort[to->id().v]++;
    }
    refreshLooks();
    for (const core::Edge& e : net.edges())
        updateEdgeGeometry(edgeItem(e.id), e);
}

void GraphScene::rebuild()
{
    m_syncing = true;
    if (m_dragLine)
        endConnectionDrag();
    m_dragFrom = {};
    m_dragEdge = {};
    clear();
    m_nodes.clear();
    m_edges.clear();
    m_edgesOf.clear();
    syncItems();
    refreshLooks();
    applySelection();
    m_syncing = false;
}

void GraphScene::syncItems()
{
    const core::Network& net = m_doc.network();

    std::unordered_set<uint32_t> liveNodes;
    liveNodes.reserve(net.nodes().size());
    for (const core::Node& n : net.nodes()) {
        liveNodes.insert(n.id.v);
        auto [it, added] = m_nodes.try_emplace(n.id.v, nullptr);
        if (added) {
            it->second = new NodeItem(n.id);
            it->second->setPos(n.x, n.y);
            addItem(it->second);
        } else if (it->second->pos() != QPointF(n.x, n.y)) {
            it->second->setPos(n.x, n.y);
        }
    }
    for (auto it = m_nodes.begin(); it != m_nodes.end();) {
        if (!liveNodes.count(it->first)) {
            if (m_dragHover == it->second)
                m_dragHover = nullptr;
            delete it->second;
            it = m_nodes.erase(it);
        } else {
            ++it;
        }
    }

    std::unordered_set<uint32_t> liveEdges;
    liveEdges.reserve(net.edges().size());
    m_edgesOf.clear();
    for (const core::Edge& e : net.edges()) {
        liveEdges.insert(e.id.v);
        m_edgesOf[e.from.v].push_back(e.id);
        m_edgesOf[e.to.v].push_back(e.id);
        auto [it, added] = m_edges.try_emplace(e.id.v, nullptr);
        if (added) {
            it->second = new EdgeItem(e.id);
            addItem(it->second);
        }
    }
    for (auto it = m_edges.begin(); it != m_edges.end();) {
        if (!liveEdges.count(it->first)) {
            delete it->second;
            it = m_edges.erase(it);
        } else {
            ++it;
        }
    }
    // Geometry after looks would be more exact for port counts; refreshLooks repeats it where needed.
    for (const core::Edge& e : net.edges())
        updateEdgeGeometry(m_edges[e.id.v], e);
}

void GraphScene::refreshLooks()
{
    const core::Network& net = m_doc.network();
    const core::AnalysisResult& a = m_doc.analysis();
    const CostColour mode = m_options.costColour();
    m_scale = CostScale::of(a, mode, m_latencyNs);

    std::vector<uint32_t> ports(net.nodes().size(), 0);
    for (const core::Edge& e : net.edges())
        if (int i = net.nodeIndex(e.to); i >= 0 && e.toPort >= 0 && e.toPort < 32)
            ports[static_cast<size_t>(i)] |= 1u << e.toPort;

    // Collapsed blocks: figures summed by the core, the fill scaled by the largest block's.
    std::unordered_map<uint32_t, core::GroupFigures> groupFigures;
    int64_t groupMax = 0;
    for (const auto& [rep, index] : m_groupAtRep) {
        core::GroupFigures f = core::groupFigures(net, a, m_groups[index]);
        const int64_t v = mode == CostColour::Activations ? f.sums.activationBytes
                          : mode == CostColour::Macs      ? f.sums.macs
                          : mode == CostColour::Params    ? f.sums.params
                                                          : 0;
        groupMax = std::max(groupMax, v);
        groupFigures.emplace(rep, std::move(f));
    }

    int changed = 0;
    std::vector<core::NodeId> portsMoved;
    for (size_t i = 0; i < net.nodes().size(); ++i) {
        const core::Node& n = net.nodes()[i];
        NodeItem* item = nodeItem(n.id);
        if (!item)
            continue;
        auto lat = m_latencyNs.find(n.id.v);
        auto g = groupFigures.find(n.id.v);
        NodeLook look = g != groupFigures.end()
                            ? NodeLook::buildGroup(m_groups[m_groupAtRep.at(n.id.v)], g->second, mode,
                                                   m_scale, groupMax, m_options.budgetBytes())
                            : NodeLook::build(net, n, a.layerAtNode(static_cast<int>(i)), mode, m_scale,
                                              m_options.budgetBytes(), ports[i],
                                              lat == m_latencyNs.end() ? 0 : lat->second);
        if (auto st = m_stageOf.find(n.id.v); st != m_stageOf.end() && g == groupFigures.end()) {
            // Pipeline stages: one light colour per stage, cycling; the figure says which stage.
            static const QColor kStage[] = {QColor(0xbb, 0xde, 0xfb), QColor(0xc8, 0xe6, 0xc9),
                                            QColor(0xff, 0xe0, 0xb2), QColor(0xe1, 0xbe, 0xe7),
                                            QColor(0xff, 0xcd, 0xd2), QColor(0xb2, 0xdf, 0xdb)};
            look.fill = kStage[static_cast<size_t>(st->second) % std::size(kStage)];
            look.costText = tr("stage %1").arg(st->second + 1);
            look.share = 0;
        }
        if (const std::string note = deployMark(static_cast<int>(i)); !note.empty() && g == groupFigures.end()) {
            // Deployment view: the layer runs inside another op; its figure says which.
            look.costText = QString::fromStdString(note);
            look.fill = QColor(0xe3, 0xf2, 0xfd);
            look.share = 0;
        }
        const bool inputsChanged = look.inputs != item->look().inputs;
        if (item->setLook(std::move(look))) {
            ++changed;
            if (inputsChanged)
                portsMoved.push_back(n.id);
        }
    }
    m_lastChangedLooks = changed;
    for (core::NodeId id : portsMoved)
        nodeMoved(id);

    for (const core::Edge& e : net.edges()) {
        EdgeItem* item = edgeItem(e.id);
        if (!item)
            continue;
        const core::LayerResult* src = a.layer(e.from, net);
        const core::LayerResult* dst = a.layer(e.to, net);
        const core::Node* to = net.node(e.to);
        QString shape = src && src->status == core::LayerStatus::Ok ? q(src->output.toString()) : QString();
        // Red when the layer it feeds rejects what arrives: it had every input and still failed, or
        // the edge enters a port the layer does not have.
        const bool rejected = dst && dst->status == core::LayerStatus::Error &&
                              (dst->inputCount > 0 || (to && e.toPort >= net.inputCount(*to)));
        item->setState(rejected, shape);
    }
}

void GraphScene::updateEdgeGeometry(EdgeItem* item, const core::Edge& e)
{
    NodeItem* a = shownItem(e.from);
    NodeItem* b = shownItem(e.to);
    if (!item || !a || !b || a == b)
        return;
    auto gp = m_groupPort.find(e.id.v);
    const QPointF from = a->outputPortPos(gp == m_groupPort.end() ? e.fromPort : 0);
    const QPointF to = b->inputPortPos(gp == m_groupPort.end() ? e.toPort : gp->second);
    // Every other visible layer in the rows the edge spans is an obstacle to route around.
    EdgeObstacles o;
    o.source = a->sceneBoundingRect();
    o.target = b->sceneBoundingRect();
    const qreal top = std::min(from.y(), to.y()) - NodeItem::kHeight;
    const qreal bottom = std::max(from.y(), to.y()) + NodeItem::kHeight;
    for (QGraphicsItem* it : items(QRectF(-1e7, top, 2e7, bottom - top), Qt::IntersectsItemBoundingRect))
        if (it != a && it != b && it->isVisible() && qgraphicsitem_cast<NodeItem*>(it))
            o.others.push_back(it->sceneBoundingRect());
    item->setPath(routeEdge(from, to, o));
}

void GraphScene::nodeMoved(core::NodeId id)
{
    if (overview()) {
        // The block's item moved (the layout placed it): every edge of every member follows.
        if (auto g = m_groupAtRep.find(id.v); g != m_groupAtRep.end()) {
            const core::Network& net = m_doc.network();
            for (core::NodeId m : m_groups[g->second].members)
                if (auto e = m_edgesOf.find(m.v); e != m_edgesOf.end())
                    for (core::EdgeId eid : e->second)
                        if (const core::Edge* edge = net.edge(eid))
                            updateEdgeGeometry(edgeItem(eid), *edge);
            return;
        }
    }
    auto it = m_edgesOf.find(id.v);
    if (it == m_edgesOf.end())
        return;
    const core::Network& net = m_doc.network();
    for (core::EdgeId eid : it->second)
        if (const core::Edge* e = net.edge(eid))
            updateEdgeGeometry(edgeItem(eid), *e);
}

void GraphScene::onSceneSelectionChanged()
{
    if (m_syncing)
        return;
    if (!selectedEdges().empty())
        emit hint(tr("Connection selected: press Delete to disconnect it (or right-click → Disconnect)"));
    // Keep the existing order so Selection::current() stays the layer picked last.
    std::vector<core::NodeId> ids;
    std::unordered_set<uint32_t> seen;
    for (core::NodeId id : m_selection.ids())
        if (NodeItem* item = nodeItem(id); item && item->isSelected()) {
            ids.push_back(id);
            seen.insert(id.v);
        }
    for (QGraphicsItem* it : selectedItems())
        if (auto* n = qgraphicsitem_cast<NodeItem*>(it); n && !seen.count(n->id().v))
            ids.push_back(n->id());
    m_syncing = true;
    m_selection.set(std::move(ids));
    m_syncing = false;
}

void GraphScene::onSelectionChanged(bool centre)
{
    if (!m_syncing)
        applySelection();
    if (centre)
        if (NodeItem* item = shownItem(m_selection.current()))
            emit centreRequested(item->mapRectToScene(item->boundingRect()));
}

void GraphScene::applySelection()
{
    const bool was = m_syncing;
    m_syncing = true;
    std::unordered_set<uint32_t> chosen;
    for (core::NodeId id : m_selection.ids())
        chosen.insert(id.v);
    for (const auto& [id, item] : m_nodes)
        if (item->isSelected() != static_cast<bool>(chosen.count(id)))
            item->setSelected(chosen.count(id));
    m_syncing = was;
}

NodeItem* GraphScene::nodeAt(QPointF scenePos) const
{
    for (QGraphicsItem* it : items(scenePos))
        if (auto* n = qgraphicsitem_cast<NodeItem*>(it); n && n->isVisible())
            return n;
    return nullptr;
}

std::pair<NodeItem*, int> GraphScene::dropTarget(QPointF scenePos) const
{
    const qreal r = 12;
    NodeItem* node = nodeAt(scenePos);
    if (!node)
        for (QGraphicsItem* it : items(QRectF(scenePos - QPointF(r, r), QSizeF(2 * r, 2 * r))))
            if ((node = qgraphicsitem_cast<NodeItem*>(it)))
                break;
    if (!node)
        return {nullptr, -1};
    int port = node->inputPortAt(scenePos, r + 6);
    if (port >= 0)
        return {node, port};
    // Dropped on the body: the first free port, so a user need not aim at a 10-pixel circle.
    const core::Network& net = m_doc.network();
    const core::Edge* moving = net.edge(m_dragEdge);
    for (int k = 0; k < node->look().inputs; ++k) {
        const core::Edge* e = net.edgeInto(node->id(), k);
        if (!e || (moving && e->id == moving->id))
            return {node, k};
    }
    return {node, 0}; // all taken: the core's refusal says so
}

void GraphScene::endConnectionDrag()
{
    delete m_dragLine;
    m_dragLine = nullptr;
    if (m_dragHover)
        m_dragHover->setHighlightedPort(-1);
    m_dragHover = nullptr;
    if (EdgeItem* e = edgeItem(m_dragEdge))
        e->setVisible(true);
}

void GraphScene::mousePressEvent(QGraphicsSceneMouseEvent* e)
{
    if (e->button() == Qt::LeftButton && !overview()) {
        const qreal r = portRadius(e);
        if (NodeItem* n = nodeAt(e->scenePos())) {
            const int port = n->inputPortAt(e->scenePos(), r);
            const core::Edge* existing = port >= 0 ? m_doc.network().edgeInto(n->id(), port) : nullptr;
            const int outPort = n->outputPortAt(e->scenePos(), r);
            if (outPort >= 0 || existing) {
                // Start a connection from this output, or pick up the one entering this input.
                m_dragFrom = existing ? existing->from : n->id();
                m_dragFromPort = existing ? existing->fromPort : outPort;
                m_dragEdge = existing ? existing->id : core::EdgeId{};
                if (EdgeItem* item = edgeItem(m_dragEdge))
                    item->setVisible(false);
                m_dragLine = new QGraphicsPathItem;
                m_dragLine->setPen(QPen(QColor(0x1e, 0x88, 0xe5), 2, Qt::DashLine));
                m_dragLine->setZValue(3);
                addItem(m_dragLine);
                e->accept();
                return;
            }
        }
    }
    QGraphicsScene::mousePressEvent(e);
    m_pressOnNode = e->button() == Qt::LeftButton && nodeAt(e->scenePos());
}

void GraphScene::mouseMoveEvent(QGraphicsSceneMouseEvent* e)
{
    if (m_dragLine) {
        NodeItem* src = nodeItem(m_dragFrom);
        if (!src)
            return;
        const QPointF from = src->outputPortPos(m_dragFromPort);
        const QPointF to = e->scenePos();
        QPainterPath path(from);
        const qreal k = std::max<qreal>(30, std::abs(to.y() - from.y()) / 2);
        path.cubicTo(from + QPointF(0, k), to - QPointF(0, k), to);
        m_dragLine->setPath(path);
        auto [node, port] = dropTarget(to);
        if (node != m_dragHover && m_dragHover)
            m_dragHover->setHighlightedPort(-1);
        m_dragHover = node;
        if (node)
            node->setHighlightedPort(port);
        return;
    }
    QGraphicsScene::mouseMoveEvent(e);
}

void GraphScene::mouseReleaseEvent(QGraphicsSceneMouseEvent* e)
{
    if (m_dragLine) {
        if (e->button() != Qt::LeftButton)
            return;
        auto [node, port] = dropTarget(e->scenePos());
        const core::NodeId from = m_dragFrom;
        const int fromPort = m_dragFromPort;
        const core::EdgeId moving = m_dragEdge;
        endConnectionDrag();
        m_dragFrom = {};
        m_dragFromPort = 0;
        m_dragEdge = {};
        if (moving.valid())
            m_editor.reconnect(moving, node ? node->id() : core::NodeId{}, port);
        else if (node)
            m_editor.connectPorts(from, node->id(), port, fromPort);
        return;
    }
    QGraphicsScene::mouseReleaseEvent(e);
    if (!m_pressOnNode || e->button() != Qt::LeftButton || overview())
        return;
    m_pressOnNode = false;
    // The whole drag becomes one command: every selected layer from where the model has it to where
    // the item ended up.
    std::vector<core::MoveNodesCommand::Move> moves;
    const core::Network& net = m_doc.network();
    for (QGraphicsItem* it : selectedItems())
        if (auto* n = qgraphicsitem_cast<NodeItem*>(it))
            if (const core::Node* node = net.node(n->id()); node && n->pos() != QPointF(node->x, node->y))
                moves.push_back({n->id(), node->x, node->y, n->pos().x(), n->pos().y()});
    if (!moves.empty())
        m_editor.moveNodes(std::move(moves));
}

void GraphScene::mouseDoubleClickEvent(QGraphicsSceneMouseEvent* e)
{
    // A double-click on a collapsed block opens it.
    if (NodeItem* n = nodeAt(e->scenePos()))
        if (auto g = m_groupAtRep.find(n->id().v); g != m_groupAtRep.end()) {
            const std::string name = m_groups[g->second].name;
            setGroupCollapsed(name, false);
            e->accept();
            return;
        }
    QGraphicsScene::mouseDoubleClickEvent(e);
}

void GraphScene::dragEnterEvent(QGraphicsSceneDragDropEvent* e)
{
    if (PaletteWidget::entryFrom(e->mimeData()))
        e->acceptProposedAction();
    else
        e->ignore();
}

void GraphScene::dragMoveEvent(QGraphicsSceneDragDropEvent* e) { dragEnterEvent(e); }

void GraphScene::dropEvent(QGraphicsSceneDragDropEvent* e)
{
    if (auto entry = PaletteWidget::entryFrom(e->mimeData())) {
        m_editor.addLayer(*entry, e->scenePos());
        e->acceptProposedAction();
    } else {
        e->ignore();
    }
}

void GraphScene::contextMenuEvent(QGraphicsSceneContextMenuEvent* e)
{
    QMenu menu;
    QGraphicsItem* under = itemAt(e->scenePos(), QTransform());
    if (auto* edge = qgraphicsitem_cast<EdgeItem*>(under)) {
        const core::EdgeId id = edge->id();
        menu.addAction(tr("Disconnect"), this, [this, id] { m_editor.disconnectEdge(id); });
    } else if (auto* node = qgraphicsitem_cast<NodeItem*>(under)) {
        if (!node->isSelected())
            m_selection.set({node->id()});
        const core::BlockGroup* group = nullptr;
        if (auto g = m_groupAtRep.find(node->id().v); g != m_groupAtRep.end()) {
            group = &m_groups[g->second];
            const std::string name = group->name;
            menu.addAction((group->user ? tr("Expand group %1") : tr("Expand block %1")).arg(QString::fromStdString(name)),
                           this, [this, name] { setGroupCollapsed(name, false); });
        } else {
            for (const core::BlockGroup& g : m_groups)
                if (std::find(g.members.begin(), g.members.end(), node->id()) != g.members.end()) {
                    group = &g;
                    const std::string name = g.name;
                    menu.addAction(
                        (g.user ? tr("Collapse group %1") : tr("Collapse block %1")).arg(QString::fromStdString(name)),
                        this, [this, name] { setGroupCollapsed(name, true); });
                }
        }
        if (group && group->user) {
            const std::string name = group->name;
            menu.addAction(tr("Ungroup %1").arg(QString::fromStdString(name)), this,
                           [this, name] { (void)m_editor.ungroup(name); });
        }
        if (!overview() && m_selection.ids().size() >= 2)
            menu.addAction(tr("Group selected layers…"), this, [this] { emit groupRequested(); });
        menu.addAction(tr("Copy"), this, [this] { m_editor.copySelection(); });
        menu.addAction(tr("Cut"), this, [this] { m_editor.cutSelection(); });
        menu.addAction(tr("Delete"), this, [this] { m_editor.deleteSelection(); });
    } else {
        const QPointF at = e->scenePos();
        menu.addAction(tr("Paste here"), this, [this, at] { m_editor.pasteClipboard(at); });
        menu.addAction(tr("Auto layout"), this, [this] { m_editor.autoLayout(); });
        if (!m_groups.empty()) {
            menu.addSeparator();
            menu.addAction(tr("Collapse all blocks"), this, [this] { setAllGroupsCollapsed(true); });
            if (overview())
                menu.addAction(tr("Expand all blocks"), this, [this] { setAllGroupsCollapsed(false); });
        }
    }
    menu.exec(e->screenPos());
}

void GraphScene::helpEvent(QGraphicsSceneHelpEvent* e)
{
    QString tip;
    for (QGraphicsItem* it : items(e->scenePos())) {
        if (auto* n = qgraphicsitem_cast<NodeItem*>(it)) {
            tip = toolTipFor(n->id());
            break;
        }
        if (auto* edge = qgraphicsitem_cast<EdgeItem*>(it)) {
            const core::Network& net = m_doc.network();
            if (const core::Edge* ed = net.edge(edge->id())) {
                const core::Node* a = net.node(ed->from);
                const core::Node* b = net.node(ed->to);
                tip = QString("%1 → %2 (input %3)<br>%4")
                          .arg(q(a ? a->name : "?").toHtmlEscaped(), q(b ? b->name : "?").toHtmlEscaped())
                          .arg(ed->toPort)
                          .arg(edge->shapeText().isEmpty() ? tr("no valid tensor")
                                                           : edge->shapeText() + tr(" per sample"));
                if (edge->isRejected())
                    tip +=
                        "<br><span style='color:#d32f2f'>" + tr("rejected by the layer it feeds") + "</span>";
                tip += "<br><i>" + tr("Click and press Delete, or right-click → Disconnect, to remove it") + "</i>";
            }
            break;
        }
    }
    if (tip.isEmpty())
        QToolTip::hideText();
    else
        QToolTip::showText(e->screenPos(), tip, e->widget());
    e->setAccepted(!tip.isEmpty());
}

} // namespace nc::widgets

// GraphScene: the node-editor canvas, a view of the Document. Items hold only ids; on every Document
// change the scene adds or removes items for added or removed layers and edges, derives each node's
// look from the latest analysis and repaints only the items whose look changed. User gestures become
// Editor calls (one MoveNodesCommand per drag, ConnectCommand after Network::connectionPossible).
#pragma once

#include "NodeLook.h"
#include "core/Document.h"

#include <QGraphicsScene>

#include <set>
#include <string>
#include <unordered_map>
#include <vector>

class QGraphicsPathItem;

namespace nc::widgets {

class Editor;
class EdgeItem;
class NodeItem;
class Selection;
class ViewOptions;

class GraphScene : public QGraphicsScene {
    Q_OBJECT
public:
    GraphScene(core::Document& doc, Editor& editor, Selection& selection, ViewOptions& options,
               QObject* parent = nullptr);
    ~GraphScene() override;

    NodeItem* nodeItem(core::NodeId id) const;
    EdgeItem* edgeItem(core::EdgeId id) const;
    std::vector<core::EdgeId> selectedEdges() const;
    // Bounding box of the design in scene coordinates (a default area when empty).
    QRectF designRect() const;
    // The tooltip text a node shows (what is wrong and how to fix it, for a layer with an error).
    QString toolTipFor(core::NodeId id) const;
    // Deployment view only: "folded into conv1", "fused into conv1" or "dropped" for a layer that is
    // not an op of its own (the node's figure and tooltip say it); empty otherwise.
    std::string deployMark(int nodeIndex) const;

    // Called by NodeItem while it is dragged, so attached edges follow.
    void nodeMoved(core::NodeId id);

    // Measured time per layer (from the kernel runner) for CostColour::Latency; replaces the previous set.
    void setLayerLatencies(const std::vector<std::pair<core::NodeId, double>>& seconds);
    // Colours layers by pipeline stage (the Training and scale panel's split); empty restores the costs.
    void setPipelineStages(const std::vector<std::pair<core::NodeId, int>>& stages);

    // The user's groups and the blocks inferred from the layer names (core::designGroups), in network
    // order. A collapsed
    // block is drawn as one node (its first member's item, the others hidden) with the summed figures
    // and the shapes entering and leaving it; while any block is collapsed the canvas shows an
    // overview laid out by core::collapsedLayout, in which layers cannot be moved or wired.
    const std::vector<core::BlockGroup>& blockGroups() const { return m_groups; }
    void setGroupCollapsed(const std::string& name, bool collapsed);
    // Collapses or expands every block, now and in designs opened later.
    void setAllGroupsCollapsed(bool collapsed);
    bool isGroupCollapsed(const std::string& name) const { return m_collapsed.count(name) > 0; }
    bool overview() const { return !m_collapsed.empty(); }
    // The item that shows a collapsed block, or nullptr.
    NodeItem* groupItem(const std::string& name) const;
    // The block a layer belongs to when that block is collapsed, or nullptr.
    const core::BlockGroup* collapsedGroupOf(core::NodeId id) const;
    // Width / height the overview's layout aims for: the view's, so it fills the screen.
    void setOverviewAspect(double aspect);

    // How many node looks the last refresh changed (for the benchmark: repaint only what changed).
    int lastChangedLooks() const { return m_lastChangedLooks; }

signals:
    // Asks views to bring a node into view (a chart or list selected it with centre=true).
    void centreRequested(QRectF sceneRect); // the node's body with its ports
    // Blocks were collapsed or expanded (views refit).
    void overviewChanged();
    // The user asked to group the selected layers (context menu); the window asks for a name.
    void groupRequested();
    // A short how-to for the status bar (what the user can do with what they just selected).
    void hint(const QString& text);

protected:
    void mousePressEvent(QGraphicsSceneMouseEvent* e) override;
    void mouseMoveEvent(QGraphicsSceneMouseEvent* e) override;
    void mouseReleaseEvent(QGraphicsSceneMouseEvent* e) override;
    void mouseDoubleClickEvent(QGraphicsSceneMouseEvent* e) override;
    void dragEnterEvent(QGraphicsSceneDragDropEvent* e) override;
    void dragMoveEvent(QGraphicsSceneDragDropEvent* e) override;
    void dropEvent(QGraphicsSceneDragDropEvent* e) override;
    void contextMenuEvent(QGraphicsSceneContextMenuEvent* e) override;
    void helpEvent(QGraphicsSceneHelpEvent* e) override;

private:
    void onDocumentChanged(const core::Change& change);
    void onOptionsChanged();
    void onSceneSelectionChanged();
    void onSelectionChanged(bool centre);
    void rebuild();
    void syncItems();
    void refreshLooks();
    void updateEdgeGeometry(EdgeItem* item, const core::Edge& e);
    void applySelection();
    NodeItem* nodeAt(QPointF scenePos) const;
    // The input port a connection dropped at `scenePos` lands on: the port under the pointer, or the
    // first free port of the layer under it.
    std::pair<NodeItem*, int> dropTarget(QPointF scenePos) const;
    void endConnectionDrag();
    // Re-derives the blocks and, with any collapsed, hides members, places the overview and
    // re-routes edges to the blocks' items.
    void applyOverview();
    NodeItem* shownItem(core::NodeId id) const; // the item standing for a layer (its block's when collapsed)

    core::Document& m_doc;
    Editor& m_editor;
    Selection& m_selection;
    ViewOptions& m_options;

    std::unordered_map<uint32_t, NodeItem*> m_nodes;
    std::unordered_map<uint32_t, EdgeItem*> m_edges;
    std::unordered_map<uint32_t, std::vector<core::EdgeId>> m_edgesOf; // node -> attached edges
    CostScale m_scale;
    std::unordered_map<uint32_t, int> m_stageOf;
    std::unordered_map<uint32_t, int64_t> m_latencyNs;
    int m_lastChangedLooks = 0;
    bool m_syncing = false;

    // A connection being dragged out of an output port (or an existing one picked up at its input).
    core::NodeId m_dragFrom;
    int m_dragFromPort = 0;
    core::EdgeId m_dragEdge;
    QGraphicsPathItem* m_dragLine = nullptr;
    NodeItem* m_dragHover = nullptr;
    // Nodes being moved: their model positions when the press started.
    bool m_pressOnNode = false;

    std::vector<core::BlockGroup> m_groups;
    std::set<std::string> m_collapsed;
    bool m_collapseAll = false;
    double m_aspect = 1.6;
    std::unordered_map<uint32_t, uint32_t> m_repOf;      // member of a collapsed block → its first member
    std::unordered_map<uint32_t, size_t> m_groupAtRep;   // first member → index into m_groups
    std::unordered_map<uint32_t, int> m_groupPort;       // edge entering a collapsed block → port drawn
};

} // namespace nc::widgets

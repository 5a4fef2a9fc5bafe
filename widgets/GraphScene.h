// GraphScene: the node-editor canvas, a view of the Document. Items hold only ids; on every Document
// change the scene adds or removes items for added or removed layers and edges, derives each node's
// look from the latest analysis and repaints only the items whose look changed. User gestures become
// Editor calls (one MoveNodesCommand per drag, ConnectCommand after Network::connectionPossible).
#pragma once

#include "NodeLook.h"
#include "core/Document.h"

#include <QGraphicsScene>

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

    // Called by NodeItem while it is dragged, so attached edges follow.
    void nodeMoved(core::NodeId id);

    // Measured time per layer (from the kernel runner) for CostColour::Latency; replaces the previous set.
    void setLayerLatencies(const std::vector<std::pair<core::NodeId, double>>& seconds);

    // How many node looks the last refresh changed (for the benchmark: repaint only what changed).
    int lastChangedLooks() const { return m_lastChangedLooks; }

signals:
    // Asks views to bring a node into view (a chart or list selected it with centre=true).
    void centreRequested(QPointF scenePos);

protected:
    void mousePressEvent(QGraphicsSceneMouseEvent* e) override;
    void mouseMoveEvent(QGraphicsSceneMouseEvent* e) override;
    void mouseReleaseEvent(QGraphicsSceneMouseEvent* e) override;
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

    core::Document& m_doc;
    Editor& m_editor;
    Selection& m_selection;
    ViewOptions& m_options;

    std::unordered_map<uint32_t, NodeItem*> m_nodes;
    std::unordered_map<uint32_t, EdgeItem*> m_edges;
    std::unordered_map<uint32_t, std::vector<core::EdgeId>> m_edgesOf; // node -> attached edges
    CostScale m_scale;
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
};

} // namespace nc::widgets

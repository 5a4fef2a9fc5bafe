// Editor: turns what a user asks for (add a layer, connect two ports, delete, paste, lay out) into core
// commands on the undo stack, and refuses — with a message for the status bar — what the core refuses.
// The canvas, palette, inspector and main window share it, so every intent has one implementation.
// Lives in the GUI thread.
#pragma once

#include "Selection.h"
#include "core/Commands.h"
#include "core/Document.h"

#include <QObject>
#include <QPointF>

#include <memory>
#include <optional>
#include <vector>

class QMimeData;
class QUndoStack;

namespace nc::widgets {

class Editor : public QObject {
    Q_OBJECT
public:
    // Clipboard format: a design file (core/NetworkFile.h) holding the copied layers and the edges
    // among them.
    static constexpr const char* kClipboardMime = "application/x-netcanvas-layers";

    Editor(core::Document& doc, QUndoStack& stack, Selection& selection, QObject* parent = nullptr);

    core::Document& document() { return m_doc; }
    QUndoStack& undoStack() { return m_stack; }
    Selection& selection() { return m_selection; }

    // Runs a core command through the undo stack.
    void push(std::unique_ptr<core::Command> cmd);

    // A palette entry dropped at `centre` (scene coordinates); selects the new layer.
    std::optional<core::NodeId> addLayer(int paletteIndex, QPointF centre);
    // A palette entry appended below the selected layer and fed by it (placed on its own when nothing
    // is selected); selects the new layer so repeated appends build a chain.
    std::optional<core::NodeId> appendLayer(int paletteIndex);
    // Both of the above, for an index past the catalogue's palette: core::blockTemplates()[index −
    // palette size], wired after the selected layer (at `at`, or below it) as one undo step; selects and
    // returns the block's last layer. Nothing selected, or a refusal, becomes message().
    std::optional<core::NodeId> insertBlock(int templateIndex, std::optional<QPointF> at);

    // Checks with the core first; a refusal (cycle, self-loop, occupied port) becomes message().
    bool connectPorts(core::NodeId from, core::NodeId to, int port, int fromPort = 0);
    // Moves an existing connection to another input (one undo step); `to` invalid just disconnects.
    bool reconnect(core::EdgeId edge, core::NodeId to, int port);
    void disconnectEdge(core::EdgeId edge);
    void removeNodes(const std::vector<core::NodeId>& nodes, const std::vector<core::EdgeId>& edges = {});
    void moveNodes(std::vector<core::MoveNodesCommand::Move> moves);
    // Refuses an empty or duplicate name and an input count that would cut off a connected port.
    bool setNode(core::NodeId id, const core::LayerParams& params, const std::string& name);
    // Swaps a layer's kind in place (ReLU → GELU), keeping its id, name, position and connections.
    bool changeType(core::NodeId id, core::LayerType type);
    void setSettings(int64_t batch, int bits);
    // Makes a user group of the selected layers (core::GroupCommand); a refusal becomes message().
    bool groupSelection(const std::string& name);
    // Removes a user group, keeping its layers.
    bool ungroup(const std::string& name);
    // Places every layer with core::layeredLayout as one undoable move.
    void autoLayout();

    // The selected layers and the edges among them, as clipboard data.
    QMimeData* copy(const std::vector<core::NodeId>& nodes) const;
    // Adds a copy of clipboard layers with fresh ids and names, offset from where they were (or with
    // their top-left at `at`); selects them. False when the data is not NetCanvas layers.
    bool paste(const QMimeData* data, std::optional<QPointF> at = std::nullopt);
    void copySelection();
    void cutSelection();
    void pasteClipboard(std::optional<QPointF> at = std::nullopt);
    void deleteSelection(const std::vector<core::EdgeId>& selectedEdges = {});

signals:
    // A refusal or notice for the status bar.
    void message(const QString& text);

private:
    void pruneSelection();
    QPointF freeSpotBelow(const core::Node& above) const;
    core::Document& m_doc;
    QUndoStack& m_stack;
    Selection& m_selection;
    int m_pasteCount = 0;
};

// Stem of default layer names ("conv" → conv1, conv2, …).
std::string nameStem(core::LayerType t);

} // namespace nc::widgets

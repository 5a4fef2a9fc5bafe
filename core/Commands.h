// Commands: every edit of a design as a small undoable value — ids and values, never pointers — so
// the GUI's undo stack, tests and scripts share one implementation.
//
//   auto cmd = ConnectCommand::make(doc.network(), conv1, relu1, 0);  // checks first
//   if (cmd) doc.execute(std::move(*cmd));                             // or push onto a QUndoStack
#pragma once

#include "Document.h"
#include "Network.h"
#include "Result.h"

#include <memory>
#include <string>
#include <vector>

namespace nc::core {

class Command {
public:
    virtual ~Command() = default;
    virtual void redo(Document& doc) = 0;
    virtual void undo(Document& doc) = 0;
    virtual std::string text() const = 0; // for the Edit menu: "Add Conv2d", "Move 3 layers"
};

// Adds nodes and the edges among them and to existing nodes (a single new layer, a paste, or
// "append after the selection" which also wires the new layer in).
class AddNodesCommand : public Command {
public:
    // Validates ids and edges against `net`; new ids are assigned when the given ones are invalid.
    static Result<std::unique_ptr<AddNodesCommand>> make(const Network& net, std::vector<Node> nodes,
                                                         std::vector<Edge> edges, std::string text);
    void redo(Document& doc) override;
    void undo(Document& doc) override;
    std::string text() const override { return m_text; }
    const std::vector<Node>& nodes() const { return m_nodes; }

private:
    std::vector<Node> m_nodes;
    std::vector<Edge> m_edges;
    std::string m_text;
};

// Removes nodes and every edge touching them; undo restores both in their original order.
class RemoveNodesCommand : public Command {
public:
    RemoveNodesCommand(const Network& net, std::vector<NodeId> ids);
    void redo(Document& doc) override;
    void undo(Document& doc) override;
    std::string text() const override;

private:
    std::vector<std::pair<int, Node>> m_nodes; // original index, node (ascending index)
    std::vector<std::pair<int, Edge>> m_edges;
};

class MoveNodesCommand : public Command {
public:
    struct Move {
        NodeId id;
        double fromX, fromY, toX, toY;
    };
    explicit MoveNodesCommand(std::vector<Move> moves, std::string text = {});
    void redo(Document& doc) override;
    void undo(Document& doc) override;
    std::string text() const override;

private:
    void apply(Document& doc, bool forward);
    std::vector<Move> m_moves;
    std::string m_text;
};

class ConnectCommand : public Command {
public:
    // Refused (with the reason) when Network::connectionPossible refuses.
    static Result<std::unique_ptr<ConnectCommand>> make(const Network& net, NodeId from, NodeId to, int port,
                                                        int fromPort = 0);
    void redo(Document& doc) override;
    void undo(Document& doc) override;
    std::string text() const override { return "Connect"; }

private:
    ConnectCommand() = default;
    Edge m_edge;
};

class DisconnectCommand : public Command {
public:
    DisconnectCommand(const Network& net, EdgeId id);
    void redo(Document& doc) override;
    void undo(Document& doc) override;
    std::string text() const override { return "Disconnect"; }

private:
    Edge m_edge;
    int m_index = -1;
};

// Swaps a node's kind, hyper-parameters and name with new values, keeping its id, position, place
// in the node order and connections (changing ReLU to GELU is one edit, not a delete and an add).
class SetNodeCommand : public Command {
public:
    // Checks what the file loader would refuse: an empty, over-long or duplicate name, and an input
    // count that would cut off a connected port.
    static Result<std::unique_ptr<SetNodeCommand>> make(const Network& net, NodeId id, LayerType type,
                                                        LayerParams params, std::string name);
    // Unchecked: same kind, and the caller knows the name is free.
    SetNodeCommand(const Network& net, NodeId id, LayerParams params, std::string name);
    void redo(Document& doc) override;
    void undo(Document& doc) override;
    std::string text() const override;

private:
    void swap(Document& doc, LayerType type, const LayerParams& p, const std::string& name);
    NodeId m_id;
    LayerType m_oldType = LayerType::Input, m_newType = LayerType::Input;
    LayerParams m_old, m_new;
    std::string m_oldName, m_newName;
};

// Network-wide settings: batch and bit width.
class SetSettingsCommand : public Command {
public:
    SetSettingsCommand(const Network& net, int64_t batch, int bits);
    void redo(Document& doc) override;
    void undo(Document& doc) override;
    std::string text() const override { return "Change settings"; }

private:
    int64_t m_oldBatch, m_newBatch;
    int m_oldBits, m_newBits;
};

// Makes a user group (Network::groups) of some layers, so the canvas can collapse them to one node.
// Refused, with the reason: fewer than two layers, an unknown id, a layer already in a user group, an
// empty, over-long or taken name (another user group's, or a block inferred from the layer names).
class GroupCommand : public Command {
public:
    static Result<std::unique_ptr<GroupCommand>> make(const Network& net, std::vector<NodeId> ids, std::string name);
    // "group1", "group2", …: the first name no group and no inferred block has.
    static std::string suggestName(const Network& net);
    void redo(Document& doc) override;
    void undo(Document& doc) override;
    std::string text() const override { return "Group " + m_group.name; }

private:
    GroupCommand() = default;
    NodeGroup m_group;
};

// Removes a user group (the layers stay); undo puts it back where it was in the list.
class UngroupCommand : public Command {
public:
    static Result<std::unique_ptr<UngroupCommand>> make(const Network& net, const std::string& name);
    void redo(Document& doc) override;
    void undo(Document& doc) override;
    std::string text() const override { return "Ungroup " + m_group.name; }

private:
    UngroupCommand() = default;
    NodeGroup m_group;
    size_t m_index = 0;
};

// Headless command history (the GUI uses QUndoStack with adapters instead).
class History {
public:
    explicit History(Document& doc) : m_doc(doc) {}
    void execute(std::unique_ptr<Command> c);
    bool undo();
    bool redo();
    bool canUndo() const { return m_index > 0; }
    bool canRedo() const { return m_index < m_stack.size(); }

private:
    Document& m_doc;
    std::vector<std::unique_ptr<Command>> m_stack;
    size_t m_index = 0;
};

} // namespace nc::core

// Network: the graph a user designs — layers (nodes), tensors (edges) and network-wide settings.
#pragma once

#include "LayerParams.h"
#include "LayerType.h"
#include "Result.h"

#include <cstdint>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace nc::core {

// Strong ids: a node id can never be passed where an edge id is expected. Ids are stable for the
// life of a design and are stored in files.
struct NodeId {
    uint32_t v = 0;
    bool operator==(const NodeId&) const = default;
    auto operator<=>(const NodeId&) const = default;
    bool valid() const { return v != 0; }
};
struct EdgeId {
    uint32_t v = 0;
    bool operator==(const EdgeId&) const = default;
    auto operator<=>(const EdgeId&) const = default;
    bool valid() const { return v != 0; }
};

struct Node {
    NodeId id;
    LayerType type = LayerType::Input;
    std::string name;
    // Where an imported layer came from when its name was made readable: the full ONNX node name
    // ("/layer1/layer1.0/conv1/Conv"); empty for layers drawn in the editor.
    std::string source;
    LayerParams params;
    double x = 0, y = 0; // editor position, scene units

    bool operator==(const Node&) const = default;
};

// A connection is its endpoints: output port `fromPort` of `from` feeds input port `toPort` of `to`.
// Most layers have one output (port 0); Split has one per piece.
struct Edge {
    EdgeId id;
    NodeId from;
    NodeId to;
    int toPort = 0;
    int fromPort = 0;

    bool operator==(const Edge&) const = default;
};

// A group the user made (select layers → Group): a name and its members, in network order. The canvas
// can collapse it to one node with the members' summed figures, as it does the blocks it infers from
// dotted names. Members are ids, so deleting a layer leaves its id behind: readers skip ids that no
// longer exist (an undo brings the layer back into its group) and files store only live ones.
struct NodeGroup {
    std::string name;
    std::vector<NodeId> members;

    bool operator==(const NodeGroup&) const = default;
};

// Owns nodes and edges; keeps insertion order (the schedule breaks ties by it) and an id index.
// Not thread-safe: the Document's thread owns it; analysis takes a const reference or a copy.
class Network {
public:
    std::string name = "untitled";
    int64_t batch = 1;
    int bits = 32;
    // Decoders: tokens of context the KV cache holds; 0 = each attention layer's own sequence length.
    int64_t context = 0;
    // User-made groups, in the order they were made; a layer belongs to at most one.
    std::vector<NodeGroup> groups;

    const std::vector<Node>& nodes() const { return m_nodes; }
    const std::vector<Edge>& edges() const { return m_edges; }

    const Node* node(NodeId id) const;
    Node* node(NodeId id);
    const Edge* edge(EdgeId id) const;
    int nodeIndex(NodeId id) const; // -1 when absent
    NodeId findByName(const std::string& name) const; // invalid id when absent

    NodeId newNodeId() const { return NodeId{m_nextNode}; }
    EdgeId newEdgeId() const { return EdgeId{m_nextEdge}; }

    // Makes room for a known number of layers and edges (a file being loaded): no regrowth on the way.
    void reserve(size_t nodes, size_t edges);

    // Adds a node; an invalid id gets a fresh one. Fails on a duplicate id.
    Result<NodeId> addNode(Node n);
    // Inserts at a given position of the node order (undo of a removal restores the order).
    Result<NodeId> insertNode(Node n, int index);
    // Removes the node only; callers remove its edges first (see edgesOf).
    bool removeNode(NodeId id);

    // Checks then adds. Refuses self-loops, cycles, unknown nodes, ports out of range and a second
    // edge into an occupied input port. The message says which.
    Status connectionPossible(NodeId from, NodeId to, int toPort, int fromPort = 0) const;
    Result<EdgeId> connect(NodeId from, NodeId to, int toPort, EdgeId id = {}, int fromPort = 0);
    // Adds without the cycle/port checks (file loading validates separately; analysis reports).
    Result<EdgeId> addEdgeUnchecked(Edge e);
    // Inserts at a given position of the edge order (undo restores the order, so files stay identical).
    Result<EdgeId> insertEdgeUnchecked(Edge e, int index);
    int edgeIndex(EdgeId id) const; // -1 when absent
    bool removeEdge(EdgeId id);

    std::vector<EdgeId> edgesOf(NodeId id) const;
    const Edge* edgeInto(NodeId to, int port) const;
    bool reaches(NodeId from, NodeId to) const; // is there a path from -> ... -> to

    // A name not yet used, from a stem: "conv" -> "conv1", "conv2", ...
    std::string uniqueName(const std::string& stem) const;

    // Input count of a node (0 for Input, `inputs` for merges, else 1).
    int inputCount(const Node& n) const;
    // Output count of a node (1, or one per piece for Split).
    int outputCount(const Node& n) const;

    bool operator==(const Network& o) const
    {
        return name == o.name && batch == o.batch && bits == o.bits && context == o.context && m_nodes == o.m_nodes &&
               m_edges == o.m_edges && groups == o.groups;
    }

private:
    void reindex();
    void reindexEdges();
    static uint64_t portKey(NodeId to, int port)
    {
        return (uint64_t(to.v) << 32) | uint32_t(port);
    }
    std::vector<Node> m_nodes;
    std::vector<Edge> m_edges;
    std::unordered_map<uint32_t, int> m_nodeIndex;
    // Edge lookups by id and by the input port they feed, so loading and editing stay linear in the
    // graph (a 10^5-layer file used to spend most of its time scanning the edge list once per edge).
    // Appends keep them current; an insertion or removal in the middle rebuilds them.
    std::unordered_map<uint32_t, size_t> m_edgeIndex;
    std::unordered_map<uint64_t, size_t> m_portIndex; // first edge into (layer, port)
    uint32_t m_nextNode = 1;
    uint32_t m_nextEdge = 1;
};

} // namespace nc::core

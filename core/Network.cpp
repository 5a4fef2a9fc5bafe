// Network: graph storage and the connection rules the editor and file loader share.
#include "Network.h"

#include "Catalogue.h"

#include <algorithm>
#include <unordered_set>

namespace nc::core {

const Node* Network::node(NodeId id) const
{
    int i = nodeIndex(id);
    return i < 0 ? nullptr : &m_nodes[static_cast<size_t>(i)];
}
Node* Network::node(NodeId id)
{
    int i = nodeIndex(id);
    return i < 0 ? nullptr : &m_nodes[static_cast<size_t>(i)];
}
const Edge* Network::edge(EdgeId id) const
{
    int i = edgeIndex(id);
    return i < 0 ? nullptr : &m_edges[static_cast<size_t>(i)];
}
int Network::nodeIndex(NodeId id) const
{
    auto it = m_nodeIndex.find(id.v);
    return it == m_nodeIndex.end() ? -1 : it->second;
}

NodeId Network::findByName(const std::string& name) const
{
    for (const Node& n : m_nodes)
        if (n.name == name)
            return n.id;
    return {};
}

void Network::reindex()
{
    m_nodeIndex.clear();
    for (size_t i = 0; i < m_nodes.size(); ++i)
        m_nodeIndex[m_nodes[i].id.v] = static_cast<int>(i);
}

void Network::reserve(size_t nodes, size_t edges)
{
    m_nodes.reserve(nodes);
    m_nodeIndex.reserve(nodes);
    m_edges.reserve(edges);
    m_edgeIndex.reserve(edges);
    m_portIndex.reserve(edges);
}

Result<NodeId> Network::addNode(Node n) { return insertNode(std::move(n), static_cast<int>(m_nodes.size())); }

Result<NodeId> Network::insertNode(Node n, int index)
{
    if (!n.id.valid())
        n.id = NodeId{m_nextNode};
    if (m_nodeIndex.count(n.id.v))
        return Error{"duplicate layer id " + std::to_string(n.id.v)};
    if (n.id.v == UINT32_MAX)
        return Error{"layer id " + std::to_string(n.id.v) + " is too large"};
    m_nextNode = std::max(m_nextNode, n.id.v + 1);
    NodeId id = n.id;
    index = std::clamp(index, 0, static_cast<int>(m_nodes.size()));
    m_nodes.insert(m_nodes.begin() + index, std::move(n));
    if (index == static_cast<int>(m_nodes.size()) - 1)
        m_nodeIndex[id.v] = index;
    else
        reindex();
    return id;
}

bool Network::removeNode(NodeId id)
{
    int i = nodeIndex(id);
    if (i < 0)
        return false;
    m_nodes.erase(m_nodes.begin() + i);
    reindex();
    return true;
}

int Network::inputCount(const Node& n) const
{
    return Catalogue::instance().spec(n.type).inputCount(n.params);
}

int Network::outputCount(const Node& n) const
{
    return Catalogue::instance().spec(n.type).outputCount(n.params);
}

const Edge* Network::edgeInto(NodeId to, int port) const
{
    auto it = m_portIndex.find(portKey(to, port));
    return it == m_portIndex.end() ? nullptr : &m_edges[it->second];
}

void Network::reindexEdges()
{
    m_edgeIndex.clear();
    m_portIndex.clear();
    for (size_t i = 0; i < m_edges.size(); ++i) {
        m_edgeIndex[m_edges[i].id.v] = i;
        m_portIndex.try_emplace(portKey(m_edges[i].to, m_edges[i].toPort), i);
    }
}

std::vector<EdgeId> Network::edgesOf(NodeId id) const
{
    std::vector<EdgeId> out;
    for (const Edge& e : m_edges)
        if (e.from == id || e.to == id)
            out.push_back(e.id);
    return out;
}

bool Network::reaches(NodeId from, NodeId to) const
{
    if (from == to)
        return true;
    std::unordered_map<uint32_t, std::vector<uint32_t>> out;
    for (const Edge& e : m_edges)
        out[e.from.v].push_back(e.to.v);
    std::vector<uint32_t> stack{from.v};
    std::unordered_set<uint32_t> seen{from.v};
    while (!stack.empty()) {
        uint32_t v = stack.back();
        stack.pop_back();
        for (uint32_t w : out[v]) {
            if (w == to.v)
                return true;
            if (seen.insert(w).second)
                stack.push_back(w);
        }
    }
    return false;
}

Status Network::connectionPossible(NodeId from, NodeId to, int toPort, int fromPort) const
{
    const Node* a = node(from);
    const Node* b = node(to);
    if (!a || !b)
        return Error{"connection refers to a layer that does not exist"};
    if (from == to)
        return Error{"layer \"" + a->name + "\" cannot feed itself"};
    int n = inputCount(*b);
    if (toPort < 0 || toPort >= n)
        return Error{"layer \"" + b->name + "\" has no input port " + std::to_string(toPort) +
                     (n == 0 ? " (it takes no input)" : " (ports 0–" + std::to_string(n - 1) + ")")};
    if (int outs = outputCount(*a); fromPort < 0 || fromPort >= outs)
        return Error{"layer \"" + a->name + "\" has no output port " + std::to_string(fromPort) +
                     " (ports 0–" + std::to_string(outs - 1) + ")"};
    if (edgeInto(to, toPort))
        return Error{"input port " + std::to_string(toPort) + " of layer \"" + b->name +
                     "\" is already connected; disconnect it first"};
    if (reaches(to, from))
        return Error{"connecting \"" + a->name + "\" to \"" + b->name + "\" would make a cycle"};
    return {};
}

Result<EdgeId> Network::connect(NodeId from, NodeId to, int toPort, EdgeId id, int fromPort)
{
    Status s = connectionPossible(from, to, toPort, fromPort);
    if (!s)
        return Error{s.error()};
    return addEdgeUnchecked(Edge{id, from, to, toPort, fromPort});
}

Result<EdgeId> Network::addEdgeUnchecked(Edge e) { return insertEdgeUnchecked(e, static_cast<int>(m_edges.size())); }

int Network::edgeIndex(EdgeId id) const
{
    auto it = m_edgeIndex.find(id.v);
    return it == m_edgeIndex.end() ? -1 : static_cast<int>(it->second);
}

Result<EdgeId> Network::insertEdgeUnchecked(Edge e, int index)
{
    if (!e.id.valid())
        e.id = EdgeId{m_nextEdge};
    if (e.id.v == UINT32_MAX)
        return Error{"edge id " + std::to_string(e.id.v) + " is too large"};
    if (m_edgeIndex.count(e.id.v))
        return Error{"duplicate edge id " + std::to_string(e.id.v)};
    m_nextEdge = std::max(m_nextEdge, e.id.v + 1);
    index = std::clamp(index, 0, static_cast<int>(m_edges.size()));
    m_edges.insert(m_edges.begin() + index, e);
    if (static_cast<size_t>(index) + 1 == m_edges.size()) {
        m_edgeIndex[e.id.v] = static_cast<size_t>(index);
        m_portIndex.try_emplace(portKey(e.to, e.toPort), static_cast<size_t>(index));
    } else {
        reindexEdges();
    }
    return e.id;
}

bool Network::removeEdge(EdgeId id)
{
    int i = edgeIndex(id);
    if (i < 0)
        return false;
    m_edges.erase(m_edges.begin() + i);
    reindexEdges();
    return true;
}

std::string Network::uniqueName(const std::string& stem) const
{
    std::unordered_set<std::string> used;
    for (const Node& n : m_nodes)
        used.insert(n.name);
    for (int i = 1;; ++i) {
        std::string c = stem + std::to_string(i);
        if (!used.count(c))
            return c;
    }
}

} // namespace nc::core

// Layout: longest-path layering with column inheritance.
#include "Layout.h"

#include <algorithm>
#include <functional>
#include <queue>
#include <unordered_map>

namespace nc::core {

std::vector<NodePosition> layeredLayout(const Network& net)
{
    const auto& nodes = net.nodes();
    const int n = static_cast<int>(nodes.size());
    std::vector<std::vector<int>> out(static_cast<size_t>(n));
    std::vector<int> indeg(static_cast<size_t>(n), 0);
    std::vector<int> firstInput(static_cast<size_t>(n), -1);
    for (const Edge& e : net.edges()) {
        int a = net.nodeIndex(e.from), b = net.nodeIndex(e.to);
        if (a < 0 || b < 0)
            continue;
        out[static_cast<size_t>(a)].push_back(b);
        ++indeg[static_cast<size_t>(b)];
        if (e.toPort == 0)
            firstInput[static_cast<size_t>(b)] = a;
    }
    std::vector<int> depth(static_cast<size_t>(n), 0);
    std::vector<int> order;
    order.reserve(static_cast<size_t>(n));
    std::priority_queue<int, std::vector<int>, std::greater<int>> ready;
    for (int i = 0; i < n; ++i)
        if (!indeg[static_cast<size_t>(i)])
            ready.push(i);
    while (!ready.empty()) {
        int i = ready.top();
        ready.pop();
        order.push_back(i);
        for (int j : out[static_cast<size_t>(i)]) {
            depth[static_cast<size_t>(j)] = std::max(depth[static_cast<size_t>(j)], depth[static_cast<size_t>(i)] + 1);
            if (--indeg[static_cast<size_t>(j)] == 0)
                ready.push(j);
        }
    }
    // Nodes on a cycle (only in damaged designs) go below everything else.
    int maxDepth = 0;
    for (int i : order)
        maxDepth = std::max(maxDepth, depth[static_cast<size_t>(i)]);
    for (int i = 0; i < n; ++i)
        if (indeg[static_cast<size_t>(i)] > 0) {
            depth[static_cast<size_t>(i)] = ++maxDepth;
            order.push_back(i);
        }

    std::vector<int> column(static_cast<size_t>(n), 0);
    // Per row, "next free column at or right of c" with path compression: a wide fan-out (an imported
    // graph with thousands of branches in one row) stays near-linear instead of probing one by one.
    std::unordered_map<int, std::unordered_map<int, int>> taken; // depth -> column -> a column to try next
    auto findFree = [&](std::unordered_map<int, int>& row, int c) {
        int root = c;
        while (true) {
            auto it = row.find(root);
            if (it == row.end())
                break;
            root = it->second;
        }
        while (c != root) { // compress the path just walked
            auto it = row.find(c);
            int next = it->second;
            it->second = root;
            c = next;
        }
        return root;
    };
    int nextFree = 0;
    for (int i : order) {
        int want = firstInput[static_cast<size_t>(i)] >= 0 ? column[static_cast<size_t>(firstInput[static_cast<size_t>(i)])]
                                                            : nextFree;
        auto& row = taken[depth[static_cast<size_t>(i)]];
        want = findFree(row, want);
        row[want] = want + 1;
        column[static_cast<size_t>(i)] = want;
        if (firstInput[static_cast<size_t>(i)] < 0)
            nextFree = std::max(nextFree, want + 1);
    }
    std::vector<NodePosition> pos;
    pos.reserve(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i)
        pos.push_back({nodes[static_cast<size_t>(i)].id, column[static_cast<size_t>(i)] * kLayoutColumn,
                       depth[static_cast<size_t>(i)] * kLayoutRow});
    return pos;
}

void applyLayout(Network& net, const std::vector<NodePosition>& pos)
{
    for (const NodePosition& p : pos)
        if (Node* nd = net.node(p.id)) {
            nd->x = p.x;
            nd->y = p.y;
        }
}

} // namespace nc::core

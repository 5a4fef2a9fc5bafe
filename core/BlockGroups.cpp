// BlockGroups: block inference from names, group figures and the contracted layout.
#include "BlockGroups.h"

#include "DottedName.h"

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

namespace nc::core {

namespace {

bool numeric(std::string_view s)
{
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

} // namespace

std::string blockOf(const std::string& name)
{
    // Component boundaries: [start, end) pairs, separators excluded.
    std::vector<std::pair<size_t, size_t>> parts;
    size_t start = 0;
    for (size_t i = 0; i <= name.size(); ++i)
        if (i == name.size() || isNameSeparator(name[i])) {
            if (i > start)
                parts.push_back({start, i});
            start = i + 1;
        }
    if (parts.size() < 2)
        return {};
    for (size_t k = 0; k + 1 < parts.size(); ++k)
        if (numeric(std::string_view(name).substr(parts[k].first, parts[k].second - parts[k].first)))
            return name.substr(0, parts[k].second);
    return name.substr(0, parts[parts.size() - 2].second);
}

std::vector<BlockGroup> inferBlockGroups(const Network& net)
{
    std::vector<BlockGroup> groups;
    std::unordered_map<std::string, size_t> index;
    for (const Node& n : net.nodes()) {
        std::string key = blockOf(n.name);
        if (key.empty())
            continue;
        auto [it, added] = index.try_emplace(key, groups.size());
        if (added)
            groups.push_back({std::move(key), {}});
        groups[it->second].members.push_back(n.id);
    }
    std::erase_if(groups, [](const BlockGroup& g) { return g.members.size() < 2; });
    return groups;
}

std::vector<BlockGroup> designGroups(const Network& net)
{
    std::vector<BlockGroup> groups;
    std::unordered_map<uint32_t, size_t> userOf; // layer → index of its user group in `groups`
    for (const NodeGroup& g : net.groups) {
        BlockGroup b{g.name, {}, true};
        for (NodeId id : g.members)
            if (net.nodeIndex(id) >= 0 && userOf.try_emplace(id.v, groups.size()).second)
                b.members.push_back(id);
        if (b.members.empty())
            continue;
        std::sort(b.members.begin(), b.members.end(),
                  [&](NodeId x, NodeId y) { return net.nodeIndex(x) < net.nodeIndex(y); });
        groups.push_back(std::move(b));
    }
    for (BlockGroup& b : inferBlockGroups(net)) {
        std::erase_if(b.members, [&](NodeId id) { return userOf.count(id.v) > 0; });
        if (b.members.size() >= 2 && std::none_of(groups.begin(), groups.end(), [&](const BlockGroup& u) {
                return u.name == b.name;
            }))
            groups.push_back(std::move(b));
    }
    std::stable_sort(groups.begin(), groups.end(), [&](const BlockGroup& x, const BlockGroup& y) {
        return net.nodeIndex(x.members.front()) < net.nodeIndex(y.members.front());
    });
    return groups;
}

GroupFigures groupFigures(const Network& net, const AnalysisResult& a, const BlockGroup& group)
{
    GroupFigures f;
    f.sums = sumLayers(a, net, group.members);
    const std::set<NodeId> inside(group.members.begin(), group.members.end());
    for (NodeId id : group.members)
        if (const LayerResult* l = a.layer(id, net)) {
            f.errors += l->status != LayerStatus::Ok;
            f.peakLiveBytes = std::max(f.peakLiveBytes, l->liveBytes);
        }

    // Inputs: tensors from outside read by a member, in member order then port order; a tensor read
    // by several members (a bottleneck's input feeding its first conv and its shortcut) counts once.
    std::set<NodeId> sources;
    for (NodeId id : group.members) {
        std::vector<const Edge*> in;
        for (const Edge& e : net.edges())
            if (e.to == id && !inside.count(e.from))
                in.push_back(&e);
        std::sort(in.begin(), in.end(), [](const Edge* x, const Edge* y) { return x->toPort < y->toPort; });
        for (const Edge* e : in)
            if (const LayerResult* src = a.layer(e->from, net);
                src && src->status == LayerStatus::Ok && sources.insert(e->from).second)
                f.inputs.push_back(src->output);
    }
    // Outputs: members read from outside, or read by nobody (the network's outputs).
    for (NodeId id : group.members) {
        bool leaves = false, read = false;
        for (const Edge& e : net.edges())
            if (e.from == id) {
                read = true;
                leaves = leaves || !inside.count(e.to);
            }
        if (leaves || !read)
            if (const LayerResult* l = a.layer(id, net); l && l->status == LayerStatus::Ok)
                f.outputs.push_back(l->output);
    }
    return f;
}

std::vector<NodePosition> collapsedLayout(const Network& net, const std::vector<BlockGroup>& collapsed,
                                          double aspect)
{
    std::unordered_map<uint32_t, NodeId> rep; // member → the group's first member
    for (const BlockGroup& g : collapsed)
        for (NodeId id : g.members)
            rep[id.v] = g.members.front();
    auto repOf = [&](NodeId id) {
        auto it = rep.find(id.v);
        return it == rep.end() ? id : it->second;
    };

    Network q;
    for (const Node& n : net.nodes())
        if (repOf(n.id) == n.id)
            (void)q.addNode(n);
    std::set<std::pair<uint32_t, uint32_t>> seen;
    std::map<uint32_t, int> nextPort; // a contracted group's inputs take ports 0, 1, … in order
    for (const Edge& e : net.edges()) {
        const NodeId from = repOf(e.from), to = repOf(e.to);
        if (from == to || !seen.insert({from.v, to.v}).second)
            continue;
        const bool group = to != e.to;
        const int port = group ? nextPort[to.v]++ : e.toPort;
        (void)q.addEdgeUnchecked(Edge{{}, from, to, port});
    }
    std::vector<NodePosition> pos = layeredLayout(q);
    if (pos.empty())
        return pos;

    // Bands: rows r go to band r / perBand. Pick the band count whose bounding box, fitted into a
    // view of the given aspect, gets the largest zoom: min(aspect / width, 1 / height).
    std::set<double> ys;
    double minX = pos.front().x, maxX = pos.front().x;
    for (const NodePosition& p : pos) {
        ys.insert(p.y);
        minX = std::min(minX, p.x);
        maxX = std::max(maxX, p.x);
    }
    const std::vector<double> rows(ys.begin(), ys.end());
    const int r = static_cast<int>(rows.size());
    const double bandWidth = maxX - minX + kLayoutColumn + kLayoutColumn / 3; // a gap between bands
    int bestBands = 1;
    double bestZoom = 0;
    for (int b = 1; b <= r; ++b) {
        const int perBand = (r + b - 1) / b;
        const double zoom = std::min(std::max(aspect, 0.1) / (b * bandWidth), 1.0 / (perBand * kLayoutRow));
        if (zoom > bestZoom * 1.0001) {
            bestZoom = zoom;
            bestBands = b;
        }
    }
    if (bestBands == 1)
        return pos;
    const int perBand = (r + bestBands - 1) / bestBands;
    for (NodePosition& p : pos) {
        const int row = static_cast<int>(std::lower_bound(rows.begin(), rows.end(), p.y) - rows.begin());
        p.x += (row / perBand) * bandWidth;
        p.y = rows.front() + (row % perBand) * kLayoutRow;
    }
    return pos;
}

} // namespace nc::core

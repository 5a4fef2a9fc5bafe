// ReceptiveFieldMap: walks back from one output position through the kinds' receptive-field steps.
#include "ReceptiveFieldMap.h"

#include "RfSteps.h"

#include <algorithm>
#include <array>

namespace nc::core {

namespace {

using Cells = std::vector<int64_t>;

// A set grows to at most every position of an axis plus its padding; far beyond any real image, this
// bound stops a pathological design from exhausting memory instead of answering.
constexpr size_t kMaxCells = size_t(1) << 22;

void normalise(Cells& c)
{
    std::sort(c.begin(), c.end());
    c.erase(std::unique(c.begin(), c.end()), c.end());
}

std::string quoted(const Network& net, int node) { return "layer \"" + net.nodes()[static_cast<size_t>(node)].name + "\""; }

} // namespace

bool RfCells::contains(int64_t h, int64_t w) const
{
    return std::binary_search(cells[0].begin(), cells[0].end(), h) &&
           std::binary_search(cells[1].begin(), cells[1].end(), w);
}

Result<RfCells> receptiveFieldCells(const Network& net, const AnalysisResult& a, NodeId layer, int64_t h, int64_t w)
{
    const int target = net.nodeIndex(layer);
    const LayerResult* lt = a.layerAtNode(target);
    if (!lt)
        return Error{"no such layer"};
    if (lt->status != LayerStatus::Ok)
        return Error{quoted(net, target) + " has an error; fix it first"};
    if (!lt->rf.valid)
        return Error{quoted(net, target) + " has no spatial receptive field"};
    RfCells out;
    out.rf = lt->rf;
    out.outExtent[0] = lt->rf.extent[0];
    out.outExtent[1] = lt->rf.extent[1];
    const int64_t pos[2] = {h, w};
    for (int ax = 0; ax < 2; ++ax) {
        if (pos[ax] < 0 || pos[ax] >= out.outExtent[ax])
            return Error{quoted(net, target) + ": position " + std::to_string(pos[ax]) + " is outside its " +
                         std::to_string(out.outExtent[ax]) + " positions along " + (ax == 0 ? "H" : "W")};
        out.centre[ax] = lt->rf.start[ax] + static_cast<double>(pos[ax] * lt->rf.jump[ax]);
    }

    // Input ports of every node, in port order (the analysis' order of its input shapes and fields).
    const size_t n = net.nodes().size();
    std::vector<std::vector<int>> sources(n);
    for (const Edge& e : net.edges()) {
        const int to = net.nodeIndex(e.to), from = net.nodeIndex(e.from);
        if (to < 0 || from < 0)
            continue;
        auto& s = sources[static_cast<size_t>(to)];
        if (static_cast<int>(s.size()) <= e.toPort)
            s.resize(static_cast<size_t>(e.toPort) + 1, -1);
        s[static_cast<size_t>(e.toPort)] = from;
    }

    std::vector<std::array<Cells, 2>> cells(n);
    std::vector<char> reached(n, 0);
    cells[static_cast<size_t>(target)][0] = {h};
    cells[static_cast<size_t>(target)][1] = {w};
    reached[static_cast<size_t>(target)] = 1;
    // Windows on the longest way back, per node (the L of L·(k − 1) + 1).
    std::vector<std::array<int, 2>> windows(n, {0, 0});

    std::vector<RfStep> steps;
    std::vector<ReceptiveField> inRf;
    for (int step = lt->step; step >= 0; --step) {
        const LayerResult& L = a.layers[static_cast<size_t>(step)];
        const size_t i = static_cast<size_t>(L.nodeIndex);
        if (!reached[i])
            continue;
        if (L.type == LayerType::Input) {
            if (!out.input.valid()) {
                out.input = L.id;
                out.inExtent[0] = L.rf.extent[0];
                out.inExtent[1] = L.rf.extent[1];
                out.cells[0] = cells[i][0];
                out.cells[1] = cells[i][1];
                out.windows[0] = windows[i][0];
                out.windows[1] = windows[i][1];
            }
            continue;
        }
        const Node& node = net.nodes()[i];
        const std::span<const Shape> inShapes = a.inputsOf(L);
        inRf.clear();
        for (int src : sources[i])
            inRf.push_back(src >= 0 ? a.layerAtNode(src)->rf : ReceptiveField{});
        steps.clear();
        auto rf = receptiveFieldSteps(node.type, node.params, inRf, inShapes, L.output, steps);
        if (!rf)
            return Error{quoted(net, L.nodeIndex) + ": " + rf.error()};

        std::array<Cells, 2> c = cells[i];
        std::array<int, 2> wins = windows[i];
        for (auto it = steps.rbegin(); it != steps.rend(); ++it) {
            const RfStep& s = *it;
            Cells& x = c[static_cast<size_t>(s.axis)];
            switch (s.kind) {
            case RfStep::Kind::Window: {
                Cells y;
                y.reserve(x.size() * static_cast<size_t>(std::max<int64_t>(s.kernel, 1)));
                for (int64_t o : x)
                    for (int64_t t = 0; t < s.kernel; ++t)
                        y.push_back(o * s.stride - s.padBefore + t * s.dilation);
                normalise(y);
                x = std::move(y);
                if (s.kernel > 1)
                    ++wins[static_cast<size_t>(s.axis)];
                break;
            }
            case RfStep::Kind::Global: {
                Cells y(static_cast<size_t>(std::max<int64_t>(s.inExtent, 1)));
                for (size_t k = 0; k < y.size(); ++k)
                    y[k] = static_cast<int64_t>(k);
                // Positions already outside the grid (padding seen before) stay part of the field.
                for (int64_t o : x)
                    if (o < 0 || o >= s.inExtent)
                        y.push_back(o);
                normalise(y);
                x = std::move(y);
                break;
            }
            case RfStep::Kind::Other:
                return Error{quoted(net, L.nodeIndex) + " moves positions along " + (s.axis == 0 ? "H" : "W") +
                             " other than by a sliding window; the explorer follows windows, global operations and "
                             "layers that keep positions"};
            case RfStep::Kind::Lost:
                return Error{quoted(net, L.nodeIndex) + " has no spatial receptive field"};
            }
            if (x.size() > kMaxCells)
                return Error{quoted(net, L.nodeIndex) + ": the field holds more than " + std::to_string(kMaxCells) +
                             " positions along an axis"};
        }

        // The grid the steps start from: the extent of the input carrying the spatial axes (the
        // largest). Other inputs either share it or broadcast a single position over it.
        int64_t grid[2] = {1, 1};
        for (const ReceptiveField& r : inRf)
            if (r.valid)
                for (int ax = 0; ax < 2; ++ax)
                    grid[ax] = std::max(grid[ax], r.extent[ax]);
        for (size_t port = 0; port < sources[i].size(); ++port) {
            const int src = sources[i][port];
            if (src < 0 || !inRf[port].valid)
                continue;
            auto& dst = cells[static_cast<size_t>(src)];
            for (int ax = 0; ax < 2; ++ax) {
                const int64_t e = inRf[port].extent[ax];
                Cells& d = dst[static_cast<size_t>(ax)];
                if (e == grid[ax])
                    d.insert(d.end(), c[static_cast<size_t>(ax)].begin(), c[static_cast<size_t>(ax)].end());
                else if (e == 1)
                    d.push_back(0);
                else
                    return Error{quoted(net, L.nodeIndex) + " joins inputs of " + std::to_string(e) + " and " +
                                 std::to_string(grid[ax]) + " positions along " + (ax == 0 ? "H" : "W") +
                                 "; the explorer cannot line them up"};
                normalise(d);
                windows[static_cast<size_t>(src)][static_cast<size_t>(ax)] =
                    std::max(windows[static_cast<size_t>(src)][static_cast<size_t>(ax)], wins[static_cast<size_t>(ax)]);
            }
            reached[static_cast<size_t>(src)] = 1;
        }
    }
    if (!out.input.valid())
        return Error{quoted(net, target) + " is not fed by a network input with a spatial field"};
    return out;
}

} // namespace nc::core

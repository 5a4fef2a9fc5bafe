// RandomGraphs: memory graphs for schedule tests and benchmarks — hand-written DAGs and randomly
// wired cells (Watts–Strogatz, as RandWire: a ring lattice rewired at random, edges oriented from
// the lower to the higher index, one input feeding every source and one output joining every sink).
#pragma once

#include "core/deploy/Deployment.h"

#include <algorithm>
#include <random>
#include <set>
#include <utility>
#include <vector>

namespace nc::test {

// ops[i] allocates bytes[i] and reads the outputs of deps[i]; an op nobody reads is an output.
inline nc::core::deploy::MemoryGraph memoryGraph(const std::vector<int64_t>& bytes,
                                                 const std::vector<std::vector<int>>& deps)
{
    using namespace nc::core::deploy;
    MemoryGraph g;
    const int n = static_cast<int>(bytes.size());
    for (int i = 0; i < n; ++i) {
        MemOp op;
        op.node = i;
        op.deps = deps[static_cast<size_t>(i)];
        op.reads = op.deps;
        op.buffer = i;
        op.outputBytes = bytes[static_cast<size_t>(i)];
        g.ops.push_back(op);
        MemBuffer b;
        b.producer = i;
        b.bytes = bytes[static_cast<size_t>(i)];
        g.buffers.push_back(b);
    }
    for (int i = 0; i < n; ++i)
        for (int d : deps[static_cast<size_t>(i)])
            g.buffers[static_cast<size_t>(d)].readers.push_back(i);
    for (auto& b : g.buffers)
        b.output = b.readers.empty();
    return g;
}

// Watts–Strogatz cell of `inner` random nodes (k nearest neighbours on the ring, rewiring probability
// p) plus an input and an output node; buffer sizes uniform in [lo, hi].
// With `scratch`, every third op also needs scratch of up to `hi` bytes while it runs.
inline nc::core::deploy::MemoryGraph wattsStrogatz(int inner, int k, double p, unsigned seed, int64_t lo = 1,
                                                   int64_t hi = 100, bool scratch = false)
{
    std::mt19937 rng(seed);
    std::set<std::pair<int, int>> edges;
    for (int i = 0; i < inner; ++i)
        for (int j = 1; j <= k / 2; ++j)
            edges.insert({i, (i + j) % inner});
    std::uniform_real_distribution<double> coin(0, 1);
    std::uniform_int_distribution<int> pick(0, std::max(0, inner - 1));
    std::set<std::pair<int, int>> rewired;
    for (auto [a, b] : edges) {
        if (coin(rng) < p && inner > 2) {
            int c = pick(rng);
            for (int tries = 0; tries < 32 && (c == a || edges.count({a, c}) || rewired.count({a, c}) ||
                                               rewired.count({c, a}) || edges.count({c, a}));
                 ++tries)
                c = pick(rng);
            if (c != a)
                b = c;
        }
        if (a != b)
            rewired.insert({a, b});
    }
    // Node 0 is the input, 1..inner the cell, inner + 1 the output.
    std::vector<std::vector<int>> deps(static_cast<size_t>(inner) + 2);
    for (auto [a, b] : rewired) {
        int from = std::min(a, b) + 1, to = std::max(a, b) + 1;
        auto& d = deps[static_cast<size_t>(to)];
        if (std::find(d.begin(), d.end(), from) == d.end())
            d.push_back(from);
    }
    std::vector<char> hasSucc(static_cast<size_t>(inner) + 2, 0);
    for (int i = 1; i <= inner; ++i) {
        if (deps[static_cast<size_t>(i)].empty())
            deps[static_cast<size_t>(i)].push_back(0);
        for (int d : deps[static_cast<size_t>(i)])
            hasSucc[static_cast<size_t>(d)] = 1;
    }
    for (int i = 1; i <= inner; ++i)
        if (!hasSucc[static_cast<size_t>(i)])
            deps[static_cast<size_t>(inner) + 1].push_back(i);
    std::uniform_int_distribution<int64_t> size(lo, hi);
    std::vector<int64_t> bytes(static_cast<size_t>(inner) + 2);
    for (auto& b : bytes)
        b = size(rng);
    nc::core::deploy::MemoryGraph g = memoryGraph(bytes, deps);
    if (scratch)
        for (size_t i = 0; i < g.ops.size(); i += 3)
            g.ops[i].scratchBytes = size(rng);
    return g;
}

} // namespace nc::test

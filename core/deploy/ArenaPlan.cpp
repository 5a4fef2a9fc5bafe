// ArenaPlan: greedy placements of blocks over time.
#include "ArenaPlan.h"

#include <algorithm>
#include <cctype>
#include <functional>
#include <numeric>
#include <set>

namespace nc::core::deploy {

namespace {

size_t U(int i) { return static_cast<size_t>(i); }

int64_t alignUp(int64_t v, int64_t a) { return a <= 1 ? v : (v + a - 1) / a * a; }

bool overlapInTime(const ArenaBlock& a, const ArenaBlock& b)
{
    return a.firstStep <= b.lastStep && b.firstStep <= a.lastStep;
}

// Places blocks in `order`; returns the arena size and writes offsets into `blocks`.
int64_t place(std::vector<ArenaBlock>& blocks, const std::vector<int>& order, bool bestFit, int64_t alignment)
{
    std::vector<int> placed;
    placed.reserve(order.size());
    std::vector<int> near;
    int64_t arena = 0;
    for (int i : order) {
        ArenaBlock& b = blocks[U(i)];
        if (b.bytes == 0) {
            b.offset = 0;
            continue;
        }
        near.clear();
        for (int j : placed)
            if (overlapInTime(b, blocks[U(j)]))
                near.push_back(j);
        std::sort(near.begin(), near.end(),
                  [&](int x, int y) { return blocks[U(x)].offset < blocks[U(y)].offset; });
        int64_t candidate = 0, chosen = -1, chosenGap = INT64_MAX;
        for (int j : near) {
            const ArenaBlock& o = blocks[U(j)];
            if (o.offset >= candidate && o.offset - candidate >= b.bytes) {
                int64_t gap = o.offset - candidate;
                if (!bestFit) {
                    chosen = candidate;
                    break;
                }
                if (gap < chosenGap) {
                    chosenGap = gap;
                    chosen = candidate;
                }
            }
            candidate = std::max(candidate, alignUp(o.offset + o.bytes, alignment));
        }
        b.offset = chosen >= 0 ? chosen : candidate;
        arena = std::max(arena, b.offset + b.bytes);
        placed.push_back(i);
    }
    return arena;
}

} // namespace

ArenaPlan planArena(const MemoryGraph& g, const Timeline& t, Planner planner, int64_t alignment)
{
    ArenaPlan p;
    p.planner = planner;
    p.lowerBoundBytes = t.peakBytes;
    for (size_t b = 0; b < g.buffers.size(); ++b) {
        const MemBuffer& B = g.buffers[b];
        ArenaBlock k;
        k.buffer = static_cast<int>(b);
        k.op = B.producer;
        k.node = g.ops[U(B.producer)].node;
        k.port = B.port;
        k.bytes = B.bytes;
        k.firstStep = t.firstStep[b];
        k.lastStep = t.lastStep[b];
        p.blocks.push_back(k);
    }
    for (size_t s = 0; s < t.order.size(); ++s) {
        const MemOp& op = g.ops[U(t.order[s])];
        if (op.scratchBytes <= 0)
            continue;
        ArenaBlock k;
        k.op = t.order[s];
        k.node = op.node;
        k.bytes = op.scratchBytes;
        k.firstStep = k.lastStep = static_cast<int>(s);
        p.blocks.push_back(k);
    }

    const size_t n = p.blocks.size();
    auto orderBy = [&](const std::function<bool(const ArenaBlock&, const ArenaBlock&)>& before) {
        std::vector<int> o(n);
        std::iota(o.begin(), o.end(), 0);
        std::stable_sort(o.begin(), o.end(), [&](int a, int b) { return before(p.blocks[U(a)], p.blocks[U(b)]); });
        return o;
    };
    auto life = [](const ArenaBlock& b) { return int64_t(b.lastStep - b.firstStep + 1); };
    const auto bySize = orderBy([](const ArenaBlock& a, const ArenaBlock& b) { return a.bytes > b.bytes; });
    if (planner == Planner::Greedy) {
        p.arenaBytes = place(p.blocks, bySize, false, alignment);
        return p;
    }
    const std::vector<std::vector<int>> orders = {
        bySize,
        orderBy([&](const ArenaBlock& a, const ArenaBlock& b) {
            return life(a) != life(b) ? life(a) > life(b) : a.bytes > b.bytes;
        }),
        orderBy([&](const ArenaBlock& a, const ArenaBlock& b) { return a.bytes * life(a) > b.bytes * life(b); }),
        orderBy([](const ArenaBlock& a, const ArenaBlock& b) {
            return a.firstStep != b.firstStep ? a.firstStep < b.firstStep : a.bytes > b.bytes;
        }),
    };
    std::vector<ArenaBlock> best;
    int64_t bestArena = INT64_MAX;
    for (const auto& o : orders)
        for (bool fit : {false, true}) {
            std::vector<ArenaBlock> trial = p.blocks;
            int64_t a = place(trial, o, fit, alignment);
            if (a < bestArena) {
                bestArena = a;
                best = std::move(trial);
            }
        }
    p.blocks = std::move(best);
    p.arenaBytes = bestArena;
    return p;
}

bool planIsValid(const ArenaPlan& p)
{
    for (size_t i = 0; i < p.blocks.size(); ++i)
        for (size_t j = i + 1; j < p.blocks.size(); ++j) {
            const ArenaBlock &a = p.blocks[i], &b = p.blocks[j];
            if (a.bytes == 0 || b.bytes == 0 || !overlapInTime(a, b))
                continue;
            if (a.offset < b.offset + b.bytes && b.offset < a.offset + a.bytes)
                return false;
        }
    return true;
}

std::string arenaHeader(const ArenaPlan& p, const Network& net)
{
    // Macro names from layer names: upper case, anything else than a letter or digit becomes '_'.
    auto macro = [](const std::string& name) {
        std::string m;
        for (char c : name)
            m += std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : '_';
        if (m.empty() || std::isdigit(static_cast<unsigned char>(m[0])))
            m = "L_" + m;
        return m;
    };
    std::string guard = "NC_ARENA_" + macro(net.name) + "_H";
    std::string h = "/* Arena plan of \"" + net.name + "\" written by NetCanvas: offsets and sizes in bytes. */\n";
    h += "#ifndef " + guard + "\n#define " + guard + "\n\n";
    h += "#define NC_ARENA_BYTES " + std::to_string(p.arenaBytes) + "\n\n";
    std::set<std::string> used;
    for (const ArenaBlock& b : p.blocks) {
        std::string base = macro(net.nodes()[U(b.node)].name) + (b.buffer < 0 ? "_SCRATCH" : "") +
                           (b.port > 0 ? "_OUT" + std::to_string(b.port) : "");
        std::string name = base;
        for (int k = 2; used.count(name); ++k)
            name = base + "_" + std::to_string(k);
        used.insert(name);
        h += "#define NC_" + name + "_OFFSET " + std::to_string(b.offset) + "\n";
        h += "#define NC_" + name + "_BYTES " + std::to_string(b.bytes) + "\n";
    }
    h += "\n#endif\n";
    return h;
}

} // namespace nc::core::deploy

// Schedule: timeline of an order, and the set-based dynamic programming / beam search over orders.
#include "Schedule.h"

#include <algorithm>
#include <cstring>
#include <numeric>

namespace nc::core::deploy {

namespace {

size_t U(int i) { return static_cast<size_t>(i); }

// Per-op facts the search touches in its inner loop, flattened.
struct SearchGraph {
    int n = 0;
    int words = 0;
    std::vector<uint64_t> depMask;       // n × words
    std::vector<std::vector<int>> succ;  // ops that depend on op i
    std::vector<int64_t> alloc;          // bytes op i allocates (0 when in place)
    std::vector<int64_t> scratch;
    std::vector<std::vector<int>> reads; // buffers op i reads
    int64_t base = 0;                    // persistent buffers (KV caches): live at every step
    const MemoryGraph* g = nullptr;

    explicit SearchGraph(const MemoryGraph& mg) : g(&mg)
    {
        n = static_cast<int>(mg.ops.size());
        words = (n + 63) / 64;
        depMask.assign(U(n) * U(words), 0);
        succ.resize(U(n));
        alloc.resize(U(n));
        scratch.resize(U(n));
        reads.resize(U(n));
        for (const MemBuffer& b : mg.buffers)
            if (b.persistent)
                base += b.bytes;
        for (int i = 0; i < n; ++i) {
            const MemOp& op = mg.ops[U(i)];
            for (int d : op.deps) {
                depMask[U(i) * U(words) + U(d / 64)] |= uint64_t(1) << (d % 64);
                succ[U(d)].push_back(i);
            }
            alloc[U(i)] = op.allocates ? mg.buffers[U(op.buffer)].bytes : 0;
            for (int b : op.extraBuffers)
                alloc[U(i)] += mg.buffers[U(b)].bytes;
            scratch[U(i)] = op.scratchBytes;
            reads[U(i)] = op.reads;
        }
    }
    static bool has(const uint64_t* s, int i) { return (s[i / 64] >> (i % 64)) & 1; }
    static void set(uint64_t* s, int i) { s[i / 64] |= uint64_t(1) << (i % 64); }
    static void clear(uint64_t* s, int i) { s[i / 64] &= ~(uint64_t(1) << (i % 64)); }
    bool depsIn(int op, const uint64_t* s) const
    {
        const uint64_t* m = &depMask[U(op) * U(words)];
        for (int w = 0; w < words; ++w)
            if (m[w] & ~s[w])
                return false;
        return true;
    }
    // Bytes freed when `op` runs after the set `s` (which does not contain it yet).
    int64_t freedBy(int op, const uint64_t* s) const
    {
        int64_t freed = 0;
        for (int b : reads[U(op)]) {
            const MemBuffer& B = g->buffers[U(b)];
            if (B.output)
                continue;
            bool last = true;
            for (int r : B.readers)
                if (r != op && !has(s, r)) {
                    last = false;
                    break;
                }
            if (last)
                freed += B.bytes;
        }
        // An op whose own output nobody reads frees it at once (it cannot be an output: those are flagged).
        const MemOp& o = g->ops[U(op)];
        if (o.allocates && g->buffers[U(o.buffer)].readers.empty() && !g->buffers[U(o.buffer)].output)
            freed += g->buffers[U(o.buffer)].bytes;
        for (int b : o.extraBuffers)
            if (g->buffers[U(b)].readers.empty() && !g->buffers[U(b)].output)
                freed += g->buffers[U(b)].bytes;
        return freed;
    }
};

// One level of the search: every state is a set of scheduled ops (and the ops ready after it).
struct Level {
    int words = 0;
    std::vector<uint64_t> sets;  // 2·words per state: scheduled, ready
    std::vector<int64_t> peak;   // best peak reaching the set
    std::vector<int64_t> mem;    // live bytes after the set (a function of the set)
    std::vector<int> parent;     // state index in the previous level
    std::vector<int> op;         // op added last
    std::vector<int> table;      // open addressing over states, -1 empty
    size_t size() const { return peak.size(); }
    const uint64_t* set(size_t i) const { return &sets[i * 2 * U(words)]; }
    uint64_t* set(size_t i) { return &sets[i * 2 * U(words)]; }

    static uint64_t hash(const uint64_t* s, int words)
    {
        uint64_t h = 0x9E3779B97F4A7C15ull;
        for (int w = 0; w < words; ++w) {
            h ^= s[w] + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
            h *= 0xBF58476D1CE4E5B9ull;
        }
        return h ^ (h >> 31);
    }
    void rehash()
    {
        size_t cap = 64;
        while (cap < size() * 2 + 2)
            cap *= 2;
        table.assign(cap, -1);
        for (size_t i = 0; i < size(); ++i)
            place(static_cast<int>(i));
    }
    void place(int idx)
    {
        size_t mask = table.size() - 1;
        size_t h = hash(set(U(idx)), words) & mask;
        while (table[h] >= 0)
            h = (h + 1) & mask;
        table[h] = idx;
    }
    int find(const uint64_t* s) const
    {
        if (table.empty())
            return -1;
        size_t mask = table.size() - 1;
        size_t h = hash(s, words) & mask;
        while (table[h] >= 0) {
            if (std::memcmp(set(U(table[h])), s, U(words) * sizeof(uint64_t)) == 0)
                return table[h];
            h = (h + 1) & mask;
        }
        return -1;
    }
    // Adds or improves the state for `s` (2·words: scheduled and ready).
    void offer(const uint64_t* s, int64_t pk, int64_t m, int par, int o)
    {
        int idx = find(s);
        if (idx >= 0) {
            if (pk < peak[U(idx)]) {
                peak[U(idx)] = pk;
                parent[U(idx)] = par;
                op[U(idx)] = o;
            }
            return;
        }
        sets.insert(sets.end(), s, s + 2 * words);
        peak.push_back(pk);
        mem.push_back(m);
        parent.push_back(par);
        op.push_back(o);
        if (table.size() < size() * 2 + 2)
            rehash();
        else
            place(static_cast<int>(size() - 1));
    }
};

struct SearchOutcome {
    bool completed = false; // exact: every set was examined; beam: always
    bool found = false;     // a full order strictly below the bound was found
    std::vector<int> order;
    int64_t states = 0;
};

struct Candidate {
    int64_t peak, mem;
    int state, op;
};

// Level-synchronous search over sets, keeping only sets whose peak stays below `bound`.
// beamWidth 0: exact (fails when a level holds more than maxStates sets); otherwise the best
// beamWidth sets per level by (peak, live bytes).
SearchOutcome search(const SearchGraph& sg, int64_t bound, int beamWidth, int64_t maxStates)
{
    SearchOutcome out;
    const int n = sg.n, W = sg.words;
    std::vector<std::vector<int>> parents(U(n) + 1), ops(U(n) + 1);
    Level cur;
    cur.words = W;
    std::vector<uint64_t> start(2 * U(W), 0);
    for (int i = 0; i < n; ++i)
        if (sg.g->ops[U(i)].deps.empty())
            SearchGraph::set(start.data() + W, i);
    cur.offer(start.data(), sg.base, sg.base, -1, -1);
    std::vector<uint64_t> next(2 * U(W));
    std::vector<int> ready;
    std::vector<int64_t> freed;
    std::vector<Candidate> cands;
    auto materialise = [&](Level& nxt, const Candidate& c) {
        const uint64_t* s = cur.set(U(c.state));
        std::copy(s, s + 2 * W, next.begin());
        SearchGraph::set(next.data(), c.op);
        SearchGraph::clear(next.data() + W, c.op);
        for (int y : sg.succ[U(c.op)])
            if (sg.depsIn(y, next.data()))
                SearchGraph::set(next.data() + W, y);
        nxt.offer(next.data(), c.peak, c.mem, c.state, c.op);
    };
    for (int k = 0; k < n; ++k) {
        Level nxt;
        nxt.words = W;
        cands.clear();
        for (size_t si = 0; si < cur.size(); ++si) {
            const uint64_t* s = cur.set(si);
            const int64_t f = cur.peak[si], m = cur.mem[si];
            ready.clear();
            for (int w = 0; w < W; ++w)
                for (uint64_t bits = s[W + w]; bits; bits &= bits - 1)
                    ready.push_back(w * 64 + __builtin_ctzll(bits));
            freed.resize(ready.size());
            // An op that frees at least what it allocates without raising the peak goes first: moving
            // it earlier in any completion lowers or keeps every later step.
            int only = -1;
            for (size_t r = 0; r < ready.size(); ++r) {
                const int x = ready[r];
                freed[r] = sg.freedBy(x, s);
                if (only < 0 && m + sg.alloc[U(x)] + sg.scratch[U(x)] <= f && freed[r] >= sg.alloc[U(x)])
                    only = static_cast<int>(r);
            }
            for (size_t r = 0; r < ready.size(); ++r) {
                if (only >= 0 && static_cast<int>(r) != only)
                    continue;
                const int x = ready[r];
                const int64_t f2 = std::max(f, m + sg.alloc[U(x)] + sg.scratch[U(x)]);
                if (f2 >= bound)
                    continue;
                Candidate c{f2, m + sg.alloc[U(x)] - freed[r], static_cast<int>(si), x};
                if (beamWidth > 0)
                    cands.push_back(c);
                else
                    materialise(nxt, c);
            }
        }
        if (beamWidth > 0) {
            // Rank candidates before building any set: most of them never survive the cut.
            auto better = [](const Candidate& a, const Candidate& b) {
                if (a.peak != b.peak)
                    return a.peak < b.peak;
                if (a.mem != b.mem)
                    return a.mem < b.mem;
                return a.state != b.state ? a.state < b.state : a.op < b.op;
            };
            std::sort(cands.begin(), cands.end(), better);
            for (const Candidate& c : cands) {
                if (nxt.size() >= U(beamWidth))
                    break;
                materialise(nxt, c);
            }
        } else if (static_cast<int64_t>(nxt.size()) > maxStates) {
            out.states += static_cast<int64_t>(nxt.size());
            return out; // not completed
        }
        out.states += static_cast<int64_t>(nxt.size());
        parents[U(k) + 1] = nxt.parent;
        ops[U(k) + 1] = nxt.op;
        cur = std::move(nxt);
        if (cur.size() == 0) {
            out.completed = true;
            return out;
        }
    }
    out.completed = true;
    out.found = true;
    // One full set remains; walk the parents back.
    out.order.resize(U(n));
    int idx = 0;
    for (int k = n; k >= 1; --k) {
        out.order[U(k) - 1] = ops[U(k)][U(idx)];
        idx = parents[U(k)][U(idx)];
    }
    return out;
}

} // namespace

std::vector<int> defaultOrder(const MemoryGraph& g)
{
    std::vector<int> o(g.ops.size());
    std::iota(o.begin(), o.end(), 0);
    return o;
}

bool isTopologicalOrder(const MemoryGraph& g, std::span<const int> order)
{
    const size_t n = g.ops.size();
    if (order.size() != n)
        return false;
    std::vector<int> pos(n, -1);
    for (size_t k = 0; k < n; ++k) {
        int op = order[k];
        if (op < 0 || U(op) >= n || pos[U(op)] >= 0)
            return false;
        pos[U(op)] = static_cast<int>(k);
    }
    for (size_t i = 0; i < n; ++i)
        for (int d : g.ops[i].deps)
            if (pos[U(d)] >= pos[i])
                return false;
    return true;
}

Timeline evaluateOrder(const MemoryGraph& g, std::span<const int> order)
{
    Timeline t;
    t.order.assign(order.begin(), order.end());
    const int n = static_cast<int>(order.size());
    std::vector<int> pos(g.ops.size(), 0);
    for (int k = 0; k < n; ++k)
        pos[U(order[U(k)])] = k;
    t.firstStep.assign(g.buffers.size(), 0);
    t.lastStep.assign(g.buffers.size(), 0);
    std::vector<int64_t> delta(U(n) + 1, 0);
    for (size_t b = 0; b < g.buffers.size(); ++b) {
        const MemBuffer& B = g.buffers[b];
        int first = pos[U(B.producer)], last = first;
        for (int r : B.readers)
            last = std::max(last, pos[U(r)]);
        if (B.output)
            last = n - 1;
        if (B.persistent) {
            first = 0;
            last = n - 1;
        }
        t.firstStep[b] = first;
        t.lastStep[b] = last;
        delta[U(first)] += B.bytes;
        delta[U(last) + 1] -= B.bytes;
    }
    t.liveBytes.resize(U(n));
    int64_t live = 0;
    for (int k = 0; k < n; ++k) {
        live += delta[U(k)];
        t.liveBytes[U(k)] = live + g.ops[U(order[U(k)])].scratchBytes;
        if (t.liveBytes[U(k)] > t.peakBytes || t.peakStep < 0) {
            t.peakBytes = t.liveBytes[U(k)];
            t.peakStep = k;
        }
    }
    return t;
}

int64_t peakLowerBound(const MemoryGraph& g)
{
    int64_t lb = 0, outputs = 0, persistent = 0;
    for (const MemBuffer& b : g.buffers)
        if (b.persistent)
            persistent += b.bytes;
    for (const MemOp& op : g.ops) {
        int64_t need = persistent + op.scratchBytes + (op.allocates ? g.buffers[U(op.buffer)].bytes : 0);
        for (int b : op.extraBuffers)
            need += g.buffers[U(b)].bytes;
        for (int b : op.reads)
            need += g.buffers[U(b)].bytes;
        lb = std::max(lb, need);
    }
    for (const MemBuffer& b : g.buffers)
        if (b.output)
            outputs += b.bytes;
    return std::max(lb, outputs + persistent);
}

int autoBeamWidth(size_t ops)
{
    // The beam's cost grows with ops × width × ready ops; keep large graphs near 100 ms.
    return static_cast<int>(std::clamp<size_t>(8000 / std::max<size_t>(ops, 1), 8, 64));
}

ScheduleResult heuristicSchedule(const MemoryGraph& g, int beamWidth)
{
    if (beamWidth <= 0)
        beamWidth = autoBeamWidth(g.ops.size());
    ScheduleResult r;
    const std::vector<int> base = defaultOrder(g);
    r.timeline = evaluateOrder(g, base);
    r.defaultPeakBytes = r.timeline.peakBytes;
    r.lowerBoundBytes = peakLowerBound(g);
    if (g.ops.empty() || r.lowerBoundBytes >= r.timeline.peakBytes) {
        r.optimal = true;
        r.lowerBoundBytes = r.timeline.peakBytes;
        return r;
    }
    SearchGraph sg(g);
    SearchOutcome o = search(sg, r.timeline.peakBytes, std::max(1, beamWidth), 0);
    r.statesExplored = o.states;
    if (o.found) {
        Timeline t = evaluateOrder(g, o.order);
        if (t.peakBytes < r.timeline.peakBytes)
            r.timeline = std::move(t);
    }
    if (r.lowerBoundBytes >= r.timeline.peakBytes) {
        r.optimal = true;
        r.lowerBoundBytes = r.timeline.peakBytes;
    }
    return r;
}

ScheduleResult optimalSchedule(const MemoryGraph& g, const ScheduleOptions& options)
{
    ScheduleResult r = heuristicSchedule(g, options.beamWidth);
    if (r.optimal)
        return r;
    SearchGraph sg(g);
    // Every set whose peak stays below the heuristic's is examined; if none completes the graph, the
    // heuristic's order is optimal.
    SearchOutcome o = search(sg, r.timeline.peakBytes, 0, options.maxStates);
    r.statesExplored += o.states;
    if (!o.completed)
        return r; // the heuristic's order stands, with its lower bound
    if (o.found) {
        Timeline t = evaluateOrder(g, o.order);
        if (t.peakBytes < r.timeline.peakBytes)
            r.timeline = std::move(t);
    }
    r.optimal = true;
    r.lowerBoundBytes = r.timeline.peakBytes;
    return r;
}

} // namespace nc::core::deploy

// Schedule: timeline of an order, the beam search over sets and the exact decision search over sets.
#include "Schedule.h"

#include <algorithm>
#include <cstring>
#include <numeric>

namespace nc::core::deploy {

namespace {

size_t U(int i) { return static_cast<size_t>(i); }

// Per-op facts the search touches in its inner loop, flattened into bit masks.
struct SearchGraph {
    int n = 0;
    int words = 0;                       // 64-bit words of a set of ops
    std::vector<uint64_t> depMask;       // n × words
    std::vector<uint64_t> succMask;      // n × words
    std::vector<std::vector<int>> succ;  // ops that depend on op i
    std::vector<int64_t> alloc;          // bytes op i allocates (0 when in place)
    std::vector<int64_t> scratch;
    std::vector<std::vector<int>> reads; // buffers op i reads, each once
    std::vector<std::vector<int>> kept;  // buffers op i allocates that live past its step
    std::vector<int64_t> bytes;          // per buffer
    std::vector<char> toEnd;             // per buffer: a network output, never freed
    std::vector<uint64_t> readerMask;    // buffers × words
    // Per op, the bytes live at its step whatever the order (see buildBound).
    std::vector<int64_t> needAlways;
    int64_t staticBound = 0;             // max of needAlways, and the outputs at the end
    int64_t base = 0;                    // persistent buffers (KV caches): live at every step
    const MemoryGraph* g = nullptr;

    explicit SearchGraph(const MemoryGraph& mg) : g(&mg)
    {
        n = static_cast<int>(mg.ops.size());
        const int nb = static_cast<int>(mg.buffers.size());
        words = (n + 63) / 64;
        depMask.assign(U(n) * U(words), 0);
        succMask.assign(U(n) * U(words), 0);
        succ.resize(U(n));
        alloc.resize(U(n));
        scratch.resize(U(n));
        reads.resize(U(n));
        kept.resize(U(n));
        bytes.resize(U(nb));
        toEnd.resize(U(nb));
        readerMask.assign(U(nb) * U(words), 0);
        int64_t outputs = 0;
        for (int b = 0; b < nb; ++b) {
            const MemBuffer& B = mg.buffers[U(b)];
            bytes[U(b)] = B.bytes;
            toEnd[U(b)] = B.output;
            if (B.persistent)
                base += B.bytes;
            else if (B.output)
                outputs += B.bytes;
            for (int r : B.readers)
                set(&readerMask[U(b) * U(words)], r);
        }
        for (int i = 0; i < n; ++i) {
            const MemOp& op = mg.ops[U(i)];
            for (int d : op.deps) {
                depMask[U(i) * U(words) + U(d / 64)] |= uint64_t(1) << (d % 64);
                succMask[U(d) * U(words) + U(i / 64)] |= uint64_t(1) << (i % 64);
                succ[U(d)].push_back(i);
            }
            alloc[U(i)] = op.allocates ? mg.buffers[U(op.buffer)].bytes : 0;
            for (int b : op.extraBuffers)
                alloc[U(i)] += mg.buffers[U(b)].bytes;
            scratch[U(i)] = op.scratchBytes;
            for (int b : op.reads)
                if (!mg.buffers[U(b)].persistent &&
                    std::find(reads[U(i)].begin(), reads[U(i)].end(), b) == reads[U(i)].end())
                    reads[U(i)].push_back(b);
            // A buffer nobody reads and that is no output is freed at the step that wrote it.
            auto keep = [&](int b) {
                const MemBuffer& B = mg.buffers[U(b)];
                if (!B.persistent && (B.output || !B.readers.empty()))
                    kept[U(i)].push_back(b);
            };
            if (op.allocates)
                keep(op.buffer);
            for (int b : op.extraBuffers)
                keep(b);
        }
        buildBound(outputs);
    }

    // A buffer is live at op x's step in every order when its producer is an ancestor of x and it is
    // read at or after x (by x or a descendant of x) or is a network output. Their sum plus x's own
    // buffers and scratch is a peak no order avoids.
    void buildBound(int64_t outputs)
    {
        const int nb = static_cast<int>(bytes.size());
        // Ancestor masks, in a topological order of the ops.
        std::vector<uint64_t> anc(U(n) * U(words), 0);
        std::vector<int> indeg(U(n), 0), queue;
        for (int i = 0; i < n; ++i) {
            indeg[U(i)] = static_cast<int>(g->ops[U(i)].deps.size());
            if (indeg[U(i)] == 0)
                queue.push_back(i);
        }
        for (size_t q = 0; q < queue.size(); ++q) {
            const int i = queue[q];
            for (int d : g->ops[U(i)].deps) {
                set(&anc[U(i) * U(words)], d);
                for (int w = 0; w < words; ++w)
                    anc[U(i) * U(words) + U(w)] |= anc[U(d) * U(words) + U(w)];
            }
            for (int s : succ[U(i)])
                if (--indeg[U(s)] == 0)
                    queue.push_back(s);
        }
        // Descendant masks, in the reverse order.
        std::vector<uint64_t> desc(U(n) * U(words), 0);
        for (size_t q = queue.size(); q-- > 0;) {
            const int i = queue[q];
            for (int s : succ[U(i)]) {
                set(&desc[U(i) * U(words)], s);
                for (int w = 0; w < words; ++w)
                    desc[U(i) * U(words) + U(w)] |= desc[U(s) * U(words) + U(w)];
            }
        }
        // Buffer b of producer p counts at the ops that descend from p and are a reader of b or an
        // ancestor of one (every op descending from p when b is an output).
        needAlways.assign(U(n), 0);
        std::vector<uint64_t> region(U(words));
        for (int b = 0; b < nb; ++b) {
            const MemBuffer& B = g->buffers[U(b)];
            if (B.persistent || B.producer < 0)
                continue;
            const uint64_t* d = &desc[U(B.producer) * U(words)];
            if (B.output) {
                std::copy(d, d + words, region.begin());
            } else {
                std::fill(region.begin(), region.end(), 0);
                for (int r : B.readers) {
                    set(region.data(), r);
                    for (int w = 0; w < words; ++w)
                        region[U(w)] |= anc[U(r) * U(words) + U(w)];
                }
                for (int w = 0; w < words; ++w)
                    region[U(w)] &= d[w];
            }
            for (int w = 0; w < words; ++w)
                for (uint64_t bits = region[U(w)]; bits; bits &= bits - 1)
                    needAlways[U(w * 64 + __builtin_ctzll(bits))] += B.bytes;
        }
        staticBound = base + outputs;
        for (int x = 0; x < n; ++x) {
            needAlways[U(x)] += base + alloc[U(x)] + scratch[U(x)];
            staticBound = std::max(staticBound, needAlways[U(x)]);
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
    // Whether op `x` is the last reader of buffer `b` once the set `s` (without x) has run.
    bool lastReader(int b, int x, const uint64_t* s) const
    {
        const uint64_t* m = &readerMask[U(b) * U(words)];
        for (int w = 0; w < words; ++w) {
            uint64_t rest = m[w] & ~s[w];
            if (w == x / 64)
                rest &= ~(uint64_t(1) << (x % 64));
            if (rest)
                return false;
        }
        return true;
    }
    // Bytes freed when `x` runs after the set `s` (which does not contain it yet): the inputs it is
    // the last reader of, and its own buffers nobody reads.
    int64_t freedBy(int x, const uint64_t* s) const
    {
        int64_t freed = alloc[U(x)];
        for (int b : kept[U(x)])
            freed -= bytes[U(b)];
        for (int b : reads[U(x)])
            if (!toEnd[U(b)] && lastReader(b, x, s))
                freed += bytes[U(b)];
        return freed;
    }
};

// One level of the beam search: every state is a set of scheduled ops and the ops ready after it.
struct Level {
    int words = 0;
    std::vector<uint64_t> sets;  // 2·words per state: scheduled, ready
    std::vector<int64_t> peak;   // best peak reaching the set
    std::vector<int64_t> mem;    // live bytes after the set
    std::vector<int> parent;     // state index in the previous level
    std::vector<int> op;         // op added last
    std::vector<int> table;      // open addressing over states, -1 empty
    size_t stride() const { return 2 * U(words); }
    size_t size() const { return peak.size(); }
    const uint64_t* set(size_t i) const { return &sets[i * stride()]; }

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
    // The state of the scheduled set `s` (words words), or -1.
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
    void add(const uint64_t* s, int64_t pk, int64_t m, int par, int o)
    {
        sets.insert(sets.end(), s, s + stride());
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
    bool found = false;     // a full order strictly below the bound was found
    std::vector<int> order;
    int64_t states = 0;
};

struct Candidate {
    int64_t peak, mem;
    int state, op;
};

// The anytime heuristic: a level-synchronous beam search over sets, keeping the best beamWidth sets
// per level by (peak, live bytes) among those whose peak stays below `bound`.
SearchOutcome beamSearch(const SearchGraph& sg, int64_t bound, int beamWidth)
{
    SearchOutcome out;
    const int n = sg.n, W = sg.words;
    std::vector<std::vector<int>> parents(U(n) + 1), ops(U(n) + 1);
    Level cur;
    cur.words = W;
    const size_t stride = cur.stride();
    std::vector<uint64_t> next(stride, 0);
    for (int i = 0; i < n; ++i)
        if (sg.g->ops[U(i)].deps.empty())
            SearchGraph::set(next.data() + W, i);
    cur.add(next.data(), sg.base, sg.base, -1, -1);
    std::vector<int> ready;
    std::vector<Candidate> cands;
    auto materialise = [&](Level& nxt, const Candidate& c) {
        const uint64_t* s = cur.set(U(c.state));
        std::copy(s, s + W, next.begin());
        SearchGraph::set(next.data(), c.op);
        const int found = nxt.find(next.data());
        if (found >= 0) {
            if (c.peak < nxt.peak[U(found)]) {
                nxt.peak[U(found)] = c.peak;
                nxt.parent[U(found)] = c.state;
                nxt.op[U(found)] = c.op;
            }
            return;
        }
        std::copy(s + W, s + stride, next.begin() + W);
        SearchGraph::clear(next.data() + W, c.op);
        for (int y : sg.succ[U(c.op)])
            if (sg.depsIn(y, next.data()))
                SearchGraph::set(next.data() + W, y);
        nxt.add(next.data(), c.peak, c.mem, c.state, c.op);
    };
    for (int k = 0; k < n; ++k) {
        Level nxt;
        nxt.words = W;
        cands.clear();
        for (size_t si = 0; si < cur.size(); ++si) {
            const int64_t f = cur.peak[si], m = cur.mem[si];
            const uint64_t* s = cur.set(si);
            ready.clear();
            for (int w = 0; w < W; ++w)
                for (uint64_t bits = s[W + w]; bits; bits &= bits - 1)
                    ready.push_back(w * 64 + __builtin_ctzll(bits));
            // An op that frees at least what it allocates without raising the peak goes first: moving
            // it earlier in any completion lowers or keeps every later step.
            int only = -1;
            for (size_t r = 0; r < ready.size() && only < 0; ++r) {
                const int x = ready[r];
                if (m + sg.alloc[U(x)] + sg.scratch[U(x)] <= f && sg.freedBy(x, s) >= sg.alloc[U(x)])
                    only = x;
            }
            for (size_t r = 0; r < ready.size(); ++r) {
                const int x = ready[r];
                if (only >= 0 && x != only)
                    continue;
                const int64_t f2 = std::max(f, m + sg.alloc[U(x)] + sg.scratch[U(x)]);
                if (f2 >= bound)
                    continue;
                cands.push_back({f2, m + sg.alloc[U(x)] - sg.freedBy(x, s), static_cast<int>(si), x});
            }
        }
        {
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
        }
        out.states += static_cast<int64_t>(nxt.size());
        parents[U(k) + 1] = nxt.parent;
        ops[U(k) + 1] = nxt.op;
        cur = std::move(nxt);
        if (cur.size() == 0) {
                    return out;
        }
    }
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

// The decision version: is there an order whose every step stays within `limit`? Depth-first over
// sets of scheduled ops; whether a set can be completed within the limit depends only on the set, so
// each set is expanded at most once. With a limit, an op that frees at least what it allocates and
// whose step fits runs at once: moving it to the front of any completion that stays within the limit
// adds a step within the limit and lowers or keeps every step up to its old place. That cuts most
// branching.
enum class Decision { Found, Infeasible, OutOfStates };

struct SetTable {
    int words = 0;
    std::vector<uint64_t> sets;
    std::vector<uint64_t> table; // (hash high bits << 32) | (index + 1); 0 empty
    explicit SetTable(int w) : words(w), table(4096, 0) {}
    size_t size() const { return sets.size() / U(words); }
    bool contains(const uint64_t* s) const
    {
        const uint64_t h = Level::hash(s, words);
        const size_t mask = table.size() - 1;
        for (size_t slot = h & mask; table[slot]; slot = (slot + 1) & mask)
            if ((table[slot] >> 32) == (h >> 32) &&
                std::memcmp(&sets[((table[slot] & 0xffffffffu) - 1) * U(words)], s, U(words) * sizeof(uint64_t)) == 0)
                return true;
        return false;
    }
    // Inserts `s`; false when it was there already.
    bool insert(const uint64_t* s)
    {
        const uint64_t h = Level::hash(s, words);
        const size_t mask = table.size() - 1;
        size_t slot = h & mask;
        for (; table[slot]; slot = (slot + 1) & mask)
            if ((table[slot] >> 32) == (h >> 32) &&
                std::memcmp(&sets[((table[slot] & 0xffffffffu) - 1) * U(words)], s, U(words) * sizeof(uint64_t)) == 0)
                return false;
        sets.insert(sets.end(), s, s + words);
        table[slot] = ((h >> 32) << 32) | size();
        if (size() * 2 > table.size()) {
            std::vector<uint64_t> old(table.size() * 2, 0);
            old.swap(table);
            const size_t m2 = table.size() - 1;
            for (uint64_t e : old)
                if (e) {
                    size_t j = Level::hash(&sets[((e & 0xffffffffu) - 1) * U(words)], words) & m2;
                    while (table[j])
                        j = (j + 1) & m2;
                    table[j] = e;
                }
        }
        return true;
    }
};

Decision decide(const SearchGraph& sg, int64_t limit, int64_t maxStates, SetTable& dead, int64_t& states,
                std::vector<int>& order)
{
    const int n = sg.n, W = sg.words;
    struct Frame {
        int64_t mem;
        size_t child;                // next entry of `children` to try
        size_t childBegin, childEnd; // range in `children`
    };
    std::vector<uint64_t> sets(2 * U(W) * (U(n) + 1), 0); // per depth: scheduled, ready
    std::vector<Frame> stack;
    std::vector<std::pair<int64_t, int>> children; // (live bytes after, op), per depth a range
    std::vector<int> ready;
    order.clear();
    for (int i = 0; i < n; ++i)
        if (sg.g->ops[U(i)].deps.empty())
            SearchGraph::set(&sets[U(W)], i);
    auto expand = [&](int depth, int64_t m) {
        const uint64_t* s = &sets[2 * U(W) * U(depth)];
        Frame f{m, children.size(), children.size(), children.size()};
        ready.clear();
        for (int w = 0; w < W; ++w)
            for (uint64_t bits = s[W + w]; bits; bits &= bits - 1)
                ready.push_back(w * 64 + __builtin_ctzll(bits));
        for (int x : ready) {
            if (m + sg.alloc[U(x)] + sg.scratch[U(x)] > limit)
                continue;
            const int64_t freed = sg.freedBy(x, s);
            if (freed >= sg.alloc[U(x)]) {
                children.resize(f.childBegin);
                children.push_back({m + sg.alloc[U(x)] - freed, x});
                break;
            }
            children.push_back({m + sg.alloc[U(x)] - freed, x});
        }
        f.childEnd = children.size();
        // Lowest live memory first: it leaves the most room for what follows.
        std::sort(children.begin() + static_cast<std::ptrdiff_t>(f.childBegin), children.end());
        stack.push_back(f);
    };
    if (dead.contains(&sets[0]))
        return Decision::Infeasible;
    expand(0, sg.base);
    states = 1;
    while (!stack.empty()) {
        const int depth = static_cast<int>(stack.size()) - 1;
        if (depth == n) {
            order.resize(U(n));
            for (int d = 0; d < n; ++d)
                order[U(d)] = children[stack[U(d)].child - 1].second;
            return Decision::Found;
        }
        Frame& f = stack.back();
        if (f.child == f.childEnd) {
            // Every way on from this set exceeds the limit, and so every lower limit.
            dead.insert(&sets[2 * U(W) * U(depth)]);
            children.resize(f.childBegin);
            stack.pop_back();
            continue;
        }
        const auto [m2, x] = children[f.child++];
        const uint64_t* s = &sets[2 * U(W) * U(depth)];
        uint64_t* t = &sets[2 * U(W) * (U(depth) + 1)];
        std::copy(s, s + 2 * W, t);
        SearchGraph::set(t, x);
        // A set on the stack is never reached again (sets only grow along a path), so a set seen
        // before in this run is dead.
        if (dead.contains(t))
            continue;
        if (++states > maxStates)
            return Decision::OutOfStates;
        SearchGraph::clear(t + W, x);
        for (int y : sg.succ[U(x)])
            if (sg.depsIn(y, t))
                SearchGraph::set(t + W, y);
        expand(depth + 1, m2);
    }
    return Decision::Infeasible;
}

// The same decision, searched from the end: the state is the set of ops not yet unscheduled (a
// prefix of the order), and a move takes one of its sinks off the end. Time runs backwards but every
// buffer's live interval and every step's bytes are the same, so the rule mirrors: a sink whose
// removal does not raise the live bytes of the prefix, and whose step fits, goes last.
Decision decideBackward(const SearchGraph& sg, int64_t limit, int64_t maxStates, SetTable& dead, int64_t& states,
                        std::vector<int>& order)
{
    const int n = sg.n, W = sg.words;
    struct Frame {
        int64_t mem;
        size_t child, childBegin, childEnd;
    };
    std::vector<uint64_t> sets(2 * U(W) * (U(n) + 1), 0); // per depth: prefix, its sinks
    std::vector<Frame> stack;
    std::vector<std::pair<int64_t, int>> children; // (live bytes after, op)
    std::vector<int> sinks;
    std::vector<uint64_t> without(U(W));
    order.clear();
    int64_t mem = sg.base;
    for (int i = 0; i < n; ++i) {
        SearchGraph::set(&sets[0], i);
        if (sg.succ[U(i)].empty())
            SearchGraph::set(&sets[U(W)], i);
    }
    for (size_t b = 0; b < sg.bytes.size(); ++b)
        if (sg.toEnd[b] && !sg.g->buffers[b].persistent)
            mem += sg.bytes[b];
    auto expand = [&](int depth, int64_t m) {
        const uint64_t* s = &sets[2 * U(W) * U(depth)];
        Frame f{m, children.size(), children.size(), children.size()};
        sinks.clear();
        for (int w = 0; w < W; ++w)
            for (uint64_t bits = s[W + w]; bits; bits &= bits - 1)
                sinks.push_back(w * 64 + __builtin_ctzll(bits));
        for (int x : sinks) {
            std::copy(s, s + W, without.begin());
            SearchGraph::clear(without.data(), x);
            const int64_t freed = sg.freedBy(x, without.data());
            if (m + freed + sg.scratch[U(x)] > limit)
                continue;
            const int64_t m2 = m - sg.alloc[U(x)] + freed;
            if (freed <= sg.alloc[U(x)]) {
                children.resize(f.childBegin);
                children.push_back({m2, x});
                break;
            }
            children.push_back({m2, x});
        }
        f.childEnd = children.size();
        std::sort(children.begin() + static_cast<std::ptrdiff_t>(f.childBegin), children.end());
        stack.push_back(f);
    };
    if (dead.contains(&sets[0]))
        return Decision::Infeasible;
    expand(0, mem);
    states = 1;
    while (!stack.empty()) {
        const int depth = static_cast<int>(stack.size()) - 1;
        if (depth == n) {
            order.resize(U(n));
            for (int d = 0; d < n; ++d)
                order[U(n - 1 - d)] = children[stack[U(d)].child - 1].second;
            return Decision::Found;
        }
        Frame& f = stack.back();
        if (f.child == f.childEnd) {
            dead.insert(&sets[2 * U(W) * U(depth)]);
            children.resize(f.childBegin);
            stack.pop_back();
            continue;
        }
        const auto [m2, x] = children[f.child++];
        const uint64_t* s = &sets[2 * U(W) * U(depth)];
        uint64_t* t = &sets[2 * U(W) * (U(depth) + 1)];
        std::copy(s, s + 2 * W, t);
        SearchGraph::clear(t, x);
        if (dead.contains(t))
            continue;
        if (++states > maxStates)
            return Decision::OutOfStates;
        SearchGraph::clear(t + W, x);
        for (int d : sg.g->ops[U(x)].deps) {
            bool sink = true;
            for (int w = 0; w < W && sink; ++w)
                sink = (sg.succMask[U(d) * U(W) + U(w)] & t[w]) == 0;
            if (sink)
                SearchGraph::set(t + W, d);
        }
        expand(depth + 1, m2);
    }
    return Decision::Infeasible;
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
    return SearchGraph(g).staticBound;
}

int autoBeamWidth(size_t ops)
{
    // The beam's cost grows with ops × width × ready ops; keep large graphs near 100 ms.
    return static_cast<int>(std::clamp<size_t>(8000 / std::max<size_t>(ops, 1), 8, 64));
}

namespace {

ScheduleResult heuristicOn(const SearchGraph& sg, int beamWidth)
{
    const MemoryGraph& g = *sg.g;
    if (beamWidth <= 0)
        beamWidth = autoBeamWidth(g.ops.size());
    ScheduleResult r;
    r.timeline = evaluateOrder(g, defaultOrder(g));
    r.defaultPeakBytes = r.timeline.peakBytes;
    r.lowerBoundBytes = sg.staticBound;
    if (g.ops.empty() || r.lowerBoundBytes >= r.timeline.peakBytes) {
        r.optimal = true;
        r.lowerBoundBytes = r.timeline.peakBytes;
        return r;
    }
    SearchOutcome o = beamSearch(sg, r.timeline.peakBytes, std::max(1, beamWidth));
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

} // namespace

ScheduleResult heuristicSchedule(const MemoryGraph& g, int beamWidth)
{
    return heuristicOn(SearchGraph(g), beamWidth);
}

ScheduleResult optimalSchedule(const MemoryGraph& g, const ScheduleOptions& options)
{
    const SearchGraph sg(g);
    ScheduleResult r = heuristicOn(sg, options.beamWidth);
    if (r.optimal)
        return r;
    // Lower the limit below the best order known until no order fits: the last order found is then
    // optimal. Each limit is decided from the start and from the end in turn, with a doubling share
    // of the state budget, until one of them answers; which direction's rule cuts more depends on the
    // graph (expand-then-reduce cells fall fastest from the end). The sets each direction has found
    // dead stay dead at every lower limit, so no work is lost between rounds and limits.
    SetTable deadForward(sg.words), deadBackward(sg.words);
    std::vector<int> order;
    int64_t share = 4096, explored = 0;
    const bool fromStart = options.searchFrom != SearchFrom::End, fromEnd = options.searchFrom != SearchFrom::Start;
    for (;;) {
        const int64_t limit = r.timeline.peakBytes - 1;
        Decision d = Decision::OutOfStates;
        for (bool backward = fromEnd; d == Decision::OutOfStates; backward = fromEnd && (!backward || !fromStart)) {
            const int64_t left = options.maxStates - explored;
            if (left <= 0)
                return r; // the best order so far stands, with the lower bound of heuristicSchedule
            int64_t states = 0;
            const int64_t budget = fromStart && fromEnd ? std::min(share, left) : left;
            d = backward ? decideBackward(sg, limit, budget, deadBackward, states, order)
                         : decide(sg, limit, budget, deadForward, states, order);
            explored += states;
            r.statesExplored += states;
            if (!backward)
                share *= 2;
        }
        if (d == Decision::Infeasible)
            break;
        r.timeline = evaluateOrder(g, order);
    }
    r.optimal = true;
    r.lowerBoundBytes = r.timeline.peakBytes;
    return r;
}

} // namespace nc::core::deploy

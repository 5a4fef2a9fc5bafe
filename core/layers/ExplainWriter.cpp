// ExplainWriter: formatting of formula lines and the lines every layer states.
#include "ExplainWriter.h"

#include "core/Format.h"

namespace nc::core {

const char* const ExplainWriter::kMinus = " − ";

namespace {

bool hasOperator(const std::string& e)
{
    return e.find('+') != std::string::npos || e.find("·") != std::string::npos ||
           e.find('/') != std::string::npos || e.find("−") != std::string::npos;
}

} // namespace

ExplainWriter::ExplainWriter(const Node& nd, const LayerResult& res, std::span<const Shape> inputs, int64_t batch,
                             const ReceptiveField* inField)
    : node(nd), p(nd.params), r(res), in(inputs), o(res.output), B(batch), m_inField(inField)
{
}

std::string ExplainWriter::n(int64_t v) { return std::to_string(v); }

// "64·28·28": the factors of a product, unevaluated, as the lecture writes them.
std::string ExplainWriter::factors(std::initializer_list<int64_t> f)
{
    std::string s;
    for (int64_t x : f)
        s += (s.empty() ? "" : "·") + n(x);
    return s;
}

std::string ExplainWriter::dimsProduct(const Shape& s)
{
    std::string r;
    for (int64_t d : s)
        r += (r.empty() ? "" : "·") + n(d);
    return r.empty() ? "1" : r;
}

// Appends "·B" for a batch above 1 (bracketing a sum first), since per-sample costs scale with it.
std::string ExplainWriter::timesBatch(const std::string& e) const
{
    if (B == 1)
        return e;
    bool sum = e.find(" + ") != std::string::npos || e.find(kMinus) != std::string::npos;
    return (sum ? "(" + e + ")" : e) + "·" + n(B);
}

std::string ExplainWriter::batchLabel(const std::string& label) const
{
    return B == 1 ? label : label + " (batch " + n(B) + ")";
}

// Bytes of `elements` values at `bits` bits, as bytesFor rounds them (up to whole bytes).
std::string ExplainWriter::bytesExpr(const std::string& elements, int bits)
{
    bool sum = elements.find(" + ") != std::string::npos && elements.front() != '(';
    std::string e = (sum ? "(" + elements + ")" : elements) + "·" + n(bits) + "/8";
    return bits % 8 == 0 ? e : "⌈" + e + "⌉";
}

// One axis of a sliding window: ho = ⌊(hi + pa + pb − d·(k − 1) − 1)/s⌋ + 1, PyTorch's ceil-mode
// correction included (windowOut in KindSupport).
std::string ExplainWriter::windowExpr(int64_t in, int64_t pa, int64_t pb, int64_t k, int64_t d, int64_t s,
                                      bool ceilMode)
{
    std::string inner = n(in);
    if (pa || pb)
        inner += " + " + n(pa) + " + " + n(pb);
    inner += d == 1 ? kMinus + n(k) : kMinus + n(d) + "·(" + n(k) + kMinus + "1)" + kMinus + "1";
    std::string e =
        s == 1 ? inner + " + 1"
               : std::string(ceilMode ? "⌈(" : "⌊(") + inner + ")/" + n(s) + (ceilMode ? "⌉" : "⌋") + " + 1";
    if (ceilMode) {
        int64_t span = in + pa + pb - (d * (k - 1) + 1);
        int64_t out = (span + s - 1) / s + 1;
        if ((out - 1) * s >= in + pa)
            e += kMinus + std::string("1"); // the last window would start in the bottom padding
    }
    return e;
}

void ExplainWriter::eq(const std::string& quantity, const std::string& label, const std::string& expr, int64_t value,
                       const std::string& unit)
{
    std::string v = groupDigits(value) + unit;
    m_lines.push_back({quantity, hasOperator(expr) ? label + " = " + expr + " = " + v : label + " = " + v});
}

void ExplainWriter::paddingMacs(const std::string& channels, const std::vector<TapCount>& axes,
                                const std::string& label)
{
    if (r.paddingMacs <= 0)
        return;
    std::string counted, inside;
    for (const TapCount& a : axes) {
        counted += (counted.empty() ? "" : "·") + n(a.taps) + "·" + n(a.positions);
        inside += (inside.empty() ? "" : "·") + n(a.inside);
    }
    eq("padding MACs", batchLabel(label),
       timesBatch(channels + "·(" + counted + kMinus + inside + ")"), r.paddingMacs);
}

void ExplainWriter::text(const std::string& quantity, const std::string& t) { m_lines.push_back({quantity, t}); }

bool ExplainWriter::has(const std::string& quantity) const
{
    for (const ExplainLine& l : m_lines)
        if (l.quantity == quantity)
            return true;
    return false;
}

void ExplainWriter::fieldWindow(int64_t kh, int64_t kw, int64_t dh, int64_t dw, int64_t sh, int64_t sw)
{
    m_window = WindowField{kh, kw, dh, dw, sh, sw};
}

void ExplainWriter::fieldGlobal() { m_global = true; }

std::vector<ExplainLine> ExplainWriter::finish(bool view)
{
    // Every layer states its output, parameters and MACs, even where they are trivial; the output goes
    // after the lines that derive it (ho, wo, co).
    if (!has("out")) {
        size_t at = 0;
        for (size_t i = 0; i < m_lines.size(); ++i)
            if (m_lines[i].quantity == "ho" || m_lines[i].quantity == "wo" || m_lines[i].quantity == "co" ||
                m_lines[i].quantity == "padding")
                at = i + 1;
        m_lines.insert(m_lines.begin() + static_cast<std::ptrdiff_t>(at), {"out", "out = " + o.toString()});
    }
    size_t afterParams = m_lines.size();
    for (size_t i = 0; i < m_lines.size(); ++i)
        if (m_lines[i].quantity == "out" || m_lines[i].quantity == "params" || m_lines[i].quantity == "state")
            afterParams = i + 1;
    if (!has("params"))
        m_lines.insert(m_lines.begin() + static_cast<std::ptrdiff_t>(afterParams++), {"params", "params = 0"});
    if (!has("MACs"))
        m_lines.insert(m_lines.begin() + static_cast<std::ptrdiff_t>(afterParams), {"MACs", "MACs = 0"});

    if (r.stored)
        eq("memory", "memory", bytesExpr(timesBatch(dimsProduct(o)), r.bits), r.activationBytes, " B");
    else
        text("memory", view ? "memory (a view of its input) = 0 B" : "memory (runs in place on its input) = 0 B");
    fieldLines();
    return std::move(m_lines);
}

// Receptive field lines: r' = r + (k_eff − 1)·j and j' = j·s for windows; r' = r + (n − 1)·j when an
// operation mixes the whole axis; otherwise the field is passed on or joined.
void ExplainWriter::fieldLines()
{
    if (!r.rf.valid)
        return;
    const ReceptiveField* inF = r.inputCount == 1 ? m_inField : nullptr;
    const char* axisName[2] = {"H", "W"};
    if (inF && m_window) {
        const WindowField& w = *m_window;
        auto windowAxis = [&](int ax, int64_t k, int64_t d, int64_t s, bool bothAxes) {
            std::string kterm = d == 1 ? "(" + n(k) + kMinus + "1)" : n(d) + "·(" + n(k) + kMinus + "1)";
            std::string suffix = bothAxes ? "" : std::string(" ") + axisName[ax];
            if (inF->size[ax] + d * (k - 1) * inF->jump[ax] != r.rf.size[ax])
                text("RF", "RF" + suffix + " (" + n(inF->size[ax]) + " + " + kterm + "·" + n(inF->jump[ax]) +
                               ", bounded by what its input reaches) = " + n(r.rf.size[ax]));
            else
                eq("RF", "RF" + suffix, n(inF->size[ax]) + " + " + kterm + "·" + n(inF->jump[ax]), r.rf.size[ax]);
            eq("jump", "jump" + suffix, factors({inF->jump[ax], s}), r.rf.jump[ax]);
        };
        bool square = r.rf.size[0] == r.rf.size[1] && r.rf.jump[0] == r.rf.jump[1] &&
                      inF->size[0] == inF->size[1] && inF->jump[0] == inF->jump[1] && w.kh == w.kw &&
                      w.dh == w.dw && w.sh == w.sw;
        windowAxis(0, w.kh, w.dh, w.sh, square);
        if (!square)
            windowAxis(1, w.kw, w.dw, w.sw, false);
        return;
    }
    if (inF && m_global) {
        for (int ax = 0; ax < 2; ++ax) {
            if (inF->size[ax] + (inF->extent[ax] - 1) * inF->jump[ax] != r.rf.size[ax])
                text("RF", std::string("RF ") + axisName[ax] + " (whole map, already all its input reaches) = " +
                               n(r.rf.size[ax]));
            else
                eq("RF", std::string("RF ") + axisName[ax] + " (whole map)",
                   n(inF->size[ax]) + " + (" + n(inF->extent[ax]) + kMinus + "1)·" + n(inF->jump[ax]), r.rf.size[ax]);
        }
        return;
    }
    std::string why = r.inputCount > 1 ? " (the largest of its inputs')"
                      : inF && inF->size[0] == r.rf.size[0] && inF->size[1] == r.rf.size[1] ? " (unchanged)"
                                                                                           : "";
    text("field", "RF = " + n(r.rf.size[0]) + "×" + n(r.rf.size[1]) + why);
}

} // namespace nc::core

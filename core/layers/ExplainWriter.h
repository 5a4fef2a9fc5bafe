// ExplainWriter: what a kind's formula facet writes to, with the layer's own numbers at hand.
//
// A kind's explain function states each figure as "label = expression = value"; the value is
// always read from the LayerResult (never recomputed), so the text cannot disagree with the tables
// and charts. Expressions use only integers, "+", "−", "·", "/", parentheses and ⌊⌋ / ⌈⌉, so
// tests/widgets/tst_explain can evaluate them and compare with the value.
#pragma once

#include "core/Analysis.h"
#include "core/Explain.h"
#include "core/Network.h"
#include "core/layers/KindSupport.h"

#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace nc::core {

using kinds::TapCount;

class ExplainWriter {
public:
    ExplainWriter(const Node& node, const LayerResult& r, std::span<const Shape> in, int64_t batch,
                  const ReceptiveField* inField);

    const Node& node;
    const LayerParams& p;
    const LayerResult& r;
    std::span<const Shape> in;
    const Shape& o;
    const int64_t B;

    // "label = expr = value" (the expression dropped when it is a bare number).
    void eq(const std::string& quantity, const std::string& label, const std::string& expr, int64_t value,
            const std::string& unit = {});
    void text(const std::string& quantity, const std::string& t);
    bool has(const std::string& quantity) const;

    // "MACs on zero padding = channels·(k·n·… − inside·…) = value" for a window layer whose taps
    // partly fall on zero padding (LayerCosts::paddingMacs), one {taps, positions, inside} per axis;
    // nothing when none do. `channels` is the MACs of one tap at one position: "co·(ci/g)".
    void paddingMacs(const std::string& channels, const std::vector<TapCount>& axes,
                     const std::string& label = "MACs on zero padding");

    // The receptive-field lines this kind wants: a sliding window, or a mix over the whole map.
    // Without either, the field is stated as passed on or joined.
    void fieldWindow(int64_t kh, int64_t kw, int64_t dh, int64_t dw, int64_t sh, int64_t sw);
    void fieldGlobal();

    // Formatting helpers shared by every kind.
    static std::string n(int64_t v);
    static std::string factors(std::initializer_list<int64_t> f);
    static std::string dimsProduct(const Shape& s);
    std::string timesBatch(const std::string& e) const;
    std::string batchLabel(const std::string& label) const;
    static std::string bytesExpr(const std::string& elements, int bits);
    static std::string windowExpr(int64_t in, int64_t pa, int64_t pb, int64_t k, int64_t d, int64_t s,
                                  bool ceilMode);
    static const char* const kMinus;

    // Completes the lines (out, params, MACs, memory, field) and hands them over.
    std::vector<ExplainLine> finish(bool viewOrInPlaceView);

private:
    void fieldLines();
    struct WindowField {
        int64_t kh, kw, dh, dw, sh, sw;
    };
    std::vector<ExplainLine> m_lines;
    const ReceptiveField* m_inField;
    std::optional<WindowField> m_window;
    bool m_global = false;
};

} // namespace nc::core

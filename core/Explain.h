// Explain: a layer's figures written out as the formulas that produce them, filled in with the layer's
// own numbers, so a teacher can explain a layer from the screen.
//
//   auto lines = explainLayer(net, analysis, conv2);
//   lines[0].text;   // "ho = ⌊(56 + 1 + 1 − 3)/2⌋ + 1 = 28"
//   lines[2].text;   // "params = 64·(64/1)·3·3 + 64 = 36,928"
//
// The value after the last " = " of a line is always read from the LayerResult, never recomputed, so
// the text cannot disagree with the tables and charts; the left-hand side uses the same conventions as
// LayerRules and is checked against it by tests/widgets/tst_explain. Expressions use only integers,
// "+", "−" (U+2212), "·", "/", parentheses and ⌊⌋ / ⌈⌉, so a test can evaluate them.
#pragma once

#include "Analysis.h"
#include "Network.h"

#include <string>
#include <vector>

namespace nc::core {

struct ExplainLine {
    // What the line computes: "ho", "wo", "co", "out", "params", "MACs", "ops", "state", "memory",
    // "workspace", "RF", "jump"; "field" for a receptive field stated without a formula.
    std::string quantity;
    std::string text; // the whole line, "params = 64·(64/1)·3·3 + 64 = 36,928"
};

// The formula lines of one layer. Empty for an unknown id or a layer whose analysis failed (its
// LayerResult::message says why).
std::vector<ExplainLine> explainLayer(const Network& net, const AnalysisResult& a, NodeId id);

// The hyper-parameters that matter at a glance, for a node's second line: "3×3 s2 p1 g32",
// "dw 3×3 s2", "→1000", "3 heads". Empty when there is nothing to say.
std::string hyperSummary(const Node& n, int networkBits);

} // namespace nc::core

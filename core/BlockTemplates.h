// BlockTemplates: palette entries that insert several existing layers at once, as one undoable
// AddNodesCommand. No fused kind: each member is an ordinary layer (LayerNorm, MultiHeadAttention,
// Add, MLP) with its own costs, named under one prefix ("block0.ln_1", "block0.attn", …) so
// BlockGroups shows the whole block as one collapsible group.
//
//   auto cmd = core::blockTemplateCommand(0, net, selected, shapeOfSelected, x, y);
//   if (cmd) doc.execute(std::move(*cmd));
#pragma once

#include "Catalogue.h"
#include "Commands.h"
#include "Network.h"
#include "Result.h"
#include "Shape.h"

#include <memory>
#include <span>
#include <string_view>

namespace nc::core {

struct BlockTemplate {
    std::string_view label;
    Category category;
    std::string_view help;
};

// Today one entry: "Transformer decoder block (pre-norm)".
std::span<const BlockTemplate> blockTemplates();

// Template `index` wired after layer `after`, whose output shape is `in` (per sample), its first
// layer placed at (x, y) and the rest in a column below. The decoder block wants a T×D input and
// is x → ln_1 → attn (causal) → add_1(attn, x) → ln_2 → mlp (4·D hidden, GELU) → add_2(mlp, add_1).
Result<std::unique_ptr<AddNodesCommand>> blockTemplateCommand(int index, const Network& net, NodeId after,
                                                              const Shape& in, double x, double y);

} // namespace nc::core

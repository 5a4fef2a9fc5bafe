// DottedName: shortening hierarchical layer names ("layer4.1.conv2_bn", "/encoder/layer.0/attn/MatMul")
// without cutting inside them, so the part that tells neighbours apart — the block index and the role
// at the end — always stays visible.
//
//   for (const std::string& t : core::nameTails("layer1.0.conv1_bn"))  // widest first
//       if (fits(t)) { draw(t); break; }
//   // tries "layer1.0.conv1_bn", "…0.conv1_bn", "…conv1_bn"
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace nc::core {

// True for the characters that separate components of a layer name: '.' (PyTorch module paths) and
// '/' (ONNX node names).
bool isNameSeparator(char c);

// The ways to show `name`, widest first: the whole name, then "…" followed by its last k components
// for k = n−1 … 1 (the separator before them dropped). A name without separators has one entry.
// Never a cut inside a component: a view that cannot fit even the last component shows that
// component whole and lets it overflow or clip at the end, never at the start.
std::vector<std::string> nameTails(std::string_view name);

// The widest of nameTails(name) at most `maxChars` characters long (UTF-8 "…" counts as one), or the
// last component when none is.
std::string shortName(std::string_view name, int maxChars);

// The last component of `name` ("conv1_bn" of "layer1.0.conv1_bn"); `name` itself when it has none.
std::string lastComponent(std::string_view name);

} // namespace nc::core

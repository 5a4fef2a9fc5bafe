// ImportNames: readable NetCanvas layer names from the node names of a PyTorch ONNX export.
//
// torch.onnx (1.13 and later) names every node after the module scope it was traced in, then the
// operator: "/layer1/layer1.0/conv1/Conv", "/encoder/layers/encoder_layer_0/mlp/mlp.0/MatMul",
// "/layers.0/self_attn/MatMul_1". A Sequential child's scope repeats its parent's attribute
// ("layer1" then "layer1.0"; "mlp" then "mlp.0"), so the scopes joined naively would say
// "layer1.layer1.0". The rule, applied to all of a model's layers at once:
//
//   1. Only names that start with "/" are scope names; any other name ("conv1", "Conv_0", a name
//      NetCanvas's own exporter wrote) is kept as it is.
//   2. A trailing ":k" (output k of a multi-output node) is set aside and put back at the end.
//   3. The last component is the operator part when it is the node's operator type, alone or with
//      torch's counter ("MatMul", "MatMul_2"); otherwise (a pattern's common scope such as
//      "/blocks.0/attn") every component is a scope.
//   4. Scopes join with "."; a scope that starts with the previous scope and "." adds only the rest
//      ("layer1", "layer1.0", "conv1" -> "layer1.0.conv1").
//   5. The module path alone names the layer when it is the only layer in that module and no other
//      layer lies inside it ("layer1.0.conv1"); otherwise the operator part, lower-cased, is added
//      ("layer1.0.add", "encoder.layers.encoder_layer_0.self_attention.matmul_1", "flatten"). A
//      name that ends in a scope and shares its module adds the layer kind instead: the in-projection
//      MatMul+Add inside "/layers.0/self_attn" becomes "layers.0.self_attn.linear", not the name of
//      the whole attention module.
//   6. Names that would repeat get "_2", "_3", ... in order.
//
//   std::vector<std::string> names = readableLayerNames({{"/layer1/layer1.0/conv1/Conv", "Conv"},
//                                                         {"/layer1/layer1.0/Add", "Add"}});
//   // names == {"layer1.0.conv1", "layer1.0.add"}
//
// Pure functions, no state; any thread.
#pragma once

#include <string>
#include <vector>

namespace nc::core::onnx {

struct OnnxLayerName {
    std::string name;   // the ONNX node name, or a pattern's common scope ("/blocks.0/attn")
    std::string opType; // operator type of the node producing the layer's output ("" if none)
    std::string kind = {}; // NetCanvas layer kind key ("linear"), for names that end in a shared scope
};

// One readable name per entry, in the same order, unique among themselves. An entry whose name is
// empty stays empty (the caller names it after its operator).
std::vector<std::string> readableLayerNames(const std::vector<OnnxLayerName>& layers);

} // namespace nc::core::onnx

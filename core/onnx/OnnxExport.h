// OnnxExport: writes a design as an ONNX model (opset 17, IR 8) that ONNX tools open and run and that
// imports back into NetCanvas with identical per-layer figures.
//
//   Status s = nc::core::onnx::exportOnnx(net, "design.onnx");
//   if (!s)
//       return fail(s.error()); // e.g. `layer "conv3": kernel 7 exceeds padded input 5 on axis H`
//
// The graph has the design's batch as a fixed first dimension and value_info shapes for every layer
// output. Weights are deterministic pseudo-random values (uniform ±1/√fan-in; BatchNorm statistics 0
// and 1), so a runtime produces finite, non-trivial outputs. Composite layers become the operator
// patterns PyTorch exports: multi-head attention as Q/K/V MatMul+Add, Reshape, Transpose, MatMul,
// Div, Softmax, MatMul, Transpose, Reshape, MatMul+Add; GELU as its erf form; the patch embedding as
// Conv, Reshape, Transpose, Concat with the class token and Add of the position embedding. Nodes are
// named after their layer ("attn1/q/MatMul"). What ONNX cannot express (bit widths, in-place flags,
// an MLP block's grouping, a BatchNorm without affine parameters) is written as a "netcanvas" entry
// in the model's metadata_props, which the importer reads back.
//
// Designs with errors, and Opaque layers (imported operators NetCanvas does not model), cannot be
// exported; the Error names the layer.
#pragma once

#include "core/Network.h"
#include "core/Result.h"

#include <QByteArray>
#include <QString>

namespace nc::core::onnx {

inline constexpr int kExportOpset = 17;

// Serialised ModelProto. Atomic file variant below.
Result<QByteArray> exportOnnxBytes(const Network& net);
// Writes through QSaveFile: a failure leaves an existing file intact.
Status exportOnnx(const Network& net, const QString& path);

} // namespace nc::core::onnx

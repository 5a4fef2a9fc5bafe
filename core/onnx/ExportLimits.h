// ExportLimits (internal to nc_onnx): the size check run before an ONNX export writes any weight.
#pragma once

#include "core/Network.h"
#include "core/Result.h"

namespace nc::core::onnx {

// An error naming the layer with the most weights when all weights, as float32, reach 2 GiB (the
// largest protobuf message); otherwise ok. Layers whose analysis fails are left to the exporter.
Status checkExportSize(const Network& net);

} // namespace nc::core::onnx

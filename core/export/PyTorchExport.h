// PyTorchExport: writes a design as a runnable PyTorch file — one nn.Module whose __init__ declares
// the layers with their hyper-parameters and whose forward follows the design's graph — so a design
// leaves NetCanvas as code that can be trained.
//
//   Result<std::string> py = nc::core::exportPyTorch(net);
//   Status s = nc::core::savePyTorch(net, "resnet18.py");  // atomic (QSaveFile)
//
//   $ python3 resnet18.py
//   output: torch.Size([1, 1000])
//
// Layer names become attribute names (made into Python identifiers: "layer1.0.conv1" ->
// layer1_0_conv1). Merges (Add, Multiply, Concat), reshapes and the class-token selection are written
// as expressions in forward; a linear chain reuses the variable `x`, a tensor read later keeps its
// layer's name. The __main__ block feeds random inputs of the design's batch and shapes and prints the
// output shapes. A layer NetCanvas does not model (Opaque, from an ONNX import) becomes zeros of its
// recorded shape with a comment saying so, so the file still runs.
//
// Designs with errors cannot be exported; the Error names the first faulty layer. Reentrant.
#pragma once

#include "core/Network.h"
#include "core/Result.h"

#include <QString>

#include <string>

namespace nc::core {

Result<std::string> exportPyTorch(const Network& net);
Status savePyTorch(const Network& net, const QString& path);

// The Python identifier a layer name becomes (also used by tests to find layers in the file).
std::string pythonIdentifier(const std::string& name);

} // namespace nc::core

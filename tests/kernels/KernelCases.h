// Test support: the table of small layers every backend is checked on, and the tensor comparison.
#pragma once

#include "kernels/Kernels.h"

#include <string>
#include <vector>

namespace nc::core::kernels::testing {

// One layer on small random inputs. Inputs are uniform in [inputLo, inputHi) (wider than ±1 where
// the activation has features out there: ReLU6 at 6, HardSwish at ±3).
struct KernelCase {
    std::string name;
    KernelOp op;
    std::vector<Shape> inputs;
    float inputLo = -1.0f;
    float inputHi = 1.0f;
};

// The whole table: conv padding modes, stride, dilation, groups, depthwise with multiplier, 1×1,
// odd sizes, pools with ceil mode and both divisors, norms, activations, softmax axes, broadcast
// add/mul, concat axes, attention, flatten/identity.
const std::vector<KernelCase>& kernelCases();

// Result of comparing a tensor with the reference.
struct Comparison {
    bool ok = false;
    std::string message; // worst element, its tolerance and the error counts, for QVERIFY2
};

// Mixed criterion, element by element:  |got − want| ≤ rtol·|want| + rtol·rms(want).
// Relative where values are large; where cancellation drives a value to near zero (a convolution
// summing hundreds of ± products) relative error is meaningless, so the absolute part is the same
// rtol at the scale of the whole output (its root mean square). NaN anywhere fails. Shapes are
// compared by element count: a 1-D ONNX pool run as 2-D has the same data in another shape.
Comparison compareTensors(const Tensor& got, const Tensor& want, double rtol = 1e-4);

// Deterministic inputs for a case (seed differs per input).
std::vector<Tensor> makeInputs(const KernelCase& c, uint64_t seed = 42);

// Prepares `c` on `backend` and on the reference with the same random parameters, runs both on
// the same inputs and compares. `note` receives the backend's algorithm note.
Comparison checkAgainstReference(Backend& backend, const KernelCase& c, std::string* note = nullptr);

} // namespace nc::core::kernels::testing

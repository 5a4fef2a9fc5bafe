// Abstract interface every kernel backend implements: prepare a layer once, then run it many times.
#pragma once

#include "KernelOp.h"
#include "KernelStatus.h"
#include "PreparedOp.h"
#include "Tensor.h"

#include <span>
#include <string>
#include <vector>

namespace nc::core::kernels {

struct PrepareOptions {
    // Seed of the random parameters (makeParameters); ignored when `parameters` is given.
    uint64_t seed = 1;
    // Explicit parameters in canonical layout (parameterShapes); empty means random from `seed`.
    std::vector<Tensor> parameters;
};

// A way of computing layers (our Eigen kernels, oneDNN, the reference loops).
//
// prepare() is the untimed part: validates the layer against the input shapes, creates or copies
// the parameters, picks the algorithm, reorders weights, allocates scratch. run() is the timed
// part and allocates nothing when `output` already has the prepared output shape.
//
// Errors are values: both entry points catch every exception thrown below them (dnnl::error,
// std::bad_alloc) and return it as a failed status. A backend, and the PreparedOps it made, are
// used by one thread at a time (the kernel runner's worker thread); the backend owns any helper
// threads it starts.
//
//     EigenBackend eigen;
//     eigen.setThreadCount(2);
//     std::vector<Shape> shapes{{1, 64, 56, 56}};
//     auto prepared = eigen.prepare(KernelOp::conv2d(64, 3, 1, 1), shapes);
//     if (!prepared) return prepared.status();
//     Tensor x = Tensor::random(shapes[0], 7), y(prepared.value().outputShape());
//     KernelStatus st = eigen.run(prepared.value(), x, y);
class Backend {
public:
    virtual ~Backend() = default;

    // "eigen", "onednn", "reference".
    virtual std::string name() const = 0;
    // Threads used by layers prepared from now on (at least 1).
    virtual void setThreadCount(int threads) = 0;
    virtual int threadCount() const = 0;

    [[nodiscard]] KernelResult<PreparedOp> prepare(const KernelOp& op, std::span<const Shape> inputShapes,
                                                   const PrepareOptions& options = {});
    // Inputs must have exactly the prepared shapes. `output` is resized if its shape differs.
    [[nodiscard]] KernelStatus run(PreparedOp& prepared, std::span<const Tensor> inputs, Tensor& output);
    [[nodiscard]] KernelStatus run(PreparedOp& prepared, const Tensor& input, Tensor& output)
    {
        return run(prepared, std::span<const Tensor>(&input, 1), output);
    }

protected:
    // Called with shapes validated, output shape, parameters and thread count filled in.
    virtual KernelStatus doPrepare(PreparedOp& prepared) = 0;
    // Called with inputs checked and output sized.
    virtual KernelStatus doRun(PreparedOp& prepared, std::span<const Tensor> inputs, Tensor& output) = 0;
};

} // namespace nc::core::kernels

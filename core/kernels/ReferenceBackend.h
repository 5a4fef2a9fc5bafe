// Naive loops written straight from each layer's definition: the ground truth the tests compare to.
#pragma once

#include "Backend.h"

namespace nc::core::kernels {

// The "reference" backend: one thread, no blocking, no vectorisation, double accumulators. Slow by
// design, so that it is obviously right; used by the tests (and usable by the GUI to check a
// suspicious figure on a small input). Definitions and conventions are written next to each loop.
class ReferenceBackend final : public Backend {
public:
    std::string name() const override { return "reference"; }
    void setThreadCount(int) override {}
    int threadCount() const override { return 1; }

protected:
    KernelStatus doPrepare(PreparedOp& prepared) override;
    KernelStatus doRun(PreparedOp& prepared, std::span<const Tensor> inputs, Tensor& output) override;
};

} // namespace nc::core::kernels

// Shared validation and the exception boundary of every backend.
#include "Backend.h"

#include "OpShapes.h"

#include <algorithm>
#include <exception>
#include <new>

namespace nc::core::kernels {

KernelResult<PreparedOp> Backend::prepare(const KernelOp& op, std::span<const Shape> inputShapes,
                                          const PrepareOptions& options)
{
    try {
        auto out = inferOutputShape(op, inputShapes);
        if (!out)
            return out.status();
        if (op.activation != OpKind::Identity &&
            (!isActivation(op.activation) || (op.kind != OpKind::Conv2d && op.kind != OpKind::Linear)))
            return KernelStatus::failure(layerLabel(op) + "a fused " + std::string(opKindName(op.activation)) +
                                         " needs a Conv2d or Linear carrying an activation kind");
        bool badLayout = op.inputLayouts.size() > inputShapes.size();
        for (std::size_t i = 0; i < inputShapes.size() && !badLayout; ++i) {
            const Layout l = op.layoutOf(i);
            badLayout = l != Layout::Plain && (inputShapes[i].size() != 4 ||
                                               (l == Layout::Blocked16 && inputShapes[i][1] % 16 != 0));
        }
        const bool anyLayout = op.keepOutputLayout ||
                               std::any_of(op.inputLayouts.begin(), op.inputLayouts.end(),
                                           [](Layout l) { return l != Layout::Plain; });
        if (anyLayout && (badLayout || !takesOneDnnLayouts(op.kind) || name() != "onednn"))
            return KernelStatus::failure(layerLabel(op) + "oneDNN layouts are for the oneDNN backend's 4-D convolutions, "
                                                          "pools, BatchNorm, activations, Add, Mul and Concat only "
                                                          "(16-channel blocks: of multiple-of-16 channels)");
        PreparedOp prepared;
        prepared.m_op = op;
        prepared.m_inputShapes.assign(inputShapes.begin(), inputShapes.end());
        prepared.m_outputShape = out.value();
        prepared.m_backendName = name();
        prepared.m_owner = this;
        prepared.m_threads = threadCount();
        prepared.m_flops = opFlops(op, inputShapes, prepared.m_outputShape);
        prepared.m_bytes = opBytes(op, inputShapes, prepared.m_outputShape);
        if (op.finalStates && (op.kind == OpKind::LSTM || op.kind == OpKind::GRU)) {
            const Shape state{inputShapes[0][0], op.rnnLayers * (op.bidirectional ? 2 : 1), op.outChannels};
            prepared.m_states.emplace_back(state);
            if (op.kind == OpKind::LSTM)
                prepared.m_states.emplace_back(state);
        }

        const std::vector<Shape> wanted = parameterShapes(op, inputShapes);
        if (options.parameters.empty()) {
            prepared.m_parameters = makeParameters(op, inputShapes, options.seed);
        } else {
            if (options.parameters.size() != wanted.size())
                return KernelStatus::failure(layerLabel(op) + "expects " + std::to_string(wanted.size()) +
                                             " parameter tensors, got " + std::to_string(options.parameters.size()));
            for (std::size_t i = 0; i < wanted.size(); ++i) {
                if (shapeElements(options.parameters[i].shape()) != shapeElements(wanted[i]))
                    return KernelStatus::failure(layerLabel(op) + "parameter " + std::to_string(i) + " has shape " +
                                                 shapeToString(options.parameters[i].shape()) + ", expected " +
                                                 shapeToString(wanted[i]));
            }
            prepared.m_parameters = options.parameters;
            // Canonical shapes, whatever equivalent shape the caller used ([1, C] for [C]).
            for (std::size_t i = 0; i < wanted.size(); ++i)
                (void)prepared.m_parameters[i].reshape(wanted[i]);
        }

        KernelStatus st = doPrepare(prepared);
        if (!st)
            return st;
        return prepared;
    } catch (const std::bad_alloc&) {
        return KernelStatus::failure(layerLabel(op) + "out of memory while preparing on " + name());
    } catch (const std::exception& e) {
        return KernelStatus::failure(layerLabel(op) + name() + " failed to prepare: " + e.what());
    } catch (...) {
        return KernelStatus::failure(layerLabel(op) + name() + " failed to prepare: unknown exception");
    }
}

KernelStatus Backend::run(PreparedOp& prepared, std::span<const Tensor> inputs, Tensor& output)
{
    if (prepared.m_owner != this)
        return KernelStatus::failure(layerLabel(prepared.op()) + "was not prepared by backend " + name());
    if (inputs.size() != prepared.m_inputShapes.size())
        return KernelStatus::failure(layerLabel(prepared.op()) + "expects " +
                                     std::to_string(prepared.m_inputShapes.size()) + " input(s), got " +
                                     std::to_string(inputs.size()));
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        if (inputs[i].shape() != prepared.m_inputShapes[i])
            return KernelStatus::failure(layerLabel(prepared.op()) + "input " + std::to_string(i) + " has shape " +
                                         shapeToString(inputs[i].shape()) + ", prepared for " +
                                         shapeToString(prepared.m_inputShapes[i]));
    }
    try {
        if (output.shape() != prepared.m_outputShape)
            output.resize(prepared.m_outputShape);
        return doRun(prepared, inputs, output);
    } catch (const std::bad_alloc&) {
        return KernelStatus::failure(layerLabel(prepared.op()) + "out of memory while running on " + name());
    } catch (const std::exception& e) {
        return KernelStatus::failure(layerLabel(prepared.op()) + name() + " failed to run: " + e.what());
    } catch (...) {
        return KernelStatus::failure(layerLabel(prepared.op()) + name() + " failed to run: unknown exception");
    }
}

} // namespace nc::core::kernels

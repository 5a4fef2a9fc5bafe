// A layer made ready to run by one backend: shapes, parameters, chosen algorithm and private state.
#pragma once

#include "KernelOp.h"
#include "Tensor.h"

#include <memory>
#include <string>
#include <vector>

namespace nc::core::kernels {

class Backend;

// What a backend keeps between prepare() and run(): reordered weights, primitives, scratch
// buffers. Each backend derives its own; nobody else looks inside.
class BackendState {
public:
    virtual ~BackendState() = default;
};

// Result of Backend::prepare(). Owned by the caller, move-only, and tied to the backend that made
// it (running it on another backend is refused). Holds the parameters in canonical layout (see
// parameterShapes) so a second backend can be prepared with exactly the same weights.
// Like its backend, it is used from one thread at a time.
class PreparedOp {
public:
    PreparedOp() = default;
    PreparedOp(PreparedOp&&) noexcept = default;
    PreparedOp& operator=(PreparedOp&&) noexcept = default;
    PreparedOp(const PreparedOp&) = delete;
    PreparedOp& operator=(const PreparedOp&) = delete;

    bool valid() const { return m_owner != nullptr; }
    const KernelOp& op() const { return m_op; }
    const std::vector<Shape>& inputShapes() const { return m_inputShapes; }
    const Shape& outputShape() const { return m_outputShape; }
    const std::vector<Tensor>& parameters() const { return m_parameters; }
    // Algorithm chosen, layouts, and any fallback ("onednn: reflect padding done by our pad
    // kernel"), for the GUI's tooltip and the benchmark table.
    const std::string& note() const { return m_note; }
    const std::string& backendName() const { return m_backendName; }
    // Threads the layer was prepared for; run() uses this many.
    int threadCount() const { return m_threads; }
    double flops() const { return m_flops; }
    double bytes() const { return m_bytes; }
    // Extra outputs written by run(): an LSTM's or GRU's h_n (then c_n) when op().finalStates,
    // sized by prepare(); empty otherwise.
    const std::vector<Tensor>& states() const { return m_states; }
    std::vector<Tensor>& states() { return m_states; }
    // The layout the output was left in (op().keepOutputLayout): same values and size as the plain
    // tensor, another order; only a layer prepared with that inputLayout can read it.
    Layout outputLayout() const { return m_outputLayout; }
    void setOutputLayout(Layout layout) { m_outputLayout = layout; }

    // For backends only.
    BackendState* state() const { return m_state.get(); }
    void setState(std::unique_ptr<BackendState> state) { m_state = std::move(state); }
    void appendNote(const std::string& text)
    {
        if (!m_note.empty())
            m_note += "; ";
        m_note += text;
    }

private:
    friend class Backend;

    KernelOp m_op;
    std::vector<Shape> m_inputShapes;
    Shape m_outputShape;
    std::vector<Tensor> m_parameters;
    std::string m_note;
    std::string m_backendName;
    const Backend* m_owner = nullptr;
    int m_threads = 1;
    double m_flops = 0.0;
    double m_bytes = 0.0;
    std::vector<Tensor> m_states;
    Layout m_outputLayout = Layout::Plain;
    std::unique_ptr<BackendState> m_state;
};

} // namespace nc::core::kernels

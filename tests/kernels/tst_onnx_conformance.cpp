// ONNX node conformance data (libonnx-testdata) run through both backends: model.onnx → KernelOp.
#include "KernelCases.h"

#include <onnx/onnx_pb.h>

#include <QtTest>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

using namespace nc::core::kernels;
using namespace nc::core::kernels::testing;
namespace fs = std::filesystem;

namespace {

// One ONNX node test mapped onto our layer description.
struct OnnxCase {
    std::string name;     // directory name, "test_conv_with_strides_padding"
    std::string opType;
    KernelOp op;
    std::vector<Tensor> inputs;     // data inputs, reshaped as our kernels take them
    std::vector<Tensor> parameters; // canonical layout (see parameterShapes)
    Tensor expected;                // output_0
};

// Outcome of mapping a directory: a case, a reason to leave it out, or a loading error.
struct Mapping {
    enum class Kind { Case, Excluded, Error } kind = Kind::Error;
    std::string reason;
    OnnxCase value;
};

Mapping excluded(std::string why)
{
    return {Mapping::Kind::Excluded, std::move(why), {}};
}
Mapping error(std::string why)
{
    return {Mapping::Kind::Error, std::move(why), {}};
}

// Reads a TensorProto file; FLOAT only, from float_data or little-endian raw_data. With `ids`, an
// INT64 tensor (Gather's indices) is read too, as the float token ids our embedding kernel takes.
bool readTensor(const fs::path& path, Tensor& out, std::string& why, bool& isFloat, bool ids = false)
{
    onnx::TensorProto t;
    std::ifstream f(path, std::ios::binary);
    if (!f || !t.ParseFromIstream(&f)) {
        why = "cannot parse " + path.string();
        return false;
    }
    if (ids && t.data_type() == onnx::TensorProto::INT64) {
        out = Tensor(Shape(t.dims().begin(), t.dims().end()));
        const auto n = static_cast<std::size_t>(out.size());
        std::vector<int64_t> v(t.int64_data().begin(), t.int64_data().end());
        if (v.size() != n && t.raw_data().size() == n * sizeof(int64_t)) {
            v.resize(n);
            std::memcpy(v.data(), t.raw_data().data(), n * sizeof(int64_t));
        }
        if (v.size() != n) {
            why = path.string() + ": " + std::to_string(n) + " int64 elements expected";
            return false;
        }
        std::transform(v.begin(), v.end(), out.data(), [](int64_t i) { return static_cast<float>(i); });
        isFloat = true;
        return true;
    }
    isFloat = t.data_type() == onnx::TensorProto::FLOAT;
    if (!isFloat)
        return true;
    Shape shape(t.dims().begin(), t.dims().end());
    out = Tensor(shape);
    const auto n = static_cast<std::size_t>(out.size());
    if (static_cast<std::size_t>(t.float_data_size()) == n) {
        std::copy(t.float_data().begin(), t.float_data().end(), out.data());
    } else if (t.raw_data().size() == n * sizeof(float)) {
        std::memcpy(out.data(), t.raw_data().data(), n * sizeof(float));
    } else {
        why = path.string() + ": " + std::to_string(n) + " elements expected in float_data or raw_data";
        return false;
    }
    return true;
}

const onnx::AttributeProto* findAttr(const onnx::NodeProto& node, const std::string& name)
{
    for (const auto& a : node.attribute())
        if (a.name() == name)
            return &a;
    return nullptr;
}
int64_t attrInt(const onnx::NodeProto& node, const std::string& name, int64_t fallback)
{
    const auto* a = findAttr(node, name);
    return a ? a->i() : fallback;
}
float attrFloat(const onnx::NodeProto& node, const std::string& name, float fallback)
{
    const auto* a = findAttr(node, name);
    return a ? a->f() : fallback;
}
std::string attrString(const onnx::NodeProto& node, const std::string& name, const std::string& fallback)
{
    const auto* a = findAttr(node, name);
    return a ? a->s() : fallback;
}
std::vector<int64_t> attrInts(const onnx::NodeProto& node, const std::string& name, std::vector<int64_t> fallback)
{
    const auto* a = findAttr(node, name);
    return a ? std::vector<int64_t>(a->ints().begin(), a->ints().end()) : fallback;
}

// Window attributes shared by Conv and the pools, for 2 spatial axes. ONNX pads are
// [h_begin, w_begin, h_end, w_end]. auto_pad SAME_*: out = ⌈in/s⌉, total padding
// (out − 1)·s + eff − in split evenly, the odd cell at the end (UPPER) or the start (LOWER).
bool applyWindow(const onnx::NodeProto& node, KernelOp& op, const Shape& x, std::vector<int64_t> kernel,
                 std::string& why)
{
    const auto strides = attrInts(node, "strides", {1, 1});
    const auto dil = attrInts(node, "dilations", {1, 1});
    auto pads = attrInts(node, "pads", {0, 0, 0, 0});
    if (kernel.size() != 2 || strides.size() != 2 || dil.size() != 2 || pads.size() != 4) {
        why = "window attributes are not 2-D";
        return false;
    }
    op.kh = kernel[0];
    op.kw = kernel[1];
    op.sh = strides[0];
    op.sw = strides[1];
    op.dh = dil[0];
    op.dw = dil[1];
    const std::string autoPad = attrString(node, "auto_pad", "NOTSET");
    if (autoPad == "VALID") {
        pads = {0, 0, 0, 0};
    } else if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
        for (int a = 0; a < 2; ++a) {
            const int64_t in = x[static_cast<std::size_t>(2 + a)], s = strides[static_cast<std::size_t>(a)];
            const int64_t eff = (kernel[static_cast<std::size_t>(a)] - 1) * dil[static_cast<std::size_t>(a)] + 1;
            const int64_t out = (in + s - 1) / s;
            const int64_t total = std::max<int64_t>(0, (out - 1) * s + eff - in);
            const int64_t small = total / 2, large = total - small;
            pads[static_cast<std::size_t>(a)] = autoPad == "SAME_UPPER" ? small : large;
            pads[static_cast<std::size_t>(a + 2)] = autoPad == "SAME_UPPER" ? large : small;
        }
    } else if (autoPad != "NOTSET") {
        why = "auto_pad " + autoPad;
        return false;
    }
    op.padTop = pads[0];
    op.padLeft = pads[1];
    op.padBottom = pads[2];
    op.padRight = pads[3];
    return true;
}

const std::set<std::string> kOpTypes = {"Conv",      "MaxPool",    "AveragePool",   "GlobalAveragePool",
                                        "Gemm",      "BatchNormalization", "InstanceNormalization",
                                        "LayerNormalization", "Relu", "LeakyRelu", "Sigmoid", "Tanh",
                                        "HardSwish", "Softmax",    "Add",           "Mul",
                                        "Concat",    "Flatten",    "Identity",
                                        "MatMul",    "Gather",     "LSTM",          "GRU"};

Mapping mapDirectory(const fs::path& dir)
{
    onnx::ModelProto model;
    {
        std::ifstream f(dir / "model.onnx", std::ios::binary);
        if (!f || !model.ParseFromIstream(&f))
            return error("cannot parse model.onnx");
    }
    const auto& graph = model.graph();
    if (graph.node_size() != 1)
        return excluded("graph of " + std::to_string(graph.node_size()) + " nodes (function expansion)");
    const onnx::NodeProto& node = graph.node(0);
    int64_t opset = 0;
    for (const auto& o : model.opset_import())
        if (o.domain().empty() || o.domain() == "ai.onnx")
            opset = o.version();

    // Graph inputs by name, read from test_data_set_0/input_<i>.pb in graph-input order.
    const fs::path data = dir / "test_data_set_0";
    std::map<std::string, Tensor> byName;
    for (int i = 0; i < graph.input_size(); ++i) {
        const auto& type = graph.input(i).type();
        if (!type.has_tensor_type())
            return excluded("input " + std::to_string(i) + " is a sequence or optional, not a tensor");
        const bool ids = node.op_type() == "Gather" && type.tensor_type().elem_type() == onnx::TensorProto::INT64;
        if (type.tensor_type().elem_type() != onnx::TensorProto::FLOAT && !ids)
            return excluded("non-float input");
        Tensor t;
        std::string why;
        bool isFloat = true;
        if (!readTensor(data / ("input_" + std::to_string(i) + ".pb"), t, why, isFloat, ids))
            return error(why);
        if (!isFloat)
            return excluded("non-float input");
        byName[graph.input(i).name()] = std::move(t);
    }
    auto input = [&](int i) -> const Tensor* {
        if (i >= node.input_size() || node.input(i).empty())
            return nullptr;
        auto it = byName.find(node.input(i));
        return it == byName.end() ? nullptr : &it->second;
    };
    Mapping m;
    m.kind = Mapping::Kind::Case;
    OnnxCase& c = m.value;
    c.name = dir.filename().string();
    c.opType = node.op_type();
    {
        std::string why;
        bool isFloat = true;
        if (!readTensor(data / "output_0.pb", c.expected, why, isFloat))
            return error(why);
        if (!isFloat)
            return excluded("non-float output");
    }
    if (!input(0))
        return excluded("input 0 is not a tensor");
    const Tensor& x = *input(0);
    const std::string& type = node.op_type();
    KernelOp& op = c.op;
    op.name = c.name;
    std::string why;

    auto simple = [&](OpKind k) {
        op.kind = k;
        c.inputs.push_back(x);
    };
    if (type == "Conv") {
        const Tensor* w = input(1);
        if (x.rank() != 4 || !w)
            return excluded("only 2-D convolutions");
        op.kind = OpKind::Conv2d;
        op.outChannels = w->dim(0);
        op.groups = attrInt(node, "group", 1);
        const auto kernel = attrInts(node, "kernel_shape", {w->dim(2), w->dim(3)});
        if (!applyWindow(node, op, x.shape(), kernel, why))
            return excluded(why);
        c.inputs.push_back(x);
        c.parameters.push_back(*w);
        op.bias = input(2) != nullptr;
        if (op.bias)
            c.parameters.push_back(*input(2));
    } else if (type == "MaxPool" || type == "AveragePool") {
        if (attrInt(node, "storage_order", 0) != 0)
            return excluded("storage_order 1");
        op.kind = type == "MaxPool" ? OpKind::MaxPool : OpKind::AvgPool;
        op.ceilMode = attrInt(node, "ceil_mode", 0) != 0;
        op.countIncludePad = attrInt(node, "count_include_pad", 0) != 0;
        Tensor in = x;
        if (x.rank() == 3) {
            // 1-D pooling is 2-D pooling over [N, C, 1, L] with a 1×k window.
            (void)in.reshape({x.dim(0), x.dim(1), 1, x.dim(2)});
            auto k = attrInts(node, "kernel_shape", {});
            auto s = attrInts(node, "strides", {1});
            auto p = attrInts(node, "pads", {0, 0});
            auto d = attrInts(node, "dilations", {1});
            if (k.size() != 1 || attrString(node, "auto_pad", "NOTSET") != "NOTSET")
                return excluded("1-D pooling attributes");
            op.kh = 1;
            op.kw = k[0];
            op.sw = s[0];
            op.dw = d[0];
            op.padLeft = p[0];
            op.padRight = p[1];
        } else if (x.rank() == 4) {
            if (!applyWindow(node, op, x.shape(), attrInts(node, "kernel_shape", {}), why))
                return excluded(why);
        } else {
            return excluded("only 1-D and 2-D pooling");
        }
        c.inputs.push_back(std::move(in));
    } else if (type == "GlobalAveragePool") {
        simple(OpKind::GlobalAvgPool);
    } else if (type == "Gemm") {
        // Y = α·A'·B' + β·C. Linear is Y = X·Wᵀ + b: W = α·B' ᵀ, i.e. α·B when transB = 1 and
        // α·Bᵀ otherwise; b = β·C when C is a row ([N], [1, N]) or a scalar.
        if (attrInt(node, "transA", 0) != 0)
            return excluded("transA = 1 (Linear cannot transpose its input)");
        const Tensor* b = input(1);
        if (x.rank() != 2 || !b || b->rank() != 2)
            return excluded("Gemm operands are not matrices");
        const float alpha = attrFloat(node, "alpha", 1.0f), beta = attrFloat(node, "beta", 1.0f);
        const bool transB = attrInt(node, "transB", 0) != 0;
        const int64_t k = x.dim(1), n = transB ? b->dim(0) : b->dim(1);
        Tensor w(Shape{n, k});
        for (int64_t o = 0; o < n; ++o)
            for (int64_t i = 0; i < k; ++i)
                w[o * k + i] = alpha * (transB ? (*b)[o * k + i] : (*b)[i * n + o]);
        op.kind = OpKind::Linear;
        op.outChannels = n;
        c.inputs.push_back(x);
        c.parameters.push_back(std::move(w));
        const Tensor* cIn = input(2);
        op.bias = cIn != nullptr;
        if (cIn) {
            Tensor bias(Shape{n});
            if (cIn->size() == 1) {
                bias.fill(beta * (*cIn)[0]);
            } else if (cIn->size() == n && (cIn->rank() == 1 || cIn->dim(0) == 1)) {
                for (int64_t o = 0; o < n; ++o)
                    bias[o] = beta * (*cIn)[o];
            } else {
                return excluded("bias C of shape " + shapeToString(cIn->shape()) + " is not a row");
            }
            c.parameters.push_back(std::move(bias));
        }
    } else if (type == "BatchNormalization") {
        if (attrInt(node, "training_mode", 0) != 0 || node.output_size() > 1)
            return excluded("training mode");
        op.kind = OpKind::BatchNorm;
        op.eps = attrFloat(node, "epsilon", 1e-5f);
        c.inputs.push_back(x);
        for (int i = 1; i <= 4; ++i) {
            if (!input(i))
                return error("missing batch norm input " + std::to_string(i));
            c.parameters.push_back(*input(i));
        }
    } else if (type == "InstanceNormalization") {
        op.kind = OpKind::InstanceNorm;
        op.eps = attrFloat(node, "epsilon", 1e-5f);
        c.inputs.push_back(x);
        c.parameters = {*input(1), *input(2)};
    } else if (type == "LayerNormalization") {
        op.kind = OpKind::LayerNorm;
        op.eps = attrFloat(node, "epsilon", 1e-5f);
        op.normAxis = attrInt(node, "axis", -1);
        c.inputs.push_back(x);
        const Tensor* scale = input(1);
        if (!scale)
            return error("missing layer norm scale");
        c.parameters.push_back(*scale);
        Tensor bias(scale->shape());
        if (input(2))
            bias = *input(2);
        c.parameters.push_back(std::move(bias));
    } else if (type == "Relu") {
        simple(OpKind::ReLU);
    } else if (type == "LeakyRelu") {
        simple(OpKind::LeakyReLU);
        op.slope = attrFloat(node, "alpha", 0.01f);
    } else if (type == "Sigmoid") {
        simple(OpKind::Sigmoid);
    } else if (type == "Tanh") {
        simple(OpKind::Tanh);
    } else if (type == "HardSwish") {
        simple(OpKind::HardSwish);
    } else if (type == "Softmax") {
        op.kind = OpKind::Softmax;
        Tensor in = x;
        if (opset >= 13) {
            op.softmaxAxis = attrInt(node, "axis", -1);
        } else {
            // Before opset 13 Softmax flattens to [∏ dims before axis, ∏ dims from axis] and
            // normalises each row: the same as our softmax over the last axis of that view.
            const int64_t axis = normaliseAxis(attrInt(node, "axis", 1), x.rank());
            int64_t outer = 1;
            for (int64_t i = 0; i < axis; ++i)
                outer *= x.dim(static_cast<int>(i));
            (void)in.reshape({outer, x.size() / outer});
            op.softmaxAxis = -1;
        }
        c.inputs.push_back(std::move(in));
    } else if (type == "Add" || type == "Mul") {
        op.kind = type == "Add" ? OpKind::Add : OpKind::Mul;
        if (!input(1))
            return excluded("second input is not a tensor");
        c.inputs = {x, *input(1)};
    } else if (type == "Concat") {
        op.kind = OpKind::Concat;
        op.axis = attrInt(node, "axis", 1);
        for (int i = 0; i < node.input_size(); ++i) {
            if (!input(i))
                return excluded("non-tensor input");
            c.inputs.push_back(*input(i));
        }
    } else if (type == "MatMul") {
        op.kind = OpKind::MatMul;
        if (!input(1) || x.rank() < 2 || input(1)->rank() < 2)
            return excluded("MatMul of a vector (our kernel takes matrices)");
        c.inputs = {x, *input(1)};
    } else if (type == "Gather") {
        // Gather on axis 0 is an embedding lookup: the table's rows are data[i] flattened, the ids
        // one sequence [1, T].
        if (attrInt(node, "axis", 0) != 0 || !input(1) || input(1)->rank() != 1)
            return excluded("Gather other than rows of a table by a 1-D index list");
        op.kind = OpKind::Embedding;
        op.vocab = x.dim(0);
        op.outChannels = x.size() / x.dim(0);
        Tensor table = x, ids = *input(1);
        (void)table.reshape({op.vocab, op.outChannels});
        (void)ids.reshape({1, ids.size()});
        (void)c.expected.reshape({1, ids.size(), op.outChannels});
        c.inputs.push_back(std::move(ids));
        c.parameters.push_back(std::move(table));
    } else if (type == "LSTM") {
        // ONNX's LSTM → PyTorch's: gate blocks i o f c become i f g(c) o, bias B = [Wb | Rb].
        const Tensor *w = input(1), *r = input(2), *b = input(3);
        const int64_t h = attrInt(node, "hidden_size", 0), layout = attrInt(node, "layout", 0);
        if (!w || !r || w->dim(0) != 1 || node.input_size() > 4 || findAttr(node, "activations") ||
            findAttr(node, "clip") || attrInt(node, "input_forget", 0) != 0)
            return excluded("LSTM beyond one forward direction with default activations (peepholes, "
                            "sequence lengths or initial states)");
        const int64_t t = layout == 1 ? x.dim(1) : x.dim(0);
        if (node.output(0).empty() && t != 1)
            return excluded("only Y_h of a longer sequence is stored; the kernel returns the sequence");
        op.kind = OpKind::LSTM;
        op.outChannels = h;
        op.bias = b != nullptr;
        Tensor in = x;
        if (layout == 0) // [T, N, I] with T = 1 is [N, 1, I]
            (void)in.reshape({x.dim(1), x.dim(0), x.dim(2)});
        (void)c.expected.reshape({in.dim(0), in.dim(1), h}); // Y [N,T,1,H] or Y_h [1,N,H] of one step
        c.inputs.push_back(std::move(in));
        const int order[4] = {0, 2, 3, 1};
        auto gatesReordered = [&](const float* src, int64_t cols) {
            Tensor out(Shape{4 * h, cols});
            for (int g = 0; g < 4; ++g)
                std::copy(src + order[g] * h * cols, src + (order[g] + 1) * h * cols, out.data() + g * h * cols);
            return out;
        };
        c.parameters.push_back(gatesReordered(w->data(), w->dim(2)));
        c.parameters.push_back(gatesReordered(r->data(), h));
        if (b) {
            Tensor wb = gatesReordered(b->data(), 1), rb = gatesReordered(b->data() + 4 * h, 1);
            (void)wb.reshape({4 * h});
            (void)rb.reshape({4 * h});
            c.parameters.push_back(std::move(wb));
            c.parameters.push_back(std::move(rb));
        }
    } else if (type == "GRU") {
        return excluded("ONNX's GRU resets before the hidden projection (linear_before_reset = 0 in these tests); "
                        "PyTorch's GRU, which the kernel runs, resets after it");
    } else if (type == "Flatten") {
        simple(OpKind::Flatten);
        op.axis = attrInt(node, "axis", 1);
    } else if (type == "Identity") {
        simple(OpKind::Identity);
    } else {
        return excluded("op " + type + " is not mapped");
    }
    return m;
}

fs::path nodeDataDir()
{
    if (const char* env = std::getenv("NC_ONNX_NODE_DATA"))
        return env;
    return NC_ONNX_NODE_DATA;
}

} // namespace

class TestOnnxConformance : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void matchesOnnxOutput_data();
    void matchesOnnxOutput();
    void cleanupTestCase();

private:
    std::vector<OnnxCase> m_cases;
    std::map<std::string, int> m_passed; // per backend
    int m_excluded = 0;
};

void TestOnnxConformance::initTestCase()
{
    const fs::path root = nodeDataDir();
    QVERIFY2(fs::is_directory(root), ("ONNX node test data not found at " + root.string() +
                                      " (install libonnx-testdata or set NC_ONNX_NODE_DATA)").c_str());
    std::vector<fs::path> dirs;
    for (const auto& e : fs::directory_iterator(root))
        if (e.is_directory())
            dirs.push_back(e.path());
    std::sort(dirs.begin(), dirs.end());
    for (const fs::path& dir : dirs) {
        // Cheap pre-filter on the single node's type; the expanded (multi-node) variants and other
        // operators are not ours.
        onnx::ModelProto model;
        std::ifstream f(dir / "model.onnx", std::ios::binary);
        if (!f || !model.ParseFromIstream(&f) || model.graph().node_size() == 0)
            continue;
        if (!kOpTypes.count(model.graph().node(0).op_type()) || model.graph().node_size() != 1)
            continue;
        Mapping m = mapDirectory(dir);
        QVERIFY2(m.kind != Mapping::Kind::Error, (dir.filename().string() + ": " + m.reason).c_str());
        if (m.kind == Mapping::Kind::Excluded) {
            // Filtered out here, so no row pretends to pass: listed with the reason instead.
            qInfo("excluded %s: %s", dir.filename().string().c_str(), m.reason.c_str());
            ++m_excluded;
            continue;
        }
        m_cases.push_back(std::move(m.value));
    }
    qInfo("%zu ONNX node tests selected, %d excluded", m_cases.size(), m_excluded);
    // The package ships 134 tests of these operators and 114 map; far fewer means the mapping broke.
    QVERIFY2(m_cases.size() >= 110, std::to_string(m_cases.size()).c_str());
}

void TestOnnxConformance::matchesOnnxOutput_data()
{
    QTest::addColumn<int>("index");
    QTest::addColumn<QString>("backend");
    for (const char* backend : {"eigen", "onednn"})
        for (std::size_t i = 0; i < m_cases.size(); ++i)
            QTest::newRow((m_cases[i].name + "/" + backend).c_str()) << static_cast<int>(i) << QString(backend);
}

void TestOnnxConformance::matchesOnnxOutput()
{
    QFETCH(int, index);
    QFETCH(QString, backend);
    const OnnxCase& c = m_cases[static_cast<std::size_t>(index)];
    EigenBackend eigen;
    OneDnnBackend onednn;
    Backend& b = backend == "eigen" ? static_cast<Backend&>(eigen) : static_cast<Backend&>(onednn);

    std::vector<Shape> shapes;
    for (const Tensor& t : c.inputs)
        shapes.push_back(t.shape());
    PrepareOptions options;
    options.parameters = c.parameters;
    auto prepared = b.prepare(c.op, shapes, options);
    QVERIFY2(prepared.ok(), prepared.message().c_str());
    Tensor y;
    const KernelStatus st = b.run(prepared.value(), c.inputs, y);
    QVERIFY2(st.ok, st.message.c_str());
    const Comparison cmp = compareTensors(y, c.expected);
    QVERIFY2(cmp.ok, (cmp.message + " [" + prepared.value().note() + "]").c_str());
    ++m_passed[backend.toStdString()];
}

void TestOnnxConformance::cleanupTestCase()
{
    qInfo("onnx conformance: eigen %d/%zu passed, onednn %d/%zu passed, %d node tests excluded", m_passed["eigen"],
          m_cases.size(), m_passed["onednn"], m_cases.size(), m_excluded);
}

QTEST_GUILESS_MAIN(TestOnnxConformance)
#include "tst_onnx_conformance.moc"

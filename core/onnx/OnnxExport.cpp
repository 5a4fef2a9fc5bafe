// OnnxExport: one ONNX operator pattern per layer kind, weights from a deterministic generator.
#include "OnnxExport.h"

#include "ExportLimits.h"

#include "detail/Hints.h"

#include "core/Analysis.h"
#include "core/Catalogue.h"
#include "core/LayerRules.h"

#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <onnx/onnx_pb.h>

#include <QSaveFile>

#include <cmath>
#include <cstring>
#include <unordered_map>
#include <unordered_set>

namespace nc::core::onnx {

namespace {

namespace ox = ::onnx;
using TP = ox::TensorProto;

// splitmix64: a fixed sequence, so the same design always exports the same bytes.
class Rng {
public:
    uint64_t next()
    {
        uint64_t z = (m_state += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    }
    float uniform(float bound) // in [−bound, bound)
    {
        return (static_cast<float>(next() >> 40) / static_cast<float>(1 << 24) * 2.0f - 1.0f) * bound;
    }

private:
    uint64_t m_state = 0x6e6574636e766173ull;
};

enum class Fill { Random, Zeros, Ones };

class Exporter {
public:
    explicit Exporter(const Network& net) : m_net(net) {}
    Result<ox::ModelProto> run();

private:
    // Tensor and node naming: layer names are unique in a design; internal tensors are "layer/part".
    std::string fresh(const std::string& want)
    {
        std::string n = want;
        for (int k = 2; !m_names.insert(n).second; ++k)
            n = want + "_" + std::to_string(k);
        return n;
    }
    ox::NodeProto* node(const std::string& op, std::vector<std::string> ins, const std::string& out,
                        const std::string& name)
    {
        ox::NodeProto* n = m_graph->add_node();
        n->set_op_type(op);
        n->set_name(name);
        for (auto& i : ins)
            n->add_input(i);
        n->add_output(out);
        return n;
    }
    static void attr(ox::NodeProto* n, const std::string& name, int64_t v)
    {
        auto* a = n->add_attribute();
        a->set_name(name);
        a->set_type(ox::AttributeProto::INT);
        a->set_i(v);
    }
    static void attr(ox::NodeProto* n, const std::string& name, std::vector<int64_t> v)
    {
        auto* a = n->add_attribute();
        a->set_name(name);
        a->set_type(ox::AttributeProto::INTS);
        for (int64_t x : v)
            a->add_ints(x);
    }
    static void attrF(ox::NodeProto* n, const std::string& name, double v)
    {
        auto* a = n->add_attribute();
        a->set_name(name);
        a->set_type(ox::AttributeProto::FLOAT);
        a->set_f(static_cast<float>(v));
    }
    static void attrS(ox::NodeProto* n, const std::string& name, const std::string& v)
    {
        auto* a = n->add_attribute();
        a->set_name(name);
        a->set_type(ox::AttributeProto::STRING);
        a->set_s(v);
    }
    // A float initializer; `fanIn` scales random weights.
    std::string weight(const std::string& want, const std::vector<int64_t>& dims, Fill fill, int64_t fanIn = 1)
    {
        TP* t = m_graph->add_initializer();
        std::string name = fresh(want);
        t->set_name(name);
        t->set_data_type(TP::FLOAT);
        int64_t n = 1;
        for (int64_t d : dims) {
            t->add_dims(d);
            n *= d;
        }
        std::string* raw = t->mutable_raw_data();
        raw->resize(static_cast<size_t>(n) * sizeof(float));
        const float bound = 1.0f / std::sqrt(static_cast<float>(std::max<int64_t>(fanIn, 1)));
        char* p = raw->data();
        for (int64_t i = 0; i < n; ++i) {
            float v = fill == Fill::Random ? m_rng.uniform(bound) : fill == Fill::Ones ? 1.0f : 0.0f;
            std::memcpy(p + i * 4, &v, 4); // little-endian, as ONNX's raw_data
        }
        return name;
    }
    std::string ints(const std::string& want, const std::vector<int64_t>& values, bool scalar = false)
    {
        TP* t = m_graph->add_initializer();
        std::string name = fresh(want);
        t->set_name(name);
        t->set_data_type(TP::INT64);
        if (!scalar)
            t->add_dims(static_cast<int64_t>(values.size()));
        for (int64_t v : values)
            t->add_int64_data(v);
        return name;
    }
    std::string scalar(const std::string& want, float v)
    {
        TP* t = m_graph->add_initializer();
        std::string name = fresh(want);
        t->set_name(name);
        t->set_data_type(TP::FLOAT);
        t->add_float_data(v);
        return name;
    }
    std::vector<int64_t> full(const Shape& s) const
    {
        std::vector<int64_t> d{m_net.batch};
        d.insert(d.end(), s.begin(), s.end());
        return d;
    }
    void valueInfo(ox::ValueInfoProto* vi, const std::string& name, const std::vector<int64_t>& dims)
    {
        vi->set_name(name);
        auto* tt = vi->mutable_type()->mutable_tensor_type();
        tt->set_elem_type(TP::FLOAT);
        auto* sh = tt->mutable_shape();
        for (int64_t d : dims)
            sh->add_dim()->set_dim_value(d);
    }
    // Linear layer as Gemm (2-D input) or MatMul + Add; returns the output tensor.
    std::string linear(const std::string& prefix, const std::string& x, int64_t in, int64_t out, bool bias,
                       int inRank, const std::string& y)
    {
        if (inRank == 1) {
            std::vector<std::string> ins{x, weight(prefix + ".weight", {out, in}, Fill::Random, in)};
            if (bias)
                ins.push_back(weight(prefix + ".bias", {out}, Fill::Random, in));
            attr(node("Gemm", ins, y, prefix), "transB", 1);
            return y;
        }
        std::string w = weight(prefix + ".weight", {in, out}, Fill::Random, in);
        if (!bias) {
            node("MatMul", {x, w}, y, prefix); // one node: it carries the layer's name
            return y;
        }
        std::string mm = fresh(prefix + "/MatMul_output");
        node("MatMul", {x, w}, mm, prefix + "/MatMul");
        node("Add", {mm, weight(prefix + ".bias", {out}, Fill::Random, in)}, y, prefix + "/Add");
        return y;
    }
    std::string gelu(const std::string& prefix, const std::string& x, const std::string& y)
    {
        // x·0.5·(1 + erf(x/√2)), in the operator order PyTorch exports.
        std::string a = fresh(prefix + "/Div_output"), b = fresh(prefix + "/Erf_output"),
                    c = fresh(prefix + "/Add_output"), d = fresh(prefix + "/Mul_output");
        node("Div", {x, scalar(prefix + "/sqrt2", 1.4142135381698608f)}, a, prefix + "/Div");
        node("Erf", {a}, b, prefix + "/Erf");
        node("Add", {b, scalar(prefix + "/one", 1.0f)}, c, prefix + "/Add");
        node("Mul", {x, c}, d, prefix + "/Mul");
        node("Mul", {d, scalar(prefix + "/half", 0.5f)}, y, prefix + "/Mul_1");
        return y;
    }
    Status layer(const Node& n, const LayerResult& l, const std::vector<std::string>& ins, const std::string& y);

    const Network& m_net;
    AnalysisResult m_a;
    ox::ModelProto m_model;
    ox::GraphProto* m_graph = nullptr;
    std::unordered_set<std::string> m_names;
    Rng m_rng;
};

Status Exporter::layer(const Node& n, const LayerResult& l, const std::vector<std::string>& ins, const std::string& y)
{
    const LayerParams& p = n.params;
    const std::string& L = n.name;
    const auto inShapes = m_a.inputsOf(l);
    const Shape& in = inShapes.empty() ? l.output : inShapes[0];
    const std::string x = ins.empty() ? std::string() : ins[0];
    auto err = [&](const std::string& why) { return Error{"layer \"" + L + "\": " + why}; };

    switch (n.type) {
    case LayerType::Input:
        return {};
    case LayerType::Linear:
        linear(L, x, in.back(), p.features, p.bias != 0, in.rank(), y);
        return {};
    case LayerType::Conv2d:
    case LayerType::DepthwiseConv2d: {
        const bool dw = n.type == LayerType::DepthwiseConv2d;
        const int64_t ci = in[0], co = l.output[0], g = dw ? ci : p.groups;
        std::string input = x;
        Padding pad = resolvePadding(p, in[1], in[2]);
        bool same = p.padSame && p.padMode == static_cast<int64_t>(PadMode::Zeros);
        if (p.padMode != static_cast<int64_t>(PadMode::Zeros)) {
            input = fresh(L + "/Pad_output");
            auto* pn = node("Pad", {x, ints(L + "/pads", {0, 0, pad.top, pad.left, 0, 0, pad.bottom, pad.right})},
                            input, L + "/Pad");
            attrS(pn, "mode", p.padMode == static_cast<int64_t>(PadMode::Reflect) ? "reflect" : "edge");
            pad = {};
        }
        const int64_t fanIn = (ci / g) * p.kh * p.kw;
        std::vector<std::string> cin{input, weight(L + ".weight", {co, ci / g, p.kh, p.kw}, Fill::Random, fanIn)};
        if (p.bias)
            cin.push_back(weight(L + ".bias", {co}, Fill::Random, fanIn));
        auto* c = node("Conv", cin, y, L);
        attr(c, "kernel_shape", {p.kh, p.kw});
        attr(c, "strides", {p.sh, p.sw});
        attr(c, "dilations", {p.dh, p.dw});
        attr(c, "group", g);
        if (same)
            attrS(c, "auto_pad", "SAME_UPPER");
        else
            attr(c, "pads", {pad.top, pad.left, pad.bottom, pad.right});
        return {};
    }
    case LayerType::MaxPool2d:
    case LayerType::AvgPool2d: {
        const bool avg = n.type == LayerType::AvgPool2d;
        auto* k = node(avg ? "AveragePool" : "MaxPool", {x}, y, L);
        attr(k, "kernel_shape", {p.kh, p.kw});
        attr(k, "strides", {p.sh, p.sw});
        attr(k, "pads", {p.pt, p.pl, p.pb, p.pr});
        attr(k, "ceil_mode", p.ceilMode);
        if (avg)
            attr(k, "count_include_pad", p.countIncludePad);
        return {};
    }
    case LayerType::GlobalAvgPool:
        node("GlobalAveragePool", {x}, y, L);
        return {};
    case LayerType::AdaptiveAvgPool2d:
        if (p.outH == 1 && p.outW == 1) {
            node("GlobalAveragePool", {x}, y, L);
            return {};
        }
        if (in[1] % p.outH || in[2] % p.outW)
            return err("adaptive pooling from " + std::to_string(in[1]) + "×" + std::to_string(in[2]) + " to " +
                       std::to_string(p.outH) + "×" + std::to_string(p.outW) +
                       " has windows of different sizes, which ONNX cannot express");
        {
            auto* k = node("AveragePool", {x}, y, L);
            attr(k, "kernel_shape", {in[1] / p.outH, in[2] / p.outW});
            attr(k, "strides", {in[1] / p.outH, in[2] / p.outW});
        }
        return {};
    case LayerType::BatchNorm: {
        const int64_t c = in[0];
        auto* b = node("BatchNormalization",
                       {x, weight(L + ".weight", {c}, Fill::Ones), weight(L + ".bias", {c}, Fill::Zeros),
                        weight(L + ".running_mean", {c}, Fill::Zeros), weight(L + ".running_var", {c}, Fill::Ones)},
                       y, L);
        attrF(b, "epsilon", p.eps);
        return {};
    }
    case LayerType::LayerNorm: {
        std::vector<int64_t> dims(in.end() - p.normAxes, in.end());
        auto* b = node("LayerNormalization",
                       {x, weight(L + ".weight", dims, Fill::Ones), weight(L + ".bias", dims, Fill::Zeros)}, y, L);
        attr(b, "axis", -p.normAxes);
        attrF(b, "epsilon", p.eps);
        return {};
    }
    case LayerType::InstanceNorm: {
        const int64_t c = in[0];
        auto* b = node("InstanceNormalization",
                       {x, weight(L + ".weight", {c}, Fill::Ones), weight(L + ".bias", {c}, Fill::Zeros)}, y, L);
        attrF(b, "epsilon", p.eps);
        return {};
    }
    case LayerType::GroupNorm: {
        // PyTorch's pattern: group the channels, instance-normalise, ungroup, then γ and β.
        const int64_t c = in[0], groups = p.numGroups;
        std::string r1 = fresh(L + "/Reshape_output"), nrm = fresh(L + "/InstanceNormalization_output");
        std::string r2 = p.affine ? fresh(L + "/Reshape_1_output") : y;
        node("Reshape", {x, ints(L + "/group_shape", {0, groups, -1})}, r1, L + "/Reshape");
        auto* in1 = node("InstanceNormalization",
                         {r1, weight(L + "/group_scale", {groups}, Fill::Ones),
                          weight(L + "/group_bias", {groups}, Fill::Zeros)},
                         nrm, L + "/InstanceNormalization");
        attrF(in1, "epsilon", p.eps);
        std::vector<int64_t> back{0};
        back.insert(back.end(), in.begin(), in.end());
        node("Reshape", {nrm, ints(L + "/shape", back)}, r2, L + "/Reshape_1");
        if (p.affine) {
            std::vector<int64_t> gd{c};
            gd.resize(static_cast<size_t>(in.rank()), 1);
            std::string m = fresh(L + "/Mul_output");
            node("Mul", {r2, weight(L + ".weight", gd, Fill::Ones)}, m, L + "/Mul");
            node("Add", {m, weight(L + ".bias", gd, Fill::Zeros)}, y, L + "/Add");
        }
        return {};
    }
    case LayerType::ReLU:
        node("Relu", {x}, y, L);
        return {};
    case LayerType::ReLU6:
        node("Clip", {x, scalar(L + "/min", 0.0f), scalar(L + "/max", 6.0f)}, y, L);
        return {};
    case LayerType::LeakyReLU:
        attrF(node("LeakyRelu", {x}, y, L), "alpha", p.slope);
        return {};
    case LayerType::Sigmoid:
        node("Sigmoid", {x}, y, L);
        return {};
    case LayerType::Tanh:
        node("Tanh", {x}, y, L);
        return {};
    case LayerType::HardSwish:
        node("HardSwish", {x}, y, L);
        return {};
    case LayerType::SiLU: {
        std::string s = fresh(L + "/Sigmoid_output");
        node("Sigmoid", {x}, s, L + "/Sigmoid");
        node("Mul", {x, s}, y, L + "/Mul");
        return {};
    }
    case LayerType::GELU:
        gelu(L, x, y);
        return {};
    case LayerType::Softmax:
        attr(node("Softmax", {x}, y, L), "axis", p.axis >= 0 ? p.axis + 1 : p.axis);
        return {};
    case LayerType::Add:
        node(ins.size() == 2 ? "Add" : "Sum", ins, y, L);
        return {};
    case LayerType::Multiply: {
        // NetCanvas broadcasts per-sample shapes; align ranks so ONNX's broadcast (batch included) agrees.
        std::vector<std::string> aligned;
        for (size_t k = 0; k < ins.size(); ++k) {
            const Shape& s = inShapes[k];
            if (s.rank() == l.output.rank()) {
                aligned.push_back(ins[k]);
                continue;
            }
            std::vector<int64_t> shape{0};
            shape.resize(static_cast<size_t>(l.output.rank() - s.rank()) + 1, 1);
            shape.insert(shape.end(), s.begin(), s.end());
            std::string r = fresh(L + "/Reshape_" + std::to_string(k) + "_output");
            node("Reshape", {ins[k], ints(L + "/shape_" + std::to_string(k), shape)}, r,
                 L + "/Reshape_" + std::to_string(k));
            aligned.push_back(r);
        }
        if (aligned.size() == 2) {
            node("Mul", aligned, y, L);
            return {};
        }
        std::string acc = aligned[0];
        for (size_t k = 1; k < aligned.size(); ++k) {
            std::string o = k + 1 == aligned.size() ? y : fresh(L + "/mul" + std::to_string(k) + "_output");
            node("Mul", {acc, aligned[k]}, o, L + "/mul" + std::to_string(k));
            acc = o;
        }
        return {};
    }
    case LayerType::Concat:
        attr(node("Concat", ins, y, L), "axis", 1);
        return {};
    case LayerType::Flatten:
        attr(node("Flatten", {x}, y, L), "axis", 1);
        return {};
    case LayerType::Dropout:
        node("Dropout", {x, scalar(L + "/ratio", static_cast<float>(p.dropP))}, y, L);
        return {};
    case LayerType::Reshape: {
        std::vector<int64_t> shape{0};
        shape.insert(shape.end(), p.dims.begin(), p.dims.end());
        node("Reshape", {x, ints(L + "/shape", shape)}, y, L);
        return {};
    }
    case LayerType::ClassTokenSelect:
        attr(node("Gather", {x, ints(L + "/index", {0}, true)}, y, L), "axis", 1);
        return {};
    case LayerType::PatchEmbed: {
        const int64_t c = in[0], d = p.features, pt = p.patch, tokens = l.output[0];
        std::string conv = fresh(L + "/Conv_output"), flat = fresh(L + "/Reshape_output");
        std::vector<std::string> cin{x, weight(L + ".proj.weight", {d, c, pt, pt}, Fill::Random, c * pt * pt)};
        if (p.bias)
            cin.push_back(weight(L + ".proj.bias", {d}, Fill::Random, c * pt * pt));
        auto* cv = node("Conv", cin, conv, L + "/Conv");
        attr(cv, "kernel_shape", {pt, pt});
        attr(cv, "strides", {pt, pt});
        attr(cv, "pads", {0, 0, 0, 0});
        node("Reshape", {conv, ints(L + "/shape", {0, d, -1})}, flat, L + "/Reshape");
        std::string cur = (p.classToken || p.posEmbed) ? fresh(L + "/Transpose_output") : y;
        attr(node("Transpose", {flat}, cur, L + "/Transpose"), "perm", {0, 2, 1});
        if (p.classToken) {
            std::string cls = fresh(L + "/Expand_output");
            std::string cat = p.posEmbed ? fresh(L + "/Concat_output") : y;
            node("Expand", {weight(L + ".cls_token", {1, 1, d}, Fill::Random, d), ints(L + "/cls_shape", {m_net.batch, 1, d})},
                 cls, L + "/Expand");
            attr(node("Concat", {cls, cur}, cat, L + "/Concat"), "axis", 1);
            cur = cat;
        }
        if (p.posEmbed)
            node("Add", {cur, weight(L + ".pos_embed", {1, tokens, d}, Fill::Random, d)}, y, L + "/Add");
        return {};
    }
    case LayerType::MultiHeadAttention: {
        const int64_t d = in[1], h = p.heads, hd = d / h;
        auto heads = [&](const std::string& part, std::vector<int64_t> perm) {
            std::string proj = fresh(L + "/" + part);
            linear(L + "/" + part, x, d, d, p.bias != 0, 2, proj);
            std::string r = fresh(L + "/" + part + "/Reshape_output"), tr = fresh(L + "/" + part + "/Transpose_output");
            node("Reshape", {proj, ints(L + "/" + part + "/shape", {0, 0, h, hd})}, r, L + "/" + part + "/Reshape");
            attr(node("Transpose", {r}, tr, L + "/" + part + "/Transpose"), "perm", perm);
            return tr;
        };
        std::string q = heads("q", {0, 2, 1, 3}), k = heads("k", {0, 2, 3, 1}), v = heads("v", {0, 2, 1, 3});
        std::string s = fresh(L + "/scores"), ss = fresh(L + "/scaled"), a = fresh(L + "/weights"),
                    o = fresh(L + "/context"), ot = fresh(L + "/Transpose_output"), om = fresh(L + "/merged");
        node("MatMul", {q, k}, s, L + "/MatMul");
        node("Div", {s, scalar(L + "/scale", std::sqrt(static_cast<float>(hd)))}, ss, L + "/Div");
        attr(node("Softmax", {ss}, a, L + "/Softmax"), "axis", -1);
        node("MatMul", {a, v}, o, L + "/MatMul_1");
        attr(node("Transpose", {o}, ot, L + "/Transpose"), "perm", {0, 2, 1, 3});
        node("Reshape", {ot, ints(L + "/merge_shape", {0, 0, d})}, om, L + "/Reshape");
        linear(L + "/out", om, d, d, p.bias != 0, 2, y);
        return {};
    }
    case LayerType::Mlp: {
        const int64_t d = in.back(), outF = l.output.back();
        std::string h1 = fresh(L + "/fc1_output"), a = fresh(L + "/act_output");
        linear(L + "/fc1", x, d, p.hidden, p.bias != 0, in.rank(), h1);
        gelu(L + "/act", h1, a);
        linear(L + "/fc2", a, p.hidden, outF, p.bias != 0, in.rank(), y);
        return {};
    }
    case LayerType::Opaque:
        return err("it stands for an imported operator NetCanvas does not model; ONNX export needs the original "
                   "operator");
    }
    return err("this layer kind cannot be exported");
}

Result<ox::ModelProto> Exporter::run()
{
    m_a = analyze(m_net);
    for (const LayerResult& l : m_a.layers)
        if (l.status != LayerStatus::Ok)
            return Error{l.message.empty() ? "the design has errors; fix them before exporting" : l.message};
    if (m_net.nodes().empty())
        return Error{"the design is empty; there is nothing to export"};

    m_model.set_ir_version(8);
    m_model.set_producer_name("NetCanvas");
    m_model.set_producer_version("0.1");
    m_model.set_model_version(1);
    m_model.set_doc_string("Exported from a NetCanvas design; weights are pseudo-random placeholders.");
    auto* opset = m_model.add_opset_import();
    opset->set_domain("");
    opset->set_version(kExportOpset);
    auto* hint = m_model.add_metadata_props();
    hint->set_key(detail::kHintsKey);
    hint->set_value(detail::makeHints(m_net));
    m_graph = m_model.mutable_graph();
    m_graph->set_name(m_net.name);

    // Every layer's output is the tensor named after it.
    std::unordered_map<uint32_t, std::string> tensorOf;
    for (const Node& n : m_net.nodes())
        tensorOf[n.id.v] = fresh(n.name);
    std::unordered_map<uint32_t, int> consumers;
    for (const Edge& e : m_net.edges())
        ++consumers[e.from.v];

    for (const LayerResult& l : m_a.layers) {
        const Node& n = m_net.nodes()[static_cast<size_t>(l.nodeIndex)];
        const std::string& y = tensorOf[n.id.v];
        std::vector<std::string> ins;
        for (int port = 0; port < l.inputCount; ++port)
            ins.push_back(tensorOf[m_net.edgeInto(n.id, port)->from.v]);
        if (n.type == LayerType::Input)
            valueInfo(m_graph->add_input(), y, full(l.output));
        else if (Status s = layer(n, l, ins, y); !s)
            return Error{s.error()};
        if (n.type != LayerType::Input) {
            if (consumers[n.id.v] == 0)
                valueInfo(m_graph->add_output(), y, full(l.output));
            else
                valueInfo(m_graph->add_value_info(), y, full(l.output));
        }
    }
    if (m_graph->output_size() == 0)
        return Error{"the design has no layer after its inputs; there is nothing to export"};
    return std::move(m_model);
}

// Streams a message into a QIODevice without a second in-memory copy.
class DeviceStream : public google::protobuf::io::CopyingOutputStream {
public:
    explicit DeviceStream(QIODevice& d) : m_d(d) {}
    bool Write(const void* buffer, int size) override
    {
        return m_d.write(static_cast<const char*>(buffer), size) == size;
    }

private:
    QIODevice& m_d;
};

} // namespace

Result<QByteArray> exportOnnxBytes(const Network& net)
{
    if (Status s = checkExportSize(net); !s)
        return Error{s.error()};
    try {
        auto model = Exporter(net).run();
        if (!model)
            return Error{model.error()};
        std::string bytes;
        if (!model->SerializeToString(&bytes))
            return Error{"the ONNX model is too large to serialise (2 GiB or more)"};
        return QByteArray::fromStdString(bytes);
    } catch (const std::exception& e) {
        return Error{std::string("cannot export to ONNX: ") + e.what()};
    }
}

Status exportOnnx(const Network& net, const QString& path)
{
    if (Status s = checkExportSize(net); !s)
        return s;
    try {
        auto model = Exporter(net).run();
        if (!model)
            return Error{model.error()};
        if (model->ByteSizeLong() >= (size_t(1) << 31))
            return Error{"the ONNX model is too large to serialise (2 GiB or more)"};
        QSaveFile f(path);
        if (!f.open(QIODevice::WriteOnly))
            return Error{"cannot write " + path.toStdString() + ": " + f.errorString().toStdString()};
        DeviceStream out(f);
        google::protobuf::io::CopyingOutputStreamAdaptor adaptor(&out);
        bool ok = model->SerializeToZeroCopyStream(&adaptor);
        ok = adaptor.Flush() && ok;
        if (!ok) {
            f.cancelWriting();
            return Error{"cannot write " + path.toStdString() + ": " + f.errorString().toStdString()};
        }
        if (!f.commit())
            return Error{"cannot save " + path.toStdString() + ": " + f.errorString().toStdString()};
        return {};
    } catch (const std::exception& e) {
        return Error{std::string("cannot export to ONNX: ") + e.what()};
    }
}

} // namespace nc::core::onnx

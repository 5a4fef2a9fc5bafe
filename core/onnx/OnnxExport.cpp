// OnnxExport: one ONNX operator pattern per layer kind, weights from a deterministic generator.
#include "OnnxExport.h"

#include "ExportLimits.h"

#include "detail/Hints.h"

#include "core/Analysis.h"
#include "core/Catalogue.h"
#include "core/LayerRules.h"
#include "core/layers/LayerKind.h"

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

using Fill = OnnxBuilder::Fill;

class Exporter final : public OnnxBuilder {
public:
    explicit Exporter(const Network& net) : m_net(net) {}
    Result<ox::ModelProto> run();

private:
    // Tensor and node naming: layer names are unique in a design; internal tensors are "layer/part".
    std::string fresh(const std::string& want) override
    {
        std::string n = want;
        for (int k = 2; !m_names.insert(n).second; ++k)
            n = want + "_" + std::to_string(k);
        return n;
    }
    int node(const std::string& op, std::vector<std::string> ins, const std::string& out,
             const std::string& name) override
    {
        ox::NodeProto* n = m_graph->add_node();
        n->set_op_type(op);
        n->set_name(name);
        for (auto& i : ins)
            n->add_input(i);
        n->add_output(out);
        return m_graph->node_size() - 1;
    }
    int node(const std::string& op, std::vector<std::string> ins, const std::vector<std::string>& outs,
             const std::string& name) override
    {
        int k = node(op, std::move(ins), outs[0], name);
        for (size_t i = 1; i < outs.size(); ++i)
            m_graph->mutable_node(k)->add_output(outs[i]);
        return k;
    }
    void attr(int node, const std::string& name, int64_t v) override
    {
        auto* a = m_graph->mutable_node(node)->add_attribute();
        a->set_name(name);
        a->set_type(ox::AttributeProto::INT);
        a->set_i(v);
    }
    void attr(int node, const std::string& name, std::vector<int64_t> v) override
    {
        auto* a = m_graph->mutable_node(node)->add_attribute();
        a->set_name(name);
        a->set_type(ox::AttributeProto::INTS);
        for (int64_t x : v)
            a->add_ints(x);
    }
    void attrF(int node, const std::string& name, double v) override
    {
        auto* a = m_graph->mutable_node(node)->add_attribute();
        a->set_name(name);
        a->set_type(ox::AttributeProto::FLOAT);
        a->set_f(static_cast<float>(v));
    }
    void attrS(int node, const std::string& name, const std::string& v) override
    {
        auto* a = m_graph->mutable_node(node)->add_attribute();
        a->set_name(name);
        a->set_type(ox::AttributeProto::STRING);
        a->set_s(v);
    }
    // A float initializer; `fanIn` scales random weights.
    std::string weight(const std::string& want, const std::vector<int64_t>& dims, Fill fill, int64_t fanIn = 1) override
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
    std::string operand(const std::string& want, const std::vector<int64_t>& dims, Fill fill, bool fixed) override
    {
        std::string name = weight(want, dims, fill);
        m_graph->mutable_initializer(m_graph->initializer_size() - 1)
            ->set_doc_string(std::string(fixed ? kFixedConstantDoc : kLearnedOperandDoc));
        return name;
    }
    std::string ints(const std::string& want, const std::vector<int64_t>& values, bool scalar = false) override
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
    std::string scalar(const std::string& want, float v) override
    {
        TP* t = m_graph->add_initializer();
        std::string name = fresh(want);
        t->set_name(name);
        t->set_data_type(TP::FLOAT);
        t->add_float_data(v);
        return name;
    }
    std::string floats(const std::string& want, const std::vector<int64_t>& dims,
                       const std::vector<float>& values) override
    {
        TP* t = m_graph->add_initializer();
        std::string name = fresh(want);
        t->set_name(name);
        t->set_data_type(TP::FLOAT);
        for (int64_t d : dims)
            t->add_dims(d);
        for (float v : values)
            t->add_float_data(v);
        return name;
    }
    std::string floats(const std::string& want, const std::vector<float>& values) override
    {
        return floats(want, {static_cast<int64_t>(values.size())}, values);
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
    int64_t batch() const override { return m_net.batch; }
    Status layer(const Node& n, const LayerResult& l, const std::vector<std::string>& ins,
                 const std::vector<std::string>& ys);

    const Network& m_net;
    AnalysisResult m_a;
    ox::ModelProto m_model;
    ox::GraphProto* m_graph = nullptr;
    std::unordered_set<std::string> m_names;
    Rng m_rng;
};

Status Exporter::layer(const Node& n, const LayerResult& l, const std::vector<std::string>& ins,
                       const std::vector<std::string>& ys)
{
    const LayerKind& kind = layerKind(n.type);
    if (!kind.onnxExport.applies())
        return Error{"layer \"" + n.name + "\": no ONNX export for " + std::string(kind.spec.label) + ": " +
                     std::string(kind.onnxExport.notApplicable)};
    return kind.onnxExport.fn(*this, OnnxCtx{n, m_a.inputsOf(l), l.output, ins, ys[0], ys,
                                             l.tiedTo.valid() ? m_net.node(l.tiedTo) : nullptr});
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

    // Every layer's output is the tensor named after it; further output ports get "name_1", "name_2".
    auto key = [](NodeId id, int port) { return (static_cast<uint64_t>(id.v) << 16) | static_cast<uint64_t>(port); };
    std::unordered_map<uint64_t, std::string> tensorOf;
    std::unordered_map<uint32_t, std::vector<std::string>> outsOf;
    std::unordered_map<uint64_t, int> consumers;
    for (const Edge& e : m_net.edges())
        ++consumers[key(e.from, e.fromPort)];
    for (const LayerResult& l : m_a.layers) {
        const Node& n = m_net.nodes()[static_cast<size_t>(l.nodeIndex)];
        auto& outs = outsOf[n.id.v];
        // An unread by-product port (LSTM's h_n) gets no tensor: "" tells the kind not to compute it.
        const bool optional = layerKind(n.type).extraOutputsOptional;
        for (int port = 0; port <= static_cast<int>(l.extraOutputs.size()); ++port) {
            outs.push_back(port > 0 && optional && !consumers[key(n.id, port)]
                               ? std::string()
                               : fresh(port == 0 ? n.name : n.name + "_" + std::to_string(port)));
            tensorOf[key(n.id, port)] = outs.back();
        }
    }

    for (const LayerResult& l : m_a.layers) {
        const Node& n = m_net.nodes()[static_cast<size_t>(l.nodeIndex)];
        const std::vector<std::string>& ys = outsOf[n.id.v];
        std::vector<std::string> ins;
        for (int port = 0; port < l.inputCount; ++port) {
            const Edge* e = m_net.edgeInto(n.id, port);
            ins.push_back(tensorOf[key(e->from, e->fromPort)]);
        }
        if (n.type == LayerType::Input)
            valueInfo(m_graph->add_input(), ys[0], full(l.output));
        else if (Status s = layer(n, l, ins, ys); !s)
            return Error{s.error()};
        if (n.type != LayerType::Input) {
            for (size_t port = 0; port < ys.size(); ++port) {
                if (ys[port].empty())
                    continue;
                const Shape& shape = port == 0 ? l.output : l.extraOutputs[port - 1];
                if (consumers[key(n.id, static_cast<int>(port))] == 0)
                    valueInfo(m_graph->add_output(), ys[port], full(shape));
                else
                    valueInfo(m_graph->add_value_info(), ys[port], full(shape));
            }
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

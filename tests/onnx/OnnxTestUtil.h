// OnnxTestUtil: builds small ONNX models with the protobuf API, and compares the figures of two
// designs layer by layer (shared by the ONNX test executables).
#pragma once

#include "core/Analysis.h"
#include "core/Network.h"

#include <onnx/onnx_pb.h>

#include <QByteArray>
#include <QtTest>

#include <initializer_list>
#include <string>
#include <vector>

namespace nctest {

namespace ox = ::onnx;

// A model under construction: float tensors, opset 17 unless told otherwise.
class GraphBuilder {
public:
    explicit GraphBuilder(const std::string& name, int opset = 17)
    {
        m_model.set_ir_version(8);
        auto* o = m_model.add_opset_import();
        o->set_domain("");
        o->set_version(opset);
        m_graph = m_model.mutable_graph();
        m_graph->set_name(name);
    }
    std::string input(const std::string& name, std::vector<int64_t> dims, const std::string& batchSymbol = {})
    {
        auto* vi = m_graph->add_input();
        vi->set_name(name);
        auto* tt = vi->mutable_type()->mutable_tensor_type();
        tt->set_elem_type(ox::TensorProto::FLOAT);
        auto* sh = tt->mutable_shape();
        for (size_t i = 0; i < dims.size(); ++i) {
            if (i == 0 && !batchSymbol.empty())
                sh->add_dim()->set_dim_param(batchSymbol);
            else
                sh->add_dim()->set_dim_value(dims[i]);
        }
        return name;
    }
    // A float initializer filled with a small ramp (its contents do not matter to NetCanvas).
    std::string weight(const std::string& name, std::vector<int64_t> dims)
    {
        auto* t = m_graph->add_initializer();
        t->set_name(name);
        t->set_data_type(ox::TensorProto::FLOAT);
        int64_t n = 1;
        for (int64_t d : dims) {
            t->add_dims(d);
            n *= d;
        }
        std::string* raw = t->mutable_raw_data();
        raw->resize(static_cast<size_t>(n) * 4);
        for (int64_t i = 0; i < n; ++i) {
            float v = static_cast<float>(i % 7) * 0.01f;
            std::memcpy(raw->data() + i * 4, &v, 4);
        }
        return name;
    }
    std::string ints(const std::string& name, std::vector<int64_t> values, bool scalar = false)
    {
        auto* t = m_graph->add_initializer();
        t->set_name(name);
        t->set_data_type(ox::TensorProto::INT64);
        if (!scalar)
            t->add_dims(static_cast<int64_t>(values.size()));
        for (int64_t v : values)
            t->add_int64_data(v);
        return name;
    }
    std::string scalar(const std::string& name, float v)
    {
        auto* t = m_graph->add_initializer();
        t->set_name(name);
        t->set_data_type(ox::TensorProto::FLOAT);
        t->add_float_data(v);
        return name;
    }
    ox::NodeProto* node(const std::string& op, std::vector<std::string> ins, std::vector<std::string> outs,
                        const std::string& name = {})
    {
        auto* n = m_graph->add_node();
        n->set_op_type(op);
        n->set_name(name);
        for (auto& i : ins)
            n->add_input(i);
        for (auto& o : outs)
            n->add_output(o);
        return n;
    }
    // Single-output node whose output tensor is named after the node.
    std::string op(const std::string& op, std::vector<std::string> ins, const std::string& name)
    {
        node(op, std::move(ins), {name}, name);
        return name;
    }
    void output(const std::string& name)
    {
        auto* vi = m_graph->add_output();
        vi->set_name(name);
        vi->mutable_type()->mutable_tensor_type()->set_elem_type(ox::TensorProto::FLOAT);
    }
    void valueInfo(const std::string& name, std::vector<int64_t> dims)
    {
        auto* vi = m_graph->add_value_info();
        vi->set_name(name);
        auto* tt = vi->mutable_type()->mutable_tensor_type();
        tt->set_elem_type(ox::TensorProto::FLOAT);
        for (int64_t d : dims)
            tt->mutable_shape()->add_dim()->set_dim_value(d);
    }
    QByteArray bytes() const { return QByteArray::fromStdString(m_model.SerializeAsString()); }
    ox::ModelProto& model() { return m_model; }
    ox::GraphProto& graph() { return *m_graph; }

private:
    ox::ModelProto m_model;
    ox::GraphProto* m_graph;
};

inline void attr(ox::NodeProto* n, const std::string& name, int64_t v)
{
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(ox::AttributeProto::INT);
    a->set_i(v);
}
inline void attr(ox::NodeProto* n, const std::string& name, std::vector<int64_t> v)
{
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(ox::AttributeProto::INTS);
    for (int64_t x : v)
        a->add_ints(x);
}
inline void attrF(ox::NodeProto* n, const std::string& name, float v)
{
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(ox::AttributeProto::FLOAT);
    a->set_f(v);
}
inline void attrS(ox::NodeProto* n, const std::string& name, const std::string& v)
{
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(ox::AttributeProto::STRING);
    a->set_s(v);
}

inline const nc::core::Node* findLayer(const nc::core::Network& net, const std::string& name)
{
    for (const auto& n : net.nodes())
        if (n.name == name)
            return &n;
    return nullptr;
}

// Every layer of `expected` exists in `actual` under the same name, with the same kind, output
// shape and figures; and `actual` has no other layers. QCOMPAREs one fact at a time.
inline void compareFigures(const nc::core::Network& actual, const nc::core::Network& expected)
{
    using namespace nc::core;
    const AnalysisResult a = analyze(actual), e = analyze(expected);
    QCOMPARE(a.totals.errors, 0);
    QCOMPARE(actual.nodes().size(), expected.nodes().size());
    QCOMPARE(actual.batch, expected.batch);
    for (const Node& en : expected.nodes()) {
        const Node* an = findLayer(actual, en.name);
        if (!an)
            QFAIL(qPrintable(QString("layer \"%1\" is missing from the import").arg(QString::fromStdString(en.name))));
        const LayerResult* al = a.layer(an->id, actual);
        const LayerResult* el = e.layer(en.id, expected);
        const QByteArray where = QByteArray::fromStdString(en.name);
        QVERIFY2(an->type == en.type, where.constData());
        QVERIFY2(al->output == el->output, (where + ": " + QByteArray::fromStdString(al->output.toString()) + " vs " +
                                            QByteArray::fromStdString(el->output.toString()))
                                               .constData());
        QVERIFY2(al->params == el->params, where.constData());
        QVERIFY2(al->state == el->state, where.constData());
        QVERIFY2(al->macs == el->macs, where.constData());
        QVERIFY2(al->otherOps == el->otherOps, where.constData());
        QVERIFY2(al->activations == el->activations, where.constData());
        QVERIFY2(al->workspaceBytes == el->workspaceBytes, where.constData());
        // The same connections: each input port fed by the layer of the same name.
        for (int port = 0; port < al->inputCount; ++port) {
            const Edge* ae = actual.edgeInto(an->id, port);
            const Edge* ee = expected.edgeInto(en.id, port);
            QVERIFY2(ae && ee, where.constData());
            QCOMPARE(actual.node(ae->from)->name, expected.node(ee->from)->name);
        }
    }
    QCOMPARE(a.totals.params, e.totals.params);
    QCOMPARE(a.totals.macs, e.totals.macs);
    QCOMPARE(a.totals.activations, e.totals.activations);
    QCOMPARE(a.totals.peakLiveBytes, e.totals.peakLiveBytes);
}

} // namespace nctest

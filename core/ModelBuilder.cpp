// ModelBuilder: convenience constructors over Network.
#include "ModelBuilder.h"

#include "Catalogue.h"
#include "Layout.h"

namespace nc::core {

ModelBuilder::ModelBuilder(std::string name) { m_net.name = std::move(name); }

LayerParams ModelBuilder::defaults(LayerType t) const { return Catalogue::instance().spec(t).defaults; }

NodeId ModelBuilder::input(Shape dims, std::string name)
{
    LayerParams p = defaults(LayerType::Input);
    p.dims = dims;
    return layer(LayerType::Input, p, {}, std::move(name));
}

NodeId ModelBuilder::layer(LayerType t, const LayerParams& p, std::vector<NodeId> inputs, std::string name)
{
    Node n;
    n.type = t;
    n.params = p;
    if (Catalogue::instance().spec(t).variadicInputs)
        n.params.inputs = static_cast<int64_t>(inputs.size());
    n.name = name.empty() ? m_net.uniqueName(std::string(layerTypeKey(t))) : std::move(name);
    NodeId id = m_net.addNode(std::move(n)).value();
    for (size_t i = 0; i < inputs.size(); ++i)
        (void)m_net.addEdgeUnchecked(Edge{{}, inputs[i], id, static_cast<int>(i)});
    return id;
}

void ModelBuilder::connectPort(NodeId from, int fromPort, NodeId to, int toPort)
{
    if (const Edge* e = m_net.edgeInto(to, toPort))
        m_net.removeEdge(e->id);
    (void)m_net.addEdgeUnchecked(Edge{{}, from, to, toPort, fromPort});
}

NodeId ModelBuilder::conv(NodeId x, int64_t out, int64_t k, int64_t stride, int64_t pad, int64_t groups, bool bias,
                          std::string name)
{
    LayerParams p = defaults(LayerType::Conv2d);
    p.features = out;
    p.kh = p.kw = k;
    p.sh = p.sw = stride;
    p.pt = p.pb = p.pl = p.pr = pad;
    p.groups = groups;
    p.bias = bias;
    return layer(LayerType::Conv2d, p, {x}, std::move(name));
}

NodeId ModelBuilder::depthwise(NodeId x, int64_t k, int64_t stride, int64_t pad, int64_t multiplier, bool bias,
                               std::string name)
{
    LayerParams p = defaults(LayerType::DepthwiseConv2d);
    p.kh = p.kw = k;
    p.sh = p.sw = stride;
    p.pt = p.pb = p.pl = p.pr = pad;
    p.multiplier = multiplier;
    p.bias = bias;
    return layer(LayerType::DepthwiseConv2d, p, {x}, std::move(name));
}

NodeId ModelBuilder::linear(NodeId x, int64_t out, bool bias, std::string name)
{
    LayerParams p = defaults(LayerType::Linear);
    p.features = out;
    p.bias = bias;
    return layer(LayerType::Linear, p, {x}, std::move(name));
}

NodeId ModelBuilder::maxPool(NodeId x, int64_t k, int64_t stride, int64_t pad, bool ceil, std::string name)
{
    LayerParams p = defaults(LayerType::MaxPool2d);
    p.kh = p.kw = k;
    p.sh = p.sw = stride;
    p.pt = p.pb = p.pl = p.pr = pad;
    p.ceilMode = ceil;
    return layer(LayerType::MaxPool2d, p, {x}, std::move(name));
}

NodeId ModelBuilder::avgPool(NodeId x, int64_t k, int64_t stride, int64_t pad, std::string name)
{
    LayerParams p = defaults(LayerType::AvgPool2d);
    p.kh = p.kw = k;
    p.sh = p.sw = stride;
    p.pt = p.pb = p.pl = p.pr = pad;
    return layer(LayerType::AvgPool2d, p, {x}, std::move(name));
}

NodeId ModelBuilder::adaptiveAvgPool(NodeId x, int64_t h, int64_t w, std::string name)
{
    LayerParams p = defaults(LayerType::AdaptiveAvgPool2d);
    p.outH = h;
    p.outW = w;
    return layer(LayerType::AdaptiveAvgPool2d, p, {x}, std::move(name));
}

NodeId ModelBuilder::globalAvgPool(NodeId x, std::string name)
{
    return layer(LayerType::GlobalAvgPool, defaults(LayerType::GlobalAvgPool), {x}, std::move(name));
}
NodeId ModelBuilder::batchNorm(NodeId x, std::string name)
{
    return layer(LayerType::BatchNorm, defaults(LayerType::BatchNorm), {x}, std::move(name));
}
NodeId ModelBuilder::layerNorm(NodeId x, std::string name)
{
    LayerParams p = defaults(LayerType::LayerNorm);
    p.eps = 1e-6;
    return layer(LayerType::LayerNorm, p, {x}, std::move(name));
}
NodeId ModelBuilder::act(LayerType t, NodeId x, std::string name) { return layer(t, defaults(t), {x}, std::move(name)); }
NodeId ModelBuilder::add(std::vector<NodeId> xs, std::string name)
{
    return layer(LayerType::Add, defaults(LayerType::Add), std::move(xs), std::move(name));
}
NodeId ModelBuilder::mul(std::vector<NodeId> xs, std::string name)
{
    return layer(LayerType::Multiply, defaults(LayerType::Multiply), std::move(xs), std::move(name));
}
NodeId ModelBuilder::concat(std::vector<NodeId> xs, std::string name)
{
    return layer(LayerType::Concat, defaults(LayerType::Concat), std::move(xs), std::move(name));
}
NodeId ModelBuilder::flatten(NodeId x, std::string name)
{
    return layer(LayerType::Flatten, defaults(LayerType::Flatten), {x}, std::move(name));
}
NodeId ModelBuilder::dropout(NodeId x, double p, std::string name)
{
    LayerParams lp = defaults(LayerType::Dropout);
    lp.dropP = p;
    return layer(LayerType::Dropout, lp, {x}, std::move(name));
}

Network ModelBuilder::finish()
{
    applyLayout(m_net, layeredLayout(m_net));
    return m_net;
}

} // namespace nc::core

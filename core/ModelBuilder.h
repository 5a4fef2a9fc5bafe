// ModelBuilder: builds networks in code (the zoo generator, tests, importers) with PyTorch-like calls.
//
//   ModelBuilder b("tiny");
//   NodeId x = b.input({3, 32, 32});
//   x = b.relu(b.batchNorm(b.conv(x, 16, 3, 1, 1, 1, false)));
//   Network net = b.finish();   // laid out, ready to analyse or save
#pragma once

#include "Network.h"

#include <initializer_list>
#include <string>
#include <vector>

namespace nc::core {

class ModelBuilder {
public:
    explicit ModelBuilder(std::string name);

    NodeId input(Shape dims, std::string name = "input");
    // Any layer kind with explicit params; names default to "<type key><n>".
    NodeId layer(LayerType t, const LayerParams& p, std::vector<NodeId> inputs, std::string name = {});
    LayerParams defaults(LayerType t) const;
    // Feeds input `toPort` of `to` from output `fromPort` of `from` (a Split's second piece),
    // replacing what fed that input before.
    void connectPort(NodeId from, int fromPort, NodeId to, int toPort);

    NodeId conv(NodeId x, int64_t out, int64_t k, int64_t stride = 1, int64_t pad = 0, int64_t groups = 1,
                bool bias = true, std::string name = {});
    NodeId depthwise(NodeId x, int64_t k, int64_t stride, int64_t pad, int64_t multiplier = 1, bool bias = false,
                     std::string name = {});
    NodeId linear(NodeId x, int64_t out, bool bias = true, std::string name = {});
    NodeId maxPool(NodeId x, int64_t k, int64_t stride, int64_t pad = 0, bool ceil = false, std::string name = {});
    NodeId avgPool(NodeId x, int64_t k, int64_t stride, int64_t pad = 0, std::string name = {});
    NodeId adaptiveAvgPool(NodeId x, int64_t h, int64_t w, std::string name = {});
    NodeId globalAvgPool(NodeId x, std::string name = {});
    NodeId batchNorm(NodeId x, std::string name = {});
    NodeId layerNorm(NodeId x, std::string name = {});
    NodeId act(LayerType t, NodeId x, std::string name = {});
    NodeId relu(NodeId x, std::string name = {}) { return act(LayerType::ReLU, x, std::move(name)); }
    NodeId add(std::vector<NodeId> xs, std::string name = {});
    NodeId mul(std::vector<NodeId> xs, std::string name = {});
    NodeId concat(std::vector<NodeId> xs, std::string name = {});
    NodeId flatten(NodeId x, std::string name = {});
    NodeId dropout(NodeId x, double p = 0.5, std::string name = {});

    Network& network() { return m_net; }
    // Applies the layered layout and returns the network.
    Network finish();

private:
    Network m_net;
};

} // namespace nc::core

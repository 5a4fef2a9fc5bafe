// Hints: the "netcanvas" metadata entry of exported models.
//
//   {"format": "netcanvas-hints", "version": 1, "name": "vit", "bits": 32,
//    "layers": {"mlp1": {"type": "mlp", "out_features": 0}, "bn1": {"affine": false}, "fc": {"bits": 8}}}
#include "Hints.h"

#include "core/BitWidth.h"
#include "core/Catalogue.h"
#include "core/LayerRules.h"
#include "core/layers/LayerKind.h"

#include <QJsonDocument>
#include <QJsonObject>

#include <cmath>
#include <map>

namespace nc::core::onnx::detail {

namespace {

bool isActivation(LayerType t) { return layerKind(t).inplaceCapable; }

bool isNorm(LayerType t) { return layerKind(t).spec.category == Category::Normalization; }

// ONNX stores these as 32-bit floats; the hint carries the design's exact value when that loses bits.
bool lossyAsFloat(double v) { return static_cast<double>(static_cast<float>(v)) != v; }

} // namespace

std::string makeHints(const Network& net)
{
    QJsonObject layers;
    for (const Node& n : net.nodes()) {
        QJsonObject h;
        const LayerParams& p = n.params;
        if (p.bits != 0)
            h["bits"] = static_cast<qint64>(p.bits);
        if (isActivation(n.type) && p.inplace == 0)
            h["inplace"] = false;
        if (isNorm(n.type) && n.type != LayerType::GroupNorm && p.affine == 0)
            h["affine"] = false;
        if (n.type == LayerType::BatchNorm && p.trackStats == 0)
            h["track_running_stats"] = false;
        if (isNorm(n.type) && lossyAsFloat(p.eps))
            h["eps"] = p.eps;
        if (n.type == LayerType::LeakyReLU && lossyAsFloat(p.slope))
            h["slope"] = p.slope;
        if (n.type == LayerType::Dropout && lossyAsFloat(p.dropP))
            h["p"] = p.dropP;
        if (n.type == LayerType::Mlp) {
            h["type"] = "mlp";
            h["out_features"] = static_cast<qint64>(p.features);
        }
        if (n.type == LayerType::AdaptiveAvgPool2d) {
            h["type"] = "adaptive_avg_pool2d";
            h["out_h"] = static_cast<qint64>(p.outH);
            h["out_w"] = static_cast<qint64>(p.outW);
        }
        if (n.type == LayerType::Multiply && p.inputs > 2) {
            h["type"] = "multiply";
            h["inputs"] = static_cast<qint64>(p.inputs);
        }
        if (n.type == LayerType::Conv2d && p.groups > 1)
            h["type"] = "conv2d"; // a grouped convolution with groups = channels imports as depthwise
        if (!h.isEmpty())
            layers[QString::fromStdString(n.name)] = h;
    }
    QJsonObject root;
    root["format"] = "netcanvas-hints";
    root["version"] = 1;
    root["name"] = QString::fromStdString(net.name);
    root["bits"] = net.bits;
    if (!layers.isEmpty())
        root["layers"] = layers;
    return QJsonDocument(root).toJson(QJsonDocument::Compact).toStdString();
}

NetworkHints applyHints(const std::string& json, std::vector<Group>& groups, const PatternMatcher& pm,
                        std::vector<std::string>& notes)
{
    NetworkHints out;
    if (json.empty())
        return out;
    if (json.size() > (size_t(16) << 20)) {
        notes.push_back("ignored the netcanvas metadata: it is larger than 16 MB");
        return out;
    }
    QJsonParseError err;
    QJsonDocument doc = QJsonDocument::fromJson(QByteArray::fromStdString(json), &err);
    if (err.error != QJsonParseError::NoError || !doc.isObject() ||
        doc.object().value("format").toString() != "netcanvas-hints") {
        notes.push_back("ignored the netcanvas metadata: it is not valid hints JSON");
        return out;
    }
    const QJsonObject root = doc.object();
    if (root.value("name").isString() && root.value("name").toString().size() <= 256)
        out.name = root.value("name").toString().toStdString();
    int bits = root.value("bits").toInt(0);
    if (isBitWidth(bits))
        out.bits = bits;

    std::map<std::string, size_t> byName;
    for (size_t i = 0; i < groups.size(); ++i)
        if (!groups[i].alias)
            byName.emplace(groups[i].name, i);
    auto find = [&](const std::string& name) -> Group* {
        auto it = byName.find(name);
        return it == byName.end() || groups[it->second].alias ? nullptr : &groups[it->second];
    };
    std::vector<bool> erase(groups.size(), false);
    auto index = [&](const Group* g) { return static_cast<size_t>(g - groups.data()); };
    auto sameShape = [&](const Group& g, LayerType t, const LayerParams& p) {
        std::vector<Shape> ins;
        for (int v : g.inputs)
            ins.push_back(pm.perSample(v));
        auto a = inferShape(g.type, g.params, ins);
        auto b = inferShape(t, p, ins);
        return a && b && *a == *b;
    };

    const QJsonObject layers = root.value("layers").toObject();
    for (auto it = layers.begin(); it != layers.end(); ++it) {
        const std::string name = it.key().toStdString();
        if (!it.value().isObject())
            continue;
        const QJsonObject h = it.value().toObject();
        const QString type = h.value("type").toString();
        auto ignore = [&](const std::string& why) {
            notes.push_back("ignored the netcanvas hint for \"" + name + "\": " + why);
        };

        if (type == "mlp") {
            Group* fc1 = find(name + "/fc1");
            Group* act = find(name + "/act");
            Group* fc2 = find(name + "/fc2");
            if (!fc1 || !act || !fc2 || fc1->type != LayerType::Linear || act->type != LayerType::GELU ||
                fc2->type != LayerType::Linear || act->inputs != std::vector<int>{fc1->output} ||
                fc2->inputs != std::vector<int>{act->output} || fc1->params.bias != fc2->params.bias) {
                ignore("its Linear–GELU–Linear layers are not in the graph");
                continue;
            }
            Group m;
            m.type = LayerType::Mlp;
            m.params = Catalogue::instance().spec(LayerType::Mlp).defaults;
            m.params.hidden = fc1->params.features;
            m.params.bias = fc1->params.bias;
            const int64_t d = pm.perSample(fc1->inputs[0]).back();
            int64_t outF = h.value("out_features").toInteger(-1);
            m.params.features = outF == 0 && fc2->params.features == d ? 0 : fc2->params.features;
            m.inputs = fc1->inputs;
            m.output = fc2->output;
            for (const Group* g : {fc1, act, fc2}) {
                m.nodes.insert(m.nodes.end(), g->nodes.begin(), g->nodes.end());
                m.weights.insert(m.weights.end(), g->weights.begin(), g->weights.end());
            }
            m.name = name;
            erase[index(fc1)] = erase[index(act)] = true;
            *fc2 = std::move(m);
            byName[name] = index(fc2);
            continue;
        }
        if (type == "multiply") {
            int64_t n = h.value("inputs").toInteger(0);
            if (n < 3 || n > 16) {
                ignore("its input count is out of range");
                continue;
            }
            // A chain name/mul1 = a·b, name/mul2 = mul1·c, ... is one Multiply with n inputs.
            std::vector<Group*> chain;
            for (int64_t k = 1; k < n; ++k)
                chain.push_back(find(name + "/mul" + std::to_string(k)));
            bool ok = true;
            std::vector<int> inputs;
            for (size_t k = 0; k < chain.size() && ok; ++k) {
                Group* g = chain[k];
                ok = g && g->type == LayerType::Multiply && g->inputs.size() == 2 &&
                     (k == 0 || g->inputs[0] == chain[k - 1]->output);
                if (ok && k == 0)
                    inputs = g->inputs;
                else if (ok)
                    inputs.push_back(g->inputs[1]);
            }
            if (!ok) {
                ignore("its chain of Mul nodes is not in the graph");
                continue;
            }
            Group m = *chain.back();
            m.params.inputs = n;
            m.inputs = inputs;
            m.nodes.clear();
            for (Group* g : chain) {
                m.nodes.insert(m.nodes.end(), g->nodes.begin(), g->nodes.end());
                erase[index(g)] = true;
            }
            m.name = name;
            erase[index(chain.back())] = false;
            *chain.back() = std::move(m);
            byName[name] = index(chain.back());
            continue;
        }

        Group* g = find(name);
        if (!g) {
            ignore("no layer of that name in the graph");
            continue;
        }
        LayerParams p = g->params;
        LayerType t = g->type;
        if (type == "adaptive_avg_pool2d" &&
            (t == LayerType::GlobalAvgPool || t == LayerType::AvgPool2d)) {
            int64_t oh = h.value("out_h").toInteger(0), ow = h.value("out_w").toInteger(0);
            LayerParams ap = Catalogue::instance().spec(LayerType::AdaptiveAvgPool2d).defaults;
            ap.outH = oh;
            ap.outW = ow;
            if (oh < 1 || ow < 1 || oh > 1000000 || ow > 1000000 || !sameShape(*g, LayerType::AdaptiveAvgPool2d, ap)) {
                ignore("the adaptive pooling size does not match the graph");
                continue;
            }
            t = LayerType::AdaptiveAvgPool2d;
            p = ap;
        } else if (type == "conv2d" && t == LayerType::DepthwiseConv2d) {
            LayerParams cp = p;
            const int64_t ci = pm.perSample(g->inputs[0])[0];
            cp.features = ci * p.multiplier;
            cp.groups = ci;
            cp.multiplier = 1;
            if (!sameShape(*g, LayerType::Conv2d, cp)) {
                ignore("the convolution does not match the graph");
                continue;
            }
            t = LayerType::Conv2d;
            p = cp;
        } else if (!type.isEmpty()) {
            ignore("its type does not fit the layer in the graph");
            continue;
        }
        if (h.contains("bits")) {
            int64_t b = h.value("bits").toInteger(-1);
            if (b == 0 || isBitWidth(static_cast<int>(b)))
                p.bits = b;
        }
        if (isActivation(t) && h.value("inplace").isBool())
            p.inplace = h.value("inplace").toBool();
        if (isNorm(t) && h.value("eps").isDouble()) {
            double e = h.value("eps").toDouble();
            if (std::isfinite(e) && e >= 0 && e <= 1 && std::fabs(static_cast<float>(e) - p.eps) <= 1e-6 * (1 + e))
                p.eps = e;
        }
        if (t == LayerType::LeakyReLU && h.value("slope").isDouble()) {
            double s = h.value("slope").toDouble();
            if (std::isfinite(s) && std::fabs(static_cast<float>(s) - p.slope) <= 1e-6 * (1 + std::fabs(s)))
                p.slope = s;
        }
        if (t == LayerType::Dropout && h.value("p").isDouble()) {
            double d = h.value("p").toDouble();
            if (d >= 0 && d <= 1 && std::fabs(static_cast<float>(d) - p.dropP) <= 1e-6)
                p.dropP = d;
        }
        // Parameters ONNX requires but the design does not have: the values are constants, not weights.
        if (h.value("affine") == QJsonValue(false) && isNorm(t) && t != LayerType::GroupNorm && p.affine) {
            p.affine = 0;
            const size_t drop = std::min<size_t>(2, g->weights.size());
            g->weights.erase(g->weights.begin(), g->weights.begin() + static_cast<std::ptrdiff_t>(drop));
        }
        if (h.value("track_running_stats") == QJsonValue(false) && t == LayerType::BatchNorm && p.trackStats) {
            p.trackStats = 0;
            if (g->weights.size() >= 2)
                g->weights.erase(g->weights.end() - 2, g->weights.end());
        }
        g->type = t;
        g->params = p;
    }
    std::vector<Group> kept;
    for (size_t i = 0; i < groups.size(); ++i)
        if (!erase[i])
            kept.push_back(std::move(groups[i]));
    groups = std::move(kept);
    return out;
}

} // namespace nc::core::onnx::detail

// NodeLook: texts, colours and marks of one node.
#include "NodeLook.h"

#include "core/Catalogue.h"
#include "core/Explain.h"
#include "core/Format.h"

#include <QObject>

#include <algorithm>
#include <array>
#include <cmath>

namespace nc::widgets {

namespace {

QString q(const std::string& s) { return QString::fromStdString(s); }
QString q(std::string_view s) { return QString::fromUtf8(s.data(), static_cast<qsizetype>(s.size())); }

QColor categoryColour(core::Category c)
{
    static const std::array<QColor, 9> colours{
        QColor(0x60, 0x7d, 0x8b), // Input
        QColor(0x5c, 0x6b, 0xc0), // Linear
        QColor(0x1e, 0x88, 0xe5), // Convolution
        QColor(0x00, 0x89, 0x7b), // Pooling
        QColor(0x7c, 0xb3, 0x42), // Normalization
        QColor(0xf9, 0xa8, 0x25), // Activation
        QColor(0x8e, 0x24, 0xaa), // Attention
        QColor(0xf4, 0x51, 0x1e), // Merge
        QColor(0x8d, 0x6e, 0x63), // Reshape
    };
    return colours[static_cast<size_t>(c)];
}

QString costLabel(const core::LayerResult& r, CostColour mode, int64_t latencyNs)
{
    switch (mode) {
    case CostColour::Activations:
        return r.stored ? q(core::humanBytes(r.activationBytes)) : QStringLiteral("in place");
    case CostColour::Macs:
        return r.macs ? q(core::humanCount(r.macs)) + " MACs" : QString();
    case CostColour::Params:
        return r.params ? q(core::humanCount(r.params)) + " params" : QString();
    case CostColour::Latency:
        return latencyNs > 0 ? QString::number(static_cast<double>(latencyNs) / 1e6, 'g', 3) + " ms"
                             : QString();
    case CostColour::None:
        break;
    }
    return {};
}

} // namespace

int64_t costValue(const core::LayerResult& r, CostColour mode, int64_t latencyNs)
{
    if (r.status != core::LayerStatus::Ok)
        return 0;
    switch (mode) {
    case CostColour::Activations:
        return r.activationBytes;
    case CostColour::Macs:
        return r.macs;
    case CostColour::Params:
        return r.params;
    case CostColour::Latency:
        return latencyNs;
    case CostColour::None:
        return 0;
    }
    return 0;
}

CostScale CostScale::of(const core::AnalysisResult& a, CostColour mode,
                        const std::unordered_map<uint32_t, int64_t>& latencyNs)
{
    CostScale s;
    for (const core::LayerResult& r : a.layers) {
        auto it = mode == CostColour::Latency ? latencyNs.find(r.id.v) : latencyNs.end();
        const int64_t v = costValue(r, mode, it == latencyNs.end() ? 0 : it->second);
        s.maxValue = std::max(s.maxValue, v);
        s.total += v;
    }
    // Shares of the analysed figures are shares of the core's totals, not of a sum made here.
    if (mode == CostColour::Activations)
        s.total = a.totals.activationBytes;
    else if (mode == CostColour::Macs)
        s.total = a.totals.macs;
    else if (mode == CostColour::Params)
        s.total = a.totals.params;
    return s;
}

QColor heatColour(double t)
{
    t = std::clamp(t, 0.0, 1.0);
    // Two linear segments keep mid values visibly amber while the maximum stands out in red, and every
    // stop stays light enough for black text.
    struct Stop {
        double at;
        int r, g, b;
    };
    static constexpr Stop stops[] = {{0.0, 250, 250, 250}, {0.5, 255, 205, 130}, {1.0, 240, 118, 92}};
    const Stop& a = t <= 0.5 ? stops[0] : stops[1];
    const Stop& b = t <= 0.5 ? stops[1] : stops[2];
    const double u = (t - a.at) / (b.at - a.at);
    auto mix = [u](int x, int y) { return static_cast<int>(std::lround(x + (y - x) * u)); };
    return QColor(mix(a.r, b.r), mix(a.g, b.g), mix(a.b, b.b));
}

NodeLook NodeLook::build(const core::Network& net, const core::Node& node, const core::LayerResult* r,
                         CostColour mode, const CostScale& scale, int64_t budgetBytes,
                         uint32_t connectedPorts, int64_t latencyNs)
{
    const core::LayerSpec& spec = core::Catalogue::instance().spec(node.type);
    NodeLook k;
    k.name = q(node.name);
    const std::string summary = core::hyperSummary(node, net.bits);
    k.detail = q(core::layerTypeLabel(node.type)) + (summary.empty() ? QString() : "  " + q(summary));
    k.accent = categoryColour(spec.category);
    k.inputs = net.inputCount(node);
    k.outputs = net.outputCount(node);
    k.connectedPorts = connectedPorts;
    k.fill = heatColour(0);
    k.shapeText = QStringLiteral("—");
    if (!r || r->status == core::LayerStatus::Error) {
        k.state = State::Error;
        return k;
    }
    if (r->status == core::LayerStatus::Blocked) {
        k.state = State::Blocked;
        return k;
    }
    k.shapeText = q(r->output.toString());
    k.costText = costLabel(*r, mode, latencyNs);
    const int64_t v = costValue(*r, mode, latencyNs);
    if (scale.maxValue > 0)
        k.fill = heatColour(static_cast<double>(v) / static_cast<double>(scale.maxValue));
    if (scale.total > 0)
        k.share = static_cast<double>(v) / static_cast<double>(scale.total);
    k.overBudget = budgetBytes > 0 && r->liveBytes > budgetBytes;
    return k;
}

NodeLook NodeLook::buildGroup(const core::BlockGroup& group, const core::GroupFigures& f, CostColour mode,
                              const CostScale& scale, int64_t maxValue, int64_t budgetBytes)
{
    NodeLook k;
    k.name = q(group.name);
    k.members = static_cast<int>(group.members.size());
    k.detail = group.user ? QObject::tr("Group · %n layers", nullptr, k.members)
                          : QObject::tr("Block · %n layers", nullptr, k.members);
    if (!f.inputs.empty())
        k.detail += QStringLiteral("  ") + q(f.inputs.front().toString()) + QStringLiteral(" →");
    k.accent = QColor(0x45, 0x5a, 0x64);
    k.inputs = std::max<int>(1, static_cast<int>(f.inputs.size()));
    k.connectedPorts = k.inputs >= 32 ? ~0u : (1u << k.inputs) - 1;
    k.fill = heatColour(0);
    k.shapeText = f.outputs.empty() ? QStringLiteral("—") : q(f.outputs.front().toString());
    if (f.errors > 0) {
        k.state = State::Error;
        return k;
    }
    int64_t v = 0;
    switch (mode) {
    case CostColour::Activations:
        v = f.sums.activationBytes;
        k.costText = q(core::humanBytes(v));
        break;
    case CostColour::Macs:
        v = f.sums.macs;
        k.costText = q(core::humanCount(v)) + " MACs";
        break;
    case CostColour::Params:
        v = f.sums.params;
        k.costText = q(core::humanCount(v)) + " params";
        break;
    case CostColour::Latency:
    case CostColour::None:
        break;
    }
    if (maxValue > 0)
        k.fill = heatColour(static_cast<double>(v) / static_cast<double>(maxValue));
    if (scale.total > 0)
        k.share = static_cast<double>(v) / static_cast<double>(scale.total);
    k.overBudget = budgetBytes > 0 && f.peakLiveBytes > budgetBytes;
    return k;
}

QString NodeLook::toolTip(const core::Node& node, const core::LayerResult* r, CostColour mode,
                          const CostScale& scale, int64_t budgetBytes, int64_t latencyNs)
{
    QString name = q(node.name).toHtmlEscaped();
    // An imported layer shows the ONNX node it came from, in full (its name was made readable).
    if (!node.source.empty())
        name += "</b> <span style='color:#666'>(ONNX <tt>" + q(node.source).toHtmlEscaped() + "</tt>)</span><b>";
    if (!r || r->status == core::LayerStatus::Error)
        return "<b>" + name + "</b> has an error:<br>" +
               q(r ? r->message : std::string("it was not analysed")).toHtmlEscaped();
    if (r->status == core::LayerStatus::Blocked)
        return q(r->message).toHtmlEscaped();
    QString tip = "<b>" + name + "</b> — " + q(core::layerTypeLabel(node.type)) + "<br>";
    tip += "output " + q(r->output.toString()) + " per sample<br>";
    tip += "params " + q(core::groupDigits(r->params)) + ", MACs " + q(core::humanCount(r->macs)) + "<br>";
    tip += "stores " + (r->stored ? q(core::humanBytes(r->activationBytes)) : QStringLiteral("nothing new")) +
           ", live at this step " + q(core::humanBytes(r->liveBytes));
    const int64_t v = costValue(*r, mode, latencyNs);
    if (scale.total > 0)
        tip += QString("<br>%1% of the network's %2")
                   .arg(100.0 * static_cast<double>(v) / static_cast<double>(scale.total), 0, 'f', 1)
                   .arg(mode == CostColour::Activations ? "activation memory"
                        : mode == CostColour::Macs      ? "MACs"
                        : mode == CostColour::Params    ? "parameters"
                                                        : "measured time");
    if (budgetBytes > 0 && r->liveBytes > budgetBytes)
        tip += "<br><span style='color:#8e24aa'>over budget: live memory " +
               q(core::humanBytes(r->liveBytes)) + " exceeds " + q(core::humanBytes(budgetBytes)) + "</span>";
    return tip;
}

} // namespace nc::widgets

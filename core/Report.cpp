// Report: table, CSV and JSON renderings of an analysis.
#include "Report.h"

#include "Format.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <cstdio>
#include <vector>

namespace nc::core {

namespace {

std::string batchShape(const Shape& s, int64_t batch)
{
    std::string r = "[" + std::to_string(batch);
    for (int64_t d : s)
        r += ", " + std::to_string(d);
    return r + "]";
}

// "1x64x56x56": batch first, no separators that need CSV quoting.
std::string shapeX(const Shape& s, int64_t batch)
{
    std::string r = std::to_string(batch);
    for (int64_t d : s)
        r += "x" + std::to_string(d);
    return r;
}

std::string nameOf(const Network& net, const LayerResult& l) { return net.nodes()[static_cast<size_t>(l.nodeIndex)].name; }

std::string pad(std::string s, size_t w, bool right = false)
{
    // Pads by code points so "×" and "—" count as one column.
    size_t cps = 0;
    for (unsigned char c : s)
        cps += (c & 0xC0) != 0x80;
    if (cps >= w)
        return s;
    std::string fill(w - cps, ' ');
    return right ? fill + s : s + fill;
}

std::string csvField(const std::string& s)
{
    if (s.find_first_of(",\"\n") == std::string::npos)
        return s;
    std::string r = "\"";
    for (char c : s)
        r += c == '"' ? std::string("\"\"") : std::string(1, c);
    return r + "\"";
}

QJsonArray pair(int64_t a, int64_t b) { return QJsonArray{static_cast<qint64>(a), static_cast<qint64>(b)}; }

} // namespace

std::string rfText(const ReceptiveField& rf)
{
    if (!rf.valid)
        return "—";
    return std::to_string(rf.size[0]) + "×" + std::to_string(rf.size[1]);
}

std::string reportTable(const Network& net, const AnalysisResult& a)
{
    std::string out;
    // Columns are as wide as their widest cell (two spaces apart), so no figure runs into the next:
    // a 2^40-MAC layer widens its column rather than touching its neighbour.
    const size_t wNameMax = 24;
    const std::vector<std::string> header{"Layer", "Type", "Output shape", "Params", "MACs", "Activations", "RF",
                                          "Live memory"};
    const std::vector<bool> right{false, false, false, true, true, true, true, true};
    struct Row {
        std::vector<std::string> cells; // all columns for a good layer; name, type, message otherwise
        std::string message;
    };
    std::vector<Row> rows;
    rows.reserve(a.layers.size());
    for (const LayerResult& l : a.layers) {
        std::string name = nameOf(net, l);
        if (name.size() > wNameMax - 1)
            name = name.substr(0, wNameMax - 2) + "…";
        std::string type(layerTypeLabel(l.type));
        if (l.status != LayerStatus::Ok) {
            rows.push_back({{name, type},
                            (l.status == LayerStatus::Error ? "ERROR: " : "blocked: ") + l.message});
            continue;
        }
        rows.push_back({{name, type, batchShape(l.output, a.batch), groupDigits(l.params), groupDigits(l.macs),
                         l.stored ? groupDigits(l.activations) : "(in place)", rfText(l.rf), humanBytes(l.liveBytes)},
                        {}});
    }
    auto width = [](const std::string& c) {
        size_t cps = 0;
        for (unsigned char ch : c)
            cps += (ch & 0xC0) != 0x80;
        return cps;
    };
    std::vector<size_t> w(header.size());
    for (size_t c = 0; c < header.size(); ++c)
        w[c] = width(header[c]);
    for (const Row& r : rows)
        for (size_t c = 0; c < r.cells.size(); ++c)
            w[c] = std::max(w[c], width(r.cells[c]));
    auto line = [&](const std::vector<std::string>& cells) {
        std::string s;
        for (size_t c = 0; c < cells.size(); ++c) {
            if (c)
                s += "  ";
            s += c + 1 == cells.size() && !right[c] ? cells[c] : pad(cells[c], w[c], right[c]);
        }
        return s;
    };
    const std::string head = line(header);
    std::string rule(width(head), '=');
    out += rule + "\n" + head + "\n" + rule + "\n";
    for (const Row& r : rows)
        out += r.message.empty() ? line(r.cells) + "\n" : line(r.cells) + "  " + r.message + "\n";
    const AnalysisTotals& t = a.totals;
    auto peakName = [&](NodeId id) {
        const LayerResult* l = a.layer(id, net);
        return l ? nameOf(net, *l) : std::string("—");
    };
    out += rule + "\n";
    out += "Network: " + net.name + "    batch " + std::to_string(a.batch) + ", " + std::to_string(a.bits) + "-bit\n";
    out += "Total params: " + groupDigits(t.params) + " (" + humanCount(t.params) + ")";
    if (t.state)
        out += "    non-trainable state: " + groupDigits(t.state);
    out += "\n";
    out += "Model size: " + humanBytes(t.modelBytes) + " at the chosen bit widths  (32-bit " +
           humanBytes(t.modelBytesAt[0]) + ", 16-bit " + humanBytes(t.modelBytesAt[1]) + ", 8-bit " +
           humanBytes(t.modelBytesAt[2]) + ", 4-bit " + humanBytes(t.modelBytesAt[3]) + ")\n";
    out += "MACs: " + groupDigits(t.macs) + " (" + humanCount(t.macs) + ")    FLOPs: " + humanCount(t.flops) +
           "    other ops: " + humanCount(t.otherOps) + "\n";
    out += "Total activations: " + groupDigits(t.activations) + " (" + humanBytes(t.activationBytes) + ")\n";
    out += "Peak activations (input + output): " + groupDigits(t.peakActivations) + " at " +
           peakName(t.peakActivationsLayer) + "\n";
    out += "Peak live memory (DAG schedule): " + humanBytes(t.peakLiveBytes) + " (" + groupDigits(t.peakLiveBytes) +
           " B) at " + peakName(t.peakLiveLayer) + "\n";
    out += "Receptive field: " + rfText(t.rf) + "\n";
    out += "Training activation memory (batch " + std::to_string(a.batch) + "): " + humanBytes(t.trainingBytes) + "\n";
    if (t.kvCacheBytes > 0)
        out += "KV cache (causal attention, batch " + std::to_string(a.batch) + "): " + humanBytes(t.kvCacheBytes) +
               " (" + groupDigits(t.kvCacheBytes) + " B)\n";
    if (t.errors || t.blocked)
        out += std::to_string(t.errors) + " layer(s) with errors, " + std::to_string(t.blocked) + " blocked\n";
    return out;
}

std::string reportCsv(const Network& net, const AnalysisResult& a)
{
    std::string out = "step,id,name,type,output_shape,params,model_bytes,macs,flops,other_ops,activations,"
                      "activation_bytes,rf_h,rf_w,jump_h,jump_w,start_h,start_w,live_bytes,bits,status,error\n";
    for (const LayerResult& l : a.layers) {
        bool ok = l.status == LayerStatus::Ok;
        auto num = [&](int64_t v) { return ok ? std::to_string(v) : std::string(); };
        char starts[64] = "";
        if (ok && l.rf.valid)
            std::snprintf(starts, sizeof starts, "%g,%g", l.rf.start[0], l.rf.start[1]);
        else
            std::snprintf(starts, sizeof starts, ",");
        bool rf = ok && l.rf.valid;
        out += std::to_string(l.step) + "," + std::to_string(l.id.v) + "," + csvField(nameOf(net, l)) + "," +
               std::string(layerTypeKey(l.type)) + "," + (ok ? shapeX(l.output, a.batch) : "") + "," +
               num(l.params) + "," + num(l.modelBytes) + "," + num(l.macs) + "," + num(l.flops) + "," +
               num(l.otherOps) + "," + num(l.activations) + "," + num(l.activationBytes) + "," +
               (rf ? std::to_string(l.rf.size[0]) + "," + std::to_string(l.rf.size[1]) + "," +
                         std::to_string(l.rf.jump[0]) + "," + std::to_string(l.rf.jump[1])
                   : std::string(",,,")) +
               "," + starts + "," + num(l.liveBytes) + "," + std::to_string(l.bits) + "," +
               (ok ? "ok" : l.status == LayerStatus::Error ? "error" : "blocked") + "," + csvField(l.message) + "\n";
    }
    return out;
}

QByteArray reportJson(const Network& net, const AnalysisResult& a)
{
    QJsonObject root;
    root["network"] = QString::fromStdString(net.name);
    QJsonArray inputs;
    for (const LayerResult& l : a.layers)
        if (l.type == LayerType::Input && l.status == LayerStatus::Ok) {
            QJsonArray s{static_cast<qint64>(a.batch)};
            for (int64_t d : l.output)
                s.append(static_cast<qint64>(d));
            inputs.append(s);
        }
    root["input"] = inputs.size() == 1 ? QJsonValue(inputs.at(0)) : QJsonValue(inputs);
    root["bits"] = a.bits;
    root["batch"] = static_cast<qint64>(a.batch);
    root["context"] = static_cast<qint64>(net.context);
    QJsonArray layers;
    for (const LayerResult& l : a.layers) {
        QJsonObject o;
        o["id"] = static_cast<qint64>(l.id.v);
        o["name"] = QString::fromStdString(nameOf(net, l));
        o["type"] = QString::fromUtf8(layerTypeKey(l.type).data(), static_cast<qsizetype>(layerTypeKey(l.type).size()));
        if (const std::string& src = net.nodes()[static_cast<size_t>(l.nodeIndex)].source; !src.empty())
            o["source"] = QString::fromStdString(src);
        if (l.status == LayerStatus::Ok) {
            QJsonArray s{static_cast<qint64>(a.batch)};
            for (int64_t d : l.output)
                s.append(static_cast<qint64>(d));
            o["output_shape"] = s;
            o["params"] = static_cast<qint64>(l.params);
            o["state"] = static_cast<qint64>(l.state); // BatchNorm statistics, fixed operands
            o["model_bytes"] = static_cast<qint64>(l.modelBytes);
            o["macs"] = static_cast<qint64>(l.macs);
            o["flops"] = static_cast<qint64>(l.flops);
            o["padding_macs"] = static_cast<qint64>(l.paddingMacs);
            o["other_ops"] = static_cast<qint64>(l.otherOps);
            o["activations"] = static_cast<qint64>(l.activations);
            o["activation_bytes"] = static_cast<qint64>(l.activationBytes);
            if (l.rf.valid) {
                QJsonObject rf;
                rf["size"] = pair(l.rf.size[0], l.rf.size[1]);
                rf["jump"] = pair(l.rf.jump[0], l.rf.jump[1]);
                rf["start"] = QJsonArray{l.rf.start[0], l.rf.start[1]};
                o["receptive_field"] = rf;
            } else {
                o["receptive_field"] = QJsonValue::Null;
            }
            o["live_bytes"] = static_cast<qint64>(l.liveBytes);
            o["bits"] = l.bits;
            o["error"] = QJsonValue::Null;
        } else {
            o["error"] = QString::fromStdString(l.message);
        }
        layers.append(o);
    }
    root["layers"] = layers;
    const AnalysisTotals& t = a.totals;
    auto idOrNull = [](NodeId id) { return id.valid() ? QJsonValue(static_cast<qint64>(id.v)) : QJsonValue(QJsonValue::Null); };
    auto nameOrNull = [&](NodeId id) {
        const LayerResult* l = a.layer(id, net);
        return l ? QJsonValue(QString::fromStdString(nameOf(net, *l))) : QJsonValue(QJsonValue::Null);
    };
    QJsonObject tot;
    tot["params"] = static_cast<qint64>(t.params);
    tot["state"] = static_cast<qint64>(t.state);
    tot["model_bytes"] = static_cast<qint64>(t.modelBytes);
    tot["macs"] = static_cast<qint64>(t.macs);
    tot["flops"] = static_cast<qint64>(t.flops);
    tot["other_ops"] = static_cast<qint64>(t.otherOps);
    tot["activations"] = static_cast<qint64>(t.activations);
    tot["activation_bytes"] = static_cast<qint64>(t.activationBytes);
    tot["peak_activations"] = static_cast<qint64>(t.peakActivations);
    tot["peak_activations_layer"] = nameOrNull(t.peakActivationsLayer);
    tot["peak_activations_layer_id"] = idOrNull(t.peakActivationsLayer);
    tot["peak_live_bytes"] = static_cast<qint64>(t.peakLiveBytes);
    tot["peak_live_layer"] = nameOrNull(t.peakLiveLayer);
    tot["peak_live_layer_id"] = idOrNull(t.peakLiveLayer);
    tot["receptive_field"] = t.rf.valid ? QJsonValue(pair(t.rf.size[0], t.rf.size[1])) : QJsonValue(QJsonValue::Null);
    tot["training_activation_bytes"] = static_cast<qint64>(t.trainingBytes);
    tot["kv_cache_bytes"] = static_cast<qint64>(t.kvCacheBytes);
    tot["errors"] = t.errors;
    tot["blocked"] = t.blocked;
    root["totals"] = tot;
    return QJsonDocument(root).toJson(QJsonDocument::Indented);
}

} // namespace nc::core

#include "Compare.h"

#include "core/energy/Energy.h"

#include "core/BitWidth.h"
#include "core/Format.h"
#include "core/deploy/Deployment.h"
#include "core/deploy/Schedule.h"
#include "core/train/TrainingMemory.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>

namespace nc::core::compare {

namespace {
using U = size_t;
}

DesignFigures figuresOf(const Network& net, const AnalysisResult& a)
{
    DesignFigures f;
    f.name = net.name;
    f.bits = net.bits;
    f.batch = net.batch;
    f.params = a.totals.params;
    f.modelBytes = a.totals.modelBytes;
    std::copy(std::begin(a.totals.modelBytesAt), std::end(a.totals.modelBytesAt), std::begin(f.modelBytesAt));
    f.macs = a.totals.macs;
    f.trainingPeakBytes = a.totals.peakLiveBytes;
    f.rfValid = a.totals.rf.valid;
    f.rf[0] = a.totals.rf.size[0];
    f.rf[1] = a.totals.rf.size[1];
    for (const Node& n : net.nodes())
        if (n.type != LayerType::Input)
            ++f.layers;
    f.errors = a.totals.errors + a.totals.blocked;
    for (const LayerResult& l : a.layers)
        if (l.status == LayerStatus::Error) {
            f.firstError = l.message;
            break;
        }
    if (f.errors)
        return f;

    if (auto g = deploy::buildMemoryGraph(net, a, {})) {
        deploy::Timeline t = deploy::evaluateOrder(*g, deploy::defaultOrder(*g));
        f.deployPeakBytes = t.peakBytes;
        int launches = 0;
        for (const deploy::MemOp& op : g->ops)
            if (net.nodes()[U(op.node)].type != LayerType::Input)
                ++launches;
        f.kernelLaunches = launches;
    } else if (f.firstError.empty()) {
        f.firstError = g.error();
    }
    if (auto p = train::planTraining(net, train::TrainSettings{}))
        f.trainingDeviceBytes = p->perDevice.total;
    if (auto e = energy::totalEnergy(net))
        f.energyPj = e->totalPj();
    return f;
}

std::optional<double> Metric::difference() const
{
    if (!a || !b)
        return std::nullopt;
    return *b - *a;
}

std::optional<double> Metric::ratio() const
{
    if (!a || !b || *a == 0)
        return std::nullopt;
    return *b / *a;
}

std::vector<Metric> totalsRows(const DesignFigures& a, const DesignFigures& b)
{
    auto num = [](int64_t v) { return std::optional<double>(double(v)); };
    auto opt = [](const auto& v) -> std::optional<double> {
        if (!v)
            return std::nullopt;
        return double(*v);
    };
    std::vector<Metric> rows;
    rows.push_back({"params", "Parameters", Unit::Count, num(a.params), num(b.params)});
    rows.push_back(
        {"model_bytes", "Model size (design bit widths)", Unit::Bytes, num(a.modelBytes), num(b.modelBytes)});
    for (size_t i = 0; i < kBitWidths.size(); ++i)
        rows.push_back({"model_bytes_" + std::to_string(kBitWidths[i].bits),
                        "Model size at " + std::string(kBitWidths[i].label), Unit::Bytes,
                        num(a.modelBytesAt[i]), num(b.modelBytesAt[i])});
    rows.push_back({"macs", "MACs", Unit::Macs, num(a.macs), num(b.macs)});
    rows.push_back({"training_peak_bytes", "Peak memory, training view (forward)", Unit::Bytes,
                    num(a.trainingPeakBytes), num(b.trainingPeakBytes)});
    rows.push_back({"training_device_bytes", "Training memory per device (Adam, mixed)", Unit::Bytes,
                    opt(a.trainingDeviceBytes), opt(b.trainingDeviceBytes)});
    rows.push_back({"deploy_peak_bytes", "Peak memory, deployment view", Unit::Bytes, opt(a.deployPeakBytes),
                    opt(b.deployPeakBytes)});
    auto rf = [](const DesignFigures& f, int axis) -> std::optional<double> {
        if (!f.rfValid)
            return std::nullopt;
        return double(f.rf[axis]);
    };
    rows.push_back({"rf_h", "Receptive field H", Unit::Pixels, rf(a, 0), rf(b, 0)});
    rows.push_back({"rf_w", "Receptive field W", Unit::Pixels, rf(a, 1), rf(b, 1)});
    rows.push_back({"layers", "Layers", Unit::Count, num(a.layers), num(b.layers)});
    rows.push_back({"kernel_launches", "Kernel launches (deployment)", Unit::Count, opt(a.kernelLaunches),
                    opt(b.kernelLaunches)});
    rows.push_back({"energy_pj", "Energy per inference (45 nm)", Unit::Picojoules, a.energyPj, b.energyPj});
    rows.push_back({"latency_us", "Measured latency", Unit::Microseconds, a.latencyUs, b.latencyUs});
    return rows;
}

std::vector<AlignedRow> alignLayers(const Network& na, const AnalysisResult& aa, const Network& nb,
                                    const AnalysisResult& ab)
{
    const size_t n = aa.layers.size(), m = ab.layers.size();
    std::vector<AlignedRow> rows;
    if (n * m > 4'000'000) {
        for (size_t i = 0; i < std::max(n, m); ++i)
            rows.push_back({i < n ? int(i) : -1, i < m ? int(i) : -1});
        return rows;
    }
    // score[i][j]: best weight aligning a's first i layers with b's first j. A same-kind pair weighs
    // 1, a same-kind same-name pair 3, so names win where they exist and kinds carry the rest.
    auto weight = [&](size_t i, size_t j) -> int {
        const LayerResult& x = aa.layers[i];
        const LayerResult& y = ab.layers[j];
        if (x.type != y.type)
            return 0;
        return na.nodes()[U(x.nodeIndex)].name == nb.nodes()[U(y.nodeIndex)].name ? 3 : 1;
    };
    const size_t w = m + 1;
    std::vector<int32_t> score((n + 1) * w, 0);
    for (size_t i = 1; i <= n; ++i)
        for (size_t j = 1; j <= m; ++j) {
            int32_t best = std::max(score[(i - 1) * w + j], score[i * w + j - 1]);
            if (int k = weight(i - 1, j - 1))
                best = std::max(best, score[(i - 1) * w + j - 1] + k);
            score[i * w + j] = best;
        }
    size_t i = n, j = m;
    while (i > 0 || j > 0) {
        if (i > 0 && j > 0) {
            int k = weight(i - 1, j - 1);
            if (k && score[i * w + j] == score[(i - 1) * w + j - 1] + k) {
                rows.push_back({int(i - 1), int(j - 1)});
                --i, --j;
                continue;
            }
        }
        // Prefer emitting b's unmatched layer first when walking backwards, so a's comes first forwards.
        if (j > 0 && (i == 0 || score[i * w + j - 1] >= score[(i - 1) * w + j])) {
            rows.push_back({-1, int(j - 1)});
            --j;
        } else {
            rows.push_back({int(i - 1), -1});
            --i;
        }
    }
    std::reverse(rows.begin(), rows.end());
    return rows;
}

Comparison compareDesigns(const Network& na, const AnalysisResult& aa, const Network& nb,
                          const AnalysisResult& ab)
{
    Comparison c;
    c.a = figuresOf(na, aa);
    c.b = figuresOf(nb, ab);
    c.rows = totalsRows(c.a, c.b);
    c.alignment = alignLayers(na, aa, nb, ab);
    return c;
}

std::string formatValue(Unit unit, double v)
{
    switch (unit) {
    case Unit::Count:
        return groupDigits(std::llround(v));
    case Unit::Bytes:
        return humanBytes(std::llround(v));
    case Unit::Macs:
        return humanCount(std::llround(v));
    case Unit::Pixels:
        return groupDigits(std::llround(v)) + " px";
    case Unit::Microseconds:
        return humanDuration(v);
    case Unit::Picojoules:
        return energy::formatEnergy(v);
    }
    return {};
}

namespace {

std::string fixed(double v, int decimals)
{
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

std::string signedText(Unit unit, double d)
{
    if (d == 0)
        return "0";
    return (d > 0 ? "+" : "−") + formatValue(unit, std::fabs(d));
}

std::string pad(const std::string& s, size_t width, bool right)
{
    // Width in characters, not bytes: "×" and "−" are multi-byte in UTF-8.
    size_t chars = 0;
    for (unsigned char ch : s)
        if ((ch & 0xC0) != 0x80)
            ++chars;
    if (chars >= width)
        return s;
    std::string fill(width - chars, ' ');
    return right ? fill + s : s + fill;
}

QJsonValue jsonNumber(const Metric& m, const std::optional<double>& v)
{
    if (!v)
        return QJsonValue::Null;
    if (m.unit == Unit::Microseconds || m.unit == Unit::Picojoules)
        return *v;
    return qint64(std::llround(*v));
}

QJsonObject designJson(const DesignFigures& f, const std::vector<Metric>& rows, bool isA)
{
    QJsonObject o;
    o["name"] = QString::fromStdString(f.name);
    o["bits"] = f.bits;
    o["batch"] = qint64(f.batch);
    o["errors"] = f.errors;
    if (!f.firstError.empty())
        o["first_error"] = QString::fromStdString(f.firstError);
    for (const Metric& m : rows)
        o[QString::fromStdString(m.key)] = jsonNumber(m, isA ? m.a : m.b);
    return o;
}

} // namespace

std::string comparisonTable(const Comparison& c)
{
    std::vector<std::array<std::string, 5>> cells;
    cells.push_back({"figure", "A: " + c.a.name, "B: " + c.b.name, "B − A", "B ÷ A"});
    for (const Metric& m : c.rows) {
        auto text = [&](const std::optional<double>& v) {
            return v ? formatValue(m.unit, *v) : std::string("—");
        };
        auto d = m.difference();
        auto r = m.ratio();
        cells.push_back(
            {m.label, text(m.a), text(m.b), d ? signedText(m.unit, *d) : "—", r ? fixed(*r, 3) + "×" : "—"});
    }
    size_t width[5] = {};
    for (const auto& row : cells)
        for (size_t k = 0; k < 5; ++k) {
            size_t chars = 0;
            for (unsigned char ch : row[k])
                if ((ch & 0xC0) != 0x80)
                    ++chars;
            width[k] = std::max(width[k], chars);
        }
    std::string out;
    for (const auto& row : cells) {
        for (size_t k = 0; k < 5; ++k) {
            out += pad(row[k], width[k], k > 0);
            out += k + 1 < 5 ? "  " : "\n";
        }
    }
    for (const DesignFigures* f : {&c.a, &c.b})
        if (f->errors)
            out += f->name + ": " + std::to_string(f->errors) +
                   " layer(s) with errors; first: " + f->firstError + "\n";
    return out;
}

std::string comparisonJson(const Comparison& c)
{
    QJsonObject root;
    root["a"] = designJson(c.a, c.rows, true);
    root["b"] = designJson(c.b, c.rows, false);
    QJsonObject ratios, differences;
    QJsonArray rows;
    for (const Metric& m : c.rows) {
        auto r = m.ratio();
        auto d = m.difference();
        ratios[QString::fromStdString(m.key)] = r ? QJsonValue(*r) : QJsonValue(QJsonValue::Null);
        differences[QString::fromStdString(m.key)] = jsonNumber(m, d);
        QJsonObject row;
        row["key"] = QString::fromStdString(m.key);
        row["label"] = QString::fromStdString(m.label);
        rows.append(row);
    }
    root["ratios"] = ratios;
    root["differences"] = differences;
    root["rows"] = rows;
    root["aligned_layers"] = qint64(c.alignment.size());
    return QJsonDocument(root).toJson(QJsonDocument::Indented).toStdString();
}

} // namespace nc::core::compare

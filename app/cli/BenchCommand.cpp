// BenchCommand: parses options, runs core::runKernels, prints table, CSV or JSON.
#include "BenchCommand.h"

#include "CliCommon.h"

#include "core/Format.h"
#include "core/Zoo.h"
#include "core/runner/KernelRunner.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace nc::app {

namespace {

const char* statusText(core::TimingStatus s)
{
    switch (s) {
    case core::TimingStatus::Measured:
        return "measured";
    case core::TimingStatus::View:
        return "view";
    case core::TimingStatus::Skipped:
        return "skipped";
    case core::TimingStatus::Failed:
        return "failed";
    default:
        return "not run";
    }
}

} // namespace

int benchCommand(int argc, char** argv)
{
    std::string spec, format = "table";
    core::RunOptions opt;
    opt.threads = 1;
    std::string why = parseArguments(
        argc, argv,
        [&](const std::string& a, const char* t) -> OptionResult {
            long long v = 0;
            if (a == "--backend") {
                if (t && !std::strcmp(t, "eigen"))
                    opt.backend = core::BackendKind::Eigen;
                else if (t && !std::strcmp(t, "onednn"))
                    opt.backend = core::BackendKind::OneDnn;
                else
                    return {true, "--backend takes eigen or onednn"};
                return {};
            }
            if (a == "--threads") {
                if (!t || !parseInt(t, 1, 1024, v))
                    return {true, "--threads takes a whole number from 1 to 1024"};
                opt.threads = static_cast<int>(v);
                return {};
            }
            if (a == "--batch") {
                if (!t || !parseInt(t, 1, 1000000, v))
                    return {true, "--batch takes a whole number from 1 to 1000000"};
                opt.batch = v;
                return {};
            }
            if (a == "--seconds") {
                char* end = nullptr;
                double s = t ? std::strtod(t, &end) : -1;
                if (!t || *end || !(s > 0 && s <= 60))
                    return {true, "--seconds takes a time budget per layer from 0 to 60"};
                opt.secondsPerLayer = s;
                return {};
            }
            if (a == "--format")
                return parseFormat(t, format);
            return {false, {}};
        },
        spec);
    if (!why.empty())
        return fail(why);
    if (spec.empty()) {
        std::fprintf(stderr,
                     "usage: netcanvas-cli bench FILE|zoo:NAME [--backend eigen|onednn] [--threads N] "
                     "[--batch N] [--seconds S] [--format table|csv|json]\n");
        return 2;
    }
    auto net = loadAny(spec, {}, false);
    if (!net)
        return fail(net.error());
    if (opt.batch > 0)
        net->batch = opt.batch;
    core::AnalysisResult a = core::analyze(*net);
    core::RunControl control;
    if (format == "table")
        control.progress = [](int done, int total, const std::string& layer) {
            std::fprintf(stderr, "\r[%d/%d] %-40.40s", done, total, layer.c_str());
            if (done == total)
                std::fprintf(stderr, "\r%60s\r", "");
        };
    core::RunReport r = core::runKernels(*net, opt, &control);

    auto nameOf = [&](size_t i) { return net->nodes()[static_cast<size_t>(a.layers[i].nodeIndex)].name; };
    if (format == "json") {
        QJsonObject root;
        root["network"] = QString::fromStdString(net->name);
        root["backend"] = core::backendKey(r.backend);
        root["threads"] = r.threads;
        root["batch"] = static_cast<qint64>(r.batch);
        QJsonArray layers;
        for (size_t i = 0; i < r.layers.size(); ++i) {
            const core::LayerTiming& t = r.layers[i];
            QJsonObject o;
            o["id"] = static_cast<qint64>(t.id.v);
            o["name"] = QString::fromStdString(nameOf(i));
            o["type"] =
                QString::fromUtf8(core::layerTypeKey(a.layers[i].type).data(),
                                  static_cast<qsizetype>(core::layerTypeKey(a.layers[i].type).size()));
            o["status"] = statusText(t.status);
            o["latency_us_median"] = t.medianUs;
            o["latency_us_p90"] = t.p90Us;
            o["gflops"] = t.gflops;
            o["bytes_moved"] = static_cast<qint64>(t.bytesMoved);
            o["arithmetic_intensity"] = t.intensity;
            o["repeats"] = t.repeats;
            o["note"] =
                t.note.empty() ? QJsonValue(QJsonValue::Null) : QJsonValue(QString::fromStdString(t.note));
            layers.append(o);
        }
        root["layers"] = layers;
        QJsonObject totals;
        totals["latency_us_sum"] = r.sumUs;
        totals["latency_us_end_to_end"] = r.endToEndUs;
        root["totals"] = totals;
        QByteArray j = QJsonDocument(root).toJson(QJsonDocument::Indented);
        std::fwrite(j.constData(), 1, static_cast<size_t>(j.size()), stdout);
    } else if (format == "csv") {
        std::printf("step,id,name,type,status,latency_us_median,latency_us_p90,gflops,bytes_moved,"
                    "arithmetic_intensity,repeats,note\n");
        for (size_t i = 0; i < r.layers.size(); ++i) {
            const core::LayerTiming& t = r.layers[i];
            std::string note = t.note;
            for (char& c : note)
                if (c == ',' || c == '"' || c == '\n')
                    c = ';';
            std::printf("%zu,%u,%s,%s,%s,%.3f,%.3f,%.3f,%lld,%.4f,%d,%s\n", i, t.id.v, nameOf(i).c_str(),
                        std::string(core::layerTypeKey(a.layers[i].type)).c_str(), statusText(t.status),
                        t.medianUs, t.p90Us, t.gflops, static_cast<long long>(t.bytesMoved), t.intensity,
                        t.repeats, note.c_str());
        }
    } else {
        std::printf("%-28s %-18s %12s %12s %9s %12s %8s  %s\n", "Layer", "Type", "median µs", "p90 µs",
                    "GFLOP/s", "bytes moved", "FLOP/B", "note");
        for (size_t i = 0; i < r.layers.size(); ++i) {
            const core::LayerTiming& t = r.layers[i];
            if (t.status == core::TimingStatus::Measured)
                std::printf("%-28.28s %-18s %12.1f %12.1f %9.2f %12s %8.2f  %s\n", nameOf(i).c_str(),
                            std::string(core::layerTypeLabel(a.layers[i].type)).c_str(), t.medianUs, t.p90Us,
                            t.gflops, core::humanBytes(t.bytesMoved).c_str(), t.intensity, t.note.c_str());
            else
                std::printf(
                    "%-28.28s %-18s %12s %12s %9s %12s %8s  %s\n", nameOf(i).c_str(),
                    std::string(core::layerTypeLabel(a.layers[i].type)).c_str(), "—", "—", "—", "—", "—",
                    (std::string(statusText(t.status)) + (t.note.empty() ? "" : ": " + t.note)).c_str());
        }
        std::printf("\n%s backend, %d thread(s), batch %lld\n", core::backendKey(r.backend), r.threads,
                    static_cast<long long>(r.batch));
        std::printf("Sum of layer medians: %.1f µs    end to end: %.1f µs\n", r.sumUs, r.endToEndUs);
    }
    if (r.cancelled)
        return fail("cancelled");
    // As analyze: a design whose analysis fails is a failed command, even though the other layers ran.
    if (a.totals.errors)
        for (const auto& l : a.layers)
            if (l.status == core::LayerStatus::Error)
                return fail(std::to_string(a.totals.errors) + " layer(s) have errors; first: " + l.message);
    return 0;
}

} // namespace nc::app

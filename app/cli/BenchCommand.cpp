// BenchCommand: parses options, runs core::runKernels, prints table, CSV or JSON.
#include "BenchCommand.h"

#include "CliCommon.h"

#include "core/Format.h"
#include "core/Zoo.h"
#include "core/runner/KernelRunner.h"
#include "kernels/MachineProbe.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
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
    case core::TimingStatus::Fused:
        return "fused";
    case core::TimingStatus::NotRun:
        return "not run";
    }
    return "not run";
}

QJsonArray shapeJson(int64_t batch, const core::Shape& s)
{
    QJsonArray a{static_cast<qint64>(batch)};
    for (int64_t d : s)
        a.append(static_cast<qint64>(d));
    return a;
}

// {"peak_gflops": {"1": …, "2": …}, "bandwidth_gbs": {"1": {"l1", "l2", "l3", "dram"}, …}, …}
QJsonObject machineJson(const core::kernels::MachineInfo& m)
{
    namespace kk = core::kernels;
    QJsonObject o, peak, bw, ws;
    o["cpu"] = QString::fromStdString(m.cpuModel);
    o["logical_cores"] = m.logicalCores;
    o["vector_bits"] = m.vectorBits;
    o["fma_chains"] = m.fmaChains;
    o["peak_bits"] = 32;
    QJsonObject caches;
    caches["l1"] = static_cast<qint64>(m.caches.l1);
    caches["l2"] = static_cast<qint64>(m.caches.l2);
    caches["l3"] = static_cast<qint64>(m.caches.l3);
    caches["source"] = QString::fromStdString(m.caches.source);
    o["cache_bytes"] = caches;
    for (const kk::Roofs& r : m.roofs) {
        const QString t = QString::number(r.threads);
        peak[t] = r.peakGflops;
        QJsonObject levels, sets;
        for (int l = 0; l < kk::kMemoryLevels; ++l) {
            levels[kk::memoryLevelKey(static_cast<kk::MemoryLevel>(l))] = r.bandwidthGBs[static_cast<size_t>(l)];
            sets[kk::memoryLevelKey(static_cast<kk::MemoryLevel>(l))] =
                static_cast<qint64>(r.workingSetBytes[static_cast<size_t>(l)]);
        }
        bw[t] = levels;
        ws[t] = sets;
    }
    o["peak_gflops"] = peak;
    o["bandwidth_gbs"] = bw;
    o["probe_working_set_bytes"] = ws;
    return o;
}

} // namespace

int benchCommand(int argc, char** argv)
{
    std::string spec, format = "table";
    core::RunOptions opt;
    opt.threads = 1;
    bool endToEnd = false, probe = true;
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
            if (a == "--end-to-end") {
                endToEnd = true;
                return {true, {}, false};
            }
            if (a == "--deploy") {
                opt.deploy = true;
                return {true, {}, false};
            }
            if (a == "--no-probe") {
                probe = false;
                return {true, {}, false};
            }
            return {false, {}};
        },
        spec);
    if (!why.empty())
        return fail(why);
    if (spec.empty()) {
        std::fprintf(stderr,
                     "usage: netcanvas-cli bench FILE|zoo:NAME [--backend eigen|onednn] [--threads N] "
                     "[--batch N] [--seconds S] [--end-to-end] [--deploy] [--no-probe] [--format table|csv|json]\n");
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
    if (endToEnd)
        opt.endToEndRepeats = 20;
    core::RunReport r = core::runKernels(*net, opt, &control);
    if (!r.error.empty())
        return fail(r.error);
    // The roofs, measured after the layers so the probe's threads do not disturb them.
    std::optional<core::kernels::MachineInfo> machine;
    if (probe)
        machine = core::kernels::MachineProbe::probe();

    auto nameOf = [&](size_t i) { return net->nodes()[static_cast<size_t>(a.layers[i].nodeIndex)].name; };
    if (format == "json") {
        QJsonObject root;
        root["network"] = QString::fromStdString(net->name);
        root["backend"] = core::backendKey(r.backend);
        root["threads"] = r.threads;
        root["batch"] = static_cast<qint64>(r.batch);
        root["deploy"] = opt.deploy;
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
            o["output_shape"] = shapeJson(r.batch, a.layers[i].output);
            o["macs"] = static_cast<qint64>(a.layers[i].macs);
            o["padding_macs"] = static_cast<qint64>(a.layers[i].paddingMacs);
            o["latency_us_median"] = t.medianUs;
            o["latency_us_p90"] = t.p90Us;
            o["spread"] = t.spread;
            o["cv"] = t.cv;
            o["noisy"] = t.noisy;
            o["foreign_load"] = t.foreignLoad;
            o["attempts"] = t.attempts;
            o["gflops"] = t.gflops;
            o["gops"] = t.gops;
            o["bytes_moved"] = static_cast<qint64>(t.bytesMoved);
            o["arithmetic_intensity"] = t.intensity;
            o["repeats"] = t.repeats;
            if (machine && t.status == core::TimingStatus::Measured) {
                o["roof_level"] = core::kernels::memoryLevelKey(machine->levelFor(t.bytesMoved, r.threads));
                o["roof_gops"] = machine->roofGops(t.intensity, t.bytesMoved, r.threads);
            } else {
                o["roof_level"] = QJsonValue(QJsonValue::Null);
                o["roof_gops"] = QJsonValue(QJsonValue::Null);
            }
            o["note"] =
                t.note.empty() ? QJsonValue(QJsonValue::Null) : QJsonValue(QString::fromStdString(t.note));
            layers.append(o);
        }
        root["layers"] = layers;
        QJsonObject totals;
        totals["latency_us_sum"] = r.sumUs;
        totals["latency_us_end_to_end"] = r.endToEndUs;
        totals["noisy_layers"] = r.noisyLayers;
        totals["folded"] = r.folded;
        totals["fused"] = r.fused;
        totals["foreign_load"] = r.foreignLoad;
        root["totals"] = totals;
        if (endToEnd) {
            QJsonObject e;
            e["latency_us_median"] = r.endToEndUs;
            e["latency_us_p90"] = r.endToEndP90Us;
            e["spread"] = r.endToEndSpread;
            e["noisy"] = r.endToEndNoisy;
            e["foreign_load"] = r.endToEndForeignLoad;
            e["peak_bytes"] = static_cast<qint64>(r.endToEndPeakBytes);
            e["note"] = r.endToEndNote.empty() ? QJsonValue(QJsonValue::Null)
                                               : QJsonValue(QString::fromStdString(r.endToEndNote));
            root["end_to_end"] = e;
        }
        root["machine"] = machine ? QJsonValue(machineJson(*machine)) : QJsonValue(QJsonValue::Null);
        QByteArray j = QJsonDocument(root).toJson(QJsonDocument::Indented);
        std::fwrite(j.constData(), 1, static_cast<size_t>(j.size()), stdout);
    } else if (format == "csv") {
        std::printf("step,id,name,type,status,output_shape,macs,latency_us_median,latency_us_p90,spread,cv,noisy,"
                    "foreign_load,gflops,bytes_moved,arithmetic_intensity,repeats,note\n");
        for (size_t i = 0; i < r.layers.size(); ++i) {
            const core::LayerTiming& t = r.layers[i];
            std::string note = t.note;
            for (char& c : note)
                if (c == ',' || c == '"' || c == '\n')
                    c = ';';
            std::string shape = std::to_string(r.batch);
            for (int64_t d : a.layers[i].output)
                shape += "x" + std::to_string(d);
            std::printf("%zu,%u,%s,%s,%s,%s,%lld,%.3f,%.3f,%.3f,%.3f,%s,%.3f,%.3f,%lld,%.4f,%d,%s\n", i, t.id.v,
                        nameOf(i).c_str(), std::string(core::layerTypeKey(a.layers[i].type)).c_str(),
                        statusText(t.status), shape.c_str(), static_cast<long long>(a.layers[i].macs), t.medianUs,
                        t.p90Us, t.spread, t.cv, t.noisy ? "true" : "false", t.foreignLoad, t.gflops,
                        static_cast<long long>(t.bytesMoved), t.intensity, t.repeats, note.c_str());
        }
    } else {
        std::printf("%-28s %-18s %12s %12s %6s %5s %9s %12s %8s  %s\n", "Layer", "Type", "median µs", "p90 µs",
                    "p90/md", "load", "GFLOP/s", "bytes moved", "FLOP/B", "note");
        for (size_t i = 0; i < r.layers.size(); ++i) {
            const core::LayerTiming& t = r.layers[i];
            if (t.status == core::TimingStatus::Measured)
                std::printf("%-28.28s %-18s %12.1f %12.1f %5.2f%s %4d%% %9.2f %12s %8.2f  %s\n", nameOf(i).c_str(),
                            std::string(core::layerTypeLabel(a.layers[i].type)).c_str(), t.medianUs, t.p90Us,
                            t.spread, t.noisy ? "!" : " ", static_cast<int>(t.foreignLoad * 100 + 0.5), t.gflops,
                            core::humanBytes(t.bytesMoved).c_str(), t.intensity, t.note.c_str());
            else
                std::printf(
                    "%-28.28s %-18s %12s %12s %6s %5s %9s %12s %8s  %s\n", nameOf(i).c_str(),
                    std::string(core::layerTypeLabel(a.layers[i].type)).c_str(), "—", "—", "—", "—", "—", "—", "—",
                    (std::string(statusText(t.status)) + (t.note.empty() ? "" : ": " + t.note)).c_str());
        }
        std::printf("\n%s backend, %d thread(s), batch %lld%s\n", core::backendKey(r.backend), r.threads,
                    static_cast<long long>(r.batch),
                    opt.deploy ? (", deployment graph: " + std::to_string(r.folded) + " BatchNorm(s) folded, " +
                                  std::to_string(r.fused) + " activation(s) fused as post-ops")
                                     .c_str()
                               : "");
        std::printf("Sum of layer medians: %.1f µs    end to end (one inference): %.1f µs%s\n", r.sumUs,
                    r.endToEndUs, r.endToEndNoisy ? " (noisy)" : "");
        if (!r.endToEndNote.empty())
            std::printf("No end-to-end figure: %s\n", r.endToEndNote.c_str());
        if (r.noisyLayers > 0)
            std::printf("%d layer(s) still noisy after re-measuring (marked !: p90 > 1.25 x median)\n",
                        r.noisyLayers);
        if (r.foreignLoad >= 0.25)
            std::printf("The machine was busy: other processes used %d%% of all CPU time during the run.\n",
                        static_cast<int>(r.foreignLoad * 100 + 0.5));
        if (machine)
            for (const core::kernels::Roofs& roofs : machine->roofs)
                std::printf("Roofs, %d thread(s): %.1f GFLOP/s fp32; L1 %.1f, L2 %.1f, L3 %.1f, DRAM %.1f GB/s\n",
                            roofs.threads, roofs.peakGflops, roofs.bandwidthGBs[0], roofs.bandwidthGBs[1],
                            roofs.bandwidthGBs[2], roofs.bandwidthGBs[3]);
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

// TrainCommand: `netcanvas-cli train`.
#include "TrainCommand.h"

#include "CliCommon.h"
#include "core/Format.h"
#include "core/train/TrainingMemory.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace nc::app {

namespace {

using core::train::Optimizer;
using core::train::Precision;
using core::train::Recompute;

std::string bytesLine(const char* label, int64_t b)
{
    char buf[160];
    std::snprintf(buf, sizeof buf, "  %-22s %22s B  %12s\n", label, core::groupDigits(b).c_str(),
                  core::humanBytes(b).c_str());
    return buf;
}

// "N", or a decimal number of GB / GiB ("80GB" = 80·10⁹ B, "24GiB" = 24·2³⁰ B).
bool parseBytes(const char* v, int64_t& out)
{
    char* end = nullptr;
    double x = std::strtod(v, &end);
    if (!end || end == v || !(x > 0))
        return false;
    double unit = 1;
    if (!std::strcmp(end, "GB") || !std::strcmp(end, "G"))
        unit = 1e9;
    else if (!std::strcmp(end, "GiB"))
        unit = 1073741824.0;
    else if (*end)
        return false;
    x *= unit;
    if (x < 1 || x > 9.0e18)
        return false;
    out = static_cast<int64_t>(x);
    return true;
}

} // namespace

int trainCommand(int argc, char** argv)
{
    std::string spec, format = "table";
    core::train::TrainSettings s;
    bool dpGiven = false, zeroGiven = false;
    auto wholeNumber = [](const char* v, long long lo, long long hi, auto& out, const std::string& opt,
                          const char* what) -> OptionResult {
        long long x;
        if (!v || !parseInt(v, lo, hi, x))
            return {true, opt + " takes " + what};
        out = static_cast<std::remove_reference_t<decltype(out)>>(x);
        return {};
    };
    std::string why = parseArguments(
        argc, argv,
        [&](const std::string& a, const char* v) -> OptionResult {
            if (a == "--batch")
                return wholeNumber(v, 1, 1000000000, s.batch, a, "a whole number from 1 to 1000000000");
            if (a == "--context")
                return wholeNumber(v, 1, 1000000000, s.context, a, "a whole number of tokens from 1 to 1000000000");
            if (a == "--dp")
                return dpGiven = true, wholeNumber(v, 1, 1000000, s.dp, a, "a whole number from 1 to 1000000");
            if (a == "--zero")
                return zeroGiven = true, wholeNumber(v, 0, 3, s.zero, a, "a ZeRO stage: 0, 1, 2 or 3");
            if (a == "--tp")
                return wholeNumber(v, 1, 1000000, s.tp, a, "a whole number from 1 to 1000000");
            if (a == "--pp")
                return wholeNumber(v, 1, 1000000, s.pp, a, "a whole number from 1 to 1000000");
            if (a == "--microbatches")
                return wholeNumber(v, 1, 1000000000, s.microbatches, a, "a whole number from 1 to 1000000000");
            if (a == "--optimizer") {
                if (v && !std::strcmp(v, "sgd"))
                    s.optimizer = Optimizer::Sgd;
                else if (v && !std::strcmp(v, "momentum"))
                    s.optimizer = Optimizer::Momentum;
                else if (v && (!std::strcmp(v, "adam") || !std::strcmp(v, "adamw")))
                    s.optimizer = Optimizer::Adam;
                else
                    return {true, "--optimizer takes sgd, momentum or adam"};
                return {};
            }
            if (a == "--precision") {
                if (v && !std::strcmp(v, "fp32"))
                    s.precision = Precision::Fp32;
                else if (v && !std::strcmp(v, "mixed"))
                    s.precision = Precision::Mixed;
                else
                    return {true, "--precision takes fp32 or mixed"};
                return {};
            }
            if (a == "--recompute") {
                long long k;
                if (v && !std::strcmp(v, "none"))
                    s.recompute = Recompute::None;
                else if (v && !std::strcmp(v, "full"))
                    s.recompute = Recompute::Full;
                else if (v && !std::strcmp(v, "selective"))
                    s.recompute = Recompute::Selective;
                else if (v && !std::strncmp(v, "every:", 6) && parseInt(v + 6, 1, 1000000, k)) {
                    s.recompute = Recompute::EveryK;
                    s.every = static_cast<int>(k);
                } else
                    return {true, "--recompute takes none, full, selective or every:K (K >= 1)"};
                return {};
            }
            if (a == "--stages") {
                // Layers per pipeline stage, "a,b,c": the user's edit of the balanced split.
                s.stageLayers.clear();
                std::string list = v ? v : "";
                size_t start = 0;
                while (v) {
                    size_t comma = list.find(',', start);
                    std::string part = list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
                    long long c;
                    if (!parseInt(part.c_str(), 1, 1000000, c))
                        return {true, "--stages takes layer counts per stage, e.g. 40,60,60,36"};
                    s.stageLayers.push_back(static_cast<int>(c));
                    if (comma == std::string::npos)
                        break;
                    start = comma + 1;
                }
                if (!v)
                    return {true, "--stages takes layer counts per stage, e.g. 40,60,60,36"};
                return {};
            }
            if (a == "--device-memory") {
                if (!v || !parseBytes(v, s.deviceMemory))
                    return {true, "--device-memory takes bytes (e.g. 80000000000, 80GB or 24GiB)"};
                return {};
            }
            if (a == "--device-flops") {
                char* end = nullptr;
                s.deviceFlops = v ? std::strtod(v, &end) : 0;
                if (!v || !end || *end || !(s.deviceFlops > 0) || s.deviceFlops > 1e21)
                    return {true, "--device-flops takes the device's sustained FLOP/s, e.g. 3.12e14"};
                return {};
            }
            if (a == "--format") {
                if (!v || (std::strcmp(v, "table") && std::strcmp(v, "json")))
                    return {true, "--format takes table or json"};
                format = v;
                return {};
            }
            return {false, {}};
        },
        spec);
    if (!why.empty())
        return fail(why);
    if (spec.empty()) {
        std::fprintf(stderr, "usage: netcanvas-cli train FILE|zoo:NAME [--batch N] [--context T] ...\n");
        return 2;
    }
    if (zeroGiven && s.zero > 0 && !dpGiven)
        return fail("--zero partitions over the data-parallel group: give --dp N as well");
    if (!s.stageLayers.empty() && static_cast<int>(s.stageLayers.size()) != s.pp)
        return fail("--stages lists " + std::to_string(s.stageLayers.size()) + " stages but --pp is " +
                    std::to_string(s.pp));
    auto net = loadAny(spec, {}, false);
    if (!net)
        return fail(net.error());
    auto plan = core::train::planTraining(*net, s);
    if (!plan)
        return fail(plan.error());
    const auto& p = *plan;
    const auto& d = p.perDevice;

    if (format == "json") {
        QJsonObject dev;
        dev["weights"] = static_cast<qint64>(d.weights);
        dev["gradients"] = static_cast<qint64>(d.gradients);
        dev["optimizer"] = static_cast<qint64>(d.optimizer);
        dev["activations"] = static_cast<qint64>(d.activations);
        dev["workspace"] = static_cast<qint64>(d.workspace);
        dev["total"] = static_cast<qint64>(d.total);
        QJsonObject root;
        root["per_device"] = dev;
        root["fits"] = p.fits;
        root["train_macs_per_step"] = static_cast<qint64>(p.trainMacs);
        root["recompute_macs"] = static_cast<qint64>(p.recomputeMacs);
        root["communication_bytes_per_step"] = static_cast<qint64>(p.commTotal);
        if (s.pp > 1) {
            QJsonArray stages;
            for (const auto& st : p.stages) {
                QJsonObject o;
                o["layers"] = st.layers;
                o["bytes"] = static_cast<qint64>(st.memory.total);
                stages.append(o);
            }
            QJsonObject pipe;
            pipe["stages"] = stages;
            pipe["bubble"] = p.bubble;
            root["pipeline"] = pipe;
        } else {
            root["pipeline"] = QJsonValue(QJsonValue::Null);
        }
        root["kv_cache_bytes"] = static_cast<qint64>(p.kvCacheBytes);
        QByteArray j = QJsonDocument(root).toJson(QJsonDocument::Indented);
        std::fwrite(j.constData(), 1, static_cast<size_t>(j.size()), stdout);
        return 0;
    }

    static const char* const optNames[] = {"SGD", "SGD with momentum", "Adam/AdamW"};
    static const char* const recNames[] = {"none", "full per block", "every k-th block", "selective (attention)"};
    std::string out;
    out += net->name + ": " + (s.precision == Precision::Mixed ? "mixed precision (16-bit, fp32 master)" : "fp32") +
           ", " + optNames[static_cast<int>(s.optimizer)] + ", batch " + std::to_string(p.batch) +
           " (micro-batch " + std::to_string(p.microBatch) + " per device), recompute " +
           recNames[static_cast<int>(s.recompute)] +
           (s.recompute == Recompute::EveryK ? " (k = " + std::to_string(s.every) + ")" : std::string()) + "\n";
    out += "devices " + std::to_string(p.devices) + " = dp " + std::to_string(s.dp) + " (ZeRO " +
           std::to_string(s.zero) + ") × tp " + std::to_string(s.tp) + " × pp " + std::to_string(s.pp) + "\n";
    out += "Memory per device (busiest):\n";
    out += bytesLine("weights", d.weights);
    out += bytesLine("gradients", d.gradients);
    out += bytesLine("optimizer state", d.optimizer);
    out += bytesLine("activations", d.activations);
    out += bytesLine("  of which dropout masks", d.dropoutMasks);
    out += bytesLine("workspace", d.workspace);
    out += bytesLine("total", d.total);
    out += std::string("  fits ") + core::humanBytes(s.deviceMemory) + ": " + (p.fits ? "yes" : "NO") + "\n";
    if (s.recompute != Recompute::None)
        out += "Recomputation saves " + core::humanBytes(p.recomputeSavedBytes) + " of activations for " +
               core::humanCount(p.recomputeMacs) + " recomputed MACs per step\n";
    out += "MACs per step: forward " + core::humanCount(p.forwardMacs) + ", backward " +
           core::humanCount(p.backwardMacs) + ", recompute " + core::humanCount(p.recomputeMacs) + ", total " +
           core::humanCount(p.trainMacs) + "\n";
    if (p.stepSeconds > 0) {
        char buf[200];
        std::snprintf(buf, sizeof buf, "At %.3g FLOP/s per device: %.4g s per step, %.4g %s per second\n",
                      s.deviceFlops, p.stepSeconds,
                      p.itemsPerSecond * static_cast<double>(p.tokensPerSample > 0 ? p.tokensPerSample : 1),
                      p.tokensPerSample > 0 ? "tokens" : "samples");
        out += buf;
    }
    out += "Communication per device per step: data parallel " + core::humanBytes(p.commDataParallel) +
           ", tensor parallel " + core::humanBytes(p.commTensorParallel) + ", pipeline " +
           core::humanBytes(p.commPipeline) + ", total " + core::humanBytes(p.commTotal) + "\n";
    if (s.pp > 1) {
        char buf[120];
        std::snprintf(buf, sizeof buf, "Pipeline: %d stages, %lld micro-batches, bubble %.1f %%\n", s.pp,
                      static_cast<long long>(s.microbatches), 100 * p.bubble);
        out += buf;
        for (size_t k = 0; k < p.stages.size(); ++k) {
            const auto& st = p.stages[k];
            out += "  stage " + std::to_string(k) + ": layers " + std::to_string(st.firstStep) + "–" +
                   std::to_string(st.firstStep + st.layers - 1) + " (" + std::to_string(st.layers) + "), " +
                   core::humanCount(st.params) + " params, " + core::humanBytes(st.memory.total) + "\n";
        }
    }
    if (p.kvCacheBytes > 0) {
        const int bits = s.precision == Precision::Mixed ? 16 : 32;
        auto inf = core::train::planInference(*net, bits, s.context, p.batch);
        out += "Inference at " + std::to_string(bits) + " bits, batch " + std::to_string(p.batch) + ":\n";
        if (inf) {
            out += bytesLine("weights", inf->weightBytes);
            out += bytesLine("KV cache", inf->kvCacheBytes);
            out += "  prefill: " + core::humanCount(inf->prefillMacs) + " MACs, " +
                   core::humanBytes(inf->prefillBytesRead) + " of weights read\n";
            char buf[200];
            std::snprintf(buf, sizeof buf, "  decode: %s MACs and %s read per token (%.2f MAC/B; prefill %.0f MAC/B)\n",
                          core::humanCount(inf->decodeMacsPerToken).c_str(),
                          core::humanBytes(inf->decodeBytesPerToken).c_str(),
                          static_cast<double>(inf->decodeMacsPerToken) / static_cast<double>(inf->decodeBytesPerToken),
                          static_cast<double>(inf->prefillMacs) / static_cast<double>(inf->prefillBytesRead));
            out += buf;
        }
    }
    std::fputs(out.c_str(), stdout);
    return 0;
}

} // namespace nc::app

#include "Experiment.h"

#include "core/Analysis.h"
#include "core/ModelBuilder.h"

#include <cmath>
#include <cstdlib>
#include <exception>

namespace nc::core::compare {

Network plainCnn(const std::string& name, const Shape& input, int depth, int64_t width, int64_t classes)
{
    ModelBuilder b(name);
    NodeId x = b.input(input);
    const int every = (depth + 3) / 4; // ⌈depth/4⌉
    int pools = 0;
    for (int i = 0; i < depth; ++i) {
        const std::string n = std::to_string(i + 1);
        x = b.relu(b.conv(x, width, 3, 1, 1, 1, true, "conv" + n), "relu" + n);
        if ((i + 1) % every == 0 && i + 1 < depth && pools < 3) {
            x = b.maxPool(x, 2, 2, 0, false, "pool" + n);
            ++pools;
        }
    }
    x = b.globalAvgPool(x, "pool");
    x = b.flatten(x, "flatten");
    b.linear(x, classes, true, "fc");
    return b.finish();
}

int64_t plainCnnParams(int64_t in, int depth, int64_t w, int64_t classes)
{
    return (in * 9 * w + w) + int64_t(depth - 1) * (9 * w * w + w) + (w * classes + classes);
}

Result<EqualPair> equalParameterPair(const EqualPairOptions& o)
{
    if (o.input.rank() != 3 || o.input[0] < 1 || o.input[1] < 1 || o.input[2] < 1)
        return Error{"the experiment's input must be an image C×H×W, not " + o.input.toString()};
    if (o.wideDepth < 1 || o.deepDepth <= o.wideDepth || o.deepDepth > 200)
        return Error{"the deep network needs more convolutions than the wide one (1 … 200): wide " +
                     std::to_string(o.wideDepth) + ", deep " + std::to_string(o.deepDepth)};
    if (o.deepWidth < 1 || o.deepWidth > 4096 || o.classes < 1 || o.classes > 100000)
        return Error{"deep width must be 1 … 4096 and classes 1 … 100000"};
    const int64_t target = plainCnnParams(o.input[0], o.deepDepth, o.deepWidth, o.classes);
    // The count grows monotonically with the width: step up to the first width at or past the target,
    // then keep whichever of it and the one below is nearer.
    int64_t w = 1;
    while (w < 1'000'000 && plainCnnParams(o.input[0], o.wideDepth, w, o.classes) < target)
        ++w;
    if (w > 1 && std::llabs(plainCnnParams(o.input[0], o.wideDepth, w - 1, o.classes) - target) <=
                     std::llabs(plainCnnParams(o.input[0], o.wideDepth, w, o.classes) - target))
        --w;

    EqualPair p;
    p.wideWidth = w;
    p.wide = plainCnn("Wide & shallow (" + std::to_string(o.wideDepth) + " × " + std::to_string(w) + " ch)",
                      o.input, o.wideDepth, w, o.classes);
    p.deep = plainCnn("Deep & narrow (" + std::to_string(o.deepDepth) + " × " + std::to_string(o.deepWidth) +
                          " ch)",
                      o.input, o.deepDepth, o.deepWidth, o.classes);
    const AnalysisResult wa = analyze(p.wide), da = analyze(p.deep);
    for (const AnalysisResult* a : {&wa, &da})
        for (const LayerResult& l : a->layers)
            if (l.status != LayerStatus::Ok)
                return Error{"the generated network does not fit the input " + o.input.toString() + ": " +
                             l.message};
    p.wideParams = wa.totals.params;
    p.deepParams = da.totals.params;
    p.gap = std::fabs(double(p.wideParams - p.deepParams)) / double(p.deepParams);
    if (p.gap > 0.01)
        return Error{"no width brings " + std::to_string(o.wideDepth) + " convolutions within 1% of " +
                     std::to_string(p.deepParams) + " parameters (nearest: " + std::to_string(p.wideParams) +
                     ")"};
    return p;
}

namespace {

std::string latencyLabel(BackendKind b, int threads)
{
    return std::string("Latency, ") + (b == BackendKind::OneDnn ? "oneDNN" : "Eigen") + ", " +
           std::to_string(threads) + (threads == 1 ? " thread" : " threads");
}

} // namespace

ExperimentResult staticExperiment(const EqualPair& pair)
{
    ExperimentResult r;
    r.comparison = compareDesigns(pair.wide, analyze(pair.wide), pair.deep, analyze(pair.deep));
    r.rows = r.comparison.rows;
    return r;
}

MeasureResult measurePair(const Network& a, const Network& b, const ExperimentOptions& options,
                          ExperimentControl* control)
{
    MeasureResult r;
    const int perRun[2] = {int(a.nodes().size()), int(b.nodes().size())};
    const int total = int(options.backends.size() * options.threads.size()) * (perRun[0] + perRun[1]);
    int done = 0;
    for (BackendKind backend : options.backends)
        for (int threads : options.threads) {
            LatencyCell cell;
            cell.backend = backend;
            cell.threads = threads;
            for (int k = 0; k < 2; ++k) {
                const Network& net = k == 0 ? a : b;
                if (control && control->cancel.load()) {
                    r.cancelled = true;
                    return r;
                }
                RunOptions ro;
                ro.backend = backend;
                ro.threads = threads;
                ro.secondsPerLayer = options.secondsPerLayer;
                RunControl rc;
                const std::string what = net.name + ": " + latencyLabel(backend, threads).substr(9);
                const int base = done;
                rc.progress = [&, base](int layerDone, int, const std::string&) {
                    if (control) {
                        rc.cancel = control->cancel.load();
                        if (control->progress)
                            control->progress(base + layerDone, total, what);
                    }
                };
                RunReport rep;
                try {
                    rep = runKernels(net, ro, &rc);
                } catch (const std::exception& e) {
                    rep.error = e.what();
                }
                done = base + perRun[k];
                if (rep.cancelled || (control && control->cancel.load())) {
                    r.cancelled = true;
                    return r;
                }
                (k == 0 ? cell.aError : cell.bError) = rep.error;
                (k == 0 ? cell.aUs : cell.bUs) = rep.endToEndUs;
            }
            r.latency.push_back(cell);
            auto v = [](double us, const std::string& e) -> std::optional<double> {
                if (!e.empty() || us <= 0)
                    return std::nullopt;
                return us;
            };
            r.rows.push_back(
                {std::string("latency_") + backendKey(backend) + "_" + std::to_string(threads) + "t_us",
                 latencyLabel(backend, threads), Unit::Microseconds, v(cell.aUs, cell.aError),
                 v(cell.bUs, cell.bError)});
        }
    if (control && control->progress)
        control->progress(total, total, "done");
    return r;
}

std::vector<Metric> withLatencyRows(const std::vector<Metric>& rows, const std::vector<Metric>& latency)
{
    std::vector<Metric> out;
    for (const Metric& m : rows) {
        if (m.key == "latency_us" && !latency.empty())
            out.insert(out.end(), latency.begin(), latency.end());
        else
            out.push_back(m);
    }
    return out;
}

ExperimentResult runExperiment(const EqualPair& pair, const ExperimentOptions& options,
                               ExperimentControl* control)
{
    ExperimentResult r = staticExperiment(pair);
    MeasureResult m = measurePair(pair.wide, pair.deep, options, control);
    r.latency = m.latency;
    r.cancelled = m.cancelled;
    if (!m.cancelled)
        r.rows = withLatencyRows(r.rows, m.rows);
    return r;
}

} // namespace nc::core::compare

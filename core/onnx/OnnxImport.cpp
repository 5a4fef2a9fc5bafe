// OnnxImport: the import pipeline — load, resolve values, match patterns, apply hints, build the
// design, analyse it with NetCanvas's rules and report every disagreement.
#include "OnnxImport.h"

#include "ImportNames.h"
#include "detail/Hints.h"
#include "detail/OnnxGraph.h"
#include "detail/Patterns.h"

#include "core/Analysis.h"
#include "core/Catalogue.h"
#include "core/Format.h"
#include "core/Layout.h"
#include "core/layers/LayerKind.h"

#include <QFile>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <regex>
#include <set>
#include <unordered_map>
#include <unordered_set>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace nc::core::onnx {

namespace {

using namespace detail;

std::string quote(const std::string& s) { return "\"" + s + "\""; }

// Returns freed heap pages (the weights just parsed) to the operating system.
void releaseMemory()
{
#if defined(__GLIBC__)
    malloc_trim(0);
#endif
}

// The operators the layer kinds declare (LayerKind::onnxImport: one-to-one mappings and every operator
// their patterns consume), and those the importer resolves without a kind: constants and shape
// arithmetic it folds, and Identity, which is no layer.
const std::set<std::string>& supportedSet()
{
    static const std::set<std::string> ops = [] {
        std::set<std::string> s{"Identity", "Constant", "Shape", "Size", "Cast", "Slice", "ConstantOfShape", "Range",
                                "Expand", "Equal", "Where", "Neg", "Floor", "Ceil"};
        for (const LayerKind& k : layerKinds())
            if (k.onnxImport.applies())
                for (std::string_view op : k.onnxImport.fn->opTypes)
                    s.emplace(op);
        return s;
    }();
    return ops;
}

struct Importer {
    const ImportOptions& options;
    ImportReport report;
    std::vector<std::string> notes;

    Result<ImportResult> run(const char* data, size_t size);
};

std::vector<int64_t> fullShape(const Shape& s, int lead, int64_t batch, size_t onnxRank)
{
    std::vector<int64_t> d;
    if (lead)
        d.push_back(batch);
    if (onnxRank == 0 && !lead && s.rank() == 1 && s[0] == 1)
        return d; // a scalar is one element per sample
    d.insert(d.end(), s.begin(), s.end());
    return d;
}

bool matches(const std::vector<int64_t>& ours, const std::vector<int64_t>& theirs)
{
    if (ours.size() != theirs.size())
        return false;
    for (size_t i = 0; i < ours.size(); ++i)
        if (theirs[i] >= 0 && theirs[i] != ours[i])
            return false;
    return true;
}

Result<ImportResult> Importer::run(const char* data, size_t size)
{
    auto loaded = OnnxGraph::load(data, size);
    if (!loaded)
        return Error{loaded.error()};
    OnnxGraph& g = *loaded;
    if (Status s = g.resolveValues(options.inputShapes, options.symbols, options.constantInputs, notes); !s)
        return Error{s.error()};

    // The batch: axis 0 of the first data input, unless some data tensor does not carry it.
    int64_t batch = 1;
    if (g.dataInputs().empty())
        notes.push_back("the model has no data input: every output is a constant");
    else if (const Value& first = g.value(g.dataInputs()[0]); first.dims.size() >= 2)
        batch = first.dims[0];
    if (batch > 1) {
        for (const Value& v : g.values()) {
            if (!v.dynamic || !v.shapeKnown || (v.consumers.empty() && !v.graphOutput))
                continue;
            if (v.dims.size() < 2 || v.dims[0] != batch) {
                notes.push_back("tensor " + quote(v.name) + " (" + dimsText(v.dims) + ") does not carry the batch " +
                                std::to_string(batch) +
                                " on axis 0, so the model is imported with batch 1 and each tensor as one sample");
                batch = 1;
                break;
            }
        }
    }

    if (batch > 1000000000)
        return Error{"the batch " + std::to_string(batch) + " is larger than NetCanvas supports (1,000,000,000)"};

    PatternMatcher pm(g, batch);
    MatchStats stats;
    std::vector<Group> groups = pm.run(stats);
    notes.insert(notes.end(), stats.notes.begin(), stats.notes.end());
    NetworkHints hints = applyHints(g.metadata(kHintsKey), groups, pm, notes);
    // MACs of a group that becomes opaque: what its multiply-accumulate nodes compute, from shapes.
    auto groupMacs = [&](const Group& grp) {
        int64_t total = 0;
        for (int node : grp.nodes)
            total += pm.sampleMacs(node);
        return total;
    };

    // Layers are created in the order of their output's producer, which is topological. A layer with
    // several outputs goes by the earliest of them: a reader of its h_n may come before the last
    // node of its sequence output, and every output depends on all of the layer's inputs.
    std::vector<int> position(static_cast<size_t>(g.nodeCount()), 0);
    for (size_t k = 0; k < g.order().size(); ++k)
        position[static_cast<size_t>(g.order()[k])] = static_cast<int>(k);
    auto firstOutput = [&](const Group& grp) {
        int p = position[static_cast<size_t>(g.value(grp.output).producer)];
        for (const Group::Extra& e : grp.extraOutputs)
            if (e.value >= 0)
                p = std::min(p, position[static_cast<size_t>(g.value(e.value).producer)]);
        return p;
    };
    std::stable_sort(groups.begin(), groups.end(),
                     [&](const Group& a, const Group& b) { return firstOutput(a) < firstOutput(b); });

    Network net;
    net.name = !hints.name.empty() ? hints.name : !g.graphName().empty() ? g.graphName() : "imported";
    if (net.name.size() > 256)
        net.name.resize(256);
    net.batch = batch;
    if (hints.bits)
        net.bits = hints.bits;

    // Layer names: the ONNX name when it is free, else the name (or the operator) with a counter.
    std::unordered_set<std::string> used;
    std::unordered_map<std::string, int> nextSuffix; // per stem, so thousands of unnamed nodes stay linear
    auto uniqueName = [&](std::string want, const std::string& stem) {
        if (want.size() > 240)
            want.resize(240);
        if (want.empty())
            want = stem;
        std::string name = want;
        int& k = nextSuffix.try_emplace(want, 2).first->second;
        while (!used.insert(name).second)
            name = want + "_" + std::to_string(k++);
        return name;
    };

    struct Port {
        NodeId id;
        int port = 0;
    };
    std::unordered_map<int, Port> produced; // value -> the layer and output port it is
    std::set<int> unreadOutputs;            // port-0 values nothing reads (not compared)
    std::set<int> batchSecond;              // ONNX's recurrent states: (layers·dirs)×B×H
    const Catalogue& cat = Catalogue::instance();
    for (int v : g.dataInputs()) {
        Node n;
        n.type = LayerType::Input;
        n.params = cat.spec(LayerType::Input).defaults;
        n.params.dims = pm.perSample(v);
        n.name = uniqueName(g.value(v).name, "input");
        produced[v] = {net.addNode(std::move(n)).value(), 0};
    }
    struct Made {
        NodeId id;
        const Group* group;
    };
    std::vector<Made> made;
    std::set<const Group*> demoted; // mapped, but NetCanvas's rules or ranges refuse it: opaque
    // Readable names from torch's scope names, decided over all layers at once (ImportNames.h).
    std::vector<std::string> readable;
    {
        std::vector<OnnxLayerName> sources;
        for (const Group& grp : groups)
            if (!grp.alias)
                sources.push_back({grp.name, g.node(g.value(grp.output).producer).op_type(),
                                   std::string(layerTypeKey(grp.type))});
        readable = readableLayerNames(sources);
    }
    size_t nextReadable = 0;
    auto shapeError = [&](int v) {
        const Value& val = g.value(v);
        const auto& n = g.node(val.producer);
        const std::string& why = g.info(val.producer).noInference;
        return Error{"cannot determine the shape of tensor " + quote(val.name) + " (output of node " +
                     quote(n.name()) + ", " + n.op_type() + "); ONNX shape inference gives none" +
                     (why.empty() ? std::string() : ": " + why)};
    };
    for (const Group& grp : groups) {
        if (grp.alias) {
            auto it = produced.find(grp.inputs[0]);
            if (it == produced.end())
                return Error{"internal: tensor " + quote(g.value(grp.inputs[0]).name) + " has no layer"};
            produced[grp.output] = it->second;
            continue;
        }
        Node n;
        n.type = grp.type;
        n.params = grp.params;
        // Floating-point attributes must be in the catalogue's ranges, as in a design file (the
        // analysis checks the integer ones); a file's LeakyRelu alpha of 1e9 stays opaque.
        std::string badAttr;
        for (const AttrSpec& attr : cat.spec(grp.type).attrs)
            if (attr.floatField) {
                double v = n.params.*(attr.floatField);
                if (!std::isfinite(v) || v < attr.min || v > attr.max)
                    badAttr = std::string(attr.key) + " = " + std::to_string(v);
            }
        if (!badAttr.empty()) {
            const auto& on = g.node(g.value(grp.output).producer);
            report.unmapped.push_back("node " + quote(on.name()) + " (" + on.op_type() + "): " + badAttr +
                                      " is outside the range NetCanvas accepts");
            demoted.insert(&grp);
            n.type = LayerType::Opaque;
        }
        if (n.type == LayerType::Opaque) {
            if (!g.value(grp.output).shapeKnown)
                return shapeError(grp.output);
            n.params = cat.spec(LayerType::Opaque).defaults;
            n.params.dims = pm.perSample(grp.output);
            n.params.inputs = std::max<int64_t>(1, static_cast<int64_t>(grp.inputs.size()));
            n.params.opaqueMacs = grp.type == LayerType::Opaque ? grp.macs : groupMacs(grp);
        }
        std::string stem = grp.type == LayerType::Opaque ? g.node(g.value(grp.output).producer).op_type()
                                                         : std::string(layerTypeKey(grp.type));
        n.name = uniqueName(readable[nextReadable++], stem);
        if (n.name != grp.name)
            n.source = grp.name.substr(0, 4096);
        const size_t ports = grp.inputs.size();
        std::optional<Port> before;
        if (grp.reshapeBefore && ports > 0) {
            Node r;
            r.type = LayerType::Reshape;
            r.params = cat.spec(LayerType::Reshape).defaults;
            r.params.dims = *grp.reshapeBefore;
            r.name = uniqueName(n.name + "/reshape_in", "reshape");
            before = Port{net.addNode(std::move(r)).value(), 0};
        }
        NodeId id = net.addNode(std::move(n)).value();
        for (size_t port = 0; port < ports; ++port) {
            auto it = produced.find(grp.inputs[port]);
            if (it == produced.end())
                return Error{"internal: tensor " + quote(g.value(grp.inputs[port]).name) + " has no layer"};
            Port from = it->second;
            if (port == 0 && before) {
                (void)net.addEdgeUnchecked(Edge{{}, from.id, before->id, 0, from.port});
                from = *before;
            }
            (void)net.addEdgeUnchecked(Edge{{}, from.id, id, static_cast<int>(port), from.port});
        }
        produced[grp.output] = {id, 0};
        if (grp.reshapeAfter) {
            Node r;
            r.type = LayerType::Reshape;
            r.params = cat.spec(LayerType::Reshape).defaults;
            r.params.dims = *grp.reshapeAfter;
            r.name = uniqueName(net.node(id)->name + "/reshape", "reshape");
            NodeId rid = net.addNode(std::move(r)).value();
            (void)net.addEdgeUnchecked(Edge{{}, id, rid, 0, 0});
            produced[grp.output] = {rid, 0};
        }
        if (grp.outputUnread)
            unreadOutputs.insert(grp.output);
        for (size_t k = 0; k < grp.extraOutputs.size(); ++k)
            if (const Group::Extra& e = grp.extraOutputs[k]; e.value >= 0) {
                produced[e.value] = {id, static_cast<int>(k) + 1};
                if (e.batchSecond)
                    batchSecond.insert(e.value);
            }
        made.push_back({id, &grp});
    }

    // An opaque layer has one output. A demoted layer of several (a Split with an empty piece, an
    // LSTM whose attribute NetCanvas refuses) gives each read output port k an opaque layer of its
    // own, fed by the same inputs, and its readers are moved there: no edge points at a port the
    // opaque layer lacks, and the memory schedule still sees every tensor.
    auto splitOffPorts = [&](const Made& m) {
        const Group& grp = *m.group;
        const std::string base = net.node(m.id)->name;
        for (size_t k = 0; k < grp.extraOutputs.size(); ++k) {
            const Group::Extra& e = grp.extraOutputs[k];
            if (e.value < 0)
                continue;
            Node o;
            o.type = LayerType::Opaque;
            o.params = cat.spec(LayerType::Opaque).defaults;
            Shape dims = pm.perSample(e.value);
            if (e.batchSecond && g.value(e.value).dims.size() >= 3) {
                // ONNX's (layers·dirs)×B×H: the port's (layers·dirs)×H, as its readers were built on.
                const auto& d = g.value(e.value).dims;
                dims = Shape{};
                dims.push(d[0]);
                for (size_t a = 2; a < d.size(); ++a)
                    dims.push(d[a]);
            }
            o.params.dims = dims;
            o.params.inputs = std::max<int64_t>(1, static_cast<int64_t>(grp.inputs.size()));
            o.name = uniqueName(base + "/output" + std::to_string(k + 1), "opaque");
            const NodeId oid = net.addNode(std::move(o)).value();
            std::vector<Edge> ins, outs;
            for (const Edge& edge : net.edges()) {
                if (edge.to == m.id)
                    ins.push_back(edge);
                if (edge.from == m.id && edge.fromPort == static_cast<int>(k) + 1)
                    outs.push_back(edge);
            }
            for (const Edge& edge : ins)
                (void)net.addEdgeUnchecked(Edge{{}, edge.from, oid, edge.toPort, edge.fromPort});
            for (const Edge& edge : outs) {
                net.removeEdge(edge.id);
                (void)net.addEdgeUnchecked(Edge{{}, oid, edge.to, edge.toPort, 0});
            }
            produced[e.value] = {oid, 0};
            notes.push_back("node " + quote(g.node(g.value(e.value).producer).name()) + ": output " +
                                      std::to_string(k + 1) + " (" + quote(g.value(e.value).name) +
                                      ") is the opaque layer " + quote(net.node(oid)->name) +
                                      ", as an opaque layer has one output");
        }
    };
    for (const Made& m : made)
        if (demoted.count(m.group))
            splitOffPorts(m);

    // NetCanvas's rules may refuse a mapping ONNX accepts (pooling padding beyond half the kernel, a
    // reflect padding wider than the input, ...): such a layer becomes opaque, with the reason.
    AnalysisResult a = analyze(net);
    for (int round = 0; round < 4 && a.totals.errors > 0; ++round) {
        bool changed = false;
        for (const Made& m : made) {
            const LayerResult* l = a.layer(m.id, net);
            if (!l || l->status != LayerStatus::Error || m.group->type == LayerType::Opaque || demoted.count(m.group))
                continue;
            if (!g.value(m.group->output).shapeKnown)
                return Error{l->message};
            Node* n = net.node(m.id);
            report.unmapped.push_back("node " + quote(n->name) + " (" +
                                      g.node(g.value(m.group->output).producer).op_type() +
                                      "): NetCanvas's rules refuse it: " + l->message);
            n->type = LayerType::Opaque;
            n->params = cat.spec(LayerType::Opaque).defaults;
            n->params.dims = pm.perSample(m.group->output);
            n->params.inputs = std::max<int64_t>(1, static_cast<int64_t>(m.group->inputs.size()));
            n->params.opaqueMacs = groupMacs(*m.group);
            demoted.insert(m.group);
            splitOffPorts(m);
            changed = true;
        }
        if (!changed)
            break;
        a = analyze(net);
    }
    for (const LayerResult& l : a.layers)
        if (l.status == LayerStatus::Error)
            return Error{l.message};

    // Shapes: ours against ONNX's inference and against the file's value_info. The file's shapes are
    // for its own input shapes: when the caller replaced those, they are not comparable.
    const bool compareFile = options.inputShapes.empty();
    if (!compareFile && !g.fileShapes().empty())
        notes.push_back("the file's value_info shapes are not compared: the input shapes were replaced");
    auto oursFor = [&](Port p, int v) {
        const LayerResult* l = a.layer(p.id, net);
        const Value& val = g.value(v);
        const Shape& s = p.port == 0 ? l->output : l->extraOutputs[static_cast<size_t>(p.port - 1)];
        if (batchSecond.count(v)) {
            // Per sample (layers·dirs)×H; ONNX's state puts the batch between the two.
            std::vector<int64_t> d{s[0], batch};
            for (int k = 1; k < s.rank(); ++k)
                d.push_back(s[k]);
            return d;
        }
        return fullShape(s, val.shapeKnown ? pm.lead(v) : 1, batch, val.shapeKnown ? val.dims.size() : 1);
    };
    for (const auto& [v, p] : produced) {
        const Value& val = g.value(v);
        const Node* n = net.node(p.id);
        if (val.graphInput || unreadOutputs.count(v))
            continue;
        std::vector<int64_t> ours = oursFor(p, v);
        if (n->type != LayerType::Opaque && val.shapeKnown && !matches(ours, val.dims))
            report.shapeDisagreements.push_back({val.name, n->name, dimsText(ours), dimsText(val.dims),
                                                 "ONNX shape inference"});
        if (auto it = g.fileShapes().find(val.name);
            compareFile && it != g.fileShapes().end() && !matches(ours, it->second))
            report.shapeDisagreements.push_back({val.name, n->name, dimsText(ours), dimsText(it->second),
                                                 "the file's value_info"});
    }

    // Parameters: ours against the sizes of the initializers each layer consumed.
    std::unordered_map<int, std::set<int>> rootsMemo;
    std::function<const std::set<int>&(int)> roots = [&](int v) -> const std::set<int>& {
        auto it = rootsMemo.find(v);
        if (it != rootsMemo.end())
            return it->second;
        std::set<int> r;
        const Value& val = g.value(v);
        if (val.paramRoot) {
            r.insert(v);
        } else if (val.producer >= 0 && g.info(val.producer).constant) {
            for (int w : g.info(val.producer).inputs)
                if (w >= 0 && !g.value(w).dynamic) {
                    const auto& sub = roots(w);
                    r.insert(sub.begin(), sub.end());
                }
        }
        return rootsMemo[v] = std::move(r);
    };
    // Each weight slot of a mapped layer is compared with the values it reads. A value several slots
    // read is one tensor in the file but counted by each layer that reads it: the exporter merges
    // initializers whose contents are identical (a fresh BatchNorm's γ and running variance are all
    // ones), and tied weights are read by two layers. Those slots are explained in the notes, not
    // listed as disagreements.
    std::set<int> attributed;
    std::map<int, int> slotUses; // root -> weight slots (of mapped layers) that read it
    for (const Made& m : made) {
        const Group& grp = *m.group;
        if (grp.type == LayerType::Opaque || demoted.count(&grp))
            continue;
        for (int w : grp.weights)
            for (int r : roots(w))
                ++slotUses[r];
    }
    std::set<int> mergedRoots;
    // Fixed operands: constants stored with the model (1/√d scales, Swin's shifted-window masks), the
    // layer's state and not parameters. The weight values they are computed from are theirs, so no
    // opaque layer counts them as parameters either.
    int fixedOperands = 0;
    int64_t fixedTotal = 0;
    for (const Made& m : made) {
        const Group& grp = *m.group;
        if (grp.type == LayerType::Opaque || demoted.count(&grp))
            continue;
        int64_t file = 0;
        bool merged = false;
        for (int w : grp.weights)
            for (int r : roots(w)) {
                file += g.value(r).rootElements;
                attributed.insert(r);
                if (slotUses[r] > 1) {
                    merged = true;
                    mergedRoots.insert(r);
                }
            }
        const LayerResult* l = a.layer(m.id, net);
        // A fixed operand's values are the layer's state but no weight slot of the file: left out here,
        // listed in a note below.
        int64_t fixedValues = 0;
        for (int c : grp.fixedConsts) {
            ++fixedOperands;
            fixedValues += elementCount(g.value(c).dims).value_or(0);
            for (int r : roots(c))
                attributed.insert(r);
        }
        fixedTotal += fixedValues;
        const int64_t ours = l->params + l->state - fixedValues;
        if (file != ours && !merged)
            report.paramDisagreements.push_back(
                "layer " + quote(net.node(m.id)->name) + ": NetCanvas counts " + groupDigits(l->params) +
                " parameters" + (l->state ? " + " + groupDigits(l->state) + " state" : std::string()) +
                ", its initializers hold " + groupDigits(file) + " values");
    }
    if (fixedOperands)
        notes.push_back(std::to_string(fixedOperands) + " Add/Mul layer(s) hold a fixed operand (" +
                        groupDigits(fixedTotal) +
                        " values: constants such as a 1/√d scale or an attention mask, stored with the model but "
                        "not learned): counted as state, not as parameters, and not compared with weights");
    if (!mergedRoots.empty()) {
        int64_t values = 0;
        for (int r : mergedRoots)
            values += g.value(r).rootElements;
        notes.push_back(std::to_string(mergedRoots.size()) + " weight tensor(s) (" + groupDigits(values) +
                        " values) are read by several weight slots: the exporter stores identical initial "
                        "values (a fresh BatchNorm's scale and running variance, its bias and running mean) or "
                        "tied weights once; each layer counts its own slots, as the model does");
    }
    // Opaque layers count the weight values they consume (floating-point initializers and constants
    // that no mapped layer owns): a MatMul with a 3-D constant weight, an LSTM kept opaque, a layer
    // scale γ. Like a mapped layer's slots, each opaque layer counts what it reads, so a tensor the
    // exporter merged (ConvNeXt's fresh layer scales, all 1e-6, stored once per width) counts for
    // every layer that reads it, as the model's parameters do. Small constants whose contents the importer keeps (at most 64 values: a 1/√d scale, an
    // ε, Resize scales) are operands, not weights; a recurrent node's initial state (slots 4 and up)
    // is not a weight either.
    std::set<int> opaqueRoots;
    for (const Made& m : made) {
        const Group& grp = *m.group;
        if (grp.type != LayerType::Opaque && !demoted.count(&grp))
            continue;
        int64_t own = 0;
        std::set<int> mine;
        for (int node : grp.nodes) {
            const std::string& type = g.node(node).op_type();
            const bool recurrent = type == "LSTM" || type == "GRU" || type == "RNN";
            const auto& ins = g.info(node).inputs;
            for (size_t slot = 0; slot < ins.size(); ++slot) {
                const int w = ins[slot];
                if (w < 0 || g.value(w).dynamic || !isRealType(g.value(w).elemType) || (recurrent && slot > 3))
                    continue;
                for (int r : roots(w))
                    if (!g.value(r).data && !attributed.count(r) && mine.insert(r).second) {
                        own += g.value(r).rootElements;
                        if (opaqueRoots.insert(r).second)
                            report.unattributedValues += g.value(r).rootElements;
                    }
            }
        }
        net.node(m.id)->params.opaqueParams = own;
    }
    for (const Value& v : g.values())
        if (v.paramRoot)
            report.initializerValues += v.rootElements;

    // Counts and lists.
    report.onnxNodes = g.nodeCount();
    report.layers = static_cast<int>(net.nodes().size());
    report.skippedNodes = pm.skippedNodes();
    std::map<std::string, int> unknown, opaqueOps;
    std::set<int> seenOpaque;
    for (const Made& m : made) {
        const Group& grp = *m.group;
        report.droppedEdges += grp.droppedInputs;
        if (grp.type != LayerType::Opaque) {
            if (grp.nodes.size() > 1)
                report.fusedNodes += static_cast<int>(grp.nodes.size());
            if (!demoted.count(&grp))
                continue;
        }
        ++report.opaqueLayers;
        int node = grp.nodes.empty() ? -1 : grp.nodes[0];
        if (demoted.count(&grp)) {
            const auto& on = g.node(g.value(grp.output).producer);
            ++opaqueOps[on.domain().empty() || on.domain() == "ai.onnx" ? on.op_type() : on.domain() + "." + on.op_type()];
            continue;
        }
        if (!seenOpaque.insert(node).second)
            continue;
        const auto& n = g.node(node);
        std::string type = n.domain().empty() || n.domain() == "ai.onnx" ? n.op_type() : n.domain() + "." + n.op_type();
        ++opaqueOps[type];
        if (grp.reason.empty() && !isSupportedOperator(type))
            ++unknown[type];
        else
            report.unmapped.push_back("node " + quote(n.name()) + " (" + type + "): " +
                                      (grp.reason.empty() ? std::string("not modelled") : grp.reason));
    }
    for (int i = 0; i < g.nodeCount(); ++i)
        report.foldedNodes += g.info(i).constant;
    report.unknownOps.assign(unknown.begin(), unknown.end());
    report.opaqueOps.assign(opaqueOps.begin(), opaqueOps.end());
    std::stable_sort(report.unknownOps.begin(), report.unknownOps.end(),
                     [](const auto& x, const auto& y) { return x.second > y.second; });
    if (report.droppedEdges)
        notes.push_back(std::to_string(report.droppedEdges) +
                        " input connection(s) are not drawn: opaque layers have one input, and an attention "
                        "layer's computed mask is not one of its inputs");
    report.notes = notes;

    ImportResult result;
    for (int v : g.graphOutputs()) {
        ImportedOutput o;
        o.name = g.value(v).name;
        if (auto it = produced.find(v); it != produced.end())
            o.dims = oursFor(it->second, v);
        else if (g.value(v).shapeKnown)
            o.dims = g.value(v).dims; // a constant output
        result.outputs.push_back(std::move(o));
    }
    applyLayout(net, layeredLayout(net));
    result.network = std::move(net);
    result.report = std::move(report);
    return result;
}

Result<ImportResult> importGuarded(const char* data, size_t size, const ImportOptions& options)
{
    Result<ImportResult> r = Error{"import did not run"};
    try {
        Importer imp{options, {}, {}};
        r = imp.run(data, size);
    } catch (const std::bad_alloc&) {
        r = Error{"out of memory while reading the ONNX model"};
    } catch (const std::exception& e) {
        r = Error{std::string("cannot read the ONNX model: ") + e.what()};
    } catch (...) {
        r = Error{"cannot read the ONNX model: unexpected failure"};
    }
    releaseMemory(); // the protobuf model (and the weights it held) is gone: give the pages back
    return r;
}

} // namespace

int ImportReport::unknownNodes() const
{
    int n = 0;
    for (const auto& [type, count] : unknownOps)
        n += count;
    return n;
}

std::string ImportReport::summary() const
{
    std::string s = "imported " + std::to_string(onnxNodes) + " ONNX nodes as " + std::to_string(layers) + " layers";
    if (!unknownOps.empty()) {
        s += "; " + std::to_string(unknownNodes()) + " node" + (unknownNodes() == 1 ? "" : "s") + " of " +
             std::to_string(unknownOps.size()) + " unknown type" + (unknownOps.size() == 1 ? "" : "s") + ": ";
        for (size_t i = 0; i < unknownOps.size(); ++i)
            s += (i ? ", " : "") + unknownOps[i].first + " ×" + std::to_string(unknownOps[i].second);
    }
    if (!unmapped.empty())
        s += "; " + std::to_string(unmapped.size()) + " known node" + (unmapped.size() == 1 ? "" : "s") +
             " kept opaque";
    if (!shapeDisagreements.empty())
        s += "; " + std::to_string(shapeDisagreements.size()) + " shape disagreement" +
             (shapeDisagreements.size() == 1 ? "" : "s");
    if (!paramDisagreements.empty())
        s += "; " + std::to_string(paramDisagreements.size()) + " parameter disagreement" +
             (paramDisagreements.size() == 1 ? "" : "s");
    return s;
}

std::string ImportReport::text(size_t listLimit) const
{
    std::string s = summary() + "\n";
    s += "  " + std::to_string(fusedNodes) + " nodes fused into multi-node layers, " + std::to_string(foldedNodes) +
         " constant nodes folded, " + std::to_string(skippedNodes) + " unused nodes skipped, " +
         std::to_string(opaqueLayers) + " opaque layers\n";
    if (unattributedValues > 0)
        s += "  " + groupDigits(unattributedValues) + " of " + groupDigits(initializerValues) +
             " weight values feed opaque layers and are counted as their parameters\n";
    auto list = [&](const char* title, const std::vector<std::string>& items) {
        if (items.empty())
            return;
        s += std::string("  ") + title + ":\n";
        for (size_t i = 0; i < items.size() && i < listLimit; ++i)
            s += "    " + items[i] + "\n";
        if (items.size() > listLimit)
            s += "    … and " + std::to_string(items.size() - listLimit) + " more\n";
    };
    std::vector<std::string> shapes;
    for (const auto& d : shapeDisagreements)
        shapes.push_back("tensor " + quote(d.tensor) + " (layer " + quote(d.layer) + "): NetCanvas " + d.ours + ", " +
                         d.source + " " + d.theirs);
    list("shape disagreements", shapes);
    list("parameter disagreements", paramDisagreements);
    list("kept opaque", unmapped);
    list("notes", notes);
    return s;
}

std::string missingDimensionError(const MissingDimension& d)
{
    return "input " + quote(d.input) + " has " +
           (d.symbol.empty() ? std::string("an unnamed dimension") : "a symbolic dimension " + quote(d.symbol)) +
           " on axis " + std::to_string(d.axis) + "; give it a value (e.g. --dim " + d.key() + "=128)";
}

std::optional<MissingDimension> missingDimension(const std::string& importError)
{
    // Reads what missingDimensionError() writes; a caller may have put the file's name in front.
    static const std::regex re(
        R"re(input "(.*)" has (?:a symbolic dimension "(.*)"|an unnamed dimension) on axis (\d{1,6}); give it a value)re");
    std::smatch m;
    if (!std::regex_search(importError, m, re))
        return std::nullopt;
    MissingDimension d;
    d.input = m[1].str();
    d.symbol = m[2].matched ? m[2].str() : std::string();
    d.axis = std::stoi(m[3].str());
    return d;
}

bool isSupportedOperator(const std::string& opType) { return supportedSet().count(opType) > 0; }

std::vector<std::string> supportedOperators() { return {supportedSet().begin(), supportedSet().end()}; }

Result<ImportResult> importOnnxBytes(const QByteArray& bytes, const ImportOptions& options)
{
    return importGuarded(bytes.constData(), static_cast<size_t>(bytes.size()), options);
}

Result<ImportResult> importOnnx(const QString& path, const ImportOptions& options)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return Error{"cannot open " + path.toStdString() + ": " + f.errorString().toStdString()};
    const qint64 size = f.size();
    if (size > kMaxOnnxBytes)
        return Error{path.toStdString() + " is 2 GiB or larger; ONNX models that big keep their weights in external files"};
    if (size == 0)
        return Error{path.toStdString() + ": the file is empty; not an ONNX model"};
    // Mapped, not read: the file's pages are shared with the page cache and dropped on unmap.
    if (uchar* mapped = f.map(0, size)) {
        auto r = importGuarded(reinterpret_cast<const char*>(mapped), static_cast<size_t>(size), options);
        f.unmap(mapped);
        if (!r)
            return Error{path.toStdString() + ": " + r.error()};
        return r;
    }
    QByteArray data = f.read(size);
    if (data.size() != size)
        return Error{"cannot read " + path.toStdString() + ": " + f.errorString().toStdString()};
    auto r = importGuarded(data.constData(), static_cast<size_t>(data.size()), options);
    if (!r)
        return Error{path.toStdString() + ": " + r.error()};
    return r;
}

} // namespace nc::core::onnx

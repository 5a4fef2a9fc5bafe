// Registry: the one explicit registration of every layer kind, checked before first use.
#include "KindSupport.h"

#include <cstdio>
#include <cstdlib>

namespace nc::core {

namespace {

// The single registration point (no static self-registration). Order does not matter: the table
// is sorted by LayerType and checked for gaps and duplicates.
std::vector<LayerKind> registerAllKinds()
{
    std::vector<LayerKind> k;
    kinds::registerInput(k);
    kinds::registerLinear(k);
    kinds::registerConvolution(k);
    kinds::registerPooling(k);
    kinds::registerNormalization(k);
    kinds::registerActivation(k);
    kinds::registerMerge(k);
    kinds::registerReshape(k);
    kinds::registerTransformer(k);
    kinds::registerOpaque(k);
    kinds::registerPlumbing(k);
    kinds::registerSequence(k);
    kinds::registerConvolutionNd(k);
    kinds::registerPoolingNd(k);
    kinds::registerResize(k);
    return k;
}

struct Table {
    std::vector<LayerKind> byType;
    Table()
    {
        std::vector<LayerKind> all = registerAllKinds();
        // A broken table is a programming error that every test and every start would hit; stop
        // with the list instead of running with a kind missing (Release builds included).
        std::vector<std::string> problems = kindRegistryProblems(all);
        if (!problems.empty()) {
            for (const std::string& p : problems)
                std::fprintf(stderr, "netcanvas: layer kind registry: %s\n", p.c_str());
            std::abort();
        }
        byType.resize(all.size());
        for (LayerKind& kind : all)
            byType[static_cast<size_t>(kind.spec.type)] = std::move(kind);
    }
};

const Table& table()
{
    static const Table t;
    return t;
}

} // namespace

std::vector<std::string> kindRegistryProblems(std::span<const LayerKind> kinds)
{
    std::vector<std::string> problems;
    std::vector<int> seen(kLayerTypeCount, 0);
    for (const LayerKind& k : kinds) {
        const int t = static_cast<int>(k.spec.type);
        const std::string name = k.spec.key.empty() ? "kind " + std::to_string(t) : std::string(k.spec.key);
        if (t < 0 || t >= kLayerTypeCount) {
            problems.push_back(name + ": type value " + std::to_string(t) + " is outside LayerType");
            continue;
        }
        if (seen[static_cast<size_t>(t)]++)
            problems.push_back(name + ": registered twice");
        if (k.spec.key.empty() || k.spec.label.empty())
            problems.push_back(name + ": no file key or label");
        if (!k.shape || !k.costs || !k.receptiveField || !k.explain || !k.summary)
            problems.push_back(name + ": a rule (shape, costs, receptive field, explain, summary) is missing");
        if (!k.kernel.declared())
            problems.push_back(name + ": kernel facet neither given nor declared not applicable");
        if (!k.pytorch.declared())
            problems.push_back(name + ": PyTorch export facet neither given nor declared not applicable");
        if (!k.onnxExport.declared())
            problems.push_back(name + ": ONNX export facet neither given nor declared not applicable");
        if (!k.onnxImport.declared())
            problems.push_back(name + ": ONNX import facet neither given nor declared not applicable");
        for (const LayerKind& other : kinds)
            if (&other != &k && other.spec.key == k.spec.key && other.spec.type != k.spec.type)
                problems.push_back(name + ": file key shared with another kind");
    }
    for (int t = 0; t < kLayerTypeCount; ++t)
        if (!seen[static_cast<size_t>(t)])
            problems.push_back("LayerType value " + std::to_string(t) + " has no registered kind");
    return problems;
}

const LayerKind& layerKind(LayerType t) { return table().byType[static_cast<size_t>(t)]; }

std::span<const LayerKind> layerKinds() { return table().byType; }

} // namespace nc::core

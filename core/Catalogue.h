// Catalogue: the declarative description of every layer kind (attributes, ranges, defaults, ports,
// documentation) and of the palette entries built on them. Editors, file I/O and the CLI all read it.
// The data comes from the layer kinds (core/layers/LayerKind.h); this is their attribute view.
#pragma once

#include "LayerParams.h"
#include "LayerType.h"

#include <span>
#include <utility>
#include <string_view>
#include <vector>

namespace nc::core {

enum class AttrKind { Int, Bool, Enum, Float, Dims };

// One editable attribute of a layer kind. Exactly one of `intField` / `floatField` is set
// (Dims uses LayerParams::dims). `key` is the name in files and the CLI.
struct AttrSpec {
    std::string_view key;
    std::string_view label;
    AttrKind kind = AttrKind::Int;
    int64_t LayerParams::*intField = nullptr;
    double LayerParams::*floatField = nullptr;
    double min = 0;
    double max = 0;
    std::vector<std::string_view> enumLabels; // for Enum: value i has label enumLabels[i]
    std::string_view help;
    // For Int: the only values allowed, each with its label (the bit width: 0 "Network setting",
    // 32 "FP32", ...). Editors offer a choice; the loader refuses other values.
    std::vector<std::pair<int64_t, std::string_view>> choices;
    // Key of a Bool attribute that, when on, makes this one irrelevant (explicit paddings under "same").
    std::string_view ignoredWhen;
    // For Dims: one size may be −1, inferred from the input (Reshape).
    bool allowInferred = false;
    // For Dims: the smallest value an entry may take (1 for sizes, 0 for axes and permutations).
    int64_t dimsMin = 1;
    // Written to design files only when it differs from the kind's default: an attribute added after
    // files exist (Add's "operand_fixed"), so files that do not use it stay byte-for-byte as they were.
    bool omitWhenDefault = false;
    bool allows(int64_t v) const;
};

enum class Category { Input, Linear, Convolution, Pooling, Normalization, Activation, Attention, Merge, Reshape };
std::string_view categoryLabel(Category c);

// How a layer kind behaves, independent of any particular instance.
struct LayerSpec {
    LayerType type;
    std::string_view key;   // stable file/CLI key, "conv2d"
    std::string_view label; // human label, "Conv2d"
    Category category;
    std::string_view doc;       // one paragraph, with the output-size formula where there is one
    std::vector<AttrSpec> attrs;
    LayerParams defaults;
    bool variadicInputs = false; // input count comes from LayerParams::inputs (Add, Multiply, Concat)
    int fixedInputs = 1;         // otherwise: 0 for Input, 1 for everything else
    int inputCount(const LayerParams& p) const
    {
        return variadicInputs ? static_cast<int>(p.inputs) : fixedInputs;
    }
    // Output ports: 1, or what the kind says for these hyper-parameters (Split: one per piece).
    int (*outputsFor)(const LayerParams&) = nullptr;
    int outputCount(const LayerParams& p) const { return outputsFor ? outputsFor(p) : 1; }
    const AttrSpec* attr(std::string_view key) const;
};

// A palette entry: a layer kind plus overrides of its defaults. Grouped and depthwise
// convolutions are entries of their own even where they share a kind with plain convolution.
struct PaletteEntry {
    std::string_view label;
    Category category;
    LayerType type;
    LayerParams params;
    std::string_view help;
};

class Catalogue {
public:
    // The one catalogue, built on first use from the registered layer kinds.
    static const Catalogue& instance();

    const LayerSpec& spec(LayerType t) const { return m_specs[static_cast<size_t>(t)]; }
    std::span<const LayerSpec> specs() const { return m_specs; }
    std::span<const PaletteEntry> palette() const { return m_palette; }

private:
    Catalogue();
    std::vector<LayerSpec> m_specs;
    std::vector<PaletteEntry> m_palette;
};

} // namespace nc::core

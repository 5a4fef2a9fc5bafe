// Catalogue: the attribute view of the registered layer kinds, and the type keys and labels.
#include "Catalogue.h"

#include "layers/LayerKind.h"

#include <array>

namespace nc::core {

std::string_view categoryLabel(Category c)
{
    static constexpr std::array<std::string_view, 9> names{"Input",      "Linear",     "Convolution",
                                                           "Pooling",    "Normalization", "Activation",
                                                           "Attention",  "Merge",      "Reshape"};
    return names[static_cast<size_t>(c)];
}

const AttrSpec* LayerSpec::attr(std::string_view key) const
{
    for (const AttrSpec& a : attrs)
        if (a.key == key)
            return &a;
    return nullptr;
}

bool AttrSpec::allows(int64_t v) const
{
    if (!choices.empty()) {
        for (const auto& c : choices)
            if (c.first == v)
                return true;
        return false;
    }
    return static_cast<double>(v) >= min && static_cast<double>(v) <= max;
}

Catalogue::Catalogue()
{
    for (const LayerKind& k : layerKinds()) {
        m_specs.push_back(k.spec);
        m_palette.insert(m_palette.end(), k.palette.begin(), k.palette.end());
    }
}

const Catalogue& Catalogue::instance()
{
    static const Catalogue c;
    return c;
}

std::string_view layerTypeKey(LayerType t) { return layerKind(t).spec.key; }
std::string_view layerTypeLabel(LayerType t) { return layerKind(t).spec.label; }
std::optional<LayerType> layerTypeFromKey(std::string_view key)
{
    for (const LayerKind& k : layerKinds())
        if (k.spec.key == key)
            return k.spec.type;
    return std::nullopt;
}

} // namespace nc::core

// Catalogue: registration of every layer kind and palette entry.
#include "Catalogue.h"

#include <array>
#include <cassert>

namespace nc::core {

namespace {

constexpr double kBig = 1e12; // upper bound for sizes typed by a user; analysis still checks overflow

using P = LayerParams;

AttrSpec intAttr(std::string_view key, std::string_view label, int64_t P::*f, double lo, double hi,
                 std::string_view help = {})
{
    AttrSpec a;
    a.key = key;
    a.label = label;
    a.kind = AttrKind::Int;
    a.intField = f;
    a.min = lo;
    a.max = hi;
    a.help = help;
    return a;
}
AttrSpec boolAttr(std::string_view key, std::string_view label, int64_t P::*f, std::string_view help = {})
{
    AttrSpec a = intAttr(key, label, f, 0, 1, help);
    a.kind = AttrKind::Bool;
    return a;
}
AttrSpec enumAttr(std::string_view key, std::string_view label, int64_t P::*f,
                  std::vector<std::string_view> labels, std::string_view help = {})
{
    AttrSpec a = intAttr(key, label, f, 0, static_cast<double>(labels.size() - 1), help);
    a.kind = AttrKind::Enum;
    a.enumLabels = std::move(labels);
    return a;
}
AttrSpec floatAttr(std::string_view key, std::string_view label, double P::*f, double lo, double hi,
                   std::string_view help = {})
{
    AttrSpec a;
    a.key = key;
    a.label = label;
    a.kind = AttrKind::Float;
    a.floatField = f;
    a.min = lo;
    a.max = hi;
    a.help = help;
    return a;
}
AttrSpec dimsAttr(std::string_view key, std::string_view label, std::string_view help)
{
    AttrSpec a;
    a.key = key;
    a.label = label;
    a.kind = AttrKind::Dims;
    a.help = help;
    return a;
}
AttrSpec bitsAttr()
{
    return intAttr("bits", "Bit width override", &P::bits, 0, 32,
                   "0 follows the network's bit width; 32, 16, 8 or 4 overrides it for this layer");
}

std::vector<AttrSpec> kernelAttrs(bool withDilation)
{
    std::vector<AttrSpec> v{
        intAttr("kernel_h", "Kernel height", &P::kh, 1, 1e6),
        intAttr("kernel_w", "Kernel width", &P::kw, 1, 1e6),
        intAttr("stride_h", "Stride H", &P::sh, 1, 1e6),
        intAttr("stride_w", "Stride W", &P::sw, 1, 1e6),
        intAttr("pad_top", "Padding top", &P::pt, 0, 1e6),
        intAttr("pad_bottom", "Padding bottom", &P::pb, 0, 1e6),
        intAttr("pad_left", "Padding left", &P::pl, 0, 1e6),
        intAttr("pad_right", "Padding right", &P::pr, 0, 1e6),
    };
    if (withDilation) {
        v.push_back(boolAttr("pad_same", "Padding \"same\"", &P::padSame,
                             "choose padding so that out = ceil(in / stride); extra padding goes to the bottom/right"));
        v.push_back(enumAttr("pad_mode", "Padding mode", &P::padMode, {"zeros", "reflect", "replicate"}));
        v.push_back(intAttr("dilation_h", "Dilation H", &P::dh, 1, 1e6));
        v.push_back(intAttr("dilation_w", "Dilation W", &P::dw, 1, 1e6));
    }
    return v;
}

std::vector<AttrSpec> concat(std::vector<AttrSpec> a, const std::vector<AttrSpec>& b)
{
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

LayerSpec make(LayerType t, Category c, std::string_view doc, std::vector<AttrSpec> attrs, LayerParams d = {},
               int fixedInputs = 1)
{
    LayerSpec s;
    s.type = t;
    s.category = c;
    s.doc = doc;
    s.attrs = std::move(attrs);
    s.defaults = d;
    s.fixedInputs = fixedInputs;
    return s;
}

LayerSpec activation(LayerType t, std::string_view doc, std::vector<AttrSpec> extra = {})
{
    std::vector<AttrSpec> a{boolAttr("inplace", "In place", &P::inplace,
                                     "overwrite the input: stores no new tensor when it is the input's only consumer")};
    a.insert(a.end(), extra.begin(), extra.end());
    return make(t, Category::Activation, doc, a);
}

// The single explicit registration point (no static self-registration), in LayerType order.
std::vector<LayerSpec> registerLayers()
{
    std::vector<LayerSpec> s;
    s.reserve(kLayerTypeCount);

    LayerParams input;
    input.dims = Shape{3, 224, 224};
    s.push_back(make(LayerType::Input, Category::Input,
                     "Network input. Shape per sample, batch excluded (the batch is a network setting): "
                     "3×224×224 for an RGB image, T×D for tokens, F for a vector.",
                     {dimsAttr("shape", "Shape", "per-sample dimensions, e.g. 3,224,224")}, input, 0));

    LayerParams linear;
    linear.features = 1000;
    s.push_back(make(LayerType::Linear, Category::Linear,
                     "Fully connected layer on the last axis: y = x·Wᵀ + b, W is out×in. "
                     "Params = in·out + out; MACs = rows·in·out.",
                     {intAttr("out_features", "Out features", &P::features, 1, kBig),
                      boolAttr("bias", "Bias", &P::bias), bitsAttr()},
                     linear));

    LayerParams conv;
    conv.pt = conv.pb = conv.pl = conv.pr = 1;
    s.push_back(make(LayerType::Conv2d, Category::Convolution,
                     "2-D convolution over C×H×W. ho = ⌊(hi + pt + pb − d·(kh−1) − 1)/s⌋ + 1. "
                     "Params = co·(ci/g)·kh·kw + co; MACs = co·(ci/g)·kh·kw·ho·wo.",
                     concat({intAttr("out_channels", "Out channels", &P::features, 1, kBig)},
                            concat(kernelAttrs(true), {intAttr("groups", "Groups", &P::groups, 1, kBig),
                                                       boolAttr("bias", "Bias", &P::bias), bitsAttr()})),
                     conv));

    LayerParams dw;
    dw.pt = dw.pb = dw.pl = dw.pr = 1;
    s.push_back(make(LayerType::DepthwiseConv2d, Category::Convolution,
                     "Depthwise convolution: groups = input channels, each channel convolved with its own "
                     "`multiplier` filters; co = ci·multiplier. Params = co·kh·kw + co; MACs = co·kh·kw·ho·wo.",
                     concat({intAttr("multiplier", "Channel multiplier", &P::multiplier, 1, kBig)},
                            concat(kernelAttrs(true), {boolAttr("bias", "Bias", &P::bias), bitsAttr()})),
                     dw));

    LayerParams pool;
    pool.kh = pool.kw = pool.sh = pool.sw = 2;
    auto poolAttrs = concat(kernelAttrs(false), {boolAttr("ceil_mode", "Ceil mode", &P::ceilMode)});
    s.push_back(make(LayerType::MaxPool2d, Category::Pooling,
                     "Max pooling. ho = ⌊(hi + pt + pb − kh)/s⌋ + 1 (⌈⌉ in ceil mode, where a window may not "
                     "start in the bottom padding). No parameters.",
                     poolAttrs, pool));
    s.push_back(make(LayerType::AvgPool2d, Category::Pooling,
                     "Average pooling; same output size rule as max pooling. No parameters.",
                     concat(poolAttrs, {boolAttr("count_include_pad", "Count padding in the average",
                                                 &P::countIncludePad)}),
                     pool));
    s.push_back(make(LayerType::GlobalAvgPool, Category::Pooling,
                     "Global average pooling: C×H×W → C×1×1.", {}));
    LayerParams adaptive;
    adaptive.outH = adaptive.outW = 7;
    s.push_back(make(LayerType::AdaptiveAvgPool2d, Category::Pooling,
                     "Adaptive average pooling to a fixed output size: window i spans "
                     "[⌊i·hi/ho⌋, ⌈(i+1)·hi/ho⌉).",
                     {intAttr("out_h", "Output height", &P::outH, 1, kBig),
                      intAttr("out_w", "Output width", &P::outW, 1, kBig)},
                     adaptive));

    s.push_back(make(LayerType::BatchNorm, Category::Normalization,
                     "Batch normalisation over axis 0 (channels). Params: γ and β per channel (2·C); the "
                     "running mean and variance are state (2·C), not parameters.",
                     {boolAttr("affine", "Learnable γ, β", &P::affine),
                      boolAttr("track_running_stats", "Running statistics", &P::trackStats),
                      floatAttr("eps", "Epsilon", &P::eps, 0, 1), bitsAttr()}));
    s.push_back(make(LayerType::LayerNorm, Category::Normalization,
                     "Layer normalisation over the last `axes` axes of each sample. Params: γ and β for "
                     "every normalised element.",
                     {intAttr("axes", "Normalised trailing axes", &P::normAxes, 1, Shape::kMaxRank),
                      boolAttr("affine", "Learnable γ, β", &P::affine), floatAttr("eps", "Epsilon", &P::eps, 0, 1),
                      bitsAttr()}));
    LayerParams inorm;
    inorm.affine = 0;
    s.push_back(make(LayerType::InstanceNorm, Category::Normalization,
                     "Instance normalisation: each channel of each sample over H×W. Params: 2·C if affine.",
                     {boolAttr("affine", "Learnable γ, β", &P::affine), floatAttr("eps", "Epsilon", &P::eps, 0, 1),
                      bitsAttr()},
                     inorm));
    s.push_back(make(LayerType::GroupNorm, Category::Normalization,
                     "Group normalisation: channels split into groups, each normalised over its channels "
                     "and H×W. Params: 2·C.",
                     {intAttr("num_groups", "Groups", &P::numGroups, 1, kBig),
                      boolAttr("affine", "Learnable γ, β", &P::affine), floatAttr("eps", "Epsilon", &P::eps, 0, 1),
                      bitsAttr()}));

    s.push_back(activation(LayerType::ReLU, "max(0, x)."));
    s.push_back(activation(LayerType::ReLU6, "min(max(0, x), 6)."));
    s.push_back(activation(LayerType::LeakyReLU, "x if x > 0 else slope·x.",
                           {floatAttr("slope", "Negative slope", &P::slope, -1e6, 1e6)}));
    s.push_back(activation(LayerType::Sigmoid, "1 / (1 + e^−x)."));
    s.push_back(activation(LayerType::Tanh, "tanh(x)."));
    s.push_back(activation(LayerType::SiLU, "Swish / SiLU: x·sigmoid(x)."));
    s.push_back(activation(LayerType::HardSwish, "x·ReLU6(x + 3)/6."));
    s.push_back(activation(LayerType::GELU, "x·Φ(x) (erf form)."));
    LayerParams softmax;
    softmax.inplace = 0;
    s.push_back(make(LayerType::Softmax, Category::Activation, "e^xᵢ / Σⱼ e^xⱼ along one axis.",
                     {intAttr("axis", "Axis", &P::axis, -Shape::kMaxRank, Shape::kMaxRank - 1,
                              "per-sample axis (batch excluded); negative counts from the end")},
                     softmax));

    LayerSpec add = make(LayerType::Add, Category::Merge,
                         "Elementwise sum of inputs of identical shape (residual connection).",
                         {intAttr("inputs", "Inputs", &P::inputs, 2, 16)});
    add.variadicInputs = true;
    s.push_back(add);
    LayerSpec mul = make(LayerType::Multiply, Category::Merge,
                         "Elementwise product with NumPy broadcasting over the per-sample shape, e.g. a "
                         "C×1×1 squeeze-and-excitation gate times a C×H×W feature map.",
                         {intAttr("inputs", "Inputs", &P::inputs, 2, 16)});
    mul.variadicInputs = true;
    s.push_back(mul);
    LayerSpec cat = make(LayerType::Concat, Category::Merge,
                         "Concatenation along channels (axis 0 of the per-sample shape); other axes must match.",
                         {intAttr("inputs", "Inputs", &P::inputs, 2, 16)});
    cat.variadicInputs = true;
    s.push_back(cat);
    s.push_back(make(LayerType::Flatten, Category::Reshape, "Flattens each sample to a vector (a view: stores nothing).",
                     {}));
    s.push_back(make(LayerType::Dropout, Category::Reshape,
                     "Identity at inference (a view: stores nothing).",
                     {floatAttr("p", "Drop probability", &P::dropP, 0, 1)}));

    LayerParams patch;
    patch.features = 192;
    s.push_back(make(LayerType::PatchEmbed, Category::Attention,
                     "ViT patch embedding: a p×p stride-p convolution C→D, flattened to (ho·wo) tokens of D, "
                     "an optional class token (D parameters) prepended and a learned position embedding "
                     "(tokens·D parameters) added.",
                     {intAttr("embed_dim", "Embedding dim", &P::features, 1, kBig),
                      intAttr("patch", "Patch size", &P::patch, 1, kBig),
                      boolAttr("class_token", "Class token", &P::classToken),
                      boolAttr("pos_embed", "Position embedding", &P::posEmbed),
                      boolAttr("bias", "Bias", &P::bias), bitsAttr()},
                     patch));
    s.push_back(make(LayerType::ClassTokenSelect, Category::Attention,
                     "Selects token 0 (the class token): T×D → D (a view: stores nothing).", {}));
    LayerParams mha;
    mha.heads = 3;
    s.push_back(make(LayerType::MultiHeadAttention, Category::Attention,
                     "Multi-head self-attention over T×D tokens. Params: Q, K, V and output projections, "
                     "4·D² + 4·D. MACs: 4·T·D² (projections) + 2·T²·D (Q·Kᵀ and A·V). The attention "
                     "map, heads×T×T, is working memory during the layer.",
                     {intAttr("heads", "Heads", &P::heads, 1, kBig), boolAttr("bias", "Bias", &P::bias), bitsAttr()},
                     mha));
    LayerParams mlp;
    mlp.hidden = 768;
    mlp.features = 0;
    s.push_back(make(LayerType::Mlp, Category::Attention,
                     "Transformer feed-forward block made of Linear(D→H), GELU, Linear(H→out); out = D "
                     "when 0. Its figures are the sums of those pieces'.",
                     {intAttr("hidden", "Hidden width", &P::hidden, 1, kBig),
                      intAttr("out_features", "Out features (0 = same as input)", &P::features, 0, kBig),
                      boolAttr("bias", "Bias", &P::bias), bitsAttr()},
                     mlp));
    LayerParams reshape;
    reshape.dims = Shape{-1};
    s.push_back(make(LayerType::Reshape, Category::Reshape,
                     "Reshapes each sample (a view); one dimension may be −1 and is inferred.",
                     {dimsAttr("shape", "Shape", "per-sample target shape, e.g. 196,768 or -1")}, reshape));
    LayerParams opaque;
    opaque.dims = Shape{1};
    s.push_back(make(LayerType::Opaque, Category::Reshape,
                     "An operator NetCanvas does not model (from an imported file): passes the output shape "
                     "it was given and counts no parameters or operations.",
                     {dimsAttr("shape", "Output shape", "per-sample output shape")}, opaque));

    assert(static_cast<int>(s.size()) == kLayerTypeCount);
    for (size_t i = 0; i < s.size(); ++i)
        assert(static_cast<size_t>(s[i].type) == i);
    return s;
}

std::vector<PaletteEntry> registerPalette(const std::vector<LayerSpec>& specs)
{
    auto d = [&](LayerType t) { return specs[static_cast<size_t>(t)].defaults; };
    std::vector<PaletteEntry> p;
    auto add = [&](std::string_view label, LayerType t, LayerParams params, std::string_view help) {
        p.push_back({label, specs[static_cast<size_t>(t)].category, t, params, help});
    };
    add("Input", LayerType::Input, d(LayerType::Input), "network input");
    add("Linear", LayerType::Linear, d(LayerType::Linear), "fully connected layer");
    add("Conv2d", LayerType::Conv2d, d(LayerType::Conv2d), "3×3 convolution, padding 1");
    {
        LayerParams g = d(LayerType::Conv2d);
        g.groups = 2;
        add("Grouped Conv2d", LayerType::Conv2d, g, "convolution in 2 groups (AlexNet style)");
    }
    add("Depthwise Conv2d", LayerType::DepthwiseConv2d, d(LayerType::DepthwiseConv2d),
        "one 3×3 filter per channel (MobileNet)");
    {
        LayerParams pw = d(LayerType::Conv2d);
        pw.kh = pw.kw = 1;
        pw.pt = pw.pb = pw.pl = pw.pr = 0;
        add("Pointwise Conv2d (1×1)", LayerType::Conv2d, pw, "1×1 convolution mixing channels");
    }
    {
        LayerParams dil = d(LayerType::Conv2d);
        dil.dh = dil.dw = 2;
        dil.pt = dil.pb = dil.pl = dil.pr = 2;
        add("Dilated Conv2d", LayerType::Conv2d, dil, "3×3 convolution with dilation 2");
    }
    add("MaxPool2d", LayerType::MaxPool2d, d(LayerType::MaxPool2d), "2×2 max pooling, stride 2");
    add("AvgPool2d", LayerType::AvgPool2d, d(LayerType::AvgPool2d), "2×2 average pooling, stride 2");
    add("Global AvgPool", LayerType::GlobalAvgPool, {}, "C×H×W → C×1×1");
    add("Adaptive AvgPool2d", LayerType::AdaptiveAvgPool2d, d(LayerType::AdaptiveAvgPool2d), "to a fixed size");
    add("BatchNorm", LayerType::BatchNorm, d(LayerType::BatchNorm), "batch normalisation");
    add("LayerNorm", LayerType::LayerNorm, d(LayerType::LayerNorm), "layer normalisation");
    add("InstanceNorm", LayerType::InstanceNorm, d(LayerType::InstanceNorm), "instance normalisation");
    add("GroupNorm", LayerType::GroupNorm, d(LayerType::GroupNorm), "group normalisation");
    for (LayerType t : {LayerType::ReLU, LayerType::ReLU6, LayerType::LeakyReLU, LayerType::Sigmoid, LayerType::Tanh,
                        LayerType::SiLU, LayerType::HardSwish, LayerType::GELU, LayerType::Softmax})
        add(layerTypeLabel(t), t, d(t), specs[static_cast<size_t>(t)].doc);
    add("Patch Embedding", LayerType::PatchEmbed, d(LayerType::PatchEmbed), "ViT patches to tokens");
    add("Multi-Head Attention", LayerType::MultiHeadAttention, d(LayerType::MultiHeadAttention), "self-attention");
    add("MLP Block", LayerType::Mlp, d(LayerType::Mlp), "Linear–GELU–Linear");
    add("Class Token Select", LayerType::ClassTokenSelect, {}, "token 0 for the head");
    add("Add", LayerType::Add, d(LayerType::Add), "residual sum");
    add("Multiply", LayerType::Multiply, d(LayerType::Multiply), "broadcast product (SE gate)");
    add("Concat", LayerType::Concat, d(LayerType::Concat), "concatenate channels");
    add("Flatten", LayerType::Flatten, {}, "to a vector");
    add("Dropout", LayerType::Dropout, d(LayerType::Dropout), "identity at inference");
    add("Reshape", LayerType::Reshape, d(LayerType::Reshape), "view with a new shape");
    return p;
}

} // namespace

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

Catalogue::Catalogue() : m_specs(registerLayers()), m_palette(registerPalette(m_specs)) {}

const Catalogue& Catalogue::instance()
{
    static const Catalogue c;
    return c;
}

namespace {
struct TypeName {
    std::string_view key;
    std::string_view label;
};
constexpr std::array<TypeName, kLayerTypeCount> kTypeNames{{
    {"input", "Input"},
    {"linear", "Linear"},
    {"conv2d", "Conv2d"},
    {"depthwise_conv2d", "DepthwiseConv2d"},
    {"max_pool2d", "MaxPool2d"},
    {"avg_pool2d", "AvgPool2d"},
    {"global_avg_pool", "GlobalAvgPool"},
    {"adaptive_avg_pool2d", "AdaptiveAvgPool2d"},
    {"batch_norm", "BatchNorm"},
    {"layer_norm", "LayerNorm"},
    {"instance_norm", "InstanceNorm"},
    {"group_norm", "GroupNorm"},
    {"relu", "ReLU"},
    {"relu6", "ReLU6"},
    {"leaky_relu", "LeakyReLU"},
    {"sigmoid", "Sigmoid"},
    {"tanh", "Tanh"},
    {"silu", "SiLU"},
    {"hard_swish", "HardSwish"},
    {"gelu", "GELU"},
    {"softmax", "Softmax"},
    {"add", "Add"},
    {"multiply", "Multiply"},
    {"concat", "Concat"},
    {"flatten", "Flatten"},
    {"dropout", "Dropout"},
    {"patch_embed", "PatchEmbed"},
    {"class_token_select", "ClassTokenSelect"},
    {"multi_head_attention", "MultiHeadAttention"},
    {"mlp", "MLP"},
    {"reshape", "Reshape"},
    {"opaque", "Opaque"},
}};
} // namespace

std::string_view layerTypeKey(LayerType t) { return kTypeNames[static_cast<size_t>(t)].key; }
std::string_view layerTypeLabel(LayerType t) { return kTypeNames[static_cast<size_t>(t)].label; }
std::optional<LayerType> layerTypeFromKey(std::string_view key)
{
    for (size_t i = 0; i < kTypeNames.size(); ++i)
        if (kTypeNames[i].key == key)
            return static_cast<LayerType>(i);
    return std::nullopt;
}

} // namespace nc::core

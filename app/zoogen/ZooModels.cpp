// ZooModels: AlexNet (lecture), VGG-16, ResNet-18/50, MobileNetV2 (torchvision), ViT-Tiny/16, MCU CNN,
// GPT-2 small, BERT-base, Llama-2-7B, the lecture's wide/deep CNN pair, UNet and the M5 audio CNN.
#include "ZooModels.h"

#include "core/Catalogue.h"
#include "core/ModelBuilder.h"

namespace nc::app {

using namespace nc::core;

namespace {

Network alexnet()
{
    // The lecture's AlexNet: the original two-GPU layout, so conv2, conv4 and conv5 are 2-way grouped.
    ModelBuilder b("AlexNet");
    NodeId x = b.input({3, 224, 224});
    x = b.relu(b.conv(x, 96, 11, 4, 2, 1, true, "conv1"), "relu1");
    x = b.maxPool(x, 3, 2, 0, false, "pool1");
    x = b.relu(b.conv(x, 256, 5, 1, 2, 2, true, "conv2"), "relu2");
    x = b.maxPool(x, 3, 2, 0, false, "pool2");
    x = b.relu(b.conv(x, 384, 3, 1, 1, 1, true, "conv3"), "relu3");
    x = b.relu(b.conv(x, 384, 3, 1, 1, 2, true, "conv4"), "relu4");
    x = b.relu(b.conv(x, 256, 3, 1, 1, 2, true, "conv5"), "relu5");
    x = b.maxPool(x, 3, 2, 0, false, "pool5");
    x = b.flatten(x, "flatten");
    x = b.dropout(x, 0.5, "drop6");
    x = b.relu(b.linear(x, 4096, true, "fc6"), "relu6");
    x = b.dropout(x, 0.5, "drop7");
    x = b.relu(b.linear(x, 4096, true, "fc7"), "relu7");
    b.linear(x, 1000, true, "fc8");
    return b.finish();
}

Network vgg16()
{
    ModelBuilder b("VGG-16");
    NodeId x = b.input({3, 224, 224});
    const int cfg[] = {64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0};
    int stage = 1, conv = 1;
    for (int c : cfg) {
        if (c == 0) {
            x = b.maxPool(x, 2, 2, 0, false, "pool" + std::to_string(stage));
            ++stage;
            conv = 1;
            continue;
        }
        std::string n = std::to_string(stage) + "_" + std::to_string(conv++);
        x = b.relu(b.conv(x, c, 3, 1, 1, 1, true, "conv" + n), "relu" + n);
    }
    x = b.adaptiveAvgPool(x, 7, 7, "avgpool");
    x = b.flatten(x, "flatten");
    x = b.dropout(b.relu(b.linear(x, 4096, true, "fc1"), "relu_fc1"), 0.5, "drop1");
    x = b.dropout(b.relu(b.linear(x, 4096, true, "fc2"), "relu_fc2"), 0.5, "drop2");
    b.linear(x, 1000, true, "fc3");
    return b.finish();
}

NodeId convBn(ModelBuilder& b, NodeId x, int64_t out, int64_t k, int64_t s, int64_t p, const std::string& name,
              bool relu)
{
    x = b.batchNorm(b.conv(x, out, k, s, p, 1, false, name), name + "_bn");
    return relu ? b.relu(x, name + "_relu") : x;
}

Network resnet(int depth)
{
    const bool bottleneck = depth == 50;
    const int blocks18[] = {2, 2, 2, 2}, blocks50[] = {3, 4, 6, 3};
    const int* blocks = bottleneck ? blocks50 : blocks18;
    ModelBuilder b(depth == 50 ? "ResNet-50" : "ResNet-18");
    NodeId x = b.input({3, 224, 224});
    x = convBn(b, x, 64, 7, 2, 3, "conv1", true);
    x = b.maxPool(x, 3, 2, 1, false, "maxpool");
    int64_t in = 64;
    for (int stage = 0; stage < 4; ++stage) {
        int64_t width = 64 << stage;
        int64_t out = bottleneck ? width * 4 : width;
        for (int i = 0; i < blocks[stage]; ++i) {
            int64_t s = (stage > 0 && i == 0) ? 2 : 1;
            std::string n = "layer" + std::to_string(stage + 1) + "." + std::to_string(i);
            NodeId y;
            if (bottleneck) {
                y = convBn(b, x, width, 1, 1, 0, n + ".conv1", true);
                y = convBn(b, y, width, 3, s, 1, n + ".conv2", true);
                y = convBn(b, y, out, 1, 1, 0, n + ".conv3", false);
            } else {
                y = convBn(b, x, width, 3, s, 1, n + ".conv1", true);
                y = convBn(b, y, width, 3, 1, 1, n + ".conv2", false);
            }
            NodeId shortcut = x;
            if (s != 1 || in != out)
                shortcut = convBn(b, x, out, 1, s, 0, n + ".downsample", false);
            x = b.relu(b.add({y, shortcut}, n + ".add"), n + ".relu");
            in = out;
        }
    }
    x = b.adaptiveAvgPool(x, 1, 1, "avgpool");
    x = b.flatten(x, "flatten");
    b.linear(x, 1000, true, "fc");
    return b.finish();
}

NodeId convBnRelu6(ModelBuilder& b, NodeId x, int64_t out, int64_t k, int64_t s, const std::string& name)
{
    x = b.batchNorm(b.conv(x, out, k, s, (k - 1) / 2, 1, false, name), name + "_bn");
    return b.act(LayerType::ReLU6, x, name + "_relu6");
}

Network mobilenetV2()
{
    ModelBuilder b("MobileNetV2");
    NodeId x = b.input({3, 224, 224});
    x = convBnRelu6(b, x, 32, 3, 2, "features.0");
    struct Setting {
        int t, c, n, s;
    };
    const Setting settings[] = {{1, 16, 1, 1}, {6, 24, 2, 2},  {6, 32, 3, 2}, {6, 64, 4, 2},
                                {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
    int64_t in = 32;
    int index = 1;
    for (const Setting& st : settings) {
        for (int i = 0; i < st.n; ++i) {
            int64_t s = i == 0 ? st.s : 1;
            int64_t hidden = in * st.t;
            std::string n = "features." + std::to_string(index++);
            NodeId y = x;
            if (st.t != 1)
                y = convBnRelu6(b, y, hidden, 1, 1, n + ".expand");
            y = b.batchNorm(b.depthwise(y, 3, s, 1, 1, false, n + ".dw"), n + ".dw_bn");
            y = b.act(LayerType::ReLU6, y, n + ".dw_relu6");
            y = b.batchNorm(b.conv(y, st.c, 1, 1, 0, 1, false, n + ".project"), n + ".project_bn");
            if (s == 1 && in == st.c)
                y = b.add({y, x}, n + ".add");
            x = y;
            in = st.c;
        }
    }
    x = convBnRelu6(b, x, 1280, 1, 1, "features.18");
    x = b.adaptiveAvgPool(x, 1, 1, "avgpool");
    x = b.flatten(x, "flatten");
    x = b.dropout(x, 0.2, "dropout");
    b.linear(x, 1000, true, "classifier");
    return b.finish();
}

Network vitTiny()
{
    ModelBuilder b("ViT-Tiny/16");
    const int64_t dim = 192, heads = 3, mlp = 768;
    NodeId x = b.input({3, 224, 224});
    LayerParams pe = b.defaults(LayerType::PatchEmbed);
    pe.features = dim;
    pe.patch = 16;
    x = b.layer(LayerType::PatchEmbed, pe, {x}, "patch_embed");
    for (int i = 0; i < 12; ++i) {
        std::string n = "block" + std::to_string(i);
        LayerParams attn = b.defaults(LayerType::MultiHeadAttention);
        attn.heads = heads;
        NodeId a = b.layer(LayerType::MultiHeadAttention, attn, {b.layerNorm(x, n + ".norm1")}, n + ".attn");
        x = b.add({x, a}, n + ".add1");
        LayerParams m = b.defaults(LayerType::Mlp);
        m.hidden = mlp;
        NodeId f = b.layer(LayerType::Mlp, m, {b.layerNorm(x, n + ".norm2")}, n + ".mlp");
        x = b.add({x, f}, n + ".add2");
    }
    x = b.layerNorm(x, "norm");
    x = b.layer(LayerType::ClassTokenSelect, b.defaults(LayerType::ClassTokenSelect), {x}, "cls_token");
    b.linear(x, 1000, true, "head");
    return b.finish();
}

Network mcuCnn()
{
    // Depthwise-separable CNN for a 96×96 camera on a microcontroller (batch norm folded into the
    // convolutions, as deployment does). Peak live memory 64.5 KB at 8 bits: fits 256 KB of SRAM.
    ModelBuilder b("MCU CNN");
    NodeId x = b.input({3, 96, 96});
    x = b.act(LayerType::ReLU6, b.conv(x, 16, 3, 2, 1, 1, true, "conv0"), "relu0");
    const int64_t widths[] = {32, 64, 128, 256};
    for (int i = 0; i < 4; ++i) {
        std::string n = "block" + std::to_string(i + 1);
        x = b.act(LayerType::ReLU6, b.depthwise(x, 3, 2, 1, 1, true, n + ".dw"), n + ".dw_relu");
        x = b.act(LayerType::ReLU6, b.conv(x, widths[i], 1, 1, 0, 1, true, n + ".pw"), n + ".pw_relu");
    }
    x = b.globalAvgPool(x, "pool");
    x = b.flatten(x, "flatten");
    b.linear(x, 2, true, "classifier");
    Network net = b.finish();
    net.bits = 8;
    return net;
}

LayerParams attention(ModelBuilder& b, int64_t heads, bool causal, bool rope, bool bias)
{
    LayerParams a = b.defaults(LayerType::MultiHeadAttention);
    a.heads = heads;
    a.causal = causal ? 1 : 0;
    a.rope = rope ? 1 : 0;
    a.bias = bias ? 1 : 0;
    return a;
}

Network gpt2()
{
    // Hugging Face GPT2Model + tied LM head: pre-norm blocks, causal attention, tanh-GELU MLP.
    ModelBuilder b("GPT-2 small");
    const int64_t dim = 768, heads = 12, ctx = 1024, vocab = 50257;
    NodeId x = b.input({ctx}, "input_ids");
    LayerParams e = b.defaults(LayerType::Embedding);
    e.vocab = vocab;
    e.features = dim;
    e.positions = ctx; // wpe, added to the token embedding
    x = b.layer(LayerType::Embedding, e, {x}, "wte");
    for (int i = 0; i < 12; ++i) {
        std::string n = "h." + std::to_string(i);
        NodeId a = b.layer(LayerType::MultiHeadAttention, attention(b, heads, true, false, true),
                           {b.layerNorm(x, n + ".ln_1")}, n + ".attn");
        x = b.add({x, a}, n + ".add1");
        NodeId f = b.linear(b.layerNorm(x, n + ".ln_2"), 4 * dim, true, n + ".mlp.c_fc");
        f = b.act(LayerType::GeluTanh, f, n + ".mlp.act");
        f = b.linear(f, dim, true, n + ".mlp.c_proj");
        x = b.add({x, f}, n + ".add2");
    }
    x = b.layerNorm(x, "ln_f");
    LayerParams head = b.defaults(LayerType::Linear);
    head.features = vocab;
    head.bias = 0;
    head.tied = 1; // lm_head.weight is wte.weight
    b.layer(LayerType::Linear, head, {x}, "lm_head");
    return b.finish();
}

Network bertBase()
{
    // Hugging Face BertModel (bert-base-uncased) with its pooler: post-norm encoder blocks.
    ModelBuilder b("BERT-base");
    const int64_t dim = 768, heads = 12, seq = 512;
    NodeId x = b.input({seq}, "input_ids");
    LayerParams e = b.defaults(LayerType::Embedding);
    e.vocab = 30522;
    e.features = dim;
    e.positions = 512;
    e.tokenTypes = 2;
    x = b.layer(LayerType::Embedding, e, {x}, "embeddings");
    auto norm = [&](NodeId in, const std::string& name) {
        LayerParams ln = b.defaults(LayerType::LayerNorm);
        ln.eps = 1e-12;
        return b.layer(LayerType::LayerNorm, ln, {in}, name);
    };
    x = norm(x, "embeddings.LayerNorm");
    for (int i = 0; i < 12; ++i) {
        std::string n = "encoder.layer." + std::to_string(i);
        NodeId a = b.layer(LayerType::MultiHeadAttention, attention(b, heads, false, false, true), {x},
                           n + ".attention");
        x = norm(b.add({x, a}, n + ".attention.add"), n + ".attention.LayerNorm");
        LayerParams m = b.defaults(LayerType::Mlp);
        m.hidden = 4 * dim;
        NodeId f = b.layer(LayerType::Mlp, m, {x}, n + ".mlp");
        x = norm(b.add({x, f}, n + ".output.add"), n + ".output.LayerNorm");
    }
    x = b.layer(LayerType::ClassTokenSelect, b.defaults(LayerType::ClassTokenSelect), {x}, "pooler.first_token");
    x = b.act(LayerType::Tanh, b.linear(x, dim, true, "pooler.dense"), "pooler.activation");
    return b.finish();
}

Network llama2_7b()
{
    // Meta's Llama-2-7B: pre-norm (RMSNorm) decoder blocks, causal attention with rotary embedding,
    // SwiGLU MLP, no biases, untied LM head. 16-bit weights, KV cache for the full 4,096 tokens.
    ModelBuilder b("Llama-2-7B");
    const int64_t dim = 4096, heads = 32, ctx = 4096, vocab = 32000, hidden = 11008;
    NodeId x = b.input({ctx}, "input_ids");
    LayerParams e = b.defaults(LayerType::Embedding);
    e.vocab = vocab;
    e.features = dim;
    x = b.layer(LayerType::Embedding, e, {x}, "embed_tokens");
    auto norm = [&](NodeId in, const std::string& name) {
        LayerParams r = b.defaults(LayerType::RMSNorm);
        r.eps = 1e-5;
        return b.layer(LayerType::RMSNorm, r, {in}, name);
    };
    for (int i = 0; i < 32; ++i) {
        std::string n = "layers." + std::to_string(i);
        NodeId a = b.layer(LayerType::MultiHeadAttention, attention(b, heads, true, true, false),
                           {norm(x, n + ".input_layernorm")}, n + ".self_attn");
        x = b.add({x, a}, n + ".add1");
        LayerParams m = b.defaults(LayerType::SwiGlu);
        m.hidden = hidden;
        m.bias = 0;
        NodeId f = b.layer(LayerType::SwiGlu, m, {norm(x, n + ".post_attention_layernorm")}, n + ".mlp");
        x = b.add({x, f}, n + ".add2");
    }
    x = norm(x, "norm");
    b.linear(x, vocab, false, "lm_head");
    Network net = b.finish();
    net.bits = 16;
    net.context = ctx;
    return net;
}

// The lecture's question "wide and shallow or deep and narrow?" with the same parameter budget
// (460,330 against 459,082) on CIFAR-sized inputs: two 224-channel convolutions against 23
// 48-channel ones.
Network wideShallow()
{
    ModelBuilder b("Wide & shallow CNN");
    NodeId x = b.input({3, 32, 32});
    x = b.relu(b.conv(x, 224, 3, 1, 1, 1, true, "conv1"), "relu1");
    x = b.maxPool(x, 2, 2, 0, false, "pool1");
    x = b.relu(b.conv(x, 224, 3, 1, 1, 1, true, "conv2"), "relu2");
    x = b.globalAvgPool(x, "pool");
    x = b.flatten(x, "flatten");
    b.linear(x, 10, true, "fc");
    return b.finish();
}

Network deepNarrow()
{
    ModelBuilder b("Deep & narrow CNN");
    NodeId x = b.input({3, 32, 32});
    for (int i = 0; i < 23; ++i) {
        std::string n = std::to_string(i + 1);
        x = b.relu(b.conv(x, 48, 3, 1, 1, 1, true, "conv" + n), "relu" + n);
        if (i == 5 || i == 11 || i == 17)
            x = b.maxPool(x, 2, 2, 0, false, "pool" + n);
    }
    x = b.globalAvgPool(x, "pool");
    x = b.flatten(x, "flatten");
    b.linear(x, 10, true, "fc");
    return b.finish();
}

Network unet()
{
    // UNet (Ronneberger et al., 2015) with 3 down-sampling levels on 3×256×256: two padded 3×3
    // convolutions + ReLU per level (64, 128, 256, bottleneck 512 channels), 2×2 max pooling down,
    // 2×2 stride-2 transposed convolutions up, skip connections concatenated, a 1×1 head for 2 classes.
    // Padding 1 keeps the skip maps the size of the decoder maps, so no cropping is needed.
    ModelBuilder b("UNet");
    NodeId x = b.input({3, 256, 256});
    auto doubleConv = [&](NodeId in, int64_t c, const std::string& n) {
        NodeId y = b.relu(b.conv(in, c, 3, 1, 1, 1, true, n + ".conv1"), n + ".relu1");
        return b.relu(b.conv(y, c, 3, 1, 1, 1, true, n + ".conv2"), n + ".relu2");
    };
    std::vector<NodeId> skips;
    const int64_t widths[] = {64, 128, 256};
    for (int i = 0; i < 3; ++i) {
        const std::string n = "down" + std::to_string(i + 1);
        x = doubleConv(x, widths[i], n);
        skips.push_back(x);
        x = b.maxPool(x, 2, 2, 0, false, n + ".pool");
    }
    x = doubleConv(x, 512, "bottleneck");
    for (int i = 2; i >= 0; --i) {
        const std::string n = "up" + std::to_string(i + 1);
        LayerParams t = b.defaults(LayerType::ConvTranspose2d); // 2×2, stride 2
        t.features = widths[i];
        x = b.layer(LayerType::ConvTranspose2d, t, {x}, n + ".upconv");
        x = b.concat({skips[static_cast<size_t>(i)], x}, n + ".concat");
        x = doubleConv(x, widths[i], n);
    }
    b.conv(x, 2, 1, 1, 0, 1, true, "head");
    return b.finish();
}

Network m5()
{
    // M5 (Dai et al., 2017, "Very deep convolutional neural networks for raw waveforms") on 2 s of
    // 16 kHz audio (1×32000): an 80-tap stride-4 convolution with 128 channels, then 3-tap
    // convolutions with 128, 256 and 512 channels, each followed by batch norm, ReLU and a max
    // pooling of 4; global average pooling and a linear layer for 10 classes (UrbanSound8K).
    // Padding as in the paper's table: 8,000 samples after the first convolution, then /4 per pool.
    ModelBuilder b("M5");
    NodeId x = b.input({1, 32000});
    const int64_t widths[] = {128, 128, 256, 512};
    for (int i = 0; i < 4; ++i) {
        const std::string n = std::to_string(i + 1);
        LayerParams c = b.defaults(LayerType::Conv1d); // 3 taps, padding 1
        c.features = widths[i];
        if (i == 0) {
            c.kw = 80, c.sw = 4;
            c.pl = c.pr = 38; // (8000 − 1)·4 + 80 − 32000 = 76, split evenly
        }
        x = b.layer(LayerType::Conv1d, c, {x}, "conv" + n);
        x = b.relu(b.batchNorm(x, "bn" + n), "relu" + n);
        x = b.layer(LayerType::MaxPool1d, b.defaults(LayerType::MaxPool1d), {x}, "pool" + n); // 4, stride 4
    }
    x = b.globalAvgPool(x, "gap");
    x = b.flatten(x, "flatten");
    b.linear(x, 10, true, "fc");
    return b.finish();
}

} // namespace

std::vector<std::string> zooModelKeys()
{
    return {"alexnet", "vgg16",    "resnet18",  "resnet50",  "mobilenet_v2", "vit_tiny",    "mcu_cnn",
            "gpt2",    "bert_base", "llama2_7b", "wide_shallow", "deep_narrow", "unet",        "m5"};
}

Network buildZooModel(const std::string& key)
{
    if (key == "alexnet")
        return alexnet();
    if (key == "vgg16")
        return vgg16();
    if (key == "resnet18")
        return resnet(18);
    if (key == "resnet50")
        return resnet(50);
    if (key == "mobilenet_v2")
        return mobilenetV2();
    if (key == "vit_tiny")
        return vitTiny();
    if (key == "mcu_cnn")
        return mcuCnn();
    if (key == "gpt2")
        return gpt2();
    if (key == "bert_base")
        return bertBase();
    if (key == "llama2_7b")
        return llama2_7b();
    if (key == "wide_shallow")
        return wideShallow();
    if (key == "deep_narrow")
        return deepNarrow();
    if (key == "unet")
        return unet();
    if (key == "m5")
        return m5();
    return {};
}

} // namespace nc::app

// Zoo: the catalogue of built-in models.
#include "Zoo.h"

#include "NetworkFile.h"

#include <QFile>

static void initZooResources() { Q_INIT_RESOURCE(zoo); }

namespace nc::core {

const std::vector<ZooEntry>& zooEntries()
{
    static const std::vector<ZooEntry> entries{
        {"alexnet", "AlexNet", "the lecture's original two-GPU AlexNet: grouped conv2/4/5, ≈61 M parameters"},
        {"vgg16", "VGG-16", "torchvision VGG-16: 13 3×3 convolutions and 3 fully connected layers"},
        {"resnet18", "ResNet-18", "torchvision ResNet-18: basic residual blocks"},
        {"resnet50", "ResNet-50", "torchvision ResNet-50: bottleneck residual blocks"},
        {"mobilenet_v2", "MobileNetV2", "torchvision MobileNetV2: inverted residuals with depthwise convolutions"},
        {"vit_tiny", "ViT-Tiny/16", "Vision Transformer, 224×224, dim 192, 12 blocks, 3 heads, MLP 768"},
        {"mcu_cnn", "MCU CNN", "a small CNN whose peak memory fits 256 KB of SRAM at 8 bits"},
        {"gpt2", "GPT-2 small", "decoder-only transformer, context 1,024, 12 blocks, tied embeddings: 124 M"},
        {"bert_base", "BERT-base", "bert-base-uncased encoder with pooler, 512 tokens, 12 blocks: 109 M"},
        {"llama2_7b", "Llama-2-7B", "32 decoder blocks, RMSNorm, rotary attention, SwiGLU, 16-bit, 4,096 tokens"},
        {"wide_shallow", "Wide & shallow CNN", "two 224-channel 3×3 convolutions: 460 k parameters"},
        {"deep_narrow", "Deep & narrow CNN", "23 48-channel 3×3 convolutions: the same 460 k parameters"},
        {"unet", "UNet", "3-level UNet on 3×256×256: padded 3×3 convolutions, transposed-convolution up-sampling"},
        {"m5", "M5 (audio)", "Dai et al. 2017: a 1-D CNN on raw 16 kHz audio (1×32000), 10 classes"},
    };
    return entries;
}

Result<Network> loadZoo(const std::string& key)
{
    static const bool once = (initZooResources(), true);
    (void)once;
    bool known = false;
    for (const ZooEntry& e : zooEntries())
        known |= e.key == key;
    if (!known) {
        std::string names;
        for (const ZooEntry& e : zooEntries())
            names += (names.empty() ? "" : ", ") + e.key;
        return Error{"no zoo model \"" + key + "\"; known models: " + names};
    }
    QFile f(QString::fromStdString(":/zoo/" + key + ".json"));
    if (!f.open(QIODevice::ReadOnly))
        return Error{"zoo model \"" + key + "\" is missing from this build"};
    auto r = parseNetwork(f.readAll());
    if (!r)
        return Error{"zoo model \"" + key + "\": " + r.error()};
    return r;
}

Result<Network> loadDesign(const std::string& spec)
{
    if (spec.rfind("zoo:", 0) == 0)
        return loadZoo(spec.substr(4));
    return loadNetwork(QString::fromStdString(spec));
}

} // namespace nc::core

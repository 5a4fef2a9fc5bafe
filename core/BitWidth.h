// BitWidth: the bit widths a network or a layer may be stored at — the one list every part reads.
#pragma once

#include <array>
#include <string>
#include <string_view>

namespace nc::core {

struct BitWidth {
    int bits;
    std::string_view label;
};

// In the order the toolbar and the per-bit-width model sizes show them.
inline constexpr std::array<BitWidth, 4> kBitWidths{{{32, "FP32"}, {16, "FP16"}, {8, "INT8"}, {4, "INT4"}}};

inline constexpr bool isBitWidth(int bits)
{
    for (const BitWidth& b : kBitWidths)
        if (b.bits == bits)
            return true;
    return false;
}

// "FP16", or "12-bit" for a width outside the list.
inline std::string bitWidthLabel(int bits)
{
    for (const BitWidth& b : kBitWidths)
        if (b.bits == bits)
            return std::string(b.label);
    return std::to_string(bits) + "-bit";
}

// "32, 16, 8 or 4", for messages.
inline std::string bitWidthList()
{
    std::string s;
    for (size_t i = 0; i < kBitWidths.size(); ++i)
        s += (i == 0 ? "" : i + 1 == kBitWidths.size() ? " or " : ", ") + std::to_string(kBitWidths[i].bits);
    return s;
}

} // namespace nc::core

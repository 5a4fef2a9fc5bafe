// Format: the one place numbers become text (units, grouping), so every view and the CLI agree.
#pragma once

#include <cstdint>
#include <string>

namespace nc::core {

// 11689512 -> "11,689,512"
std::string groupDigits(int64_t v);
// 11689512 -> "11.69 M"; 1813000000 -> "1.81 G"; below 1000 the plain number.
std::string humanCount(int64_t v);
// Decimal units as the lecture uses them (244 MB = 244·10⁶ bytes): "244.0 MB", "256.0 KB", "512 B".
std::string humanBytes(int64_t bytes);
// Binary units for memory budgets and the figures compared with them (an MCU's "256 KB" of SRAM is
// 262,144 B): "512 B", "256 KiB", "64.51 KiB", "1.34 MiB"; at most two decimals, trailing zeros dropped.
std::string humanBinaryBytes(int64_t bytes);
// The one verdict of a peak against a budget, in binary units on both sides, for every view and the
// CLI: "fits in 256 KiB (72% used)" (percent rounded to the nearest) or
// "needs 1.34 MiB, 5.4× the budget of 256 KiB". A peak that would read the same as the budget is
// written in bytes ("needs 262,145 B, …"). Empty when there is no budget (budget <= 0).
std::string budgetVerdict(int64_t peakBytes, int64_t budgetBytes);
// Microseconds as text with a fitting unit: "850.0 µs", "12.30 ms", "1.20 s".
std::string humanDuration(double microseconds);

} // namespace nc::core

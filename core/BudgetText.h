// BudgetText: live memory against a memory budget, said in one unit system. Budgets are given in
// binary units (a microcontroller's 256 KiB of SRAM), so where a peak is compared with one both are
// written in KiB/MiB; elsewhere sizes stay decimal (core/Format.h, the lecture's convention).
#pragma once

#include <cstdint>
#include <string>

namespace nc::core {

// Binary units: 66058 -> "64.51 KiB"; a whole number of a unit is written without decimals
// (262144 -> "256 KiB").
std::string humanBytesBinary(int64_t bytes);

// Peak live memory against a budget, binary units on both sides:
//   fits:    "fits in 256 KiB (25% used)"
//   exceeds: "needs 1.34 MiB, 5.4× the budget of 256 KiB"
// Empty when there is no budget (budget <= 0).
std::string budgetVerdictAgainst(int64_t peakBytes, int64_t budgetBytes);

} // namespace nc::core

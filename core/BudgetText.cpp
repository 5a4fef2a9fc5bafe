// BudgetText: binary sizes and the budget verdict.
#include "BudgetText.h"

#include <cstdio>

namespace nc::core {

std::string humanBytesBinary(int64_t bytes)
{
    static const char* const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    // Budgets are round numbers of KiB/MiB: "256 KiB", not "256.0 KiB".
    for (int u = 1; u < 7 && bytes > 0; ++u) {
        const int64_t unit = int64_t{1} << (10 * u);
        if (bytes % unit == 0 && bytes / unit < 1024)
            return std::to_string(bytes / unit) + " " + units[u];
    }
    double v = static_cast<double>(bytes);
    int u = 0;
    while (v >= 1024.0 && u < 6) {
        v /= 1024.0;
        ++u;
    }
    char buf[64];
    if (u == 0)
        std::snprintf(buf, sizeof buf, "%.0f B", v);
    else
        std::snprintf(buf, sizeof buf, v >= 100 ? "%.1f %s" : "%.2f %s", v, units[u]);
    return buf;
}

std::string budgetVerdictAgainst(int64_t peak, int64_t budget)
{
    if (budget <= 0)
        return {};
    char buf[160];
    const double ratio = static_cast<double>(peak) / static_cast<double>(budget);
    if (peak <= budget)
        std::snprintf(buf, sizeof buf, "fits in %s (%.0f%% used)", humanBytesBinary(budget).c_str(),
                      ratio * 100);
    else
        std::snprintf(buf, sizeof buf, "needs %s, %.1f\u00d7 the budget of %s", humanBytesBinary(peak).c_str(),
                      ratio, humanBytesBinary(budget).c_str());
    return buf;
}

} // namespace nc::core

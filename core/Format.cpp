// Format: number-to-text helpers.
#include "Format.h"

#include <cmath>
#include <cstdio>

namespace nc::core {

std::string groupDigits(int64_t v)
{
    bool neg = v < 0;
    uint64_t u = neg ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
    std::string digits = std::to_string(u);
    std::string out;
    int n = static_cast<int>(digits.size());
    for (int i = 0; i < n; ++i) {
        out += digits[static_cast<size_t>(i)];
        if ((n - i - 1) % 3 == 0 && i != n - 1)
            out += ',';
    }
    return neg ? "-" + out : out;
}

namespace {
std::string scaled(double v, const char* const* units, int count, double base)
{
    int u = 0;
    while (v >= base && u < count - 1) {
        v /= base;
        ++u;
    }
    char buf[64];
    if (u == 0)
        std::snprintf(buf, sizeof buf, "%.0f%s%s", v, units[0][0] ? " " : "", units[0]);
    else
        std::snprintf(buf, sizeof buf, v >= 100 ? "%.1f %s" : "%.2f %s", v, units[u]);
    return buf;
}
} // namespace

std::string humanCount(int64_t v)
{
    static const char* const units[] = {"", "K", "M", "G", "T", "P", "E"};
    if (v < 0)
        return "-" + humanCount(-v);
    return scaled(static_cast<double>(v), units, 7, 1000.0);
}

std::string humanBytes(int64_t bytes)
{
    static const char* const units[] = {"B", "KB", "MB", "GB", "TB", "PB", "EB"};
    return scaled(static_cast<double>(bytes), units, 7, 1000.0);
}

std::string humanBinaryBytes(int64_t bytes)
{
    static const char* const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    double v = static_cast<double>(bytes);
    int u = 0;
    while (u < 6 && std::fabs(v) >= 1024.0) {
        v /= 1024.0;
        ++u;
    }
    if (u == 0)
        return std::to_string(bytes) + " B";
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.2f", v);
    std::string s = buf;
    while (s.back() == '0')
        s.pop_back();
    if (s.back() == '.')
        s.pop_back();
    return s + " " + units[u];
}

std::string budgetVerdict(int64_t peakBytes, int64_t budgetBytes)
{
    if (budgetBytes <= 0)
        return {};
    const double ratio = static_cast<double>(peakBytes) / static_cast<double>(budgetBytes);
    char buf[96];
    const std::string budget = humanBinaryBytes(budgetBytes);
    if (peakBytes <= budgetBytes) {
        std::snprintf(buf, sizeof buf, " (%d%% used)", static_cast<int>(std::lround(ratio * 100.0)));
        return "fits in " + budget + buf;
    }
    std::string peak = humanBinaryBytes(peakBytes);
    if (peak == budget) // a few bytes over must not read "needs 256 KiB … of 256 KiB"
        peak = groupDigits(peakBytes) + " B";
    std::snprintf(buf, sizeof buf, ", %.1f× the budget of ", ratio);
    return "needs " + peak + buf + budget;
}

std::string humanDuration(double us)
{
    char buf[64];
    if (us >= 1e6)
        std::snprintf(buf, sizeof buf, "%.2f s", us / 1e6);
    else if (us >= 1e3)
        std::snprintf(buf, sizeof buf, us >= 1e5 ? "%.1f ms" : "%.2f ms", us / 1e3);
    else
        std::snprintf(buf, sizeof buf, "%.1f µs", us);
    return buf;
}

} // namespace nc::core

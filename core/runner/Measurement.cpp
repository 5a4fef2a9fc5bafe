// Measurement: sample statistics and the /proc readers behind "foreign load".
#include "Measurement.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

namespace nc::core {

SampleStats summarize(std::vector<double> samples)
{
    SampleStats s;
    if (samples.empty())
        return s;
    std::sort(samples.begin(), samples.end());
    const size_t n = samples.size();
    s.count = static_cast<int>(n);
    s.median = samples[n / 2];
    s.p90 = samples[std::min(n - 1, n * 9 / 10)];
    double sum = 0;
    for (double v : samples)
        sum += v;
    s.mean = sum / static_cast<double>(n);
    double sq = 0;
    for (double v : samples)
        sq += (v - s.mean) * (v - s.mean);
    s.cv = s.mean > 0 ? std::sqrt(sq / static_cast<double>(n)) / s.mean : 0;
    s.spread = s.median > 0 ? s.p90 / s.median : 0;
    return s;
}

bool isNoisy(const SampleStats& s)
{
    return s.spread > kNoisySpread;
}

namespace {

// Whole non-negative numbers separated by blanks; nullopt at the first token that is not one.
std::optional<std::vector<int64_t>> numbers(std::string_view text)
{
    std::vector<int64_t> out;
    size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && (text[i] == ' ' || text[i] == '\t'))
            ++i;
        if (i == text.size())
            break;
        int64_t v = 0;
        size_t start = i;
        while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
            if (v > (INT64_MAX - 9) / 10)
                return std::nullopt;
            v = v * 10 + (text[i] - '0');
            ++i;
        }
        if (i == start || (i < text.size() && text[i] != ' ' && text[i] != '\t'))
            return std::nullopt;
        out.push_back(v);
    }
    return out;
}

std::string readFile(const char* path)
{
    std::ifstream f(path);
    return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

} // namespace

std::optional<CpuTimes> parseProcStat(std::string_view text)
{
    const size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    if (line.substr(0, 4) != "cpu " && line.substr(0, 4) != "cpu\t")
        return std::nullopt;
    auto v = numbers(line.substr(3));
    // Kernels before 2.6.11 had no steal column; we need at least user..softirq (7 values).
    if (!v || v->size() < 7)
        return std::nullopt;
    const auto at = [&](size_t i) { return i < v->size() ? (*v)[i] : 0; };
    CpuTimes t;
    t.busy = at(0) + at(1) + at(2) + at(5) + at(6) + at(7);
    t.total = t.busy + at(3) + at(4);
    return t;
}

std::optional<int64_t> parseProcPidStat(std::string_view text)
{
    const size_t close = text.rfind(')');
    if (close == std::string_view::npos)
        return std::nullopt;
    // After ") ": field 3 (state) is a letter, then numbers; utime and stime are fields 14 and 15,
    // i.e. the 12th and 13th tokens after the state.
    std::string_view rest = text.substr(close + 1);
    std::istringstream in{std::string(rest)};
    std::string token;
    std::vector<std::string> tokens;
    while (in >> token && tokens.size() < 14)
        tokens.push_back(token);
    if (tokens.size() < 14)
        return std::nullopt;
    auto ut = numbers(tokens[11]), st = numbers(tokens[12]);
    if (!ut || !st || ut->size() != 1 || st->size() != 1)
        return std::nullopt;
    return (*ut)[0] + (*st)[0];
}

CpuSample sampleCpu()
{
    CpuSample s;
    auto m = parseProcStat(readFile("/proc/stat"));
    auto self = parseProcPidStat(readFile("/proc/self/stat"));
    if (!m || !self)
        return s;
    s.machine = *m;
    s.self = *self;
    s.valid = true;
    return s;
}

double foreignLoad(const CpuSample& before, const CpuSample& after)
{
    if (!before.valid || !after.valid)
        return 0;
    const int64_t total = after.machine.total - before.machine.total;
    if (total <= 0)
        return 0;
    const int64_t foreign = (after.machine.busy - before.machine.busy) - (after.self - before.self);
    return std::clamp(static_cast<double>(foreign) / static_cast<double>(total), 0.0, 1.0);
}

} // namespace nc::core

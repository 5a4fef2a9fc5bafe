// Measurement: how trustworthy a latency is — the spread of the repeated samples and the CPU time
// other processes took while they were taken.
//
//   CpuSample before = sampleCpu();
//   ... time the layer, collecting samples in µs ...
//   SampleStats s = summarize(samples);          // median, p90, spread = p90/median, cv
//   double load = foreignLoad(before, sampleCpu()); // 0.5: others used half of all CPU time
//   bool noisy = isNoisy(s);
//
// Pure functions over text and numbers (the /proc parsers take the file contents, so tests feed
// fixtures); sampleCpu() reads /proc. Thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace nc::core {

struct SampleStats {
    int count = 0;
    double median = 0; // middle sample of the sorted list (the upper middle for an even count)
    double p90 = 0;    // sorted[floor(0.9·count)], capped at the last sample
    double mean = 0;
    double cv = 0;     // coefficient of variation: population standard deviation / mean
    double spread = 0; // p90 / median (1 = no spread)
};

SampleStats summarize(std::vector<double> samples);

// A measurement is noisy when its p90 exceeds the median by more than 25%: a quiet machine repeats
// a kernel within a few percent. Not the coefficient of variation: on a shared machine a single
// preempted sample (10× the others) sends it past 1 while the median, the figure shown, is unmoved;
// it is reported beside the spread, not used as the flag.
constexpr double kNoisySpread = 1.25;
bool isNoisy(const SampleStats& s);

// Jiffies (USER_HZ ticks) summed over all CPUs, from the first line of /proc/stat:
// "cpu user nice system idle iowait irq softirq steal guest guest_nice". busy = user + nice +
// system + irq + softirq + steal (steal: time the hypervisor gave another guest, which is load
// foreign to us too); total = busy + idle + iowait. guest and guest_nice are already inside user and
// nice, so they are not added again.
struct CpuTimes {
    int64_t busy = 0;
    int64_t total = 0;
};
std::optional<CpuTimes> parseProcStat(std::string_view text);

// utime + stime of a process in clock ticks, fields 14 and 15 of /proc/<pid>/stat. The command
// name (field 2) is in parentheses and may contain spaces and parentheses, so fields are counted
// from the last ')'.
std::optional<int64_t> parseProcPidStat(std::string_view text);

struct CpuSample {
    CpuTimes machine;
    int64_t self = 0; // this process's CPU ticks, all threads
    bool valid = false;
};
CpuSample sampleCpu();

// Share of all CPUs' time, between two samples, that other processes used: (Δbusy − Δself) / Δtotal,
// clamped to [0, 1]. 0 when the samples are invalid or no tick passed.
double foreignLoad(const CpuSample& before, const CpuSample& after);

} // namespace nc::core

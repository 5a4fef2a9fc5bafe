// Deterministic, platform-independent random numbers for test tensors and random layer weights.
#pragma once

#include <cstdint>

namespace nc::core::kernels {

// SplitMix64 (Steele, Lea, Flood 2014). Chosen over <random> distributions because those are
// implementation-defined: the same seed must give the same weights on every compiler, so that a
// layer prepared by two backends (or on two machines) computes the same numbers.
// Not thread-safe; make one per thread.
class Rng {
public:
    explicit Rng(uint64_t seed) : m_state(seed) {}

    uint64_t next()
    {
        uint64_t z = (m_state += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }

    // Uniform in [0, 1): the top 24 bits fill a float mantissa exactly.
    float uniform() { return static_cast<float>(next() >> 40) * (1.0f / 16777216.0f); }
    float uniform(float lo, float hi) { return lo + (hi - lo) * uniform(); }

private:
    uint64_t m_state;
};

} // namespace nc::core::kernels

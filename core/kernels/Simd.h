// Internal: a 16-float vector type for the hand-vectorised kernels (depthwise conv, machine probe).
#pragma once

#include <cstring>

namespace nc::core::kernels::simd {

// GCC/Clang vector extension rather than intrinsics: one source that becomes one AVX-512 register
// on this project's machines (-march=native) and is split into AVX2/SSE halves elsewhere, with
// a·b + c contracted to FMA by the compiler.
typedef float V16 __attribute__((vector_size(64)));
constexpr int kWidth = 16;

// memcpy is the portable unaligned load/store; the compiler emits a single vmovups.
inline V16 load(const float* p)
{
    V16 v;
    std::memcpy(&v, p, sizeof v);
    return v;
}
inline void store(float* p, V16 v)
{
    std::memcpy(p, &v, sizeof v);
}
inline V16 splat(float x)
{
    return V16{} + x;
}

} // namespace nc::core::kernels::simd

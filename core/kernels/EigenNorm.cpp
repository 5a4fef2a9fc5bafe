// Normalisation kernels of the Eigen backend: per-channel affine (batch norm) and row normalisation.
#include "EigenKernels.h"

#include <Eigen/Core>

#include <cmath>

namespace nc::core::kernels::eigen {

void channelAffine(const float* x, int64_t n, int64_t c, int64_t s, const float* scale, const float* shift, float* y,
                   const Parallel& par)
{
    par.pool->parallelFor(n * c, par.threads, [&](int64_t p0, int64_t p1, int) {
        for (int64_t p = p0; p < p1; ++p) {
            const int64_t ch = p % c;
            Eigen::Map<Eigen::ArrayXf>(y + p * s, s) =
                Eigen::Map<const Eigen::ArrayXf>(x + p * s, s) * scale[ch] + shift[ch];
        }
    });
}

// Two passes per row (mean, then Σ(x − mean)²) rather than E[x²] − mean²: the one-pass form
// cancels catastrophically in float when |mean| ≫ std.
void normalize(const float* x, const NormLayout& l, float eps, const float* gamma, const float* beta, float* y,
               const Parallel& par)
{
    par.pool->parallelFor(l.rows, par.threads, [&](int64_t r0, int64_t r1, int) {
        for (int64_t r = r0; r < r1; ++r) {
            Eigen::Map<const Eigen::ArrayXf> xr(x + r * l.len, l.len);
            Eigen::Map<Eigen::ArrayXf> yr(y + r * l.len, l.len);
            const float mean = xr.sum() / static_cast<float>(l.len);
            const float var = (xr - mean).square().sum() / static_cast<float>(l.len);
            const float rstd = 1.0f / std::sqrt(var + eps);
            const int64_t k0 = (r % l.rowCycle) * l.affinePeriod;
            if (l.affineLen == 1) {
                Eigen::Map<const Eigen::ArrayXf> g(gamma + k0, l.len), b(beta + k0, l.len);
                yr = (xr - mean) * rstd * g + b;
            } else {
                for (int64_t j = 0; j < l.len / l.affineLen; ++j) {
                    // (x − mean)·rstd·γ + β folded into one multiply-add per value.
                    const float a = gamma[k0 + j] * rstd;
                    const float b = beta[k0 + j] - mean * a;
                    yr.segment(j * l.affineLen, l.affineLen) = xr.segment(j * l.affineLen, l.affineLen) * a + b;
                }
            }
        }
    });
}

} // namespace nc::core::kernels::eigen

// EigenShape: Transpose and Reduce through Eigen's Tensor module (shuffle and reductions), which
// vectorise the inner loops; ranks 1 to 6 are instantiated.
#include "EigenKernels.h"

#include <unsupported/Eigen/CXX11/Tensor>

#include <algorithm>
#include <array>

namespace nc::core::kernels::eigen {

namespace {

template <int R>
using Map = Eigen::TensorMap<Eigen::Tensor<float, R, Eigen::RowMajor, Eigen::Index>>;
template <int R>
using ConstMap = Eigen::TensorMap<const Eigen::Tensor<const float, R, Eigen::RowMajor, Eigen::Index>>;

template <int R>
std::array<Eigen::Index, R> dims(const Shape& s)
{
    std::array<Eigen::Index, R> d{};
    for (int i = 0; i < R; ++i)
        d[static_cast<std::size_t>(i)] = static_cast<Eigen::Index>(s[static_cast<std::size_t>(i)]);
    return d;
}

template <int R>
void transposeR(const Shape& in, const std::vector<int64_t>& perm, const float* x, float* y)
{
    std::array<Eigen::Index, R> p{};
    Shape out(static_cast<std::size_t>(R));
    for (int i = 0; i < R; ++i) {
        p[static_cast<std::size_t>(i)] = static_cast<Eigen::Index>(perm[static_cast<std::size_t>(i)]);
        out[static_cast<std::size_t>(i)] = in[static_cast<std::size_t>(perm[static_cast<std::size_t>(i)])];
    }
    Map<R>(y, dims<R>(out)) = ConstMap<R>(x, dims<R>(in)).shuffle(p);
}

// Reduces the listed axes; the output keeps R axes with the reduced ones of size 1, which has the
// same element order as the reduction's result.
template <int R, int K>
void reduceRK(const Shape& in, const std::vector<int64_t>& axes, int op, const float* x, float* y)
{
    std::array<Eigen::Index, K> red{};
    for (int i = 0; i < K; ++i)
        red[static_cast<std::size_t>(i)] = static_cast<Eigen::Index>(axes[static_cast<std::size_t>(i)]);
    Shape out = in;
    for (int64_t a : axes)
        out[static_cast<std::size_t>(a)] = 1;
    ConstMap<R> src(x, dims<R>(in));
    Eigen::TensorMap<Eigen::Tensor<float, R - K, Eigen::RowMajor, Eigen::Index>> dst(y, [&] {
        std::array<Eigen::Index, R - K> d{};
        int k = 0;
        for (int i = 0; i < R; ++i)
            if (std::find(axes.begin(), axes.end(), i) == axes.end())
                d[static_cast<std::size_t>(k++)] = static_cast<Eigen::Index>(in[static_cast<std::size_t>(i)]);
        return d;
    }());
    if (op == 0)
        dst = src.mean(red);
    else if (op == 1)
        dst = src.sum(red);
    else
        dst = src.maximum(red);
}

template <int R>
void reduceR(const Shape& in, const std::vector<int64_t>& axes, int op, const float* x, float* y)
{
    if constexpr (R >= 2) {
        switch (axes.size()) {
        case 1: return reduceRK<R, 1>(in, axes, op, x, y);
        case 2: if constexpr (R >= 3) return reduceRK<R, 2>(in, axes, op, x, y); break;
        case 3: if constexpr (R >= 4) return reduceRK<R, 3>(in, axes, op, x, y); break;
        case 4: if constexpr (R >= 5) return reduceRK<R, 4>(in, axes, op, x, y); break;
        case 5: if constexpr (R >= 6) return reduceRK<R, 5>(in, axes, op, x, y); break;
        }
    }
}

} // namespace

bool transpose(const Shape& in, const std::vector<int64_t>& perm, const float* x, float* y)
{
    switch (in.size()) {
    case 1: std::copy(x, x + in[0], y); return true;
    case 2: transposeR<2>(in, perm, x, y); return true;
    case 3: transposeR<3>(in, perm, x, y); return true;
    case 4: transposeR<4>(in, perm, x, y); return true;
    case 5: transposeR<5>(in, perm, x, y); return true;
    case 6: transposeR<6>(in, perm, x, y); return true;
    }
    return false;
}

bool reduce(const Shape& in, std::vector<int64_t> axes, int op, const float* x, float* y)
{
    std::sort(axes.begin(), axes.end());
    if (axes.empty() || axes.size() >= in.size())
        return false;
    switch (in.size()) {
    case 2: reduceR<2>(in, axes, op, x, y); return true;
    case 3: reduceR<3>(in, axes, op, x, y); return true;
    case 4: reduceR<4>(in, axes, op, x, y); return true;
    case 5: reduceR<5>(in, axes, op, x, y); return true;
    case 6: reduceR<6>(in, axes, op, x, y); return true;
    }
    return false;
}

} // namespace nc::core::kernels::eigen

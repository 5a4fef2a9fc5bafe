// KindSupport: the small pieces many layer kinds share — attribute builders, checked arithmetic,
// sliding-window sizes, broadcasting — so each kind's file holds only what is its own.
#pragma once

#include "LayerKind.h"

#include <array>
#include <initializer_list>
#include <optional>
#include <string>

namespace nc::core::kinds {

using P = LayerParams;

// Upper bound for sizes typed by a user; analysis still checks overflow.
inline constexpr double kBig = 1e12;

AttrSpec intAttr(std::string_view key, std::string_view label, int64_t P::*f, double lo, double hi,
                 std::string_view help = {});
AttrSpec boolAttr(std::string_view key, std::string_view label, int64_t P::*f, std::string_view help = {});
AttrSpec enumAttr(std::string_view key, std::string_view label, int64_t P::*f, std::vector<std::string_view> labels,
                  std::string_view help = {});
AttrSpec floatAttr(std::string_view key, std::string_view label, double P::*f, double lo, double hi,
                   std::string_view help = {});
AttrSpec dimsAttr(std::string_view key, std::string_view label, std::string_view help, bool allowInferred = false);
AttrSpec bitsAttr();
AttrSpec inplaceAttr();
// kernel_h … pad_right, plus pad_same, pad_mode and dilation for convolutions.
std::vector<AttrSpec> kernelAttrs(bool withDilation);
std::vector<AttrSpec> concat(std::vector<AttrSpec> a, const std::vector<AttrSpec>& b);

LayerSpec makeSpec(LayerType t, std::string_view key, std::string_view label, Category c, std::string_view doc,
                   std::vector<AttrSpec> attrs, LayerParams defaults = {}, int fixedInputs = 1);
PaletteEntry paletteEntry(const LayerSpec& s, std::string_view label, std::string_view help);
PaletteEntry paletteEntry(const LayerSpec& s, std::string_view label, LayerParams params, std::string_view help);

std::string str(int64_t v);
Error overflow(const char* what);
// Product of the factors, or nullopt when it leaves 64 bits.
std::optional<int64_t> mulAll(std::initializer_list<int64_t> f);
Status expectRank(const Shape& s, int rank, const char* what);
// Output length of a sliding window along one axis; the error names the axis.
Result<int64_t> windowOut(int64_t in, int64_t k, int64_t s, int64_t d, int64_t padA, int64_t padB, bool ceilMode,
                          const char* axis);
// Along one axis of a sliding window, the (position, tap) pairs whose index position·s + tap·d − padBefore
// lands inside [0, extent). For a convolution the positions are its outputs and the extent its input:
// the other pairs multiply zero padding. For a transposed convolution the positions are its inputs and
// the extent its output: the other pairs write products the padding crops. Exact, and O(log) in the
// sizes, so a hostile file's 10^12-tap kernel cannot stall the analysis.
int64_t tapsInside(int64_t positions, int64_t k, int64_t s, int64_t d, int64_t padBefore, int64_t extent);
// One axis of a window layer: its taps, its positions and the pairs of them inside (tapsInside).
struct TapCount {
    int64_t taps, positions, inside;
};
// Of `macs` = channels·Π(taps·positions), the products outside: macs − channels·Π inside
// (each inside ≤ taps·positions, so the product cannot overflow where macs did not).
int64_t paddingMacsOf(int64_t macs, int64_t channels, const std::vector<TapCount>& axes);
// NumPy broadcasting of every input's per-sample shape.
Result<Shape> broadcast(std::span<const Shape> in);
// Costs of `perElement` operations on every output element.
Result<LayerCosts> elementwiseCosts(const Shape& out, int64_t perElement);
// "Shape unchanged": the output is input 0.
Result<Shape> sameShape(const LayerParams&, std::span<const Shape> in);
// Receptive-field rule of kinds that pass their input's field on unchanged.
void rfPassThrough(const LayerParams&, RfBuilder&);
// Receptive-field rule of kinds that mix every position of the map.
void rfGlobal(const LayerParams&, RfBuilder&);
// Global pooling (average or max) over every spatial axis of C×L, C×H×W or C×D×H×W: the shape
// (each spatial axis becomes 1), one operation per input element, and a field that covers the map
// (along W only for C×L).
Result<Shape> globalPoolShape(const LayerParams&, std::span<const Shape> in);
Result<LayerCosts> globalPoolCosts(const LayerParams&, std::span<const Shape> in, const Shape&);
void rfGlobalPool(const LayerParams&, RfBuilder&);
// Receptive-field rule of kinds acting on the last axis (Linear, MLP): on a flattened map every output
// sees every position; on a C×H×W map they mix along W.
void rfLastAxis(const LayerParams&, RfBuilder&);

// Python text for the PyTorch facet.
std::string pyNum(double v);
std::string pyInt(int64_t v);
std::string pyPair(int64_t a, int64_t b); // "3" for a square pair, "(3, 5)" otherwise
std::string pyJoin(const std::vector<std::string>& parts, const std::string& sep = ", ");

// A kernel call reading the given sources (−1 = input 0).
KernelSub kernelSub(kernels::OpKind kind, std::vector<int> sources);
KernelPlan singleKernel(kernels::KernelOp op);
kernels::PadMode kernelPadMode(int64_t m);

// ONNX patterns several kinds write: a linear layer as Gemm (1-D samples) or MatMul + Add, and GELU
// as x·0.5·(1 + erf(x/√2)) in the operator order PyTorch exports. Both return the output tensor `y`.
std::string onnxLinear(OnnxBuilder& b, const std::string& prefix, const std::string& x, int64_t in, int64_t out,
                       bool bias, int inRank, const std::string& y);
std::string onnxGelu(OnnxBuilder& b, const std::string& prefix, const std::string& x, const std::string& y);

// Registration entry points, one per family file (called from registerAllKinds()).
void registerInput(std::vector<LayerKind>& k);
void registerLinear(std::vector<LayerKind>& k);
void registerConvolution(std::vector<LayerKind>& k);
void registerPooling(std::vector<LayerKind>& k);
void registerNormalization(std::vector<LayerKind>& k);
void registerActivation(std::vector<LayerKind>& k);
void registerMerge(std::vector<LayerKind>& k);
void registerReshape(std::vector<LayerKind>& k);
void registerTransformer(std::vector<LayerKind>& k);
void registerOpaque(std::vector<LayerKind>& k);
void registerPlumbing(std::vector<LayerKind>& k);
void registerSequence(std::vector<LayerKind>& k);
void registerConvolutionNd(std::vector<LayerKind>& k);
void registerPoolingNd(std::vector<LayerKind>& k);
void registerResize(std::vector<LayerKind>& k);

} // namespace nc::core::kinds

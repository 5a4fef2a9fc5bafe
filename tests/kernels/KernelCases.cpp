// Test support: the table of small layers every backend is checked on, and the tensor comparison.
#include "KernelCases.h"

#include <cmath>
#include <sstream>

namespace nc::core::kernels::testing {

namespace {

KernelOp conv(int64_t out, int64_t k, int64_t s = 1, int64_t p = 0, int64_t groups = 1)
{
    return KernelOp::conv2d(out, k, s, p, groups);
}

KernelOp withPadMode(KernelOp op, PadMode m)
{
    op.padMode = m;
    return op;
}

KernelOp kind(OpKind k)
{
    return KernelOp::make(k);
}

std::vector<KernelCase> buildCases()
{
    std::vector<KernelCase> c;
    auto add = [&](std::string name, KernelOp op, std::vector<Shape> in, float lo = -1.0f, float hi = 1.0f) {
        op.name = name;
        c.push_back({std::move(name), std::move(op), std::move(in), lo, hi});
    };

    // Conv2d: general im2col path.
    add("conv3x3_pad1", conv(16, 3, 1, 1), {{1, 8, 9, 11}});
    {
        KernelOp op = conv(12, 3);
        op.bias = false;
        add("conv3x3_nopad_nobias", op, {{1, 5, 8, 7}});
    }
    add("conv3x3_stride2_batch2_odd", conv(7, 3, 2, 1), {{2, 5, 13, 15}});
    {
        KernelOp op = conv(6, 3);
        op.padTop = 0;
        op.padBottom = 2;
        op.padLeft = 1;
        op.padRight = 0;
        add("conv_asymmetric_pads", op, {{1, 3, 7, 8}});
    }
    {
        KernelOp op = conv(6, 3, 1, 2);
        op.dh = op.dw = 2;
        add("conv_dilation2", op, {{1, 4, 12, 12}});
    }
    {
        KernelOp op = conv(5, 3, 1, 1);
        op.kw = 2;
        op.dh = 2;
        op.dw = 3;
        op.sh = 2;
        add("conv_rect_kernel_mixed_dilation_stride", op, {{1, 3, 14, 13}});
    }
    {
        KernelOp op = conv(8, 1);
        op.kw = 5;
        op.padLeft = op.padRight = 2;
        add("conv_1x5_row_kernel", op, {{1, 4, 6, 10}});
    }
    add("conv_reflect_pad1", withPadMode(conv(8, 3, 1, 1), PadMode::Reflect), {{1, 4, 9, 10}});
    add("conv_reflect_pad2_k5", withPadMode(conv(4, 5, 1, 2), PadMode::Reflect), {{1, 3, 8, 11}});
    add("conv_replicate_pad2_stride2", withPadMode(conv(6, 3, 2, 2), PadMode::Replicate), {{1, 3, 11, 9}});
    {
        KernelOp op = withPadMode(conv(6, 3, 1, 0), PadMode::Reflect);
        op.padTop = 2;
        op.padLeft = 1;
        add("conv_reflect_asymmetric", op, {{1, 2, 7, 6}});
    }
    add("conv_groups2", conv(12, 3, 1, 1, 2), {{1, 8, 10, 10}});
    add("conv_groups4_stride2_reflect", withPadMode(conv(8, 3, 2, 1, 4), PadMode::Reflect), {{2, 8, 9, 11}});
    add("conv_many_tiles", conv(32, 3, 1, 1), {{1, 32, 40, 40}});
    {
        // Implicit im2col with several tiles per image whose rows straddle tile edges: each task
        // pads its own rows plus the (kh−1)·dh = 4 halo rows, from a reflected border.
        KernelOp op = withPadMode(conv(16, 3, 1, 2, 2), PadMode::Reflect);
        op.dh = op.dw = 2;
        add("conv_implicit_tiles_dilated_groups", op, {{2, 8, 50, 47}});
    }
    add("conv_stem_7x7_stride2", conv(8, 7, 2, 3), {{1, 3, 32, 32}});
    // Few pixels: on several threads the work splits within one tile. K = 288 (2 depth blocks):
    // by output channels (7×7 = 49 pixels fill the vectors worse than 32 channels do).
    add("conv_channel_blocks_7x7", conv(96, 3, 1, 1), {{1, 32, 7, 7}});
    add("conv_channel_blocks_strided_groups_batch2", conv(64, 3, 2, 1, 2), {{2, 16, 13, 13}});
    // K = 1440 (6 depth blocks of 240): by depth, each thread summing its blocks (3 threads: 2
    // blocks each), the partial sums added afterwards.
    add("conv_split_k_7x7", conv(24, 3, 1, 1), {{1, 160, 7, 7}});
    add("conv_split_k_strided_groups_batch2", conv(32, 3, 2, 1, 2), {{2, 320, 13, 13}});
    add("conv_small_image_wide", conv(64, 3, 1, 1), {{1, 64, 4, 4}});
    add("conv_single_pixel_output", conv(10, 3), {{1, 6, 3, 3}});
    // Sizes that make the GEMM use several depth blocks (K = 2304) and several pixel tiles.
    add("conv_deep_k_blocks", conv(64, 3, 1, 1), {{1, 256, 6, 6}});
    add("conv_resnet_like_tiles", conv(64, 3, 1, 1), {{1, 64, 28, 28}});
    // Conv2d: 1×1 paths.
    add("conv1x1_direct_gemm", conv(24, 1), {{1, 16, 7, 9}});
    add("conv1x1_direct_batch3", conv(20, 1), {{3, 12, 5, 6}});
    add("conv1x1_groups4", conv(16, 1, 1, 0, 4), {{1, 8, 6, 6}});
    add("conv1x1_stride2_im2col", conv(10, 1, 2), {{1, 6, 9, 9}});
    add("conv1x1_padded_im2col", conv(10, 1, 1, 1), {{1, 6, 5, 5}});
    // Conv2d: depthwise direct kernel.
    add("depthwise3x3", conv(8, 3, 1, 1, 8), {{1, 8, 14, 14}});
    add("depthwise_multiplier2", conv(12, 3, 1, 1, 6), {{1, 6, 11, 13}});
    add("depthwise_multiplier3_nobias", [] {
        KernelOp op = conv(9, 3, 1, 0, 3);
        op.bias = false;
        return op;
    }(), {{1, 3, 7, 7}});
    add("depthwise_stride2_batch2", conv(8, 3, 2, 1, 8), {{2, 8, 15, 17}});
    {
        KernelOp op = withPadMode(conv(5, 5, 1, 4, 5), PadMode::Reflect);
        op.dh = op.dw = 2;
        add("depthwise_5x5_dilation2_reflect", op, {{1, 5, 15, 16}});
    }
    add("depthwise_wide_rows", conv(4, 3, 1, 1, 4), {{1, 4, 5, 150}});
    add("depthwise_stride3_replicate", withPadMode(conv(4, 3, 3, 1, 4), PadMode::Replicate), {{1, 4, 13, 14}});
    add("depthwise_7x7_tiny_plane", conv(32, 3, 1, 1, 32), {{1, 32, 7, 7}});
    {
        KernelOp op = conv(6, 3, 2, 1, 6);
        op.sh = 1; // stride only along W
        add("depthwise_stride_w_only", op, {{1, 6, 8, 19}});
    }
    // Row-by-row phase-plane path (multiplier > 1 with stride) and the interleaved path with one
    // full and one partial block of 16 channels.
    add("depthwise_multiplier2_stride2", conv(8, 3, 2, 1, 4), {{1, 4, 12, 37}});
    add("depthwise_20_channels_blocked", conv(20, 3, 2, 1, 20), {{2, 20, 9, 9}});
    add("depthwise_flat_reflect", withPadMode(conv(3, 3, 1, 1, 3), PadMode::Reflect), {{1, 3, 6, 40}});

    // Linear and attention.
    add("linear_single_row_gemv", KernelOp::linear(19), {{1, 37}});
    add("linear_batch", KernelOp::linear(33), {{5, 64}});
    add("linear_deep_k_blocks", KernelOp::linear(96), {{16, 1536}});

    // Fused activations (the deployment graph's conv/linear + activation in one call; oneDNN
    // post-ops, our kernels a pass over the output). Inputs ×4 so ReLU6 clips at 6 and HardSwish
    // meets its ±3 corners.
    auto fused = [](KernelOp op, OpKind a, float slope = 0.01f) {
        op.activation = a;
        op.slope = slope;
        return op;
    };
    add("conv_fused_relu", fused(conv(16, 3, 1, 1), OpKind::ReLU), {{1, 8, 9, 11}});
    add("conv_fused_relu6", fused(conv(8, 3, 2, 1), OpKind::ReLU6), {{2, 6, 10, 9}}, -4.0f, 4.0f);
    add("depthwise_fused_hardswish", fused(conv(12, 3, 1, 1, 12), OpKind::HardSwish), {{1, 12, 8, 8}}, -4.0f, 4.0f);
    add("conv_fused_leaky_relu", fused(conv(5, 1, 1, 0), OpKind::LeakyReLU, 0.2f), {{1, 7, 6, 5}});
    add("conv_fused_hard_sigmoid", fused(conv(4, 3, 1, 1), OpKind::HardSigmoid), {{1, 3, 7, 7}}, -4.0f, 4.0f);
    add("linear_fused_gelu", fused(KernelOp::linear(33), OpKind::GELU), {{5, 64}});
    add("linear_fused_silu", fused(KernelOp::linear(19), OpKind::SiLU), {{3, 37}});
    {
        KernelOp op = KernelOp::linear(40);
        op.bias = false;
        add("linear_tokens_nobias", op, {{2, 7, 24}});
    }
    add("attention_3_heads", KernelOp::attention(3), {{1, 10, 24}});
    add("attention_batch2_row_blocks", KernelOp::attention(4), {{2, 70, 32}});
    add("attention_single_head", KernelOp::attention(1), {{1, 5, 8}});
    add("attention_two_heads_wider", KernelOp::attention(2), {{1, 80, 64}});
    // 300 keys: P·V runs over two depth blocks of 150 keys, Q·Kᵀ over five 64-row query blocks.
    add("attention_long_sequence", KernelOp::attention(2), {{1, 300, 16}});

    // Pools.
    add("maxpool3x3_s2_p1", KernelOp::pool(OpKind::MaxPool, 3, 2, 1), {{1, 4, 13, 13}});
    add("maxpool2x2_s2_odd", KernelOp::pool(OpKind::MaxPool, 2, 2), {{2, 3, 8, 9}});
    {
        KernelOp op = KernelOp::pool(OpKind::MaxPool, 3, 2);
        op.ceilMode = true;
        add("maxpool_ceil", op, {{1, 3, 10, 10}});
    }
    {
        KernelOp op = KernelOp::pool(OpKind::MaxPool, 3, 1, 2);
        op.dh = op.dw = 2;
        add("maxpool_dilation2", op, {{1, 2, 9, 8}});
    }
    add("avgpool_exclude_pad", KernelOp::pool(OpKind::AvgPool, 3, 2, 1), {{1, 4, 11, 12}});
    {
        KernelOp op = KernelOp::pool(OpKind::AvgPool, 3, 2, 1);
        op.countIncludePad = true;
        add("avgpool_include_pad", op, {{1, 4, 11, 12}});
    }
    {
        KernelOp op = KernelOp::pool(OpKind::AvgPool, 3, 2, 1);
        op.ceilMode = true;
        add("avgpool_ceil_exclude_pad", op, {{1, 2, 10, 10}});
    }
    {
        KernelOp op = KernelOp::pool(OpKind::AvgPool, 3, 2, 1);
        op.ceilMode = true;
        op.countIncludePad = true;
        add("avgpool_ceil_include_pad_overhang", op, {{1, 2, 10, 10}});
    }
    {
        KernelOp op = KernelOp::pool(OpKind::AvgPool, 2, 1);
        op.kw = 3;
        op.padTop = 1;
        op.padRight = 2;
        op.countIncludePad = true;
        add("avgpool_asymmetric", op, {{1, 3, 6, 7}});
    }
    add("global_avgpool", kind(OpKind::GlobalAvgPool), {{2, 5, 7, 9}});
    {
        KernelOp op = kind(OpKind::AdaptiveAvgPool);
        op.outH = 3;
        op.outW = 4;
        add("adaptive_avgpool_dividing", op, {{1, 3, 12, 12}});
        op.outH = op.outW = 3;
        add("adaptive_avgpool_non_dividing", op, {{1, 3, 10, 7}});
    }

    // Normalisations.
    add("batchnorm", kind(OpKind::BatchNorm), {{2, 6, 5, 7}});
    add("batchnorm_2d_input", kind(OpKind::BatchNorm), {{4, 10}});
    add("layernorm_tokens", kind(OpKind::LayerNorm), {{2, 5, 16}});
    {
        KernelOp op = kind(OpKind::LayerNorm);
        op.normAxis = 1;
        add("layernorm_from_axis1", op, {{2, 3, 4, 5}}, 1.0f, 3.0f);
    }
    add("instancenorm", kind(OpKind::InstanceNorm), {{2, 4, 6, 5}});
    {
        KernelOp op = kind(OpKind::GroupNorm);
        op.numGroups = 4;
        add("groupnorm_4_groups", op, {{2, 8, 5, 5}});
        op.numGroups = 1;
        add("groupnorm_1_group", op, {{1, 6, 3, 4}});
    }

    // Activations (an odd-sized tensor so vector tails are exercised).
    const Shape act{2, 3, 17, 19};
    add("relu", kind(OpKind::ReLU), {act});
    add("relu6", kind(OpKind::ReLU6), {act}, -9.0f, 9.0f);
    {
        KernelOp op = kind(OpKind::LeakyReLU);
        op.slope = 0.2f;
        add("leaky_relu", op, {act}, -3.0f, 3.0f);
    }
    add("sigmoid", kind(OpKind::Sigmoid), {act}, -8.0f, 8.0f);
    add("tanh", kind(OpKind::Tanh), {act}, -4.0f, 4.0f);
    add("silu", kind(OpKind::SiLU), {act}, -6.0f, 6.0f);
    add("hardswish", kind(OpKind::HardSwish), {act}, -5.0f, 5.0f);
    add("gelu", kind(OpKind::GELU), {act}, -4.0f, 4.0f);
    add("gelu_tanh", kind(OpKind::GeluTanh), {act}, -4.0f, 4.0f);
    add("hard_sigmoid", kind(OpKind::HardSigmoid), {act}, -5.0f, 5.0f); // both clipped ends and the ramp

    // Softmax.
    add("softmax_last_axis", kind(OpKind::Softmax), {{3, 7, 33}}, -5.0f, 5.0f);
    {
        KernelOp op = kind(OpKind::Softmax);
        op.softmaxAxis = 1;
        add("softmax_axis1_nchw", op, {{2, 5, 4, 3}}, -5.0f, 5.0f);
        op.softmaxAxis = 0;
        add("softmax_axis0", op, {{4, 6}}, -5.0f, 5.0f);
    }

    // Add / Mul with numpy broadcasting.
    for (OpKind k : {OpKind::Add, OpKind::Mul}) {
        const std::string n = k == OpKind::Add ? "add" : "mul";
        add(n + "_same_shape", kind(k), {{2, 3, 5, 7}, {2, 3, 5, 7}});
        add(n + "_channel_broadcast", kind(k), {{1, 8, 5, 5}, {1, 8, 1, 1}});
        add(n + "_lower_rank", kind(k), {{2, 3, 4}, {4}});
        add(n + "_first_input_broadcast", kind(k), {{1, 4}, {3, 4}});
        add(n + "_both_broadcast", kind(k), {{3, 1}, {1, 4}});
        // A learned operand (the op's parameter): ConvNeXt's layer scale γ [C,1,1], a position
        // table [T,D] added to tokens, and one wider than the input (both sides broadcast).
        KernelOp learned = kind(k);
        learned.operand = {1, 8, 1, 1};
        add(n + "_learned_layer_scale", learned, {{2, 8, 5, 5}});
        learned.operand = {1, 6, 4};
        add(n + "_learned_table", learned, {{2, 6, 4}});
        learned.operand = {1, 3, 4};
        add(n + "_learned_wider_than_input", learned, {{2, 1, 4}});
    }

    // Concat.
    add("concat_channels", kind(OpKind::Concat), {{1, 2, 4, 4}, {1, 3, 4, 4}, {1, 1, 4, 4}});
    {
        KernelOp op = kind(OpKind::Concat);
        op.axis = 0;
        add("concat_axis0", op, {{1, 3, 2}, {2, 3, 2}});
        op.axis = -1;
        add("concat_last_axis_batch2", op, {{2, 3, 2}, {2, 3, 5}});
    }

    // Transpose: swap H and W; tokens T×D → D×T; a 5-D cycle.
    {
        KernelOp op = kind(OpKind::Transpose);
        op.perm = {0, 1, 3, 2};
        add("transpose_hw", op, {{2, 3, 5, 7}});
        op.perm = {0, 2, 1};
        add("transpose_tokens", op, {{2, 9, 16}});
        op.perm = {0, 2, 3, 4, 1};
        add("transpose_channels_last_3d", op, {{1, 4, 3, 5, 2}});
    }
    // Reduce: mean over H and W kept as 1×1, sum over channels dropped, max over the last axis.
    {
        KernelOp op = kind(OpKind::Reduce);
        op.axes = {2, 3};
        add("reduce_mean_hw", op, {{2, 8, 5, 7}});
        op.axes = {1};
        op.reduceOp = 1;
        op.keepDims = false;
        add("reduce_sum_channels_dropped", op, {{2, 6, 4, 4}});
        op.axes = {2};
        op.reduceOp = 2;
        op.keepDims = true;
        add("reduce_max_tokens", op, {{3, 10, 12}});
    }

    // Shape-only kinds.
    add("flatten", kind(OpKind::Flatten), {{2, 3, 4, 5}});
    add("identity", kind(OpKind::Identity), {{3, 5, 7}});
    // Spatial ops of issue 9 (1-D and 3-D convolution and pooling, transposed convolution, global max
    // pooling, resize, pad).
    auto conv1d = [](int64_t out, int64_t k, int64_t st, int64_t pad, int64_t groups) {
        KernelOp op = kind(OpKind::ConvNd);
        op.outChannels = out, op.kw = k, op.sw = st, op.padLeft = op.padRight = pad, op.groups = groups;
        return op;
    };
    add("conv1d_k80_s4", conv1d(8, 80, 4, 0, 1), {{2, 1, 400}});
    add("conv1d_k3_pad1_groups2", conv1d(6, 3, 1, 1, 2), {{1, 4, 37}});
    {
        KernelOp op = conv1d(5, 3, 2, 2, 1);
        op.dw = 2, op.padRight = 1, op.padMode = PadMode::Reflect;
        add("conv1d_reflect_dilated_asymmetric", op, {{1, 3, 20}});
    }
    auto conv3d = [](int64_t out, int64_t k, int64_t st, int64_t pad) {
        KernelOp op = kind(OpKind::ConvNd);
        op.outChannels = out, op.kd = op.kh = op.kw = k, op.sd = op.sh = op.sw = st;
        op.padFront = op.padBack = op.padTop = op.padBottom = op.padLeft = op.padRight = pad;
        return op;
    };
    add("conv3d_k3_pad1", conv3d(6, 3, 1, 1), {{1, 3, 5, 7, 6}});
    {
        KernelOp op = conv3d(4, 3, 2, 1);
        op.kd = 1, op.padFront = op.padBack = 0, op.groups = 2, op.bias = false;
        add("conv3d_1x3x3_s2_groups2_nobias", op, {{2, 4, 3, 9, 8}});
    }
    {
        KernelOp op = conv3d(4, 3, 1, 1);
        op.padMode = PadMode::Replicate;
        add("conv3d_replicate", op, {{1, 2, 4, 5, 5}});
    }
    auto convT = [](int64_t out, int64_t k, int64_t st, int64_t pad, bool twoD) {
        KernelOp op = kind(OpKind::ConvTranspose);
        op.outChannels = out, op.kw = k, op.sw = st, op.padLeft = op.padRight = pad;
        if (twoD)
            op.kh = k, op.sh = st, op.padTop = op.padBottom = pad;
        return op;
    };
    add("convT2d_k2_s2_unet", convT(6, 2, 2, 0, true), {{1, 8, 5, 7}});
    {
        KernelOp op = convT(4, 3, 2, 1, true);
        op.outPadH = op.outPadW = 1, op.groups = 2;
        add("convT2d_k3_s2_p1_outpad1_groups2", op, {{2, 6, 4, 5}});
    }
    {
        KernelOp op = convT(3, 3, 1, 2, true);
        op.dh = op.dw = 2, op.bias = false;
        add("convT2d_dilated_nobias", op, {{1, 2, 6, 6}});
    }
    add("convT1d_k4_s2_p1", convT(5, 4, 2, 1, false), {{1, 3, 17}});
    auto pool1d = [](OpKind k, int64_t size, int64_t st, int64_t pad) {
        KernelOp op = kind(k);
        op.kw = size, op.sw = st, op.padLeft = op.padRight = pad;
        return op;
    };
    add("maxpool1d_4", pool1d(OpKind::MaxPoolNd, 4, 4, 0), {{2, 3, 41}});
    {
        KernelOp op = pool1d(OpKind::AvgPoolNd, 3, 2, 1);
        op.ceilMode = true, op.countIncludePad = false;
        add("avgpool1d_ceil_exclude_pad", op, {{1, 3, 20}});
    }
    auto pool3d = [](OpKind k, int64_t size, int64_t st, int64_t pad) {
        KernelOp op = kind(k);
        op.kd = op.kh = op.kw = size, op.sd = op.sh = op.sw = st;
        op.padFront = op.padBack = op.padTop = op.padBottom = op.padLeft = op.padRight = pad;
        return op;
    };
    add("maxpool3d_2", pool3d(OpKind::MaxPoolNd, 2, 2, 0), {{1, 3, 4, 6, 7}});
    {
        KernelOp op = pool3d(OpKind::AvgPoolNd, 3, 2, 1);
        op.countIncludePad = true;
        add("avgpool3d_3_s2_p1_include_pad", op, {{1, 2, 5, 5, 6}});
    }
    add("global_maxpool_2d", kind(OpKind::GlobalMaxPool), {{2, 5, 6, 7}});
    add("global_maxpool_1d", kind(OpKind::GlobalMaxPool), {{1, 4, 33}});
    auto resize = [](bool lin, int64_t oh, int64_t ow, float sh, float sw) {
        KernelOp op = kind(OpKind::Resize);
        op.interpLinear = lin, op.outH = oh, op.outW = ow, op.scaleH = sh, op.scaleW = sw;
        return op;
    };
    add("resize_nearest_x2", resize(false, 10, 14, 2, 2), {{1, 3, 5, 7}});
    add("resize_bilinear_x2", resize(true, 10, 14, 2, 2), {{1, 3, 5, 7}});
    add("resize_bilinear_to_size", resize(true, 9, 4, 0, 0), {{1, 2, 5, 7}});
    {
        KernelOp op = resize(true, 9, 13, 0, 0);
        op.alignCorners = true;
        add("resize_bilinear_align_corners", op, {{1, 2, 5, 7}});
    }
    add("resize_nearest_x1_5", resize(false, 7, 10, 1.5f, 1.5f), {{1, 2, 5, 7}});
    add("resize_linear_1d_x3", resize(true, 1, 24, 0, 3), {{1, 2, 8}});
    auto pad = [](PadMode m, int64_t t, int64_t b, int64_t l, int64_t r) {
        KernelOp op = kind(OpKind::Pad);
        op.padMode = m, op.padTop = t, op.padBottom = b, op.padLeft = l, op.padRight = r, op.padValue = 0.5f;
        return op;
    };
    add("pad_constant_asymmetric", pad(PadMode::Zeros, 1, 2, 0, 3), {{1, 2, 4, 5}});
    add("pad_reflect", pad(PadMode::Reflect, 2, 1, 3, 2), {{1, 2, 4, 5}});
    add("pad_replicate_1d", pad(PadMode::Replicate, 0, 0, 4, 1), {{2, 3, 6}});

    // Sequence kinds. Embedding ids are random floats in ±40, rounded and wrapped into the table.
    {
        KernelOp op = kind(OpKind::Embedding);
        op.vocab = 50, op.outChannels = 16, op.positions = 12, op.tokenTypes = 2;
        add("embedding_positions_segments", op, {{2, 9}});
        c.back().inputLo = -40.0f, c.back().inputHi = 40.0f;
        op.positions = op.tokenTypes = 0;
        add("embedding_table_only", op, {{3, 5}});
        c.back().inputLo = -40.0f, c.back().inputHi = 40.0f;
    }
    {
        KernelOp op = kind(OpKind::RMSNorm);
        op.eps = 1e-6f;
        add("rmsnorm_affine", op, {{2, 7, 33}});
        op.affine = false;
        add("rmsnorm_plain", op, {{3, 64}});
    }
    add("matmul_batched", kind(OpKind::MatMul), {{2, 3, 5, 7}, {2, 3, 7, 4}});
    add("matmul_broadcast_both", kind(OpKind::MatMul), {{2, 1, 5, 7}, {1, 3, 7, 6}});
    add("matmul_rank_mismatch", kind(OpKind::MatMul), {{2, 4, 6, 8}, {8, 3}});
    auto rnn = [](OpKind k, int64_t h, int64_t layers, bool bidir, bool bias) {
        KernelOp op = kind(k);
        op.outChannels = h, op.rnnLayers = layers, op.bidirectional = bidir, op.bias = bias;
        return op;
    };
    add("lstm_2layer", rnn(OpKind::LSTM, 8, 2, false, true), {{2, 6, 5}});
    add("lstm_bidirectional_nobias", rnn(OpKind::LSTM, 6, 1, true, false), {{3, 4, 7}});
    add("gru_2layer_bidirectional", rnn(OpKind::GRU, 5, 2, true, true), {{2, 5, 3}});
    // oneDNN groups layers into primitives by input width (OneDnnBackend buildRnn): these rows reach
    // each grouping. One layer; two bidirectional layers with I = 5 ≠ 2·H = 12 (one primitive per
    // layer); three layers with I = H (one primitive for all); two unidirectional layers without
    // bias (I ≠ H: layer 0 alone, then the rest).
    add("lstm_1layer", rnn(OpKind::LSTM, 8, 1, false, true), {{2, 5, 6}});
    add("lstm_2layer_bidirectional", rnn(OpKind::LSTM, 6, 2, true, true), {{2, 5, 5}});
    add("lstm_3layer_same_width", rnn(OpKind::LSTM, 7, 3, false, true), {{2, 4, 7}});
    add("lstm_2layer_nobias", rnn(OpKind::LSTM, 6, 2, false, false), {{3, 4, 5}});
    add("gru_1layer", rnn(OpKind::GRU, 7, 1, false, true), {{2, 6, 4}});
    add("gru_3layer_same_width_nobias", rnn(OpKind::GRU, 6, 3, false, false), {{2, 5, 6}});
    auto sdpa = [](int64_t heads, int64_t kv, bool causal, bool rope) {
        KernelOp op = kind(OpKind::ScaledDotProduct);
        op.heads = heads, op.kvHeads = kv, op.causal = causal, op.rope = rope;
        return op;
    };
    // Llama-style: 8 query heads of dim 4 sharing 2 key/value heads, causal, rotary.
    add("attention_gqa_causal_rope", sdpa(8, 2, true, true), {{2, 9, 32}, {2, 9, 8}, {2, 9, 8}});
    add("attention_multi_query", sdpa(4, 1, false, false), {{1, 6, 24}, {1, 6, 6}, {1, 6, 6}});
    // Cross-attention: 5 queries over 11 memory positions.
    add("attention_cross", sdpa(3, 3, false, false), {{2, 5, 12}, {2, 11, 12}, {2, 11, 12}});
    return c;
}

} // namespace

const std::vector<KernelCase>& kernelCases()
{
    static const std::vector<KernelCase> cases = buildCases();
    return cases;
}

Comparison compareTensors(const Tensor& got, const Tensor& want, double rtol)
{
    Comparison r;
    if (got.size() != want.size()) {
        r.message = "element count " + std::to_string(got.size()) + " differs from expected " + std::to_string(want.size()) +
                    " (" + shapeToString(got.shape()) + " vs " + shapeToString(want.shape()) + ")";
        return r;
    }
    double sq = 0.0;
    for (int64_t i = 0; i < want.size(); ++i)
        sq += static_cast<double>(want[i]) * want[i];
    const double rms = want.size() ? std::sqrt(sq / static_cast<double>(want.size())) : 0.0;
    const double absTol = rtol * rms;
    int64_t bad = 0, worst = -1;
    double worstRatio = 0.0;
    for (int64_t i = 0; i < want.size(); ++i) {
        const double g = got[i], w = want[i];
        const double err = std::fabs(g - w);
        const double tol = rtol * std::fabs(w) + absTol;
        const double ratio = std::isnan(err) ? INFINITY : (tol > 0 ? err / tol : (err > 0 ? INFINITY : 0.0));
        if (ratio > 1.0)
            ++bad;
        if (ratio > worstRatio || worst < 0) {
            worstRatio = ratio;
            worst = i;
        }
    }
    r.ok = bad == 0;
    std::ostringstream s;
    s << bad << " of " << want.size() << " elements outside |got-want| <= " << rtol << "*(|want| + rms " << rms
      << ")";
    if (worst >= 0)
        s << "; worst at " << worst << ": got " << got[worst] << ", want " << want[worst] << " (" << worstRatio
          << "x tolerance)";
    r.message = s.str();
    return r;
}

std::vector<Tensor> makeInputs(const KernelCase& c, uint64_t seed)
{
    std::vector<Tensor> in;
    for (std::size_t i = 0; i < c.inputs.size(); ++i)
        in.push_back(Tensor::random(c.inputs[i], seed + 1000 * i, c.inputLo, c.inputHi));
    return in;
}

Comparison checkAgainstReference(Backend& backend, const KernelCase& c, std::string* note)
{
    Comparison r;
    ReferenceBackend reference;
    PrepareOptions options;
    options.seed = 1234;
    auto want = reference.prepare(c.op, c.inputs, options);
    if (!want) {
        r.message = "reference prepare failed: " + want.message();
        return r;
    }
    auto got = backend.prepare(c.op, c.inputs, options);
    if (!got) {
        r.message = backend.name() + " prepare failed: " + got.message();
        return r;
    }
    if (note)
        *note = got.value().note();
    const std::vector<Tensor> inputs = makeInputs(c);
    Tensor y, yRef;
    if (KernelStatus st = reference.run(want.value(), inputs, yRef); !st) {
        r.message = "reference run failed: " + st.message;
        return r;
    }
    // Run twice into the same output: the second run must not depend on leftovers of the first.
    for (int i = 0; i < 2; ++i) {
        if (KernelStatus st = backend.run(got.value(), inputs, y); !st) {
            r.message = backend.name() + " run failed: " + st.message;
            return r;
        }
    }
    if (y.shape() != yRef.shape()) {
        r.message = "output shape " + shapeToString(y.shape()) + " differs from reference " + shapeToString(yRef.shape());
        return r;
    }
    return compareTensors(y, yRef);
}

} // namespace nc::core::kernels::testing

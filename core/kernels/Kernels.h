// The kernel library in one include: tensors, layer descriptions, backends and the machine probe.
#pragma once

// nc_kernels measures what one layer costs on this CPU. It is the numerical half of the per-layer
// latency runner: the runner (in core) turns graph nodes into KernelOps, prepares each once on a
// backend, then times run() on a worker thread.
//
// Pieces:
//   Tensor          float32, row-major (NCHW / N×T×D), 64-byte aligned, seeded random fill.
//   KernelOp        plain-data layer description (OpKind + hyper-parameters).
//   OpShapes.h      pure functions: inferOutputShape, parameterShapes, makeParameters, opFlops,
//                   opBytes (the runner's FLOP and byte counts for GFLOP/s and the roofline).
//   Backend         prepare() once (untimed: weights, algorithm, reorders), run() many times.
//     EigenBackend      our kernels: im2col/1×1 GEMM, direct depthwise, Eigen GEMM/GEMV, …
//     OneDnnBackend     oneDNN 2.6 primitives, with our kernels where oneDNN lacks an op.
//     ReferenceBackend  naive definitions, for tests.
//   MachineProbe    peak GFLOP/s and streaming GB/s of this machine, for the roofline.
//
// Errors are values (KernelStatus, KernelResult<T>); nothing throws out of the library.
//
// Worked example: time a ResNet 3×3 convolution on two threads.
//
//     using namespace nc::core::kernels;
//     EigenBackend backend;
//     backend.setThreadCount(2);                       // applies to layers prepared afterwards
//     KernelOp conv = KernelOp::conv2d(64, 3, 1, 1);   // 64 outputs, 3×3, stride 1, pad 1
//     conv.name = "layer1.0.conv1";
//     std::vector<Shape> in{{1, 64, 56, 56}};
//     KernelResult<PreparedOp> prepared = backend.prepare(conv, in);   // random weights, seed 1
//     if (!prepared)
//         return prepared.status();                    // "layer \"layer1.0.conv1\": ..."
//     PreparedOp& layer = prepared.value();
//     Tensor x = Tensor::random(in[0], /*seed*/ 7), y(layer.outputShape());
//     for (int i = 0; i < 10; ++i)                     // time these
//         if (KernelStatus st = backend.run(layer, x, y); !st)
//             return st;
//     double gflops = layer.flops() / seconds * 1e-9;
//     std::string how = layer.note();                  // "eigen: packed im2col + GEMM (...)"

#include "Backend.h"
#include "EigenBackend.h"
#include "KernelOp.h"
#include "KernelStatus.h"
#include "MachineProbe.h"
#include "OneDnnBackend.h"
#include "OpShapes.h"
#include "PreparedOp.h"
#include "ReferenceBackend.h"
#include "Tensor.h"

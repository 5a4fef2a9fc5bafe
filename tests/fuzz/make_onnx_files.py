#!/usr/bin/env python3
"""Writes the ONNX fuzz inputs: small valid models (the seed corpus) into SEEDS, and the hostile files
that crashed Debian's libonnx 1.12 shape inference before the importer checked nodes (the regression
corpus, kept in the tree) into REGRESSION. Needs python3-onnx; builds models without onnx.checker."""
import os
import sys

import onnx
from onnx import TensorProto as T
from onnx import helper as h


def model(nodes, inputs, outputs, inits=(), opset=17):
    g = h.make_graph(nodes, "g", inputs, outputs, list(inits))
    m = h.make_model(g, opset_imports=[h.make_opsetid("", opset)])
    m.ir_version = 8
    return m


def X(name, dims):
    return h.make_tensor_value_info(name, T.FLOAT, dims)


def W(name, dims):
    n = 1
    for d in dims:
        n *= d
    return h.make_tensor(name, T.FLOAT, dims, [0.01 * (i % 7) for i in range(n)])


def seeds():
    yield "conv_relu_pool_gemm", model(
        [h.make_node("Conv", ["x", "w"], ["c"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
         h.make_node("Relu", ["c"], ["r"]),
         h.make_node("MaxPool", ["r"], ["p"], kernel_shape=[2, 2], strides=[2, 2]),
         h.make_node("GlobalAveragePool", ["p"], ["g"]),
         h.make_node("Flatten", ["g"], ["f"]),
         h.make_node("Gemm", ["f", "fw", "fb"], ["y"], transB=1)],
        [X("x", [1, 3, 8, 8])], [X("y", None)], [W("w", [4, 3, 3, 3]), W("fw", [2, 4]), W("fb", [2])])
    # Squeeze-and-excitation: the gate C×1×1 multiplies the C×H×W map (broadcast).
    yield "squeeze_excitation", model(
        [h.make_node("Conv", ["x", "w"], ["c"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
         h.make_node("GlobalAveragePool", ["c"], ["g"]),
         h.make_node("Sigmoid", ["g"], ["s"]),
         h.make_node("Mul", ["c", "s"], ["y"])],
        [X("x", [1, 4, 8, 8])], [X("y", None)], [W("w", [4, 4, 3, 3])])
    yield "matmul_softmax", model(
        [h.make_node("MatMul", ["x", "w"], ["m"]), h.make_node("Add", ["m", "b"], ["a"]),
         h.make_node("Softmax", ["a"], ["y"], axis=-1)],
        [X("x", [1, 5, 8])], [X("y", None)], [W("w", [8, 8]), W("b", [8])])
    yield "reshape_transpose", model(
        [h.make_node("Shape", ["x"], ["s"]), h.make_node("Reshape", ["x", "t"], ["r"]),
         h.make_node("Transpose", ["r"], ["y"], perm=[0, 2, 1])],
        [X("x", [1, 4, 6])], [X("y", None)], [h.make_tensor("t", T.INT64, [3], [1, 6, 4])])


def hostile():
    body = h.make_graph([], "body", [], [])
    for opset in (9, 11, 16, 17):
        yield f"scan{opset}_no_num_scan_inputs", model(
            [h.make_node("Scan", ["x"], ["y"], body=body)], [X("x", [1, 3, 4])], [X("y", None)], opset=opset)
        yield f"scan{opset}_no_body", model(
            [h.make_node("Scan", ["x"], ["y"], num_scan_inputs=1)], [X("x", [1, 3, 4])], [X("y", None)], opset=opset)
        yield f"scan{opset}_empty_body", model(
            [h.make_node("Scan", ["x"], ["y"], num_scan_inputs=3, body=body)], [X("x", [1, 3, 4])], [X("y", None)],
            opset=opset)
    yield "conv_same_weight_rank2", model(
        [h.make_node("Conv", ["x", "w"], ["y"], auto_pad="SAME_UPPER")], [X("x", [1, 3, 8, 8])], [X("y", None)],
        [W("w", [2, 3])])
    yield "conv_weight_rank1", model(
        [h.make_node("Conv", ["x", "w"], ["y"])], [X("x", [1, 3, 8, 8])], [X("y", None)], [W("w", [2])])
    yield "conv_transpose_weight_rank1", model(
        [h.make_node("ConvTranspose", ["x", "w"], ["y"])], [X("x", [1, 3, 8, 8])], [X("y", None)], [W("w", [3])])
    yield "maxpool_rank1_input", model(
        [h.make_node("MaxPool", ["x"], ["y"], kernel_shape=[2, 2])], [X("x", [1])], [X("y", None)])
    yield "maxpool_one_pad", model(
        [h.make_node("MaxPool", ["x"], ["y"], kernel_shape=[2, 2], pads=[1])], [X("x", [1, 3, 8, 8])],
        [X("y", None)])
    yield "loop_empty_body", model(
        [h.make_node("Loop", ["", "c"], ["y"], body=body)], [h.make_tensor_value_info("c", T.BOOL, [])],
        [X("y", None)])
    yield "if_empty_branches", model(
        [h.make_node("If", ["c"], ["y", "z"], then_branch=body, else_branch=body)],
        [h.make_tensor_value_info("c", T.BOOL, [])], [X("y", None)])
    big = onnx.TensorProto(name="w", data_type=T.FLOAT, dims=[1000000, 1000000])
    yield "initializer_1e12_without_data", model(
        [h.make_node("MatMul", ["x", "w"], ["y"])], [X("x", [1, 1000000])], [X("y", None)], [big])
    yield "input_dim_2pow40", model([h.make_node("Relu", ["x"], ["y"])], [X("x", [1, 1 << 40])], [X("y", None)])
    yield "cycle", model([h.make_node("Add", ["x", "b"], ["a"]), h.make_node("Relu", ["a"], ["b"])],
                         [X("x", [1, 4])], [X("b", None)])
    yield "missing_input", model([h.make_node("Add", ["x", "nowhere"], ["y"])], [X("x", [1, 4])], [X("y", None)])


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: make_onnx_files.py SEEDS_DIR REGRESSION_DIR")
    for folder, items in ((sys.argv[1], seeds()), (sys.argv[2], hostile())):
        os.makedirs(folder, exist_ok=True)
        for name, m in items:
            with open(os.path.join(folder, name + ".onnx"), "wb") as f:
                f.write(m.SerializeToString())


if __name__ == "__main__":
    main()

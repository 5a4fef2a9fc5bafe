// OnnxImport: reads an ONNX model (Debian's libonnx-dev, protobuf underneath) into a NetCanvas design
// whose figures come from NetCanvas's own rules, plus a report of everything that did not map.
//
//   using namespace nc::core;
//   Result<onnx::ImportResult> r = onnx::importOnnx("resnet50.onnx");
//   if (!r)
//       return fail(r.error());                        // malformed, truncated or hostile file
//   std::fputs(r->report.text().c_str(), stderr);      // "3 nodes of 2 unknown types: ..."
//   AnalysisResult a = analyze(r->network);            // laid out, ONNX node names kept
//
// How it works. The file is parsed with protobuf under size and nesting limits and checked (every
// input produced exactly once, no cycles, sane dimensions). Weights are never kept: each initializer
// is reduced to its dimensions as soon as it is read, and the whole protobuf model is released before
// the call returns. Then, in topological order, shape arithmetic (Shape, Gather, Unsqueeze, Concat,
// ... feeding a Reshape) is folded to constants, and every other node gets its output shape from ONNX's
// own per-operator shape inference. Known operators and patterns of operators (MatMul+Add as Linear,
// Mul(x, Sigmoid(x)) as SiLU, the erf and tanh GELU, decomposed LayerNorm, the Q/K/V attention block as
// one multi-head attention layer, the ViT patch embedding, ...) become catalogue layers; anything else
// becomes an Opaque layer with the shape ONNX infers, counting nothing, and is listed in the report.
// NetCanvas then analyses the design with its own rules; where the result differs from ONNX's inferred
// shapes or from value_info shapes stored in the file, or where a layer's parameter count differs from
// the sizes of the initializers it consumed, the report says so.
//
// Batch: NetCanvas shapes are per sample. The batch is the first dimension of the first data input
// (a symbolic or missing batch counts as 1). If some tensor does not carry that batch on axis 0 (a
// transposed sequence-first layout, a broadcast operand), the model is imported with batch 1 and each
// tensor's full shape as one sample, so every figure stays exact.
//
// Thread-safety: the functions are reentrant; concurrent imports share only ONNX's schema registry,
// which is read-only after start-up. No exception escapes.
#pragma once

#include "core/Network.h"
#include "core/Result.h"

#include <QByteArray>
#include <QString>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace nc::core::onnx {

// Largest file accepted (protobuf cannot parse messages of 2 GiB or more).
inline constexpr qint64 kMaxOnnxBytes = (qint64(1) << 31) - 1;

struct ImportOptions {
    // Full ONNX shape (batch first) per graph input name, replacing the shape in the file.
    std::map<std::string, std::vector<int64_t>> inputShapes;
    // Values for symbolic dimensions ("seq" -> 128), and for unnamed ones by input and axis
    // ("tokens[1]" -> 128, MissingDimension::key()). A symbolic batch (axis 0 of an input) is 1
    // unless given here; any other open dimension without a value is an error
    // (missingDimensionError()).
    std::map<std::string, int64_t> symbols;
    // Graph inputs frozen to constant contents (row-major), e.g. an int64 "shape" input of a Reshape:
    // they are folded like initializers instead of becoming data inputs.
    std::map<std::string, std::vector<double>> constantInputs;
};

// An input size the file leaves open (a symbolic or unnamed dimension other than the batch) and the
// caller did not give. The import fails with missingDimensionError(); missingDimension() reads that
// error back, so a front end can ask for the size and import again with ImportOptions::symbols.
struct MissingDimension {
    std::string input;  // graph input name
    int axis = 0;       // axis of the full ONNX shape (batch first)
    std::string symbol; // the dimension's name in the file; empty when it has none
    // The ImportOptions::symbols key that gives it: the symbol, or "input[axis]" for an unnamed one.
    std::string key() const { return symbol.empty() ? input + "[" + std::to_string(axis) + "]" : symbol; }
};
std::string missingDimensionError(const MissingDimension& d);
// The dimension an import error names, when it is missingDimensionError()'s (a weight input's too).
std::optional<MissingDimension> missingDimension(const std::string& importError);

// A tensor whose shape NetCanvas's rules and another source disagree on.
struct ShapeDisagreement {
    std::string tensor; // ONNX tensor name
    std::string layer;  // NetCanvas layer that produces it
    std::string ours;   // full shape, batch first: "1×64×56×56"
    std::string theirs;
    std::string source; // "the file's value_info" or "ONNX shape inference"
};

struct ImportReport {
    int onnxNodes = 0;      // nodes in the main graph
    int layers = 0;         // NetCanvas layers created (inputs included)
    int fusedNodes = 0;     // nodes that became part of a multi-node layer (Linear, GELU, attention ...)
    int foldedNodes = 0;    // nodes computing constants (shape arithmetic, Constant), no layer
    int opaqueLayers = 0;   // layers NetCanvas does not model (counted as nothing)
    int skippedNodes = 0;   // nodes whose outputs nothing uses
    int droppedEdges = 0;   // inputs not drawn: extra inputs of opaque layers, computed attention masks
    std::vector<std::pair<std::string, int>> unknownOps; // operator types with no mapping, by count
    std::vector<std::string> unmapped;   // known operators that still became opaque, with the reason
    // Operator type of every opaque layer (unknown or known), by count: "MatMul" ×2 means two MatMul
    // nodes kept opaque. Types of other domains are written "domain.Type".
    std::vector<std::pair<std::string, int>> opaqueOps;
    std::vector<ShapeDisagreement> shapeDisagreements;
    std::vector<std::string> paramDisagreements; // layer parameter count vs. its initializers
    std::vector<std::string> notes;
    int64_t initializerValues = 0;  // floating-point weight values in the file
    int64_t unattributedValues = 0; // of those, values feeding only opaque layers (counted as their parameters)

    int unknownNodes() const;
    // One line: "imported 177 ONNX nodes as 122 layers; 3 nodes of 2 unknown types: Resize ×2, ..."
    std::string summary() const;
    // The summary and every detail, one per line; lists longer than `listLimit` entries are cut
    // there with "… and N more" (SIZE_MAX: never cut, as the GUI's report panel and `--report` show it).
    std::string text(size_t listLimit = 20) const;
};

// A graph output with the full shape NetCanvas computed for it (batch first, as in the file).
struct ImportedOutput {
    std::string name;
    std::vector<int64_t> dims;
};

struct ImportResult {
    Network network; // laid out with the editor's automatic layout
    ImportReport report;
    std::vector<ImportedOutput> outputs;
};

// Never throws, never hangs; a file NetCanvas cannot read is an Error naming the problem.
Result<ImportResult> importOnnx(const QString& path, const ImportOptions& options = {});
Result<ImportResult> importOnnxBytes(const QByteArray& bytes, const ImportOptions& options = {});

// importOnnx in a child process (fork): the file is parsed, checked and shape-inferred there, and
// the design comes back as a design file through a pipe. The importer checks every node with ONNX's
// checker and NetCanvas's own rank checks before ONNX's shape inference sees it, but that inference
// is third-party code that reads out of bounds on some malformed nodes; in a child, such a crash is
// an Error naming the signal and the caller (the editor with the user's open work) lives on.
// Falls back to importOnnx in-process where fork is unavailable.
Result<ImportResult> importOnnxIsolated(const QString& path, const ImportOptions& options = {});

// True for operator types (default domain) that NetCanvas maps to layers or folds as constants;
// anything else becomes an opaque layer. Some need particular attributes or neighbours (a MatMul
// maps to Linear only with a constant 2-D weight; Erf only as part of a GELU).
bool isSupportedOperator(const std::string& opType);
std::vector<std::string> supportedOperators();

} // namespace nc::core::onnx

// CliCommon: helpers every netcanvas-cli command shares — error exit, number parsing, loading any
// design (zoo:NAME, a .json design or an .onnx model).
#pragma once

#include "core/Network.h"
#include "core/Result.h"
#include "core/onnx/OnnxImport.h"

#include <functional>
#include <string>

namespace nc::app {

// Prints "netcanvas-cli: WHY" on stderr; returns the exit status 1.
int fail(const std::string& why);
// A whole number in [lo, hi] with nothing after it.
bool parseInt(const char* s, long long lo, long long hi, long long& out);
// A byte count, "262144", "256KiB" or "1MiB", from 1 B to 2^50 B.
bool parseByteSize(const char* v, long long& out);
bool isOnnxPath(const std::string& spec);

// What an option handler says of one "--name VALUE" pair: not one of its options, or accepted, or
// refused with a one-line reason.
struct OptionResult {
    bool known = true;
    std::string error;
    bool tookValue = true; // false for a flag ("--deploy"): the next argument is not its value
};
using OptionHandler = std::function<OptionResult(const std::string& name, const char* value)>;
// Walks argv[2..]: every option goes to `handler` with the argument after it (nullptr when there is
// none), which it takes as its value unless it answers tookValue = false; the single positional
// argument is returned in `spec`. Returns "" or the reason to fail.
std::string parseArguments(int argc, char** argv, const OptionHandler& handler, std::string& spec,
                           const char* noun = "design");
// "--dim SYMBOL=N" / "--input NAME=D0,D1,..." into the ONNX import options.
OptionResult parseOnnxOption(const std::string& opt, const char* value, nc::core::onnx::ImportOptions& options);
// "--format table|csv|json".
OptionResult parseFormat(const char* value, std::string& format);
// Loads "zoo:NAME", a design file or an ONNX model; an ONNX import prints its report to stderr
// (the summary line, or every detail when `details`).
nc::core::Result<nc::core::Network> loadAny(const std::string& spec,
                                            const nc::core::onnx::ImportOptions& options, bool details);

} // namespace nc::app

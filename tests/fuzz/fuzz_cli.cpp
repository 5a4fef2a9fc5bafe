// fuzz_cli: netcanvas-cli's argument parsing — the input is split at NUL bytes into argv, then walked
// by parseArguments with handlers for the options every command shares (numbers, --format, the
// ONNX --dim/--input forms). No command runs: nothing is loaded or written.
#include "CliCommon.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    std::vector<std::string> args{"netcanvas-cli", "analyze"};
    std::string cur;
    for (size_t i = 0; i < size && args.size() < 64; ++i) {
        if (data[i] == 0) {
            args.push_back(cur);
            cur.clear();
        } else {
            cur += static_cast<char>(data[i]);
        }
    }
    args.push_back(cur);
    std::vector<char*> argv;
    for (auto& a : args)
        argv.push_back(a.data());
    argv.push_back(nullptr);

    std::string format = "table", spec;
    long long number = 0;
    nc::core::onnx::ImportOptions onnx;
    auto handler = [&](const std::string& name, const char* value) -> nc::app::OptionResult {
        if (name == "--format")
            return nc::app::parseFormat(value, format);
        if (name == "--batch" || name == "--threads" || name == "--bits")
            return {true, value && nc::app::parseInt(value, 1, 1000000, number) ? std::string() : "bad number"};
        if (name == "--dim" || name == "--input")
            return nc::app::parseOnnxOption(name, value, onnx);
        return {false, {}};
    };
    std::string why = nc::app::parseArguments(static_cast<int>(args.size()), argv.data(), handler, spec);
    (void)why;
    (void)nc::app::isOnnxPath(spec);
    return 0;
}

// fuzz_onnx: the ONNX importer, in process (so a crash inside ONNX's shape inference is found here,
// not hidden by importOnnxIsolated's child process), followed by analysis.
#include "FuzzChecks.h"

#include "core/onnx/OnnxImport.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    auto r = nc::core::onnx::importOnnxBytes(
        QByteArray::fromRawData(reinterpret_cast<const char*>(data), static_cast<qsizetype>(size)));
    if (!r)
        return 0;
    ncfuzz::checkAnalysis(nc::core::analyze(r->network));
    (void)r->report.text();
    return 0;
}

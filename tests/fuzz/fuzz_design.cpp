// fuzz_design: the design-file loader followed by analysis, serialisation and a second load.
#include "FuzzChecks.h"

#include "core/NetworkFile.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    auto net = nc::core::parseNetwork(QByteArray(reinterpret_cast<const char*>(data), static_cast<qsizetype>(size)));
    if (!net)
        return 0;
    ncfuzz::checkAnalysis(nc::core::analyze(*net));
    // What was accepted is saved and read back unchanged.
    const QByteArray saved = nc::core::serializeNetwork(*net);
    auto again = nc::core::parseNetwork(saved);
    ncfuzz::require(again.ok(), "a saved design does not load");
    ncfuzz::require(nc::core::serializeNetwork(*again) == saved, "save → load → save is not identical");
    return 0;
}

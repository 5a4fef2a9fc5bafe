// PayloadSkip (internal to nc_onnx): a copy of an ONNX file without the weight payloads, made at
// the protobuf wire level before parsing, so an import never reads, copies or parses the weights
// (a 528 MB VGG-16 becomes a few kilobytes to parse). Only the raw_data of the main graph's
// initializers is skipped, and only when it is larger than any constant the importer keeps: the
// dims, type and name stay, and the skipped byte counts are returned so the importer still checks
// every payload's size against its dims.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace nc::core::onnx::detail {

struct SkimmedModel {
    std::string bytes; // the ModelProto without the skipped payloads
    // (index among the main graph's initializers, bytes of raw_data skipped), in file order.
    std::vector<std::pair<int, uint64_t>> skipped;
    // Where each skipped payload starts in the original bytes (same order as `skipped`), valid as
    // long as those bytes are: the importer samples a few values of big tables there (tie check).
    std::vector<const char*> payloads;
};

// Skips raw_data payloads longer than `minBytes`. nullopt when there is nothing to skip or the
// data is not well-formed protobuf wire data of the shape expected (a graph field twice, raw_data
// twice in one tensor, groups, truncation): the caller then parses the original bytes as before,
// and protobuf reports what is wrong.
std::optional<SkimmedModel> skimPayloads(const char* data, size_t size, uint64_t minBytes);

} // namespace nc::core::onnx::detail

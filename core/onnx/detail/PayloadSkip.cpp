// PayloadSkip: walks ModelProto -> graph (field 7) -> initializer (field 5) -> raw_data (field 9)
// on the wire, copying every other field byte for byte (field numbers from onnx/onnx.proto3).
#include "PayloadSkip.h"

namespace nc::core::onnx::detail {

namespace {

constexpr uint32_t kModelGraph = 7;
constexpr uint32_t kGraphInitializer = 5;
constexpr uint32_t kTensorRawData = 9;

enum WireType : uint32_t { Varint = 0, Fixed64 = 1, Delimited = 2, Fixed32 = 5 };

struct Reader {
    const uint8_t* p;
    const uint8_t* end;

    bool varint(uint64_t& v)
    {
        v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (p == end)
                return false;
            const uint8_t b = *p++;
            v |= uint64_t(b & 0x7f) << shift;
            if (!(b & 0x80))
                return true;
        }
        return false;
    }
};

// One field: its number, wire type, the whole field's bytes and, for length-delimited fields, the
// payload. False on anything malformed.
struct Field {
    uint32_t number = 0;
    uint32_t type = 0;
    const uint8_t* begin = nullptr;
    const uint8_t* payload = nullptr;
    uint64_t length = 0;
    const uint8_t* end = nullptr;
};

bool next(Reader& r, Field& f)
{
    f.begin = r.p;
    uint64_t tag;
    if (!r.varint(tag) || tag >> 3 == 0 || tag >> 3 > 0x1fffffff)
        return false;
    f.number = static_cast<uint32_t>(tag >> 3);
    f.type = static_cast<uint32_t>(tag & 7);
    const auto left = [&] { return static_cast<uint64_t>(r.end - r.p); };
    switch (f.type) {
    case Varint: {
        uint64_t v;
        if (!r.varint(v))
            return false;
        break;
    }
    case Fixed64:
        if (left() < 8)
            return false;
        r.p += 8;
        break;
    case Fixed32:
        if (left() < 4)
            return false;
        r.p += 4;
        break;
    case Delimited:
        if (!r.varint(f.length) || f.length > left())
            return false;
        f.payload = r.p;
        r.p += f.length;
        break;
    default: // groups (3, 4) and invalid types: ONNX uses none
        return false;
    }
    f.end = r.p;
    return true;
}

void putVarint(std::string& out, uint64_t v)
{
    while (v >= 0x80) {
        out.push_back(static_cast<char>((v & 0x7f) | 0x80));
        v >>= 7;
    }
    out.push_back(static_cast<char>(v));
}

void copy(std::string& out, const Field& f) { out.append(reinterpret_cast<const char*>(f.begin), f.end - f.begin); }

void putMessage(std::string& out, uint32_t number, const std::string& body)
{
    putVarint(out, (uint64_t(number) << 3) | Delimited);
    putVarint(out, body.size());
    out += body;
}

// A TensorProto: its raw_data left out when long; `skipped` gets its length (0: kept).
bool tensor(const uint8_t* p, uint64_t n, uint64_t minBytes, std::string& out, uint64_t& skipped,
            const uint8_t*& payload)
{
    Reader r{p, p + n};
    bool raw = false;
    while (r.p != r.end) {
        Field f;
        if (!next(r, f))
            return false;
        if (f.number == kTensorRawData) {
            if (raw || f.type != Delimited)
                return false; // a repeated raw_data would be merged by protobuf: leave it to the parser
            raw = true;
            if (f.length > minBytes) {
                skipped = f.length;
                payload = f.payload;
                continue;
            }
        }
        copy(out, f);
    }
    return true;
}

bool graph(const uint8_t* p, uint64_t n, uint64_t minBytes, std::string& out, SkimmedModel& m, int& initializers)
{
    Reader r{p, p + n};
    while (r.p != r.end) {
        Field f;
        if (!next(r, f))
            return false;
        if (f.number != kGraphInitializer || f.type != Delimited) {
            copy(out, f);
            continue;
        }
        std::string body;
        uint64_t skipped = 0;
        const uint8_t* payload = nullptr;
        if (!tensor(f.payload, f.length, minBytes, body, skipped, payload))
            return false;
        if (skipped) {
            m.skipped.emplace_back(initializers, skipped);
            m.payloads.push_back(reinterpret_cast<const char*>(payload));
            putMessage(out, kGraphInitializer, body);
        } else {
            copy(out, f);
        }
        ++initializers;
    }
    return true;
}

} // namespace

std::optional<SkimmedModel> skimPayloads(const char* data, size_t size, uint64_t minBytes)
{
    SkimmedModel m;
    Reader r{reinterpret_cast<const uint8_t*>(data), reinterpret_cast<const uint8_t*>(data) + size};
    bool seenGraph = false;
    int initializers = 0;
    while (r.p != r.end) {
        Field f;
        if (!next(r, f))
            return std::nullopt;
        if (f.number != kModelGraph || f.type != Delimited) {
            copy(m.bytes, f);
            continue;
        }
        if (seenGraph)
            return std::nullopt; // two graph fields merge in protobuf: leave it to the parser
        seenGraph = true;
        std::string body;
        if (!graph(f.payload, f.length, minBytes, body, m, initializers))
            return std::nullopt;
        putMessage(m.bytes, kModelGraph, body);
    }
    if (m.skipped.empty())
        return std::nullopt;
    return m;
}

} // namespace nc::core::onnx::detail

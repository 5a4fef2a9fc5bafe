// CliCommon: helpers every netcanvas-cli command shares.
#include "CliCommon.h"

#include "core/Zoo.h"

#include <QString>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace nc::app {

int fail(const std::string& why)
{
    std::fprintf(stderr, "netcanvas-cli: %s\n", why.c_str());
    return 1;
}

bool parseInt(const char* s, long long lo, long long hi, long long& out)
{
    char* end = nullptr;
    errno = 0;
    long long v = std::strtoll(s, &end, 10);
    if (errno || !end || *end || end == s || v < lo || v > hi)
        return false;
    out = v;
    return true;
}

bool parseByteSize(const char* v, long long& out)
{
    std::string s = v;
    long long scale = 1;
    for (auto [suffix, f] : {std::pair{"KiB", 1024LL}, std::pair{"MiB", 1024LL * 1024}}) {
        const size_t n = std::strlen(suffix);
        if (s.size() > n && s.compare(s.size() - n, n, suffix) == 0) {
            s.resize(s.size() - n);
            scale = f;
        }
    }
    long long x;
    if (!parseInt(s.c_str(), 1, (1LL << 50) / scale, x))
        return false;
    out = x * scale;
    return true;
}

bool isOnnxPath(const std::string& spec)
{
    if (spec.size() < 5)
        return false;
    std::string ext = spec.substr(spec.size() - 5);
    for (char& c : ext)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return ext == ".onnx";
}

// "--dim seq=128" and "--input pixel_values=1,3,224,224"; false with a reason on bad syntax.
// Loads "zoo:NAME", a design file or an ONNX model; an ONNX import prints its report to stderr
// (the summary line, or every detail when `details`).
nc::core::Result<nc::core::Network> loadAny(const std::string& spec,
                                            const nc::core::onnx::ImportOptions& options, bool details)
{
    if (!isOnnxPath(spec))
        return nc::core::loadDesign(spec);
    auto r = nc::core::onnx::importOnnxIsolated(QString::fromStdString(spec), options);
    if (!r)
        return nc::core::Error{r.error()};
    std::string text = details ? r->report.text() : r->report.summary() + "\n";
    std::fprintf(stderr, "%s", text.c_str());
    return std::move(r->network);
}

std::string parseArguments(int argc, char** argv, const OptionHandler& handler, std::string& spec,
                           const char* noun)
{
    for (int i = 2; i < argc; ++i) {
        const std::string a = argv[i];
        if (!a.empty() && a[0] == '-') {
            OptionResult r = handler(a, i + 1 < argc ? argv[i + 1] : nullptr);
            if (!r.known)
                return "unknown option " + a;
            if (!r.error.empty())
                return r.error;
            if (r.tookValue)
                ++i;
        } else if (spec.empty()) {
            spec = a;
        } else {
            return std::string("more than one ") + noun + " given: " + spec + " and " + a;
        }
    }
    return {};
}

// "--dim SYMBOL=N" / "--input NAME=D0,D1,..." into the ONNX import options.
OptionResult parseOnnxOption(const std::string& opt, const char* v, nc::core::onnx::ImportOptions& o)
{
    std::string arg = v ? v : "";
    size_t eq = arg.find('=');
    if (!v || eq == 0 || eq == std::string::npos || eq + 1 == arg.size())
        return {true, opt + (opt == "--dim" ? " takes SYMBOL=N, e.g. --dim seq=128"
                                            : " takes NAME=D0,D1,..., e.g. --input x=1,3,224,224")};
    std::string name = arg.substr(0, eq), rest = arg.substr(eq + 1);
    std::vector<int64_t> dims;
    size_t start = 0;
    while (start <= rest.size()) {
        size_t comma = rest.find(',', start);
        std::string part = rest.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        long long d;
        if (!parseInt(part.c_str(), 1, 2147483648LL, d))
            return {true, opt + ": \"" + part + "\" is not a size from 1 to 2147483648"};
        dims.push_back(d);
        if (comma == std::string::npos)
            break;
        start = comma + 1;
    }
    if (opt == "--dim") {
        if (dims.size() != 1)
            return {true, "--dim takes one size: SYMBOL=N"};
        o.symbols[name] = dims[0];
    } else {
        o.inputShapes[name] = dims;
    }
    return {};
}

OptionResult parseFormat(const char* value, std::string& format)
{
    if (!value || (std::strcmp(value, "table") && std::strcmp(value, "csv") && std::strcmp(value, "json")))
        return {true, "--format takes table, csv or json"};
    format = value;
    return {};
}

} // namespace nc::app

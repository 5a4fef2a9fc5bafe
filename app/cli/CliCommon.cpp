// CliCommon: helpers every netcanvas-cli command shares.
#include "CliCommon.h"

#include "core/Zoo.h"

#include <QString>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

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
            ++i;
        } else if (spec.empty()) {
            spec = a;
        } else {
            return std::string("more than one ") + noun + " given: " + spec + " and " + a;
        }
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

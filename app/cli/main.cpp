// netcanvas-cli: everything the GUI computes, printed — analyze a design or a zoo model, list the zoo.
#include "core/Analysis.h"
#include "core/Report.h"
#include "core/Zoo.h"

#include <QCoreApplication>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>

namespace {

int usage()
{
    std::fprintf(stderr,
                 "usage:\n"
                 "  netcanvas-cli analyze FILE|zoo:NAME [--bits 32|16|8|4] [--batch N] [--format table|csv|json]\n"
                 "  netcanvas-cli zoo\n");
    return 2;
}

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

int analyzeCommand(int argc, char** argv)
{
    std::string spec, format = "table";
    long long bits = 0, batch = 0;
    for (int i = 2; i < argc; ++i) {
        std::string a = argv[i];
        auto next = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
        if (a == "--bits") {
            const char* v = next();
            if (!v || !parseInt(v, 1, 32, bits) || (bits != 32 && bits != 16 && bits != 8 && bits != 4))
                return fail("--bits takes 32, 16, 8 or 4");
        } else if (a == "--batch") {
            const char* v = next();
            if (!v || !parseInt(v, 1, 1000000000, batch))
                return fail("--batch takes a whole number from 1 to 1000000000");
        } else if (a == "--format") {
            const char* v = next();
            if (!v || (std::strcmp(v, "table") && std::strcmp(v, "csv") && std::strcmp(v, "json")))
                return fail("--format takes table, csv or json");
            format = v;
        } else if (!a.empty() && a[0] == '-') {
            return fail("unknown option " + a);
        } else if (spec.empty()) {
            spec = a;
        } else {
            return fail("more than one design given: " + spec + " and " + a);
        }
    }
    if (spec.empty())
        return usage();
    auto net = nc::core::loadDesign(spec);
    if (!net)
        return fail(net.error());
    if (bits)
        net->bits = static_cast<int>(bits);
    if (batch)
        net->batch = batch;
    nc::core::AnalysisResult a = nc::core::analyze(*net);
    if (format == "json") {
        QByteArray j = nc::core::reportJson(*net, a);
        std::fwrite(j.constData(), 1, static_cast<size_t>(j.size()), stdout);
    } else if (format == "csv") {
        std::fputs(nc::core::reportCsv(*net, a).c_str(), stdout);
    } else {
        std::fputs(nc::core::reportTable(*net, a).c_str(), stdout);
    }
    if (a.totals.errors) {
        for (const auto& l : a.layers)
            if (l.status == nc::core::LayerStatus::Error)
                return fail(std::to_string(a.totals.errors) + " layer(s) have errors; first: " + l.message);
    }
    return 0;
}

int zooCommand()
{
    for (const auto& e : nc::core::zooEntries())
        std::printf("zoo:%-14s %-13s %s\n", e.key.c_str(), e.title.c_str(), e.description.c_str());
    return 0;
}

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv); // for Qt's resource system and file I/O; no event loop runs
    try {
        if (argc < 2)
            return usage();
        std::string cmd = argv[1];
        if (cmd == "analyze")
            return analyzeCommand(argc, argv);
        if (cmd == "zoo")
            return zooCommand();
        if (cmd == "--help" || cmd == "-h" || cmd == "help") {
            usage();
            return 0;
        }
        return fail("unknown command \"" + cmd + "\"; try analyze or zoo");
    } catch (const std::exception& e) {
        return fail(std::string("internal error: ") + e.what());
    }
}

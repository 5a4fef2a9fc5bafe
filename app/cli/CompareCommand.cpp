// CompareCommand: `netcanvas-cli compare A B` or `netcanvas-cli compare A --width 0.5` (B is the
// variant of A a scaling knob makes).
#include "CompareCommand.h"

#include "CliCommon.h"
#include "core/Analysis.h"
#include "core/compare/Compare.h"
#include "core/compare/Scaling.h"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace nc::app {

namespace {

bool parseFactor(const char* v, double lo, double hi, double& out)
{
    if (!v)
        return false;
    char* end = nullptr;
    out = std::strtod(v, &end);
    return end && end != v && !*end && out >= lo && out <= hi;
}

} // namespace

int compareCommand(int argc, char** argv)
{
    std::vector<std::string> specs;
    std::string format = "table", knob;
    double factor = 0;
    long long divisor = 8, bits = 0, batch = 0;
    for (int i = 2; i < argc; ++i) {
        const std::string a = argv[i];
        const char* v = i + 1 < argc ? argv[i + 1] : nullptr;
        if (a.empty() || a[0] != '-') {
            if (specs.size() == 2)
                return fail("compare takes two designs; a third was given: " + a);
            specs.push_back(a);
            continue;
        }
        if (a == "--format") {
            OptionResult r = parseFormat(v, format);
            if (!r.error.empty())
                return fail(r.error);
            if (format == "csv")
                return fail("compare writes --format table or json");
        } else if (a == "--width" || a == "--depth" || a == "--resolution") {
            if (!knob.empty())
                return fail("one scaling knob at a time: " + knob + " and " + a);
            if (!parseFactor(v, 0.01, 64, factor))
                return fail(a + " takes a multiplier from 0.01 to 64, e.g. " + a + " 0.5");
            knob = a;
        } else if (a == "--compound") {
            if (!knob.empty())
                return fail("one scaling knob at a time: " + knob + " and " + a);
            if (!parseFactor(v, -8, 8, factor))
                return fail("--compound takes φ from -8 to 8, e.g. --compound 1");
            knob = a;
        } else if (a == "--divisor") {
            if (!v || !parseInt(v, 1, 4096, divisor))
                return fail("--divisor takes a whole number of channels from 1 to 4096");
        } else if (a == "--bits") {
            if (!v || !parseInt(v, 1, 32, bits) || !(bits == 32 || bits == 16 || bits == 8 || bits == 4))
                return fail("--bits takes 32, 16, 8 or 4");
        } else if (a == "--batch") {
            if (!v || !parseInt(v, 1, 1000000000, batch))
                return fail("--batch takes a whole number from 1 to 1000000000");
        } else {
            return fail("unknown option " + a);
        }
        ++i;
    }
    if (specs.empty() || (specs.size() == 1 && knob.empty()))
        return fail("compare takes two designs (compare A B) or one and a scaling knob "
                    "(compare A --width|--depth|--resolution M, or --compound PHI)");
    if (specs.size() == 2 && !knob.empty())
        return fail(knob + " makes B from A: give one design with it, not two");

    core::onnx::ImportOptions none;
    std::vector<core::Network> nets;
    for (const std::string& s : specs) {
        auto net = loadAny(s, none, false);
        if (!net)
            return fail(s + ": " + net.error());
        if (bits)
            net->bits = static_cast<int>(bits);
        if (batch)
            net->batch = batch;
        nets.push_back(std::move(*net));
    }
    if (nets.size() == 1) {
        core::Result<core::Network> b = core::Error{"no knob"};
        if (knob == "--width")
            b = core::compare::scaleWidth(nets[0], factor, divisor);
        else if (knob == "--depth")
            b = core::compare::scaleDepth(nets[0], factor);
        else if (knob == "--resolution")
            b = core::compare::scaleResolution(nets[0], factor);
        else
            b = core::compare::compoundScale(nets[0], factor, divisor);
        if (!b)
            return fail(specs[0] + ": " + b.error());
        nets.push_back(std::move(*b));
    }
    const core::AnalysisResult aa = core::analyze(nets[0]), ab = core::analyze(nets[1]);
    const core::compare::Comparison c = core::compare::compareDesigns(nets[0], aa, nets[1], ab);
    const std::string text =
        format == "json" ? core::compare::comparisonJson(c) : core::compare::comparisonTable(c);
    std::fwrite(text.data(), 1, text.size(), stdout);
    if (c.a.errors || c.b.errors)
        return fail((c.a.errors ? c.a.name + ": " + c.a.firstError : c.b.name + ": " + c.b.firstError));
    return 0;
}

} // namespace nc::app

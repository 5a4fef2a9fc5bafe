// netcanvas-cli: everything the GUI computes, printed — analyze a design, a zoo model or an ONNX file,
// list the zoo, import ONNX models and export designs to PyTorch or ONNX.
#include "BenchCommand.h"
#include "CliCommon.h"
#include "CompareCommand.h"
#include "EnergyCommand.h"
#include "MemoryCommand.h"
#include "TrainCommand.h"
#include "core/Analysis.h"
#include "core/BitWidth.h"
#include "core/NetworkFile.h"
#include "core/Report.h"
#include "core/Zoo.h"
#include "core/export/PyTorchExport.h"
#include "core/onnx/OnnxExport.h"
#include "core/onnx/OnnxImport.h"

#include <QCoreApplication>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstdint>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

using nc::app::fail;
using nc::app::isOnnxPath;
using nc::app::loadAny;
using nc::app::parseInt;
using nc::app::parseOnnxOption;

namespace {

int usage()
{
    std::fprintf(
        stderr,
        "usage:\n"
        "  netcanvas-cli analyze FILE|zoo:NAME [--bits 32|16|8|4] [--batch N] [--context T]\n"
        "                        [--format table|csv|json] [--dim SYMBOL=N] [--input NAME=D0,D1,...]\n"
        "  netcanvas-cli train FILE|zoo:NAME [--batch N] [--context T] [--optimizer sgd|momentum|adam]\n"
        "                      [--precision fp32|mixed] [--recompute none|full|selective|every:K]\n"
        "                      [--dp N --zero S] [--tp N] [--pp N --microbatches M] [--stages A,B,...]\n"
        "                      [--device-memory BYTES] [--device-flops F] [--format table|json]\n"
        "  netcanvas-cli import MODEL.onnx [-o DESIGN.json] [--report] [--dim SYMBOL=N]\n"
        "                       [--input NAME=D0,D1,...]\n"
        "  netcanvas-cli export FILE|zoo:NAME --to pytorch|onnx -o OUT\n"
        "  netcanvas-cli bench FILE|zoo:NAME [--backend eigen|onednn] [--threads N] [--batch N]\n"
        "                      [--seconds S] [--format table|csv|json]\n"
        "  netcanvas-cli memory FILE|zoo:NAME [--bits N] [--deploy] [--inplace-depthwise on|off]\n"
        "                       [--flash-attention on|off]\n"
        "                       [--schedule default|optimal] [--planner greedy|best]\n"
        "                       [--patches N --patch-layers K | --patches auto] [--budget BYTES]\n"
        "                       [--format table|json|header]\n"
        "  netcanvas-cli compare A B [--bits N] [--batch N] [--format table|json]\n"
        "  netcanvas-cli compare A --width M [--divisor D] | --depth M | --resolution M | --compound PHI\n"
        "                        (B is A scaled: width, depth or resolution × M, or EfficientNet's φ)\n"
        "  netcanvas-cli energy FILE|zoo:NAME [--table horowitz45|horowitz45-1mb|FILE] [--budget BYTES]\n"
        "                       [--bits N] [--write-table FILE] [--format table|json]\n"
        "  netcanvas-cli zoo\n"
        "FILE is a design (.json) or an ONNX model (.onnx); --dim and --input set the sizes of an ONNX\n"
        "model's symbolic dimensions or whole input shapes (batch first).\n");
    return 2;
}


int analyzeCommand(int argc, char** argv)
{
    std::string spec, format = "table";
    long long bits = 0, batch = 0, context = 0;
    nc::core::onnx::ImportOptions onnxOptions;
    std::string why = nc::app::parseArguments(
        argc, argv,
        [&](const std::string& a, const char* v) -> nc::app::OptionResult {
            if (a == "--dim" || a == "--input")
                return parseOnnxOption(a, v, onnxOptions);
            if (a == "--bits") {
                if (!v || !parseInt(v, 1, 32, bits) || !nc::core::isBitWidth(static_cast<int>(bits)))
                    return {true, "--bits takes " + nc::core::bitWidthList()};
                return {};
            }
            if (a == "--batch") {
                if (!v || !parseInt(v, 1, 1000000000, batch))
                    return {true, "--batch takes a whole number from 1 to 1000000000"};
                return {};
            }
            if (a == "--context") {
                if (!v || !parseInt(v, 1, 1000000000, context))
                    return {true, "--context takes a whole number of tokens from 1 to 1000000000"};
                return {};
            }
            if (a == "--format")
                return nc::app::parseFormat(v, format);
            return {false, {}};
        },
        spec);
    if (!why.empty())
        return fail(why);
    if (spec.empty())
        return usage();
    if ((!onnxOptions.symbols.empty() || !onnxOptions.inputShapes.empty()) && !isOnnxPath(spec))
        return fail("--dim and --input apply to ONNX models (.onnx) only");
    auto net = loadAny(spec, onnxOptions, false);
    if (!net)
        return fail(net.error());
    if (bits)
        net->bits = static_cast<int>(bits);
    if (batch)
        net->batch = batch;
    if (context)
        net->context = context;
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

int importCommand(int argc, char** argv)
{
    std::string spec, out;
    bool report = false;
    nc::core::onnx::ImportOptions options;
    std::string why = nc::app::parseArguments(
        argc, argv,
        [&](const std::string& a, const char* v) -> nc::app::OptionResult {
            if (a == "--dim" || a == "--input")
                return parseOnnxOption(a, v, options);
            if (a == "-o" || a == "--output") {
                if (!v)
                    return {true, a + " takes the path of the design to write"};
                out = v;
                return {};
            }
            if (a == "--report") {
                report = true;
                return {true, {}, false};
            }
            return {false, {}};
        },
        spec, "model");
    if (!why.empty())
        return fail(why);
    if (spec.empty())
        return usage();
    if (!isOnnxPath(spec))
        return fail("import reads ONNX models (.onnx); " + spec + " is not one");
    if (out.empty() && !report)
        return fail("say where to write the design (-o DESIGN.json) or ask for the report (--report)");
    auto r = nc::core::onnx::importOnnxIsolated(QString::fromStdString(spec), options);
    if (!r)
        return fail(r.error());
    // --report: the whole report, every list in full, is the command's output; without it the
    // report is a diagnostic beside the written design.
    const std::string text = r->report.text(report ? SIZE_MAX : 20);
    std::fputs(text.c_str(), report ? stdout : stderr);
    if (!out.empty())
        if (auto s = nc::core::saveNetwork(r->network, QString::fromStdString(out)); !s)
            return fail(s.error());
    return 0;
}

int exportCommand(int argc, char** argv)
{
    std::string spec, to, out;
    std::string why = nc::app::parseArguments(
        argc, argv,
        [&](const std::string& a, const char* v) -> nc::app::OptionResult {
            if (a == "--to") {
                if (!v || (std::strcmp(v, "pytorch") && std::strcmp(v, "onnx")))
                    return {true, "--to takes pytorch or onnx"};
                to = v;
                return {};
            }
            if (a == "-o" || a == "--output") {
                if (!v)
                    return {true, a + " takes the path of the file to write"};
                out = v;
                return {};
            }
            return {false, {}};
        },
        spec);
    if (!why.empty())
        return fail(why);
    if (spec.empty())
        return usage();
    if (to.empty())
        return fail("say what to export to: --to pytorch or --to onnx");
    if (out.empty())
        return fail("say where to write: -o OUT");
    auto net = loadAny(spec, {}, false);
    if (!net)
        return fail(net.error());
    const QString path = QString::fromStdString(out);
    nc::core::Status s =
        to == "pytorch" ? nc::core::savePyTorch(*net, path) : nc::core::onnx::exportOnnx(*net, path);
    if (!s)
        return fail(s.error());
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
        if (cmd == "import")
            return importCommand(argc, argv);
        if (cmd == "export")
            return exportCommand(argc, argv);
        if (cmd == "memory")
            return nc::app::memoryCommand(argc, argv);
        if (cmd == "energy")
            return nc::app::energyCommand(argc, argv);
        if (cmd == "bench")
            return nc::app::benchCommand(argc, argv);
        if (cmd == "train")
            return nc::app::trainCommand(argc, argv);
        if (cmd == "compare")
            return nc::app::compareCommand(argc, argv);
        if (cmd == "--help" || cmd == "-h" || cmd == "help") {
            usage();
            return 0;
        }
        return fail("unknown command \"" + cmd + "\"; try analyze, train, bench, memory, compare, energy, import, export or zoo");
    } catch (const std::exception& e) {
        return fail(std::string("internal error: ") + e.what());
    }
}

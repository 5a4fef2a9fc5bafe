// What every generated example sees: the core headers and a few stand-ins for the surrounding program.
#pragma once

#include "core/Analysis.h"
#include "core/Catalogue.h"
#include "core/Commands.h"
#include "core/Document.h"
#include "core/Explain.h"
#include "core/LayerRules.h"
#include "core/ModelBuilder.h"
#include "core/Zoo.h"
#include "core/export/PyTorchExport.h"
#include "core/layers/LayerKind.h"
#include "core/onnx/OnnxExport.h"
#include "core/onnx/OnnxImport.h"

#include <QDir>
#include <QString>

#include <cstdio>
#include <string>
#include <vector>

using namespace nc::core;

struct Example {
    const char* source;
    Status (*run)();
};
const std::vector<Example>& examples();

// Where examples that write files put them (set by the test before running).
inline QString& exampleDir()
{
    static QString dir;
    return dir;
}
inline Status fail(const std::string& why) { return Error{why}; }

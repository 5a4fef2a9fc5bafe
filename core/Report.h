// Report: the per-layer analysis as text — a torchinfo-style table, CSV and the documented JSON
// schema. The CLI prints these; the GUI's CSV export writes the same CSV.
#pragma once

#include "Analysis.h"
#include "Network.h"

#include <QByteArray>
#include <string>

namespace nc::core {

std::string reportTable(const Network& net, const AnalysisResult& a);
std::string reportCsv(const Network& net, const AnalysisResult& a);
// Schema in README "CLI JSON schema"; counts are JSON integers.
QByteArray reportJson(const Network& net, const AnalysisResult& a);

// "224×224" style receptive field text, "—" when the tensor has no spatial meaning.
std::string rfText(const ReceptiveField& rf);

} // namespace nc::core

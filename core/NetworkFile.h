// NetworkFile: the versioned JSON design format — reading (as untrusted input) and atomic writing.
//
// Format (version 1):
//   { "format": "netcanvas", "version": 1, "name": "...", "batch": 1, "bits": 32,
//     "layers": [ {"id": 1, "name": "input", "type": "input", "x": 0, "y": 0,
//                  "attrs": {"shape": [3, 224, 224]}} , ...],
//     "edges":  [ {"id": 1, "from": 1, "to": 2, "port": 0}, ... ] }
// Every attribute of a layer kind is written, so a file says exactly what was analysed.
#pragma once

#include "Network.h"
#include "Result.h"

#include <QByteArray>
#include <QString>

namespace nc::core {

inline constexpr int kFormatVersion = 1;
inline constexpr qint64 kMaxFileBytes = 64LL * 1024 * 1024;
inline constexpr int kMaxLayers = 200000;

// Parses a design. Every id, type, attribute, range and edge is checked with the editor's rules;
// the first problem is returned, naming the layer or edge. Never throws, never hangs.
Result<Network> parseNetwork(const QByteArray& json);
Result<Network> loadNetwork(const QString& path);

// Serialises deterministically: save → load → save is byte-identical.
QByteArray serializeNetwork(const Network& net);
// Writes to a temporary file and renames it over `path`, so a failure leaves the old file intact.
Status saveNetwork(const Network& net, const QString& path);

} // namespace nc::core

// NetworkFile: the versioned JSON design format — reading (as untrusted input) and atomic writing.
//
// Format (version 2):
//   { "format": "netcanvas", "version": 2, "name": "...", "batch": 1, "bits": 32,
//     "layers": [ {"id": 1, "name": "input", "type": "input", "x": 0, "y": 0,
//                  "attrs": {"shape": [3, 224, 224]}} , ...],
//     "edges":  [ {"id": 1, "from": 1, "to": 2, "port": 0}, {"id": 9, "from": 7, "from_port": 1, ...}, ... ] }
// "from_port" is written only for an output port other than 0.
// Version 3 adds the user's groups, written only when there are any (a file without them is version 2):
//     "groups": [ {"name": "stem", "members": [1, 2, 3]}, ... ]
// Every attribute of a layer kind is written, so a file says exactly what was analysed.
#pragma once

#include "Network.h"
#include "Result.h"

#include <QByteArray>
#include <QString>

namespace nc::core {

// Version 2 added output ports ("from_port" on edges, for layers with several outputs such as Split).
// Version-1 files open unchanged: every edge then leaves output port 0. Version 3 added "groups"
// (Network::groups); it is the newest version read and is written only for designs with groups.
inline constexpr int kFormatVersion = 3;
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

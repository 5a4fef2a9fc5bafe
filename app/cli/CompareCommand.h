// CompareCommand: "netcanvas-cli compare" — two designs, or a design and a scaled variant, side by side.
#pragma once

namespace nc::app {

int compareCommand(int argc, char** argv);

} // namespace nc::app

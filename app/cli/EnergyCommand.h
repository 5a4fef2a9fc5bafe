// EnergyCommand: "netcanvas-cli energy" — the per-layer energy estimate (core/energy) as a table or JSON.
#pragma once

namespace nc::app {

int energyCommand(int argc, char** argv);

} // namespace nc::app

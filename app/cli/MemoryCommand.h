// MemoryCommand: "netcanvas-cli memory" — peak memory of a schedule, its arena plan and patch plan.
#pragma once

namespace nc::app {

int memoryCommand(int argc, char** argv);

} // namespace nc::app

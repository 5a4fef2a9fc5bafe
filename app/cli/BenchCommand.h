// BenchCommand: `netcanvas-cli bench`, the kernel runner's per-layer latency from the command line.
#pragma once

namespace nc::app {

// argv[0] is the program, argv[1] "bench". Returns the process exit status.
int benchCommand(int argc, char** argv);

} // namespace nc::app

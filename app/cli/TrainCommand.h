// TrainCommand: `netcanvas-cli train`, per-device training memory, recomputation, parallelism,
// communication and the large-model inference figures (core/train/TrainingMemory.h) from the command line.
#pragma once

namespace nc::app {

// argv[0] is the program, argv[1] "train". Returns the process exit status.
int trainCommand(int argc, char** argv);

} // namespace nc::app

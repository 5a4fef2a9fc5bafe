// ZooModels: the definitions behind resources/zoo/*.json, written with ModelBuilder so each reads
// like its PyTorch original. The JSON files are generated from these and checked against them in tests.
#pragma once

#include "core/Network.h"

#include <string>
#include <vector>

namespace nc::app {

std::vector<std::string> zooModelKeys();
// Builds a zoo model by key; an unknown key gives an empty network.
core::Network buildZooModel(const std::string& key);

} // namespace nc::app

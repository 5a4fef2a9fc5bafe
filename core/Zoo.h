// Zoo: the built-in models, stored as design files under resources/zoo and compiled into the binary.
#pragma once

#include "Network.h"
#include "Result.h"

#include <string>
#include <vector>

namespace nc::core {

struct ZooEntry {
    std::string key;         // "resnet18": file resources/zoo/resnet18.json, CLI "zoo:resnet18"
    std::string title;       // "ResNet-18"
    std::string description; // one line
};

const std::vector<ZooEntry>& zooEntries();
Result<Network> loadZoo(const std::string& key);

// Loads "zoo:NAME" from the zoo and anything else as a design file path (".json").
Result<Network> loadDesign(const std::string& spec);

} // namespace nc::core

// Energy: a per-layer estimate of the energy one inference takes, split into arithmetic, on-chip
// memory traffic and off-chip (DRAM) traffic, from an editable table of energies per operation.
//
//   Network net = loadDesign("zoo:alexnet").value();
//   AnalysisResult a = analyze(net);
//   EnergyReport e = estimateEnergy(net, a, horowitz45(), {}).value();
//   e.totals.offChipPj;          // AlexNet FP32: dominated by fc6's 37.7 M weights read from DRAM
//
// The model (README "Energy"), for a layer at b bits with the table's 32-bit figures:
// - compute   = MACs·(mult_b + add_b) + otherOps·add_b      (one multiply and one add per MAC)
// - on-chip   = values moved through SRAM · sram32·b/32     (32-bit words hold 32/b values)
//               values: inputs + weights + outputs once ("once", the default: perfect reuse), or
//               2 per MAC + outputs ("per-mac": every operand fetched for every MAC, no reuse)
// - off-chip  = (weights + state) · dram32·b/32             (read from DRAM once per inference)
//             + (inputs + outputs) · dram32·b/32 when the layer's step in the deployment schedule
//               holds more live bytes than the on-chip budget (its activations live in DRAM)
// Layers follow the deployment view (core/deploy): a BatchNorm folded into its convolution costs nothing,
// an activation fused into its op costs its arithmetic but moves no tensor, views and dropped layers
// (Flatten, Reshape, Dropout) cost nothing. All figures are picojoules, for the network's batch.
//
// Pure functions of their arguments; any thread.
#pragma once

#include "core/Analysis.h"
#include "core/deploy/Deployment.h"

#include <string>
#include <vector>

namespace nc::core::energy {

// Energy of one add and one multiply at one bit width, in picojoules.
struct OpEnergy {
    double add = 0;
    double mult = 0;
};

// Values are pinned: tables are saved as "once" / "per-mac".
enum class OnChipModel : uint8_t {
    Once = 0,   // every input, weight and output passes through SRAM once (perfect reuse in registers)
    PerMac = 1, // every MAC reads its two operands from SRAM (no reuse): 2·MACs + outputs
};

// An editable table of energies. `ops` follows kBitWidths (32, 16, 8, 4 bits); `rowSource` says
// where each row comes from (measured, or how it was derived).
struct EnergyTable {
    std::string key;    // "horowitz45", or "custom" for a loaded table
    std::string name;   // shown in the chart and the CLI
    std::string source; // the publication, or who entered the numbers
    OpEnergy ops[4];
    std::string rowSource[4];
    double sramRead32 = 0; // one 32-bit on-chip SRAM access
    double dramRead32 = 0; // one 32-bit DRAM access
    OnChipModel onChip = OnChipModel::Once;
};

// Horowitz, "Computing's energy problem (and what we can do about it)", ISSCC 2014, 45 nm, with the
// 32-bit SRAM (8 KB) and DRAM figures as Han et al. quote them (EIE, ISCA 2016): the default.
EnergyTable horowitz45();
// The same process with a 1 MB SRAM (Horowitz: 100 pJ per 64-bit access, so 50 pJ per 32 bits): a
// large on-chip buffer costs ten times the small one per access.
EnergyTable horowitz45LargeSram();
// Every built-in table, the default first.
std::vector<EnergyTable> energyPresets();

// JSON: {"format": "netcanvas-energy", "version": 1, "name", "source", "on_chip": "once"|"per-mac",
// "sram_read_32bit_pj", "dram_read_32bit_pj", "ops": [{"bits": 32, "add_pj", "mult_pj", "source"}, ...]}
// with one row for each of 32, 16, 8 and 4 bits. Errors name the field.
Result<EnergyTable> energyTableFromJson(const std::string& json);
std::string energyTableToJson(const EnergyTable& t);
Result<EnergyTable> loadEnergyTable(const std::string& path);
Status saveEnergyTable(const EnergyTable& t, const std::string& path);

struct EnergyOptions {
    // On-chip memory for activations, in bytes; 0 means unlimited (activations never spill).
    int64_t onChipBytes = 0;
    deploy::DeployOptions deploy; // the deployment view whose peak is compared with the budget
};

struct LayerEnergy {
    int nodeIndex = -1;
    int bits = 32;
    double computePj = 0;
    double onChipPj = 0;
    double offChipPj = 0;
    int64_t onChipValues = 0;   // values moved through SRAM
    int64_t weightValues = 0;   // parameters and state read from DRAM
    int64_t spilledValues = 0;  // activation values read from or written to DRAM (0 when on chip)
    int64_t liveBytes = 0;      // bytes live at the layer's deployment step
    double totalPj() const { return computePj + onChipPj + offChipPj; }
};

struct EnergyTotals {
    double computePj = 0;
    double onChipPj = 0;
    double offChipPj = 0;
    double totalPj() const { return computePj + onChipPj + offChipPj; }
};

struct EnergyReport {
    std::vector<LayerEnergy> layers; // the analysis' schedule order
    EnergyTotals totals;
    int64_t deployPeakBytes = 0;     // peak of the deployment view, default order
    int64_t onChipBytes = 0;         // the budget used (0: unlimited)
    int spilledLayers = 0;           // layers whose activations live in DRAM
};

// Fails, naming the layer, when the analysis has errors or a layer's bit width has no table row.
Result<EnergyReport> estimateEnergy(const Network& net, const AnalysisResult& a, const EnergyTable& table,
                                    const EnergyOptions& options);
// Network totals only (a comparison's energy row).
Result<EnergyTotals> totalEnergy(const Network& net, const EnergyTable& table = horowitz45(),
                                 const EnergyOptions& options = {});

// "3.21 mJ", "412 µJ", "87.5 nJ", "12 pJ": three significant figures.
std::string formatEnergy(double picojoules);

} // namespace nc::core::energy

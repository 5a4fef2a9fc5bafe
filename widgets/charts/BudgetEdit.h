// BudgetEdit: the memory-budget control — presets for common targets (MCU SRAM, GPU memory) and a
// free entry ("300 KB", "1.5 MiB") — writing ViewOptions::setBudgetBytes so the memory timeline and
// the canvas's over-budget marks always agree.
#pragma once

#include <QComboBox>

#include <cstdint>
#include <optional>

namespace nc::widgets {

class ViewOptions;

// Reads and writes ViewOptions only; it keeps no budget of its own, so a budget set elsewhere (a
// menu, a saved session) shows here too. Owned by its parent widget; borrows the ViewOptions, which
// must outlive it. GUI thread only.
class BudgetEdit : public QComboBox {
    Q_OBJECT
public:
    explicit BudgetEdit(ViewOptions& options, QWidget* parent = nullptr);

    // "256 KiB" → 262144, "256 KB" → 256000, "16 GB" → 16·10⁹, "none"/"" → 0; nullopt when not a size.
    // Decimal prefixes (KB, MB) as core::humanBytes prints them, binary ones (KiB, MiB) as SRAM and
    // GPU memory are sold.
    static std::optional<int64_t> parse(const QString& text);
    // How to name `bytes` on the chart: the preset's name when it is one ("256 KiB"), else humanBytes.
    static QString labelFor(int64_t bytes);

private:
    void commitText();
    void syncFromOptions();

    ViewOptions& m_options;
};

} // namespace nc::widgets

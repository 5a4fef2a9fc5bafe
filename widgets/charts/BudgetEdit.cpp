// BudgetEdit: presets, parsing and two-way sync with ViewOptions.
#include "BudgetEdit.h"

#include "widgets/ViewOptions.h"

#include "core/Format.h"

#include <QLineEdit>
#include <QRegularExpression>

#include <cmath>

namespace nc::widgets {

namespace {

struct Preset {
    const char* label;
    const char* hint;
    int64_t bytes;
};
constexpr int64_t kKiB = 1024, kMiB = 1024 * kKiB, kGiB = 1024 * kMiB;
constexpr Preset kPresets[] = {
    {"256 KiB", "microcontroller SRAM (Cortex-M4/M7 class)", 256 * kKiB},
    {"512 KiB", "microcontroller SRAM (Cortex-M7 class)", 512 * kKiB},
    {"1 MiB", "large microcontroller SRAM", kMiB},
    {"8 GiB", "GPU memory", 8 * kGiB},
    {"16 GiB", "GPU memory", 16 * kGiB},
    {"24 GiB", "GPU memory", 24 * kGiB},
    {"80 GiB", "GPU memory (data-centre)", 80 * kGiB},
};

} // namespace

BudgetEdit::BudgetEdit(ViewOptions& options, QWidget* parent) : QComboBox(parent), m_options(options) {
    setEditable(true);
    setInsertPolicy(QComboBox::NoInsert);
    setMinimumContentsLength(10);
    setToolTip(
        tr("Memory budget for the live activations: the timeline draws it and marks the layers over it. "
           "Type a size such as 300 KB or 1.5 MiB."));
    addItem(tr("no budget"), QVariant::fromValue<qint64>(0));
    for (const Preset& p : kPresets) {
        addItem(QString::fromLatin1(p.label), QVariant::fromValue<qint64>(p.bytes));
        setItemData(count() - 1, tr(p.hint), Qt::ToolTipRole);
    }
    connect(this, &QComboBox::activated, this, [this](int index) {
        m_options.setBudgetBytes(itemData(index).toLongLong());
        syncFromOptions();
    });
    connect(lineEdit(), &QLineEdit::editingFinished, this, &BudgetEdit::commitText);
    connect(&m_options, &ViewOptions::changed, this, &BudgetEdit::syncFromOptions);
    syncFromOptions();
}

std::optional<int64_t> BudgetEdit::parse(const QString& text) {
    const QString t = text.trimmed();
    if (t.isEmpty() || t.compare(QStringLiteral("none"), Qt::CaseInsensitive) == 0 ||
        t.compare(QStringLiteral("no budget"), Qt::CaseInsensitive) == 0)
        return 0;
    static const QRegularExpression re(QStringLiteral(R"(^([0-9]+(?:\.[0-9]+)?)\s*([kmgt]?)(i?)(b?)$)"),
                                       QRegularExpression::CaseInsensitiveOption);
    const QRegularExpressionMatch m = re.match(t);
    if (!m.hasMatch())
        return std::nullopt;
    const double value = m.captured(1).toDouble();
    const QString prefix = m.captured(2).toLower();
    const double base = m.captured(3).isEmpty() ? 1000.0 : 1024.0;
    if (!m.captured(3).isEmpty() && prefix.isEmpty())
        return std::nullopt; // "5 iB"
    const int power = prefix.isEmpty() ? 0 : QStringLiteral("kmgt").indexOf(prefix) + 1;
    const double bytes = value * std::pow(base, power);
    if (!(bytes >= 0) || bytes > 9.0e18)
        return std::nullopt;
    return static_cast<int64_t>(std::llround(bytes));
}

QString BudgetEdit::labelFor(int64_t bytes) {
    for (const Preset& p : kPresets)
        if (p.bytes == bytes)
            return QString::fromLatin1(p.label);
    return QString::fromStdString(core::humanBytes(bytes));
}

void BudgetEdit::commitText() {
    if (auto bytes = parse(currentText()))
        m_options.setBudgetBytes(*bytes);
    syncFromOptions(); // show the accepted value, or put back the current one after a typo
}

void BudgetEdit::syncFromOptions() {
    const int64_t b = m_options.budgetBytes();
    const int i = findData(QVariant::fromValue<qint64>(b));
    const QSignalBlocker block(this);
    if (i >= 0) {
        setCurrentIndex(i);
        setEditText(itemText(i));
    } else {
        setCurrentIndex(-1);
        setEditText(labelFor(b));
    }
}

} // namespace nc::widgets

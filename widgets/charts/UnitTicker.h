// UnitTicker: value-axis ticks labelled in the units of the data (KB/MB, K/M/G), linear or log.
#pragma once

#include <qcustomplot.h>

#include <cmath>
#include <cstdint>
#include <string>

namespace nc::widgets {

// Wraps one of QCustomPlot's tickers (QCPAxisTicker for linear axes, QCPAxisTickerLog for log
// axes) and replaces only the label text with core/Format.h's, so axis labels read the same as the
// tooltips, the summary and the CLI ("2.00 MB" rather than "2e+06"). Tick positions stay the base
// ticker's, kept at whole numbers since the data are counts. GUI thread only.
template <class Base> class UnitTicker : public Base {
public:
    using Format = std::string (*)(int64_t);
    explicit UnitTicker(Format format) : m_format(format) {}

protected:
    double getTickStep(const QCPRange& range) override { return std::max(1.0, Base::getTickStep(range)); }
    QString getTickLabel(double tick, const QLocale&, QChar, int) override {
        if (tick < 0.5) // log axes start below one unit; a "0" there would be wrong
            return tick <= 0 ? QStringLiteral("0") : QString();
        return QString::fromStdString(m_format(std::llround(tick)));
    }

private:
    Format m_format;
};

// Byte axes in binary units: ticks on 1, 2 or 5 times a power of 1,024 (B, KiB, MiB …), so the
// labels read "16 KiB", "32 KiB" rather than "9.77 KiB", "19.53 KiB".
class BinaryByteTicker : public UnitTicker<QCPAxisTicker> {
public:
    explicit BinaryByteTicker(Format format) : UnitTicker<QCPAxisTicker>(format) {}

protected:
    double getTickStep(const QCPRange& range) override
    {
        const double target = range.size() / std::max(1, tickCount());
        double unit = 1;
        while (unit * 1024 <= target)
            unit *= 1024;
        const double x = target / unit; // in [1, 1024) of the unit
        double p = 1;
        while (p * 10 <= x)
            p *= 10;
        const double m = x / p;
        const double nice = m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10;
        return std::max(1.0, nice * p * unit);
    }
};

} // namespace nc::widgets

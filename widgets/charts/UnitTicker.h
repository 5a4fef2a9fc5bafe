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

} // namespace nc::widgets

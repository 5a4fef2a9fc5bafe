// NameText: a layer name made to fit a width without cutting inside it — the last components of a
// dotted name ("…0.conv1_bn"), never "layer…conv1" — for node titles, chart axes, the table and the
// inspector header. The full name goes on the hover text.
#pragma once

#include <QFontMetricsF>
#include <QString>

namespace nc::widgets {

// The widest of core::nameTails(name) that fits `width` pixels in `fm`. When not even the last
// component fits, that component is elided at its start, so the text still ends the way the name does.
QString fitName(const QString& name, const QFontMetricsF& fm, qreal width);

} // namespace nc::widgets

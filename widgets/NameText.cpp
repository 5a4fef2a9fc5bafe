// NameText: fitting a dotted name to a width from its end.
#include "NameText.h"

#include "core/DottedName.h"

namespace nc::widgets {

QString fitName(const QString& name, const QFontMetricsF& fm, qreal width)
{
    QString last;
    for (const std::string& t : core::nameTails(name.toStdString())) {
        last = QString::fromStdString(t);
        if (fm.horizontalAdvance(last) <= width)
            return last;
    }
    return fm.elidedText(last, Qt::ElideLeft, width);
}

} // namespace nc::widgets

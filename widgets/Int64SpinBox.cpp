// Int64SpinBox: parsing, clamping and commit-only notification.
#include "Int64SpinBox.h"

#include <QLineEdit>

#include <algorithm>

namespace nc::widgets {

Int64SpinBox::Int64SpinBox(QWidget* parent) : QAbstractSpinBox(parent)
{
    setKeyboardTracking(false);
    setAccelerated(true);
    lineEdit()->setText(QString::number(m_value));
    connect(this, &QAbstractSpinBox::editingFinished, this, &Int64SpinBox::commitText);
}

void Int64SpinBox::setValue(int64_t v)
{
    m_value = std::clamp(v, m_min, m_max);
    lineEdit()->setText(QString::number(m_value));
}

void Int64SpinBox::setRange(int64_t lo, int64_t hi)
{
    m_min = lo;
    m_max = std::max(lo, hi);
    setValue(m_value);
}

void Int64SpinBox::stepBy(int steps)
{
    // Saturate rather than wrap near the 64-bit limits.
    int64_t v = m_value;
    if (steps > 0)
        v = m_max - v < steps ? m_max : v + steps;
    else
        v = v - m_min < -static_cast<int64_t>(steps) ? m_min : v + steps;
    commit(v);
}

QValidator::State Int64SpinBox::validate(QString& input, int&) const
{
    const QString t = input.trimmed();
    if (t.isEmpty() || t == "-")
        return QValidator::Intermediate;
    bool ok = false;
    const qlonglong v = t.toLongLong(&ok);
    if (!ok)
        return QValidator::Invalid;
    // Out of range while typing may still become valid ("1" on the way to "16" when min is 2).
    return v < m_min || v > m_max ? QValidator::Intermediate : QValidator::Acceptable;
}

void Int64SpinBox::fixup(QString& input) const
{
    bool ok = false;
    const qlonglong v = input.trimmed().toLongLong(&ok);
    input = QString::number(ok ? std::clamp<int64_t>(v, m_min, m_max) : m_value);
}

QAbstractSpinBox::StepEnabled Int64SpinBox::stepEnabled() const
{
    StepEnabled e = StepNone;
    if (m_value > m_min)
        e |= StepDownEnabled;
    if (m_value < m_max)
        e |= StepUpEnabled;
    return e;
}

void Int64SpinBox::commitText()
{
    QString t = lineEdit()->text();
    fixup(t);
    commit(t.toLongLong());
}

void Int64SpinBox::commit(int64_t v)
{
    v = std::clamp(v, m_min, m_max);
    lineEdit()->setText(QString::number(v));
    if (v == m_value)
        return;
    m_value = v;
    emit valueCommitted(v);
}

} // namespace nc::widgets

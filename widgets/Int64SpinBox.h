// Int64SpinBox: a spin box for the catalogue's 64-bit attributes (channel counts up to 10^12 do not fit
// QSpinBox's int), which reports a value only when the user commits it.
#pragma once

#include <QAbstractSpinBox>

#include <cstdint>

namespace nc::widgets {

// valueCommitted fires on Enter, focus loss, arrow keys, wheel and the step buttons — never per
// keystroke — so typing "128" is one undoable edit, not three.
class Int64SpinBox : public QAbstractSpinBox {
    Q_OBJECT
public:
    explicit Int64SpinBox(QWidget* parent = nullptr);

    int64_t value() const { return m_value; }
    // Sets the shown value without emitting valueCommitted (the model is the source of the value).
    void setValue(int64_t v);
    void setRange(int64_t lo, int64_t hi);
    int64_t minimum() const { return m_min; }
    int64_t maximum() const { return m_max; }

    void stepBy(int steps) override;
    QValidator::State validate(QString& input, int& pos) const override;
    void fixup(QString& input) const override;

signals:
    void valueCommitted(qint64 value);

protected:
    StepEnabled stepEnabled() const override;

private:
    void commitText();
    void commit(int64_t v);
    int64_t m_value = 0;
    int64_t m_min = 0;
    int64_t m_max = 100;
};

} // namespace nc::widgets

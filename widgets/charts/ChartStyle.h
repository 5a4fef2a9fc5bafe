// ChartStyle: the colours and sizes all NetCanvas charts share, so the panel reads as one piece.
#pragma once

#include <QColor>

namespace nc::widgets::chartstyle {

// Colour-blind-safe hues from the Tableau 10 palette; plain bars are a light blue so the largest
// bar (red) and the selection (amber) stand out against them.
inline QColor bar() {
    return QColor(0x8f, 0xb3, 0xd9);
}
inline QColor barStale() {
    return QColor(0xc7, 0xc7, 0xc7);
}
inline QColor largest() {
    return QColor(0xd1, 0x49, 0x5b);
}
inline QColor selected() {
    return QColor(0xf2, 0x8e, 0x2b);
}
inline QColor selectedOutline() {
    return QColor(0x8a, 0x4b, 0x08);
}
inline QColor selectedBand() {
    return QColor(0xf2, 0x8e, 0x2b, 45);
}
inline QColor text() {
    return QColor(0x33, 0x33, 0x33);
}
inline QColor muted() {
    return QColor(0x77, 0x77, 0x77);
}
inline QColor grid() {
    return QColor(0xe4, 0xe4, 0xe4);
}

// Memory timeline: what each live tensor is doing at a step.
inline QColor tensorNew() {
    return QColor(0x4c, 0x78, 0xa8);
} // written by this layer
inline QColor tensorHeld() {
    return QColor(0xb2, 0x79, 0xa2);
} // kept for a later layer (skip connection)
inline QColor tensorLastRead() {
    return QColor(0x9e, 0xca, 0xe9);
} // read for the last time, freed after
inline QColor workspace() {
    return QColor(0xf5, 0x85, 0x18);
} // scratch live only while the layer runs
inline QColor liveLine() {
    return QColor(0x2b, 0x3a, 0x55);
}
inline QColor overBudget() {
    return QColor(0xe4, 0x57, 0x56, 150);
}
inline QColor budget() {
    return QColor(0xc0, 0x1f, 0x2f);
}
inline QColor peak() {
    return QColor(0xc0, 0x1f, 0x2f);
}

// Receptive field.
inline QColor fieldH() {
    return QColor(0x4c, 0x78, 0xa8);
}
inline QColor fieldW() {
    return QColor(0x54, 0xa2, 0x4b);
}
inline QColor reference() {
    return QColor(0x99, 0x99, 0x99);
}

inline constexpr int kTitlePointSize = 9;
inline constexpr int kTickPointSize = 7;
inline constexpr int kNotePointSize = 8;

} // namespace nc::widgets::chartstyle

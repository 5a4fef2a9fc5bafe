// RfExplorer: click an output position of a layer and see which input pixels it reads — the field's
// cells on the input grid with the holes of dilation, the stride between neighbouring outputs, the
// padding outside the image and the centre. Cells come from core::receptiveFieldCells.
#pragma once

#include "core/Document.h"
#include "core/ReceptiveFieldMap.h"

#include <QWidget>

#include <optional>

class QLabel;

namespace nc::widgets {

class Selection;

// One grid of cells, painted: the layer's output positions (click to choose one) or the input image
// with the field drawn on it. Shows rows [rowFrom, rowTo) × [colFrom, colTo) of an unbounded grid
// whose image occupies [0, rows) × [0, cols); what lies outside the image is padding. GUI thread only.
class RfGrid : public QWidget {
    Q_OBJECT
public:
    enum class Role { Output, Input };
    explicit RfGrid(Role role, QWidget* parent = nullptr);

    struct Window {
        int64_t rowFrom = 0, rowTo = 1, colFrom = 0, colTo = 1;
    };
    void setGrid(int64_t rows, int64_t cols, Window window);
    // Output role: the chosen position. Input role: the field's cells and centre, and the centres of
    // the other output positions (spaced by the jump), drawn as dots.
    void setChosen(int64_t row, int64_t col);
    void setField(const core::RfCells* cells, std::vector<double> centreRows, std::vector<double> centreCols);

    // Widget rectangle of a cell; empty when it is outside the visible window.
    QRectF cellRect(int64_t row, int64_t col) const;
    // Cell under a widget point; false outside the visible window.
    bool cellAt(QPointF p, int64_t& row, int64_t& col) const;
    double cellSize() const;

    QSize sizeHint() const override { return {260, 260}; }
    QSize minimumSizeHint() const override { return {120, 120}; }

signals:
    void cellClicked(int64_t row, int64_t col);

protected:
    void paintEvent(QPaintEvent* e) override;
    void mousePressEvent(QMouseEvent* e) override;

private:
    QPointF origin() const;

    Role m_role;
    int64_t m_rows = 1, m_cols = 1;
    Window m_win;
    int64_t m_chosenRow = -1, m_chosenCol = -1;
    const core::RfCells* m_cells = nullptr;
    std::vector<double> m_centreRows, m_centreCols;
};

// The explorer: follows the selected layer of the Document; the user clicks an output position (the
// centre one at first) and the input grid shows its field. The text under the grids gives the
// field's size, jump and centre from the analysis and the count of windows passed, against the
// lecture's L·(k − 1) + 1 for stacked 3×3 stride-1 convolutions. Borrows the Document and the
// Selection, which must outlive it. GUI thread only.
class RfExplorer : public QWidget {
    Q_OBJECT
public:
    RfExplorer(core::Document& doc, Selection& sel, QWidget* parent = nullptr);

    void setLayer(core::NodeId id);
    core::NodeId layer() const { return m_layer; }
    // Chooses output position (row, col) of the layer, as a click does.
    void choose(int64_t row, int64_t col);
    int64_t chosenRow() const { return m_row; }
    int64_t chosenCol() const { return m_col; }

    // The cells on display; nullptr when there is none (see message()).
    const core::RfCells* cells() const { return m_cells ? &*m_cells : nullptr; }
    QString message() const;
    RfGrid* outputGrid() const { return m_output; }
    RfGrid* inputGrid() const { return m_input; }
    QLabel* summaryLabel() const { return m_summary; }

protected:
    void showEvent(QShowEvent* e) override;

private:
    void refresh();
    void onSelectionChanged();

    core::Document& m_doc;
    Selection& m_sel;
    core::NodeId m_layer;
    int64_t m_row = -1, m_col = -1;
    bool m_stale = false; // an edit arrived while hidden: refresh when shown
    std::optional<core::RfCells> m_cells;
    QLabel* m_title;
    QLabel* m_summary;
    RfGrid* m_output;
    RfGrid* m_input;
};

} // namespace nc::widgets

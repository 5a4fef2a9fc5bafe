// RfExplorer: the two grids, their painting and clicks, and the summary text.
#include "RfExplorer.h"

#include "Selection.h"

#include "core/Format.h"

#include <QLabel>
#include <QMouseEvent>
#include <QPainter>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <utility>

namespace nc::widgets {

namespace {

QColor fieldColour() { return QColor(0x4c, 0x78, 0xa8); }
QColor paddingFieldColour() { return QColor(0xf5, 0x85, 0x18); }
QColor paddingColour() { return QColor(0xe4, 0xe4, 0xe4); }
QColor chosenColour() { return QColor(0xd1, 0x49, 0x5b); }

// Windows wider than this many cells show the field and its surroundings instead of the whole image,
// so holes of one pixel stay visible.
constexpr int64_t kMaxCells = 48;

// The visible part of one axis: the image and the field, or just around the field when that is large.
void axisWindow(int64_t n, int64_t first, int64_t last, int64_t& from, int64_t& to)
{
    from = std::min<int64_t>(0, first - 1);
    to = std::max<int64_t>(n, last + 2);
    if (to - from > kMaxCells && last - first + 5 <= kMaxCells) {
        const int64_t extra = kMaxCells - (last - first + 1);
        from = first - extra / 2;
        to = last + 1 + (extra - extra / 2);
    }
}

QString num(double v)
{
    return v == std::floor(v) ? QString::number(static_cast<long long>(v)) : QString::number(v, 'f', 1);
}

} // namespace

RfGrid::RfGrid(Role role, QWidget* parent) : QWidget(parent), m_role(role)
{
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
    if (role == Role::Output)
        setCursor(Qt::PointingHandCursor);
}

void RfGrid::setGrid(int64_t rows, int64_t cols, Window window)
{
    m_rows = rows;
    m_cols = cols;
    m_win = window;
    update();
}

void RfGrid::setChosen(int64_t row, int64_t col)
{
    m_chosenRow = row;
    m_chosenCol = col;
    update();
}

void RfGrid::setField(const core::RfCells* cells, std::vector<double> centreRows, std::vector<double> centreCols)
{
    m_cells = cells;
    m_centreRows = std::move(centreRows);
    m_centreCols = std::move(centreCols);
    update();
}

double RfGrid::cellSize() const
{
    const double w = static_cast<double>(std::max<int64_t>(m_win.colTo - m_win.colFrom, 1));
    const double h = static_cast<double>(std::max<int64_t>(m_win.rowTo - m_win.rowFrom, 1));
    return std::max(1.0, std::min((width() - 2) / w, (height() - 2) / h));
}

QPointF RfGrid::origin() const
{
    const double cs = cellSize();
    const double w = cs * static_cast<double>(m_win.colTo - m_win.colFrom);
    const double h = cs * static_cast<double>(m_win.rowTo - m_win.rowFrom);
    return {(width() - w) / 2.0, (height() - h) / 2.0};
}

QRectF RfGrid::cellRect(int64_t row, int64_t col) const
{
    if (row < m_win.rowFrom || row >= m_win.rowTo || col < m_win.colFrom || col >= m_win.colTo)
        return {};
    const double cs = cellSize();
    const QPointF o = origin();
    return {o.x() + cs * static_cast<double>(col - m_win.colFrom), o.y() + cs * static_cast<double>(row - m_win.rowFrom),
            cs, cs};
}

bool RfGrid::cellAt(QPointF p, int64_t& row, int64_t& col) const
{
    const double cs = cellSize();
    const QPointF o = origin();
    const double c = std::floor((p.x() - o.x()) / cs), r = std::floor((p.y() - o.y()) / cs);
    row = static_cast<int64_t>(r) + m_win.rowFrom;
    col = static_cast<int64_t>(c) + m_win.colFrom;
    return row >= m_win.rowFrom && row < m_win.rowTo && col >= m_win.colFrom && col < m_win.colTo;
}

void RfGrid::mousePressEvent(QMouseEvent* e)
{
    int64_t r = 0, c = 0;
    if (m_role == Role::Output && e->button() == Qt::LeftButton && cellAt(e->position(), r, c) && r >= 0 &&
        r < m_rows && c >= 0 && c < m_cols)
        emit cellClicked(r, c);
}

void RfGrid::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    p.fillRect(rect(), palette().window());
    const double cs = cellSize();
    const bool lines = cs >= 4;
    const QColor lineColour(0xc8, 0xc8, 0xc8);
    for (int64_t r = m_win.rowFrom; r < m_win.rowTo; ++r)
        for (int64_t c = m_win.colFrom; c < m_win.colTo; ++c) {
            const bool image = r >= 0 && r < m_rows && c >= 0 && c < m_cols;
            QColor fill = image ? QColor(Qt::white) : paddingColour();
            if (m_role == Role::Input && m_cells && m_cells->contains(r, c))
                fill = image ? fieldColour() : paddingFieldColour();
            if (m_role == Role::Output && r == m_chosenRow && c == m_chosenCol)
                fill = chosenColour();
            const QRectF cell = cellRect(r, c);
            p.fillRect(cell, fill);
            if (lines) {
                p.setPen(QPen(lineColour, 0));
                p.drawRect(cell);
            }
        }
    // The image's border: what lies outside is padding.
    const QRectF tl = cellRect(std::max<int64_t>(0, m_win.rowFrom), std::max<int64_t>(0, m_win.colFrom));
    const QRectF br = cellRect(std::min(m_rows, m_win.rowTo) - 1, std::min(m_cols, m_win.colTo) - 1);
    if (!tl.isEmpty() && !br.isEmpty()) {
        p.setPen(QPen(QColor(0x33, 0x33, 0x33), 2));
        p.setBrush(Qt::NoBrush);
        p.drawRect(QRectF(tl.topLeft(), br.bottomRight()));
    }
    if (m_role != Role::Input || !m_cells)
        return;
    const QPointF o = origin();
    auto at = [&](double row, double col) {
        return QPointF(o.x() + cs * (col - static_cast<double>(m_win.colFrom) + 0.5),
                       o.y() + cs * (row - static_cast<double>(m_win.rowFrom) + 0.5));
    };
    // The field's extent r×r (dashed), and the centres of neighbouring outputs, a jump apart.
    p.setPen(QPen(QColor(0x2b, 0x3a, 0x55), 1.5, Qt::DashLine));
    p.drawRect(QRectF(at(static_cast<double>(m_cells->first(0)) - 0.5, static_cast<double>(m_cells->first(1)) - 0.5),
                      at(static_cast<double>(m_cells->last(0)) + 0.5, static_cast<double>(m_cells->last(1)) + 0.5)));
    p.setPen(Qt::NoPen);
    p.setBrush(QColor(0x33, 0x33, 0x33, 170));
    const double dot = std::clamp(cs / 5.0, 1.5, 4.0);
    for (double r : m_centreRows)
        for (double c : m_centreCols)
            p.drawEllipse(at(r, c), dot, dot);
    const QPointF centre = at(m_cells->centre[0], m_cells->centre[1]);
    const double arm = std::clamp(cs * 0.6, 4.0, 12.0);
    p.setPen(QPen(chosenColour(), 2.5));
    p.drawLine(centre - QPointF(arm, 0), centre + QPointF(arm, 0));
    p.drawLine(centre - QPointF(0, arm), centre + QPointF(0, arm));
}

RfExplorer::RfExplorer(core::Document& doc, Selection& sel, QWidget* parent) : QWidget(parent), m_doc(doc), m_sel(sel)
{
    m_title = new QLabel(this);
    m_title->setWordWrap(true);
    m_output = new RfGrid(RfGrid::Role::Output, this);
    m_output->setObjectName("rfOutputGrid");
    m_input = new RfGrid(RfGrid::Role::Input, this);
    m_input->setObjectName("rfInputGrid");
    m_summary = new QLabel(this);
    m_summary->setWordWrap(true);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto* legend = new QLabel(
        tr("<span style='color:#4c78a8'>■</span> pixel read · <span style='color:#f58518'>■</span> padding read · "
           "<span style='color:#999'>■</span> padding · <span style='color:#d1495b'>✚</span> centre · "
           "● centres of neighbouring outputs (a jump apart) · dashed: the field's extent"),
        this);
    legend->setWordWrap(true);

    // One above the other: the explorer docks beside the inspector, tall and narrow.
    auto* col = new QVBoxLayout(this);
    col->addWidget(m_title);
    col->addWidget(new QLabel(tr("Output positions (click one)"), this));
    col->addWidget(m_output, 2);
    col->addWidget(new QLabel(tr("Input image, with the padding around it"), this));
    col->addWidget(m_input, 3);
    col->addWidget(m_summary);
    col->addWidget(legend);

    connect(m_output, &RfGrid::cellClicked, this, &RfExplorer::choose);
    connect(&m_sel, &Selection::changed, this, &RfExplorer::onSelectionChanged);
    connect(&m_doc, &core::Document::changed, this, [this](const core::Change& c) {
        if (c.kind == core::ChangeKind::Positions)
            return;
        // Hidden (the default): no walk on every edit, one when shown.
        if (isVisible())
            refresh();
        else
            m_stale = true;
    });
    onSelectionChanged();
}

void RfExplorer::showEvent(QShowEvent* e)
{
    QWidget::showEvent(e);
    if (std::exchange(m_stale, false))
        refresh();
}

void RfExplorer::onSelectionChanged()
{
    if (m_sel.current().valid() && m_sel.current() != m_layer)
        setLayer(m_sel.current());
    else if (!m_layer.valid())
        refresh();
}

void RfExplorer::setLayer(core::NodeId id)
{
    m_layer = id;
    m_row = m_col = -1; // the centre position until the user clicks another
    if (isVisible())
        refresh();
    else
        m_stale = true;
}

void RfExplorer::choose(int64_t row, int64_t col)
{
    m_row = row;
    m_col = col;
    refresh();
}

QString RfExplorer::message() const { return m_summary->text(); }

void RfExplorer::refresh()
{
    m_stale = false;
    const core::Network& net = m_doc.network();
    const core::AnalysisResult& a = m_doc.analysis();
    const core::Node* node = m_layer.valid() ? net.node(m_layer) : nullptr;
    m_cells.reset();
    m_input->setField(nullptr, {}, {});
    if (!node) {
        m_title->setText(tr("Select a layer to explore its receptive field."));
        m_summary->clear();
        m_output->setGrid(1, 1, {});
        m_input->setGrid(1, 1, {});
        return;
    }
    m_title->setText(tr("<b>%1</b>").arg(QString::fromStdString(node->name).toHtmlEscaped()));
    const core::LayerResult* l = a.layer(m_layer, net);
    const int64_t outH = l && l->rf.valid ? l->rf.extent[0] : 1, outW = l && l->rf.valid ? l->rf.extent[1] : 1;
    if (m_row < 0 || m_row >= outH || m_col < 0 || m_col >= outW) {
        m_row = outH / 2;
        m_col = outW / 2;
    }
    m_output->setGrid(outH, outW, {0, outH, 0, outW});
    m_output->setChosen(m_row, m_col);
    auto cells = core::receptiveFieldCells(net, a, m_layer, m_row, m_col);
    if (!cells) {
        m_summary->setText(QString::fromStdString(cells.error()));
        m_input->setGrid(1, 1, {});
        return;
    }
    m_cells = std::move(*cells);
    const core::RfCells& c = *m_cells;
    RfGrid::Window w;
    axisWindow(c.inExtent[0], c.first(0), c.last(0), w.rowFrom, w.rowTo);
    axisWindow(c.inExtent[1], c.first(1), c.last(1), w.colFrom, w.colTo);
    m_input->setGrid(c.inExtent[0], c.inExtent[1], w);
    // Centres of the outputs around the chosen one: the stride's jumps on the input grid.
    auto centres = [&](int ax, int64_t at) {
        std::vector<double> v;
        for (int64_t i = std::max<int64_t>(0, at - 4); i <= std::min(c.outExtent[ax] - 1, at + 4); ++i)
            v.push_back(c.rf.start[ax] + static_cast<double>(i * c.rf.jump[ax]));
        return v;
    };
    m_input->setField(&*m_cells, centres(0, m_row), centres(1, m_col));

    int64_t read = 0, padding = 0;
    for (int64_t r : c.cells[0])
        for (int64_t q : c.cells[1]) {
            ++read;
            if (r < 0 || r >= c.inExtent[0] || q < 0 || q >= c.inExtent[1])
                ++padding;
        }
    const int layers = std::max(c.windows[0], c.windows[1]);
    const bool holes = static_cast<int64_t>(c.cells[0].size()) < c.span(0) ||
                       static_cast<int64_t>(c.cells[1].size()) < c.span(1);
    QString t = tr("Output (%1, %2) of %3×%4 reads %5 input positions (%6 of them padding)")
                    .arg(m_row)
                    .arg(m_col)
                    .arg(c.outExtent[0])
                    .arg(c.outExtent[1])
                    .arg(QString::fromStdString(core::groupDigits(read)))
                    .arg(QString::fromStdString(core::groupDigits(padding)));
    t += tr(" spanning %1×%2%3.").arg(c.span(0)).arg(c.span(1)).arg(holes ? tr(", with holes from dilation") : QString());
    t += QLatin1Char('\n') + tr("Field %1×%2, jump %3×%4, centre (%5, %6) = start + position·jump.")
                                 .arg(c.rf.size[0])
                                 .arg(c.rf.size[1])
                                 .arg(c.rf.jump[0])
                                 .arg(c.rf.jump[1])
                                 .arg(num(c.centre[0]), num(c.centre[1]));
    t += QLatin1Char('\n') + (layers == 1 ? tr("1 sliding window on the way") : tr("%1 sliding windows on the way").arg(layers)) +
         tr("; as many stacked 3×3 stride-1 convolutions would see L·(k−1)+1 = %1.").arg(layers * 2 + 1);
    m_summary->setText(t);
}

} // namespace nc::widgets

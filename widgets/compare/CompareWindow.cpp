#include "CompareWindow.h"

#include "CompareChart.h"
#include "core/Format.h"
#include "core/Zoo.h"
#include "core/compare/Scaling.h"
#include "widgets/charts/ChartStyle.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollBar>
#include <QSpinBox>
#include <QStyle>
#include <QTableWidget>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>
#include <cmath>
#include <limits>

namespace nc::widgets {

namespace {

using core::compare::Metric;

QString q(const std::string& s)
{
    return QString::fromStdString(s);
}

// Per-layer figures the charts offer, read from the analysis as they are.
struct LayerMetric {
    const char* label;
    CompareChart::Unit unit;
    double (*value)(const core::LayerResult&);
};
const LayerMetric kLayerMetrics[] = {
    {"MACs", CompareChart::Unit::Count, [](const core::LayerResult& l) { return double(l.macs); }},
    {"Parameters", CompareChart::Unit::Count, [](const core::LayerResult& l) { return double(l.params); }},
    {"Activation memory", CompareChart::Unit::Bytes,
     [](const core::LayerResult& l) { return double(l.activationBytes); }},
    {"Live memory", CompareChart::Unit::Bytes,
     [](const core::LayerResult& l) { return double(l.liveBytes); }},
};

QColor colourA()
{
    return QColor(0x4c, 0x78, 0xa8);
}
QColor colourB()
{
    return QColor(0x54, 0xa2, 0x4b);
}

} // namespace

CompareWindow::CompareWindow(core::Document* live, QWidget* parent) : QWidget(parent), m_live(live)
{
    setObjectName("compareWindow");
    setWindowTitle(tr("Compare designs"));
    buildUi();
    connect(&m_b, &core::Document::changed, this, [this] { refresh(); });
    connect(&m_ownA, &core::Document::changed, this, [this] { refresh(); });
    if (live) {
        attachA(live);
    } else {
        m_ownA.setNetwork(core::loadZoo("resnet18").value());
        attachA(&m_ownA);
    }
    if (m_b.network().nodes().empty())
        m_b.setNetwork(core::loadZoo("resnet50").value());
    refresh();
}

CompareWindow::~CompareWindow()
{
    if (m_control)
        m_control->cancel = true;
    m_future.waitForFinished();
}

void CompareWindow::buildUi()
{
    auto* root = new QVBoxLayout(this);

    // Row 1: the two designs.
    auto* designs = new QHBoxLayout;
    m_nameA = new QLabel(this);
    m_nameA->setObjectName("nameA");
    m_liveButton = new QPushButton(tr("Use open design"), this);
    m_liveButton->setObjectName("liveButton");
    m_liveButton->setToolTip(
        tr("A follows the design open in the main window: every edit there updates the comparison"));
    connect(m_liveButton, &QPushButton::clicked, this, &CompareWindow::followLiveDocument);
    m_nameB = new QLabel(this);
    m_nameB->setObjectName("nameB");
    auto* openButton = new QPushButton(tr("Open B…"), this);
    openButton->setObjectName("openBButton");
    connect(openButton, &QPushButton::clicked, this, &CompareWindow::openBDialog);
    m_zooB = new QComboBox(this);
    m_zooB->setObjectName("zooB");
    m_zooB->addItem(tr("B from zoo…"));
    for (const core::ZooEntry& e : core::zooEntries())
        m_zooB->addItem(q(e.title), q("zoo:" + e.key));
    connect(m_zooB, &QComboBox::activated, this, [this](int i) {
        if (i <= 0)
            return;
        if (core::Status s = openB(m_zooB->itemData(i).toString()); !s)
            showMessage(q(s.error()), true);
        m_zooB->setCurrentIndex(0);
    });
    m_nameA->setStyleSheet(QString("color: %1; font-weight: bold;").arg(colourA().name()));
    m_nameB->setStyleSheet(QString("color: %1; font-weight: bold;").arg(colourB().name()));
    designs->addWidget(new QLabel(tr("<b>A</b>"), this));
    designs->addWidget(m_nameA, 1);
    designs->addWidget(m_liveButton);
    designs->addSpacing(16);
    designs->addWidget(new QLabel(tr("<b>B</b>"), this));
    designs->addWidget(m_nameB, 1);
    designs->addWidget(openButton);
    designs->addWidget(m_zooB);
    root->addLayout(designs);

    // Row 2: B as a variant of A, the experiment and the measurement.
    auto* actions = new QHBoxLayout;
    m_knob = new QComboBox(this);
    m_knob->setObjectName("knob");
    m_knob->addItems({tr("Width ×"), tr("Depth ×"), tr("Resolution ×"), tr("Compound φ =")});
    m_factor = new QDoubleSpinBox(this);
    m_factor->setObjectName("factor");
    m_factor->setDecimals(2);
    m_factor->setRange(0.05, 8);
    m_factor->setSingleStep(0.25);
    m_factor->setValue(0.5);
    m_divisor = new QSpinBox(this);
    m_divisor->setObjectName("divisor");
    m_divisor->setRange(1, 256);
    m_divisor->setValue(8);
    m_divisor->setPrefix(tr("round to "));
    m_divisor->setToolTip(tr("Channels are rounded to a multiple of this (MobileNet rounds to 8)"));
    connect(m_knob, &QComboBox::currentIndexChanged, this, [this](int k) {
        m_factor->setRange(k == 3 ? -3 : 0.05, 8);
        m_divisor->setEnabled(k == 0 || k == 3);
    });
    auto* make = new QPushButton(tr("Make B from A"), this);
    make->setObjectName("makeVariantButton");
    connect(make, &QPushButton::clicked, this, [this] {
        if (core::Status s = makeVariant(m_knob->currentIndex(), m_factor->value(), m_divisor->value()); !s)
            showMessage(q(s.error()), true);
    });
    auto* experiment = new QPushButton(tr("Wide vs deep experiment"), this);
    experiment->setObjectName("experimentButton");
    experiment->setToolTip(tr("Two CNNs with equal parameters (within 1%): two wide convolutions against 23 "
                              "narrow ones, measured on Eigen and oneDNN at 1 and 2 threads"));
    connect(experiment, &QPushButton::clicked, this, [this] {
        if (core::Status s = startExperiment(); !s)
            showMessage(q(s.error()), true);
    });
    m_measureButton = new QPushButton(tr("Measure latency"), this);
    m_measureButton->setObjectName("measureButton");
    connect(m_measureButton, &QPushButton::clicked, this, &CompareWindow::startMeasure);
    m_progress = new QProgressBar(this);
    m_progress->setObjectName("measureProgress");
    m_progress->setVisible(false);
    m_progress->setMinimumWidth(220);
    m_cancelButton = new QPushButton(tr("Cancel"), this);
    m_cancelButton->setObjectName("cancelButton");
    m_cancelButton->setVisible(false);
    connect(m_cancelButton, &QPushButton::clicked, this, &CompareWindow::cancelMeasure);
    actions->addWidget(new QLabel(tr("Variant:"), this));
    actions->addWidget(m_knob);
    actions->addWidget(m_factor);
    actions->addWidget(m_divisor);
    actions->addWidget(make);
    actions->addSpacing(16);
    actions->addWidget(experiment);
    actions->addWidget(m_measureButton);
    actions->addWidget(m_progress);
    actions->addWidget(m_cancelButton);
    actions->addStretch(1);
    root->addLayout(actions);

    m_message = new QLabel(this);
    m_message->setObjectName("compareMessage");
    m_message->setWordWrap(true);
    m_message->setVisible(false);
    root->addWidget(m_message);

    // A plain row, not a splitter: the table's column takes exactly the width its figures need (it
    // changes with them) and the charts take the rest.
    auto* split = new QHBoxLayout;
    auto* left = new QWidget(this);
    auto* leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(0, 0, 0, 0);
    m_table = new QTableWidget(0, 5, left);
    m_table->setObjectName("totalsTable");
    m_table->verticalHeader()->setVisible(false);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setWordWrap(false);
    m_table->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    // Fixed sections sized from the texts in fillTable(): asking every cell for its size hint on each
    // edit (ResizeToContents) cost more than the whole comparison.
    m_table->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 6);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_table->setHorizontalHeaderLabels({tr("Figure"), tr("A"), tr("B"), tr("B − A"), tr("B ÷ A")});

    auto* chartsBox = new QWidget(this);
    auto* charts = new QVBoxLayout(chartsBox);
    charts->setContentsMargins(0, 0, 0, 0);
    auto* chartBar = new QHBoxLayout;
    m_metric = new QComboBox(chartsBox);
    m_metric->setObjectName("layerMetric");
    for (const LayerMetric& m : kLayerMetrics)
        m_metric->addItem(tr(m.label));
    connect(m_metric, &QComboBox::currentIndexChanged, this, [this] { fillCharts(); });
    chartBar->addWidget(new QLabel(tr("Per layer:"), chartsBox));
    chartBar->addWidget(m_metric);
    m_selectionLabel = new QLabel(tr("Click a bar to select a row in both designs"), chartsBox);
    m_selectionLabel->setObjectName("selectionLabel");
    chartBar->addWidget(m_selectionLabel, 1);
    charts->addLayout(chartBar);
    m_chartA = new CompareChart(chartsBox);
    m_chartA->setObjectName("chartA");
    m_chartB = new CompareChart(chartsBox);
    m_chartB->setObjectName("chartB");
    charts->addWidget(m_chartA, 1);
    charts->addWidget(m_chartB, 1);
    for (CompareChart* c : {m_chartA, m_chartB})
        connect(c, &CompareChart::rowClicked, this, &CompareWindow::selectRow);
    connect(m_chartA, &CompareChart::xRangeChanged, m_chartB, &CompareChart::setXRange);
    connect(m_chartB, &CompareChart::xRangeChanged, m_chartA, &CompareChart::setXRange);
    leftLayout->addWidget(m_table, 3);
    auto* notes = new QLabel(
        tr("<p><b>How to read it.</b> Differences and ratios are B relative to A (B − A, B ÷ A).</p>"
           "<p><b>Peak memory, training view</b>: activations live at once in the forward pass, every "
           "output kept until its last reader. <b>Deployment view</b>: BatchNorm folded, activations "
           "fused, Add and depthwise in place, default schedule. <b>Training memory per device</b>: "
           "weights, gradients, Adam state and activations kept for the backward pass, mixed precision.</p>"
           "<p><b>Kernel launches</b>: operations the deployment runtime executes for one inference — one "
           "per layer left after folding and fusion; views (flatten) and dropout launch nothing.</p>"
           "<p><b>Latency</b>: whole forward passes on random data, median, after <i>Measure latency</i>; "
           "an edit of either design drops it.</p>"),
        left);
    notes->setObjectName("compareNotes");
    notes->setWordWrap(true);
    notes->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    notes->setStyleSheet(QString("color: %1;").arg(chartstyle::muted().name()));
    leftLayout->addWidget(notes, 2);
    split->addWidget(left);
    split->addWidget(chartsBox, 1);
    root->addLayout(split, 1);
}

void CompareWindow::attachA(core::Document* doc)
{
    if (m_aConnection)
        disconnect(m_aConnection);
    m_a = doc;
    if (doc != &m_ownA)
        m_aConnection = connect(doc, &core::Document::changed, this, [this] { refresh(); });
    m_liveButton->setEnabled(m_live && m_a != m_live.data());
}

void CompareWindow::setDesignA(core::Network net)
{
    m_ownA.setNetwork(std::move(net));
    attachA(&m_ownA);
    refresh();
}

void CompareWindow::setDesignB(core::Network net)
{
    m_b.setNetwork(std::move(net));
}

void CompareWindow::followLiveDocument()
{
    if (!m_live)
        return;
    attachA(m_live.data());
    refresh();
}

core::Status CompareWindow::openB(const QString& spec)
{
    auto net = core::loadDesign(spec.toStdString());
    if (!net)
        return core::Error{spec.toStdString() + ": " + net.error()};
    m_b.setFilePath(spec);
    setDesignB(std::move(*net));
    showMessage({}, false);
    return {};
}

void CompareWindow::openBDialog()
{
    const QString path =
        QFileDialog::getOpenFileName(this, tr("Open design B"), QString(), tr("NetCanvas designs (*.json)"));
    if (path.isEmpty())
        return;
    if (core::Status s = openB(path); !s)
        showMessage(q(s.error()), true);
}

core::Status CompareWindow::makeVariant(int knob, double factor, int divisor)
{
    const core::Network& a = m_a->network();
    core::Result<core::Network> b = core::Error{"unknown scaling knob"};
    switch (knob) {
    case 0:
        b = core::compare::scaleWidth(a, factor, divisor);
        break;
    case 1:
        b = core::compare::scaleDepth(a, factor);
        break;
    case 2:
        b = core::compare::scaleResolution(a, factor);
        break;
    case 3:
        b = core::compare::compoundScale(a, factor, divisor);
        break;
    }
    if (!b)
        return core::Error{b.error()};
    setDesignB(std::move(*b));
    showMessage({}, false);
    return {};
}

core::Status CompareWindow::startExperiment()
{
    if (m_running)
        return core::Error{"a measurement is running; cancel it first"};
    auto pair = core::compare::equalParameterPair({});
    if (!pair)
        return core::Error{pair.error()};
    setDesignA(std::move(pair->wide));
    setDesignB(std::move(pair->deep));
    startMeasure();
    return {};
}

void CompareWindow::startMeasure()
{
    if (m_running)
        return;
    if (m_comparison.a.errors || m_comparison.b.errors) {
        showMessage(
            tr("fix the errors first: %1")
                .arg(q(m_comparison.a.errors ? m_comparison.a.firstError : m_comparison.b.firstError)),
            true);
        return;
    }
    m_running = true;
    m_control = std::make_shared<core::compare::ExperimentControl>();
    QPointer<CompareWindow> self(this);
    m_control->progress = [self](int done, int total, const std::string& what) {
        QMetaObject::invokeMethod(
            self.data(),
            [self, done, total, what] {
                if (!self)
                    return;
                self->m_progress->setRange(0, total);
                self->m_progress->setValue(done);
                self->m_progress->setFormat(QString::fromStdString(what) + "  %p%");
            },
            Qt::QueuedConnection);
    };
    m_progress->setRange(0, 0);
    m_progress->setVisible(true);
    m_cancelButton->setVisible(true);
    m_measureButton->setEnabled(false);
    // Copies: the worker never touches the documents, which may change while it runs.
    core::Network a = m_a->network(), b = m_b.network();
    const uint64_t revA = m_a->revision(), revB = m_b.revision();
    const core::Document* docA = m_a;
    auto control = m_control;
    auto options = m_measureOptions;
    m_future =
        QtConcurrent::run([self, a = std::move(a), b = std::move(b), control, options, revA, revB, docA] {
            core::compare::MeasureResult r;
            try {
                r = core::compare::measurePair(a, b, options, control.get());
            } catch (const std::exception& e) {
                r.cancelled = true;
                r.latency.clear();
                r.rows.clear();
                if (control->progress)
                    control->progress(0, 1, std::string("failed: ") + e.what());
            }
            QMetaObject::invokeMethod(
                self.data(),
                [self, r = std::move(r), revA, revB, docA] {
                    if (!self)
                        return;
                    self->m_running = false;
                    self->m_progress->setVisible(false);
                    self->m_cancelButton->setVisible(false);
                    self->m_measureButton->setEnabled(true);
                    if (r.cancelled) {
                        self->showMessage(tr("Measurement cancelled."), false);
                    } else {
                        self->m_latencyRows = r.rows;
                        self->m_measuredA = revA;
                        self->m_measuredB = revB;
                        self->m_measuredDocA = docA;
                        self->showMessage({}, false);
                        self->fillTable();
                    }
                    emit self->measureFinished();
                },
                Qt::QueuedConnection);
        });
}

void CompareWindow::cancelMeasure()
{
    if (m_control)
        m_control->cancel = true;
}

void CompareWindow::showMessage(const QString& text, bool error)
{
    m_message->setText(text);
    m_message->setStyleSheet(error ? "color: #c01f2f;" : QString());
    m_message->setVisible(!text.isEmpty());
}

void CompareWindow::refresh()
{
    if (!m_a)
        return; // still being built
    m_comparison =
        core::compare::compareDesigns(m_a->network(), m_a->analysis(), m_b.network(), m_b.analysis());
    m_nameA->setText(q(m_comparison.a.name) +
                     (m_a == m_live.data() ? tr("  (open design, live)") : QString()));
    m_nameB->setText(q(m_comparison.b.name));
    m_nameA->setToolTip(m_nameA->text());
    m_nameB->setToolTip(m_nameB->text());
    m_liveButton->setEnabled(m_live && m_a != m_live.data());
    fillTable();
    fillCharts();
}

void CompareWindow::fillTable()
{
    // Measured latency belongs to the revisions it measured: after an edit it is dropped, not shown stale.
    const bool fresh = !m_latencyRows.empty() && m_measuredDocA == m_a && m_measuredA == m_a->revision() &&
                       m_measuredB == m_b.revision();
    m_rows = fresh ? core::compare::withLatencyRows(m_comparison.rows, m_latencyRows) : m_comparison.rows;
    // Short headers keep every column in view; the names stand above, in the charts' colours.
    m_table->horizontalHeaderItem(1)->setToolTip(q(m_comparison.a.name));
    m_table->horizontalHeaderItem(2)->setToolTip(q(m_comparison.b.name));
    if (m_table->rowCount() != int(m_rows.size()))
        m_table->setRowCount(int(m_rows.size()));
    const QFontMetrics fm(m_table->font());
    const int padding =
        2 * m_table->style()->pixelMetric(QStyle::PM_FocusFrameHMargin, nullptr, m_table) + 12;
    int widths[5];
    for (int c = 0; c < 5; ++c)
        widths[c] = fm.horizontalAdvance(m_table->horizontalHeaderItem(c)->text()) + padding + 8;
    auto set = [&](int r, int c, const QString& text, bool right) {
        QTableWidgetItem* item = m_table->item(r, c);
        if (!item) {
            item = new QTableWidgetItem;
            item->setTextAlignment(right ? Qt::AlignRight | Qt::AlignVCenter
                                         : Qt::AlignLeft | Qt::AlignVCenter);
            m_table->setItem(r, c, item);
        }
        if (item->text() != text)
            item->setText(text);
        widths[c] = std::max(widths[c], fm.horizontalAdvance(text) + padding);
    };
    for (int r = 0; r < int(m_rows.size()); ++r) {
        const Metric& m = m_rows[size_t(r)];
        auto text = [&](const std::optional<double>& v) {
            return v ? q(core::compare::formatValue(m.unit, *v)) : QStringLiteral("—");
        };
        set(r, 0, q(m.label), false);
        set(r, 1, text(m.a), true);
        set(r, 2, text(m.b), true);
        auto d = m.difference();
        QString dt = QStringLiteral("—");
        if (d)
            dt = *d == 0 ? QStringLiteral("0")
                         : (*d > 0 ? QStringLiteral("+") : QStringLiteral("−")) +
                               q(core::compare::formatValue(m.unit, std::fabs(*d)));
        set(r, 3, dt, true);
        auto ratio = m.ratio();
        set(r, 4, ratio ? QString::number(*ratio, 'f', 3) + QStringLiteral("×") : QStringLiteral("—"), true);
    }
    // The table is as wide as its columns, so no figure hides behind a scroll bar.
    for (int c = 0; c < 5; ++c)
        if (m_table->columnWidth(c) != widths[c])
            m_table->setColumnWidth(c, widths[c]);
    const int width = m_table->horizontalHeader()->length() +
                      m_table->verticalScrollBar()->sizeHint().width() + 2 * m_table->frameWidth();
    if (m_table->parentWidget()->width() != width)
        m_table->parentWidget()->setFixedWidth(width);
}

void CompareWindow::fillCharts()
{
    const LayerMetric& lm =
        kLayerMetrics[std::clamp(m_metric->currentIndex(), 0, int(std::size(kLayerMetrics)) - 1)];
    const auto& rows = m_comparison.alignment;
    const double nan = std::numeric_limits<double>::quiet_NaN();
    for (int side = 0; side < 2; ++side) {
        const core::Document& doc = side == 0 ? *m_a : m_b;
        const core::AnalysisResult& a = doc.analysis();
        std::vector<double> values(rows.size(), nan);
        std::vector<QString> names(rows.size());
        double total = 0;
        for (size_t r = 0; r < rows.size(); ++r) {
            const int i = side == 0 ? rows[r].a : rows[r].b;
            if (i < 0)
                continue;
            const core::LayerResult& l = a.layers[size_t(i)];
            values[r] = lm.value(l);
            total += values[r];
            names[r] = q(doc.network().nodes()[size_t(l.nodeIndex)].name) + " (" +
                       q(std::string(core::layerTypeLabel(l.type))) + ")";
        }
        const QString totalText = lm.unit == CompareChart::Unit::Bytes
                                      ? q(core::humanBytes(std::llround(total)))
                                      : q(core::humanCount(std::llround(total)));
        const QString title = tr("%1: %2 — %3 per layer (sum %4)")
                                  .arg(side == 0 ? "A" : "B", q(doc.network().name), tr(lm.label), totalText);
        (side == 0 ? m_chartA : m_chartB)
            ->setData(title, std::move(values), std::move(names), lm.unit, side == 0 ? colourA() : colourB());
    }
}

void CompareWindow::selectRow(int row)
{
    m_chartA->setSelectedRow(row);
    m_chartB->setSelectedRow(row);
    auto side = [&](CompareChart* c) {
        QString t = c->hoverText(row);
        return t.replace('\n', ": ");
    };
    m_selectionLabel->setText(row < 0 ? QString()
                                      : tr("A %1   |   B %2").arg(side(m_chartA), side(m_chartB)));
}

} // namespace nc::widgets

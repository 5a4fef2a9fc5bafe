// TrainingPanel: the "Training and scale" dock.
#include "TrainingPanel.h"

#include "core/Format.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QPainter>
#include <QSpinBox>
#include <QVBoxLayout>

namespace nc::widgets {

namespace {

using core::train::DeviceMemory;

constexpr int kParts = 5;
const char* const kPartNames[kParts] = {"weights", "gradients", "optimizer", "activations", "workspace"};
const QColor kPartColours[kParts] = {QColor(0x4e, 0x79, 0xa7), QColor(0xf2, 0x8e, 0x2b), QColor(0xe1, 0x57, 0x59),
                                     QColor(0x59, 0xa1, 0x4f), QColor(0xb0, 0x7a, 0xa1)};

int64_t part(const DeviceMemory& d, int i)
{
    switch (i) {
    case 0: return d.weights;
    case 1: return d.gradients;
    case 2: return d.optimizer;
    case 3: return d.activations;
    default: return d.workspace;
    }
}

QString bytes(int64_t b) { return QString::fromStdString(core::humanBytes(b)); }

QSpinBox* spin(int lo, int hi, int value, const char* name)
{
    auto* s = new QSpinBox;
    s->setRange(lo, hi);
    s->setValue(value);
    s->setObjectName(name);
    s->setKeyboardTracking(false);
    return s;
}

QComboBox* combo(const QStringList& items, int index, const char* name)
{
    auto* c = new QComboBox;
    c->addItems(items);
    c->setCurrentIndex(index);
    c->setObjectName(name);
    return c;
}

} // namespace

// ---- bars -------------------------------------------------------------------------------------

TrainingBars::TrainingBars(QWidget* parent) : QWidget(parent) { setObjectName("trainingBars"); }

void TrainingBars::setData(std::vector<DeviceMemory> stages, int64_t deviceMemory)
{
    m_stages = std::move(stages);
    m_device = deviceMemory;
    update();
}

double TrainingBars::scaleMax() const
{
    double m = static_cast<double>(m_device);
    for (const auto& d : m_stages)
        m = std::max(m, static_cast<double>(d.total));
    return m > 0 ? m * 1.05 : 1;
}

QRectF TrainingBars::barArea() const { return QRectF(70, 8, std::max(10, width() - 80), std::max(10, height() - 40)); }

QRectF TrainingBars::segmentRect(int bar, int p) const
{
    if (bar < 0 || bar >= static_cast<int>(m_stages.size()) || p < 0 || p >= kParts)
        return {};
    const QRectF area = barArea();
    const double slot = area.width() / static_cast<double>(m_stages.size());
    const double w = std::min(slot * 0.6, 80.0);
    const double x = area.left() + slot * bar + (slot - w) / 2;
    const double perByte = area.height() / scaleMax();
    double below = 0;
    for (int i = 0; i < p; ++i)
        below += static_cast<double>(part(m_stages[static_cast<size_t>(bar)], i));
    const double h = static_cast<double>(part(m_stages[static_cast<size_t>(bar)], p)) * perByte;
    return QRectF(x, area.bottom() - below * perByte - h, w, h);
}

void TrainingBars::paintEvent(QPaintEvent*)
{
    QPainter g(this);
    g.fillRect(rect(), palette().base());
    const QRectF area = barArea();
    g.setPen(palette().text().color());
    g.drawLine(area.bottomLeft(), area.bottomRight());
    for (int b = 0; b < static_cast<int>(m_stages.size()); ++b) {
        for (int p = 0; p < kParts; ++p)
            g.fillRect(segmentRect(b, p), kPartColours[p]);
        const QRectF base = segmentRect(b, 0);
        g.drawText(QRectF(base.left() - 20, area.bottom() + 2, base.width() + 40, 16), Qt::AlignCenter,
                   m_stages.size() == 1 ? tr("device") : tr("stage %1").arg(b));
    }
    if (m_device > 0) {
        const double y = area.bottom() - static_cast<double>(m_device) * area.height() / scaleMax();
        g.setPen(QPen(Qt::red, 1.5, Qt::DashLine));
        g.drawLine(QPointF(area.left(), y), QPointF(area.right(), y));
        g.drawText(QRectF(0, y - 8, area.left() - 4, 16), Qt::AlignRight | Qt::AlignVCenter, bytes(m_device));
    }
    // Legend along the bottom.
    double x = 4;
    for (int p = 0; p < kParts; ++p) {
        g.fillRect(QRectF(x, height() - 14, 10, 10), kPartColours[p]);
        g.setPen(palette().text().color());
        g.drawText(QPointF(x + 13, height() - 5), tr(kPartNames[p]));
        x += 14 + g.fontMetrics().horizontalAdvance(tr(kPartNames[p])) + 10;
    }
}

// ---- panel ------------------------------------------------------------------------------------

TrainingPanel::TrainingPanel(const core::Document& doc, QWidget* parent) : QWidget(parent), m_doc(doc)
{
    setObjectName("trainingPanel");
    m_batch = spin(0, 1000000, 0, "batch");
    m_batch->setSpecialValueText(tr("design's"));
    m_context = spin(0, 10000000, 0, "context");
    m_context->setSpecialValueText(tr("design's"));
    m_precision = combo({tr("mixed (16-bit + fp32 master)"), tr("fp32")}, 0, "precision");
    m_optimizer = combo({tr("Adam / AdamW"), tr("SGD with momentum"), tr("SGD")}, 0, "optimizer");
    m_recompute = combo({tr("none"), tr("full per block"), tr("every k-th block"), tr("selective (attention)")}, 0,
                        "recompute");
    m_every = spin(1, 1000, 2, "every");
    m_dp = spin(1, 100000, 1, "dp");
    m_zero = combo({"0", "1", "2", "3"}, 0, "zero");
    m_tp = spin(1, 1024, 1, "tp");
    m_pp = spin(1, 1024, 1, "pp");
    m_micro = spin(1, 100000, 1, "microbatches");
    m_device = combo({"16 GB", "24 GB", "40 GB", "80 GB", tr("custom")}, 3, "deviceMemory");
    m_customGb = spin(1, 100000, 80, "customGb");
    m_customGb->setSuffix(" GB");

    auto* form = new QFormLayout;
    form->addRow(tr("Batch (global)"), m_batch);
    form->addRow(tr("Context (tokens)"), m_context);
    form->addRow(tr("Precision"), m_precision);
    form->addRow(tr("Optimizer"), m_optimizer);
    auto* rec = new QHBoxLayout;
    rec->addWidget(m_recompute, 1);
    rec->addWidget(new QLabel(tr("k")));
    rec->addWidget(m_every);
    form->addRow(tr("Recompute"), rec);
    auto* dp = new QHBoxLayout;
    dp->addWidget(m_dp, 1);
    dp->addWidget(new QLabel(tr("ZeRO")));
    dp->addWidget(m_zero);
    form->addRow(tr("Data parallel"), dp);
    form->addRow(tr("Tensor parallel"), m_tp);
    auto* pp = new QHBoxLayout;
    pp->addWidget(m_pp, 1);
    pp->addWidget(new QLabel(tr("micro-batches")));
    pp->addWidget(m_micro);
    form->addRow(tr("Pipeline stages"), pp);
    m_colourStages = new QCheckBox(tr("Colour the canvas by stage"), this);
    m_colourStages->setObjectName("colourStages");
    form->addRow(QString(), m_colourStages);
    connect(m_colourStages, &QCheckBox::toggled, this, [this] { recompute(); });
    auto* dev = new QHBoxLayout;
    dev->addWidget(m_device, 1);
    dev->addWidget(m_customGb);
    form->addRow(tr("Device memory"), dev);

    m_bars = new TrainingBars;
    m_verdict = new QLabel;
    m_verdict->setObjectName("verdict");
    m_figures = new QLabel;
    m_figures->setObjectName("figures");
    m_figures->setWordWrap(true);
    m_figures->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto* right = new QVBoxLayout;
    right->addWidget(m_verdict);
    right->addWidget(m_bars, 1);
    right->addWidget(m_figures);
    auto* top = new QHBoxLayout(this);
    top->addLayout(form);
    top->addLayout(right, 1);

    for (QSpinBox* s : {m_batch, m_context, m_every, m_dp, m_tp, m_pp, m_micro, m_customGb})
        connect(s, &QSpinBox::valueChanged, this, &TrainingPanel::recompute);
    for (QComboBox* c : {m_precision, m_optimizer, m_recompute, m_zero, m_device})
        connect(c, &QComboBox::currentIndexChanged, this, &TrainingPanel::recompute);
    connect(&m_doc, &core::Document::changed, this, [this](const core::Change& c) {
        if (c.kind != core::ChangeKind::Positions)
            recompute();
    });
    recompute();
}

void TrainingPanel::readControls()
{
    using namespace core::train;
    TrainSettings& s = m_settings;
    s = {};
    s.batch = m_batch->value();
    s.context = m_context->value();
    s.precision = m_precision->currentIndex() == 0 ? Precision::Mixed : Precision::Fp32;
    static const Optimizer opts[] = {Optimizer::Adam, Optimizer::Momentum, Optimizer::Sgd};
    s.optimizer = opts[std::clamp(m_optimizer->currentIndex(), 0, 2)];
    static const Recompute recs[] = {Recompute::None, Recompute::Full, Recompute::EveryK, Recompute::Selective};
    s.recompute = recs[std::clamp(m_recompute->currentIndex(), 0, 3)];
    s.every = m_every->value();
    m_every->setEnabled(s.recompute == Recompute::EveryK);
    s.dp = m_dp->value();
    s.zero = m_zero->currentIndex();
    s.tp = m_tp->value();
    s.pp = m_pp->value();
    s.microbatches = m_micro->value();
    static const int64_t presets[] = {16'000'000'000, 24'000'000'000, 40'000'000'000, 80'000'000'000};
    const bool custom = m_device->currentIndex() == 4;
    m_customGb->setEnabled(custom);
    s.deviceMemory = custom ? int64_t(m_customGb->value()) * 1'000'000'000 : presets[std::clamp(m_device->currentIndex(), 0, 3)];
    // A batch left at the design's value grows with dp and micro-batches so the split stays exact.
    if (s.batch == 0)
        s.batch = m_doc.network().batch * s.dp * s.microbatches;
}

void TrainingPanel::recompute()
{
    readControls();
    auto p = core::train::planTraining(m_doc.network(), m_settings);
    if (!p) {
        m_plan.reset();
        m_bars->setData({}, m_settings.deviceMemory);
        m_verdict->setText(tr("Cannot plan: %1").arg(QString::fromStdString(p.error())));
        m_figures->clear();
        return;
    }
    m_plan = std::move(*p);
    const auto& plan = *m_plan;
    std::vector<std::pair<core::NodeId, int>> stageOf;
    if (m_colourStages->isChecked()) {
        const auto& layers = m_doc.analysis().layers;
        for (size_t st = 0; st < plan.stages.size(); ++st)
            for (int step = plan.stages[st].firstStep;
                 step < plan.stages[st].firstStep + plan.stages[st].layers && step < static_cast<int>(layers.size());
                 ++step)
                stageOf.emplace_back(layers[static_cast<size_t>(step)].id, static_cast<int>(st));
    }
    emit stagesChanged(stageOf);
    std::vector<core::train::DeviceMemory> stages;
    for (const auto& st : plan.stages)
        stages.push_back(st.memory);
    m_bars->setData(std::move(stages), m_settings.deviceMemory);
    m_verdict->setText(tr("%1 per device on %2 device(s): %3 %4")
                           .arg(bytes(plan.perDevice.total))
                           .arg(plan.devices)
                           .arg(plan.fits ? tr("fits") : tr("does not fit"))
                           .arg(bytes(m_settings.deviceMemory)));
    QStringList lines;
    const auto& d = plan.perDevice;
    lines << tr("weights %1 · gradients %2 · optimizer %3 · activations %4 (dropout masks %5) · workspace %6")
                 .arg(bytes(d.weights), bytes(d.gradients), bytes(d.optimizer), bytes(d.activations),
                      bytes(d.dropoutMasks), bytes(d.workspace));
    lines << tr("MACs per step: forward %1, backward %2, recomputed %3, total %4")
                 .arg(QString::fromStdString(core::humanCount(plan.forwardMacs)),
                      QString::fromStdString(core::humanCount(plan.backwardMacs)),
                      QString::fromStdString(core::humanCount(plan.recomputeMacs)),
                      QString::fromStdString(core::humanCount(plan.trainMacs)));
    if (m_settings.recompute != core::train::Recompute::None)
        lines << tr("recomputation saves %1 of activations").arg(bytes(plan.recomputeSavedBytes));
    lines << tr("communication per device per step: %1 (data %2, tensor %3, pipeline %4)")
                 .arg(bytes(plan.commTotal), bytes(plan.commDataParallel), bytes(plan.commTensorParallel),
                      bytes(plan.commPipeline));
    if (m_settings.pp > 1)
        lines << tr("pipeline bubble %1 %").arg(100 * plan.bubble, 0, 'f', 1);
    if (plan.kvCacheBytes > 0)
        lines << tr("KV cache %1").arg(bytes(plan.kvCacheBytes));
    m_figures->setText(lines.join('\n'));
}

} // namespace nc::widgets

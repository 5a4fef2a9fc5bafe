// SummaryStrip: laying out and filling the headline figures.
#include "SummaryStrip.h"

#include "ChartStyle.h"

#include "core/Format.h"
#include "core/Report.h"

#include <QGridLayout>
#include <QLabel>

namespace nc::widgets {

namespace {

QString qs(const std::string& s) {
    return QString::fromStdString(s);
}

// "FP32", "INT8": how the bit-width selector names them.
QString precisionName(int bits) {
    switch (bits) {
    case 32:
        return QStringLiteral("FP32");
    case 16:
        return QStringLiteral("FP16");
    case 8:
        return QStringLiteral("INT8");
    case 4:
        return QStringLiteral("INT4");
    default:
        return QString::number(bits) + QStringLiteral("-bit");
    }
}

QString nameOf(const core::Network& net, core::NodeId id) {
    const core::Node* n = net.node(id);
    return n ? qs(n->name) : QStringLiteral("—");
}

} // namespace

SummaryStrip::SummaryStrip(QWidget* parent) : QWidget(parent) {
    m_grid = new QGridLayout(this);
    m_grid->setContentsMargins(6, 4, 6, 4);
    m_grid->setHorizontalSpacing(14);
    m_grid->setVerticalSpacing(4);
    for (int i = 0; i < static_cast<int>(Field::Count); ++i) {
        auto* l = new QLabel(this);
        l->setTextFormat(Qt::RichText);
        l->setWordWrap(true);
        l->setAlignment(Qt::AlignLeft | Qt::AlignTop);
        l->setTextInteractionFlags(Qt::TextSelectableByMouse);
        m_labels[static_cast<size_t>(i)] = l;
    }
    m_problems = new QLabel(this);
    m_problems->setStyleSheet(QStringLiteral("color: #c01f2f;"));
    m_problems->setVisible(false);
    arrange(4);
    setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Maximum);
}

void SummaryStrip::arrange(int columns) {
    if (columns == m_columns)
        return;
    m_columns = columns;
    for (QLabel* l : m_labels)
        m_grid->removeWidget(l);
    m_grid->removeWidget(m_problems);
    const int count = static_cast<int>(Field::Count);
    for (int i = 0; i < count; ++i) {
        const bool selection = i == static_cast<int>(Field::Selection);
        m_grid->addWidget(m_labels[static_cast<size_t>(i)], i / columns, i % columns, 1,
                          selection && columns == 4 ? 2 : 1);
    }
    m_grid->addWidget(m_problems, (count + columns - 1) / columns, 0, 1, columns);
    for (int c = 0; c < 8; ++c)
        m_grid->setColumnStretch(c, c < columns ? 1 : 0);
}

void SummaryStrip::resizeEvent(QResizeEvent* e) {
    QWidget::resizeEvent(e);
    // About 170 px per figure keeps "25,557,032 + 53,120 state" on one line.
    arrange(width() >= static_cast<int>(Field::Count) * 170 ? static_cast<int>(Field::Count) : 4);
}

void SummaryStrip::set(Field f, const QString& caption, const QString& value, const QString& detail) {
    const auto i = static_cast<size_t>(f);
    m_plain[i] =
        caption + QLatin1Char('\n') + value + (detail.isEmpty() ? QString() : QLatin1Char('\n') + detail);
    // Lines may break only between " · "-separated parts, never inside a figure ("1.61 M").
    auto keep = [](const QString& t) {
        QStringList parts = t.toHtmlEscaped().split(QStringLiteral(" · "));
        for (QString& p : parts)
            p.replace(QLatin1Char(' '), QStringLiteral("&nbsp;"));
        return parts.join(QStringLiteral(" · "));
    };
    QString html = QStringLiteral("<span style='color:%1; font-size:small'>%2</span><br><b>%3</b>")
                       .arg(chartstyle::muted().name(), caption.toHtmlEscaped(), keep(value));
    if (!detail.isEmpty())
        html += QStringLiteral("<br><span style='font-size:small'>%1</span>").arg(keep(detail));
    m_labels[i]->setText(html);
}

void SummaryStrip::setDeployment(const core::Network& net, const core::deploy::DeployFigures& f) {
    if (!f.ok())
        return;
    const core::deploy::Timeline& t = f.schedule.timeline;
    set(Field::Params, tr("Parameters (deployed)"), qs(core::humanCount(f.graph.params)),
        qs(core::groupDigits(f.graph.params)) +
            (f.graph.state ? tr(" + %1 state").arg(qs(core::groupDigits(f.graph.state))) : QString()));
    set(Field::Activations, tr("Activations (deployed)"), qs(core::humanBytes(f.allocatedTotal)),
        tr("%1 BatchNorm folded · %2 activations fused").arg(f.graph.folded).arg(f.graph.fused));
    const int peakNode = f.stepNode[static_cast<size_t>(t.peakStep)];
    set(Field::PeakMemory, tr("Peak live memory (deployed)"), qs(core::humanBytes(t.peakBytes)),
        tr("at %1 · arena %2")
            .arg(qs(net.nodes()[static_cast<size_t>(peakNode)].name), qs(core::humanBytes(f.plan.arenaBytes))));
}

void SummaryStrip::setFigures(const core::Network& net, const core::AnalysisResult& a) {
    const core::AnalysisTotals& t = a.totals;
    set(Field::Params, tr("Parameters"), qs(core::humanCount(t.params)),
        qs(core::groupDigits(t.params)) +
            (t.state ? tr(" + %1 state").arg(qs(core::groupDigits(t.state))) : QString()));
    set(Field::ModelSize, tr("Model size (%1)").arg(precisionName(a.bits)),
        qs(core::humanBytes(t.modelBytes)),
        QStringLiteral("32: %1 · 16: %2 · 8: %3 · 4: %4")
            .arg(qs(core::humanBytes(t.modelBytesAt[0])), qs(core::humanBytes(t.modelBytesAt[1])),
                 qs(core::humanBytes(t.modelBytesAt[2])), qs(core::humanBytes(t.modelBytesAt[3]))));
    set(Field::Compute, tr("MACs · FLOPs"),
        qs(core::humanCount(t.macs)) + QStringLiteral(" · ") + qs(core::humanCount(t.flops)),
        tr("batch %1").arg(qs(core::groupDigits(a.batch))));
    set(Field::Activations, tr("Activations"), qs(core::humanBytes(t.activationBytes)),
        tr("%1 values").arg(qs(core::humanCount(t.activations))));
    // Both peaks the core reports: bytes live under the schedule (what must fit in SRAM) and the
    // lecture's per-layer input + output count.
    set(Field::PeakMemory, tr("Peak live memory"), qs(core::humanBytes(t.peakLiveBytes)),
        tr("at %1 · in+out peak %2 at %3")
            .arg(nameOf(net, t.peakLiveLayer), qs(core::humanCount(t.peakActivations)),
                 nameOf(net, t.peakActivationsLayer)));
    set(Field::ReceptiveField, tr("Receptive field"), qs(core::rfText(t.rf)));
    const bool bad = t.errors || t.blocked;
    m_problems->setVisible(bad);
    if (bad)
        m_problems->setText(
            tr("%1 layer(s) with errors, %2 blocked: their figures are missing from the totals")
                .arg(t.errors)
                .arg(t.blocked));
}

void SummaryStrip::setSelection(const core::Network& net, const core::AnalysisResult& a,
                                const std::vector<core::NodeId>& ids) {
    std::vector<const core::LayerResult*> layers;
    for (core::NodeId id : ids)
        if (const core::LayerResult* l = a.layer(id, net))
            layers.push_back(l);
    if (layers.empty()) {
        set(Field::Selection, tr("Selection"), tr("none"), tr("click a bar or a layer"));
        return;
    }
    if (layers.size() == 1) {
        const core::LayerResult& l = *layers.front();
        set(Field::Selection, tr("Selection: %1").arg(nameOf(net, l.id)),
            qs(core::humanCount(l.params)) + tr(" params · ") + qs(core::humanCount(l.macs)) + tr(" MACs"),
            tr("activations %1 · live %2 · field %3")
                .arg(qs(core::humanBytes(l.activationBytes)), qs(core::humanBytes(l.liveBytes)),
                     qs(core::rfText(l.rf))));
        return;
    }
    const core::LayerSums sum = core::sumLayers(a, net, ids);
    const int64_t params = sum.params, macs = sum.macs, act = sum.activationBytes, model = sum.modelBytes;
    set(Field::Selection, tr("Selection: %1 layers").arg(layers.size()),
        qs(core::humanCount(params)) + tr(" params · ") + qs(core::humanCount(macs)) + tr(" MACs"),
        tr("activations %1 · weights %2").arg(qs(core::humanBytes(act)), qs(core::humanBytes(model))));
}

} // namespace nc::widgets

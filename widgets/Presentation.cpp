// Presentation: font scaling, hiding and the layer-by-layer build-up.
#include "Presentation.h"

#include "EdgeItem.h"
#include "GraphScene.h"
#include "GraphView.h"
#include "NodeItem.h"
#include "Selection.h"
#include "charts/LayerTicker.h"

#include "core/Explain.h"
#include "core/Format.h"
#include "core/Report.h"

#include <qcustomplot.h>

#include <QAction>
#include <QDockWidget>
#include <QLabel>
#include <QMainWindow>
#include <QTimer>
#include <QVBoxLayout>

#include <algorithm>

namespace nc::widgets {

namespace {

QString qs(const std::string& s) { return QString::fromStdString(s); }

QFont scaled(QFont f, double factor)
{
    if (f.pointSizeF() > 0)
        f.setPointSizeF(f.pointSizeF() * factor);
    else if (f.pixelSize() > 0)
        f.setPixelSize(static_cast<int>(f.pixelSize() * factor + 0.5));
    return f;
}

} // namespace

StepCard::StepCard(QWidget* parent) : QWidget(parent)
{
    setObjectName("stepCard");
    auto* col = new QVBoxLayout(this);
    col->setContentsMargins(12, 10, 12, 10);
    col->setSpacing(8);
    m_step = new QLabel(this);
    m_step->setObjectName("stepNumber");
    m_step->setStyleSheet("color:#666");
    m_title = new QLabel(this);
    m_title->setObjectName("stepTitle");
    m_title->setWordWrap(true);
    QFont tf = m_title->font();
    tf.setBold(true);
    tf.setPointSizeF(tf.pointSizeF() * 1.3);
    m_title->setFont(tf);
    m_figures = new QLabel(this);
    m_figures->setObjectName("stepFigures");
    m_figures->setWordWrap(true);
    m_formulas = new QLabel(this);
    m_formulas->setObjectName("stepFormulas");
    m_formulas->setWordWrap(true);
    m_formulas->setTextInteractionFlags(Qt::TextSelectableByMouse);
    QFont mono(QStringLiteral("DejaVu Sans Mono"));
    mono.setPointSizeF(font().pointSizeF());
    m_formulas->setFont(mono);
    col->addWidget(m_step);
    col->addWidget(m_title);
    col->addWidget(m_figures);
    col->addWidget(m_formulas);
    col->addStretch(1);
}

void StepCard::showStep(const core::Network& net, const core::AnalysisResult& a, int step)
{
    if (step < 0 || step >= static_cast<int>(a.layers.size())) {
        m_step->clear();
        m_title->setText(tr("An empty design"));
        m_figures->clear();
        m_formulas->clear();
        return;
    }
    const core::LayerResult& l = a.layers[static_cast<size_t>(step)];
    const core::Node& n = net.nodes()[static_cast<size_t>(l.nodeIndex)];
    m_step->setText(tr("Step %1 of %2").arg(step + 1).arg(a.layers.size()));
    m_title->setText(tr("%1 — %2").arg(qs(n.name), qs(std::string(core::layerTypeLabel(n.type)))));
    if (l.status != core::LayerStatus::Ok) {
        m_figures->setText(qs(l.message));
        m_formulas->clear();
        return;
    }
    QStringList fig;
    fig << tr("output %1").arg(qs(l.output.toString()));
    if (l.params)
        fig << tr("parameters %1 (%2)").arg(qs(core::groupDigits(l.params)), qs(core::humanBytes(l.modelBytes)));
    if (l.macs)
        fig << tr("MACs %1").arg(qs(core::humanCount(l.macs)));
    if (l.activationBytes)
        fig << tr("activations %1").arg(qs(core::humanBytes(l.activationBytes)));
    if (l.rf.valid)
        fig << tr("receptive field %1").arg(qs(core::rfText(l.rf)));
    m_figures->setText(fig.join(QLatin1Char('\n')));
    QStringList lines;
    for (const core::ExplainLine& e : core::explainLayer(net, a, l.id))
        lines << qs(e.text);
    m_formulas->setText(lines.join(QLatin1Char('\n')));
}

Presentation::Presentation(Parts parts, QObject* parent) : QObject(parent), m_parts(std::move(parts))
{
    m_card = new StepCard;
    connect(m_parts.doc, &core::Document::changed, this, [this](const core::Change& c) {
        if (!m_active || c.kind == core::ChangeKind::Positions)
            return;
        m_step = std::clamp(m_step, 0, std::max(0, steps() - 1));
        // The scene rebuilds its items on the same signal: apply the build-up after it has.
        QTimer::singleShot(0, this, [this] {
            if (m_active)
                applyStep();
        });
    });
}

Presentation::~Presentation() = default;

int Presentation::steps() const { return static_cast<int>(m_parts.doc->analysis().layers.size()); }

void Presentation::setActive(bool on)
{
    if (on == m_active)
        return;
    m_active = on;
    if (on) {
        m_zoom = m_parts.view->zoom();
        m_overview = m_parts.scene->overview();
        m_minimap = !m_parts.minimapAction || m_parts.minimapAction->isChecked();
        m_hidden.clear();
        for (QWidget* w : m_parts.hide)
            if (w) {
                m_hidden.emplace_back(w, w->isVisible());
                w->hide();
            }
        if (m_parts.minimapAction)
            m_parts.minimapAction->setChecked(false);
        m_parts.scene->setAllGroupsCollapsed(false);
        scaleFonts(kScale);
        if (QDockWidget* c = m_parts.chartsDock) {
            m_chartsHeight = c->height();
            const int total = m_parts.window->centralWidget()->height() + c->height();
            m_parts.window->resizeDocks({c}, {static_cast<int>(total * 0.42)}, Qt::Vertical);
        }
        if (m_parts.cardDock) {
            m_parts.cardDock->show();
            m_parts.cardDock->raise();
        }
        m_step = 0;
        applyStep();
    } else {
        restoreFonts();
        for (QGraphicsItem* it : m_parts.scene->items())
            if (dynamic_cast<NodeItem*>(it) || dynamic_cast<EdgeItem*>(it))
                it->setVisible(true);
        m_parts.scene->setAllGroupsCollapsed(m_overview);
        if (m_parts.cardDock)
            m_parts.cardDock->hide();
        for (auto& [w, visible] : m_hidden)
            if (w)
                w->setVisible(visible);
        m_hidden.clear();
        if (m_parts.minimapAction)
            m_parts.minimapAction->setChecked(m_minimap);
        if (m_parts.chartsDock && m_chartsHeight > 0)
            m_parts.window->resizeDocks({m_parts.chartsDock}, {m_chartsHeight}, Qt::Vertical);
        m_parts.view->setZoom(m_zoom);
    }
    emit activeChanged(on);
}

void Presentation::next() { goTo(m_step + 1); }
void Presentation::previous() { goTo(m_step - 1); }

void Presentation::goTo(int step)
{
    if (!m_active)
        return;
    m_step = std::clamp(step, 0, std::max(0, steps() - 1));
    applyStep();
}

void Presentation::scaleFonts(double factor)
{
    m_restoreFonts.clear();
    QMainWindow* w = m_parts.window;
    m_windowFontSet = w->testAttribute(Qt::WA_SetFont);
    m_windowFont = w->font();
    const QFont base = w->font();
    // Widgets with a font of their own keep its size relative to the base; the rest follow the window.
    std::vector<std::pair<QWidget*, QFont>> own;
    std::vector<QWidget*> styled;
    for (QWidget* c : w->findChildren<QWidget*>())
        if (c->testAttribute(Qt::WA_SetFont))
            own.emplace_back(c, c->font());
        else if (!c->styleSheet().isEmpty())
            styled.push_back(c); // a style sheet stops the window's font from reaching it
    if (m_parts.cardDock)
        for (QWidget* c : m_parts.cardDock->findChildren<QWidget*>())
            if (c->testAttribute(Qt::WA_SetFont) && !w->isAncestorOf(c))
                own.emplace_back(c, c->font());
    w->setFont(scaled(base, factor));
    for (QWidget* c : styled) {
        c->setFont(scaled(c->font(), factor));
        // An empty font sets nothing of its own: the widget follows its parent again.
        m_restoreFonts.push_back([p = QPointer<QWidget>(c)] {
            if (p)
                p->setFont(QFont());
        });
    }
    for (auto& [c, f] : own) {
        c->setFont(scaled(f, factor));
        // An init-capture, not `f` itself: clang 14 (the sanitizer build) cannot capture a structured binding.
        m_restoreFonts.push_back([p = QPointer<QWidget>(c), font = f] {
            if (p)
                p->setFont(font);
        });
    }
    // Charts draw with fonts of their own elements.
    for (QCustomPlot* p : w->findChildren<QCustomPlot*>()) {
        QPointer<QCustomPlot> guard(p);
        for (QCPAxisRect* r : p->axisRects())
            for (QCPAxis* a : r->axes()) {
                const QFont tick = a->tickLabelFont(), label = a->labelFont();
                a->setTickLabelFont(scaled(tick, factor));
                a->setLabelFont(scaled(label, factor));
                if (auto t = a->ticker().dynamicCast<LayerTicker>()) {
                    t->setLabelFont(scaled(tick, factor), LayerTicker::kMaxLabelPixels * factor);
                    m_restoreFonts.push_back([guard, t, tick] {
                        if (guard)
                            t->setLabelFont(tick, LayerTicker::kMaxLabelPixels);
                    });
                }
                m_restoreFonts.push_back([guard, a, tick, label] {
                    if (guard) {
                        a->setTickLabelFont(tick);
                        a->setLabelFont(label);
                    }
                });
            }
        const QFont legend = p->legend->font();
        p->legend->setFont(scaled(legend, factor));
        m_restoreFonts.push_back([guard, legend] {
            if (guard)
                guard->legend->setFont(legend);
        });
        for (int i = 0; i < p->plotLayout()->elementCount(); ++i)
            if (auto* t = qobject_cast<QCPTextElement*>(p->plotLayout()->elementAt(i))) {
                const QFont f = t->font();
                t->setFont(scaled(f, factor));
                m_restoreFonts.push_back([guard, t, f] {
                    if (guard)
                        t->setFont(f);
                });
            }
        for (int i = 0; i < p->itemCount(); ++i)
            if (auto* t = qobject_cast<QCPItemText*>(p->item(i))) {
                const QFont f = t->font();
                t->setFont(scaled(f, factor));
                m_restoreFonts.push_back([guard, t, f] {
                    if (guard)
                        t->setFont(f);
                });
            }
        m_restoreFonts.push_back([guard] {
            if (guard)
                guard->replot(QCustomPlot::rpQueuedReplot);
        });
        p->replot(QCustomPlot::rpQueuedReplot);
    }
}

void Presentation::restoreFonts()
{
    QMainWindow* w = m_parts.window;
    if (m_windowFontSet)
        w->setFont(m_windowFont);
    else
        w->setFont(QFont());
    for (auto& f : m_restoreFonts)
        f();
    m_restoreFonts.clear();
}

void Presentation::applyStep()
{
    const core::Network& net = m_parts.doc->network();
    const core::AnalysisResult& a = m_parts.doc->analysis();
    // Schedule step of each node: shown when it is at most the current step.
    std::vector<int> stepOf(net.nodes().size(), 0);
    for (const core::LayerResult& l : a.layers)
        stepOf[static_cast<size_t>(l.nodeIndex)] = l.step;
    auto shown = [&](core::NodeId id) {
        const int i = net.nodeIndex(id);
        return i >= 0 && stepOf[static_cast<size_t>(i)] <= m_step;
    };
    for (QGraphicsItem* it : m_parts.scene->items()) {
        if (auto* n = dynamic_cast<NodeItem*>(it))
            n->setVisible(shown(n->id()));
        else if (auto* e = dynamic_cast<EdgeItem*>(it))
            if (const core::Edge* edge = net.edge(e->id()))
                e->setVisible(shown(edge->from) && shown(edge->to));
    }
    m_card->showStep(net, a, a.layers.empty() ? -1 : m_step);
    if (!a.layers.empty())
        m_parts.selection->set({a.layers[static_cast<size_t>(m_step)].id}, false);
    frameShown();
}

void Presentation::frameShown()
{
    const core::AnalysisResult& a = m_parts.doc->analysis();
    QRectF box;
    QRectF current;
    for (QGraphicsItem* it : m_parts.scene->items())
        if (auto* n = dynamic_cast<NodeItem*>(it); n && n->isVisible()) {
            box |= n->sceneBoundingRect();
            if (!a.layers.empty() && n->id() == a.layers[static_cast<size_t>(m_step)].id)
                current = n->sceneBoundingRect();
        }
    if (box.isEmpty())
        return;
    GraphView* v = m_parts.view;
    box.adjust(-60, -60, 60, 60);
    const QSize vp = v->viewport()->size();
    const double fit = std::min(vp.width() / box.width(), vp.height() / box.height());
    // Labels at least a quarter larger than normal, at most 1.6 times; when the shown part no
    // longer fits at that, follow the current layer.
    const double z = std::clamp(fit, 1.25, 1.6);
    v->setZoom(z);
    // Too tall to fit: the current layer in the lower part of the view, the layers before it above.
    const QPointF lift(0, 0.25 * vp.height() / z);
    v->centerOn(fit >= z || current.isEmpty() ? box.center() : current.center() - lift);
}

} // namespace nc::widgets

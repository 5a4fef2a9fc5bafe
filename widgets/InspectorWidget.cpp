// InspectorWidget: generic attribute editors, figures and formulas of the selected layer.
#include "InspectorWidget.h"

#include "Editor.h"
#include "Int64SpinBox.h"
#include "Selection.h"
#include "core/Explain.h"
#include "core/Format.h"
#include "core/Report.h"

#include <QApplication>
#include <QCheckBox>
#include <QKeyEvent>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QRegularExpression>
#include <QScrollArea>
#include <QSignalBlocker>
#include <QStackedWidget>
#include <QVBoxLayout>

#include <array>

namespace nc::widgets {

namespace {

QString q(const std::string& s) { return QString::fromStdString(s); }
QString q(std::string_view s) { return QString::fromUtf8(s.data(), static_cast<qsizetype>(s.size())); }

const std::array<const char*, 10> kFigureLabels{"Output",          "Params", "MACs",        "FLOPs",
                                                "Other ops",       "Stores", "Live memory", "Workspace",
                                                "Receptive field", "Weights"};

bool isActivationKind(core::LayerType t)
{
    return core::Catalogue::instance().spec(t).category == core::Category::Activation;
}

QString dimsText(const core::Shape& s)
{
    QStringList parts;
    for (int64_t d : s)
        parts << QString::number(d);
    return parts.join(", ");
}

// Labels here do not word-wrap: a wrapping QLabel answers heightForWidth by laying its text out again,
// for every label, on every relayout — most of an edit's cost once measured (bench_widgets). Texts are
// broken into lines here instead, once per change.
QLabel* textLabel(QWidget* parent)
{
    auto* l = new QLabel(parent);
    l->setTextFormat(Qt::PlainText);
    l->setTextInteractionFlags(Qt::TextSelectableByMouse);
    return l;
}

// Greedy line breaking at spaces, for `width` characters.
QString wrapText(const QString& text, int width)
{
    QStringList lines;
    QString line;
    for (const QString& word : text.split(' ', Qt::SkipEmptyParts)) {
        if (!line.isEmpty() && line.size() + 1 + word.size() > width) {
            lines << line;
            line.clear();
        }
        line += (line.isEmpty() ? "" : " ") + word;
    }
    if (!line.isEmpty())
        lines << line;
    return lines.join('\n');
}

// A long formula line continues under its label: "MACs (batch 4)\n  = 128·…\n  = 231,211,008".
QString breakFormula(const QString& line, int width)
{
    if (line.size() <= width)
        return line;
    QStringList parts = line.split(" = ");
    QString out = parts.takeFirst();
    for (const QString& p : parts)
        out += "\n    = " + p;
    return out;
}

constexpr int kTextColumns = 46;

} // namespace

InspectorWidget::InspectorWidget(core::Document& doc, Editor& editor, Selection& selection, QWidget* parent)
    : QWidget(parent), m_doc(doc), m_editor(editor), m_selection(selection)
{
    // Fields come and go with the layer shown: watch the key events of all of them in one place.
    qApp->installEventFilter(this);
    m_pages = new QStackedWidget(this);

    // Page 0: the network.
    m_network = new QLabel(this);
    m_network->setTextFormat(Qt::RichText);
    m_network->setObjectName("networkSummary");
    m_network->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    m_network->setContentsMargins(8, 8, 8, 8);
    m_pages->addWidget(m_network);

    // Page 1: a layer.
    auto* page = new QWidget(this);
    auto* col = new QVBoxLayout(page);
    col->setContentsMargins(8, 8, 8, 8);
    m_title = new QLabel(page);
    m_title->setObjectName("inspectorTitle");
    QFont tf = m_title->font();
    tf.setPointSizeF(tf.pointSizeF() * 1.25);
    tf.setBold(true);
    m_title->setFont(tf);
    m_multi = textLabel(page);
    m_multi->setStyleSheet("color:#666");
    col->addWidget(m_title);
    col->addWidget(m_multi);

    auto* head = new QFormLayout;
    m_name = new QLineEdit(page);
    m_name->setObjectName("name");
    head->addRow(tr("Name"), m_name);
    m_source = new QLabel(page);
    m_source->setObjectName("onnxSource");
    m_source->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_source->setTextFormat(Qt::PlainText);
    m_source->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    m_sourceLabel = new QLabel(tr("ONNX name"), page);
    head->addRow(m_sourceLabel, m_source);
    m_kind = new QComboBox(page);
    m_kind->setObjectName("activation");
    for (const core::LayerSpec& s : core::Catalogue::instance().specs())
        if (s.category == core::Category::Activation)
            m_kind->addItem(q(core::layerTypeLabel(s.type)), static_cast<int>(s.type));
    m_kindLabel = new QLabel(tr("Function"), page);
    head->addRow(m_kindLabel, m_kind);
    col->addLayout(head);

    m_error = textLabel(page);
    m_error->setObjectName("layerError");
    m_error->setStyleSheet(
        "QLabel{background:#fdecea;color:#b71c1c;border:1px solid #f5c2c0;border-radius:4px;"
        "padding:6px}");
    col->addWidget(m_error);

    m_paramsBox = new QGroupBox(tr("Hyper-parameters"), page);
    m_form = new QFormLayout(m_paramsBox);
    m_form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    col->addWidget(m_paramsBox);

    auto* formBox = new QGroupBox(tr("How it is computed"), page);
    auto* fl = new QVBoxLayout(formBox);
    // The rule in symbols (from the catalogue), then the same rule with this layer's numbers.
    m_docText = textLabel(formBox);
    m_docText->setStyleSheet("color:#555");
    fl->addWidget(m_docText);
    m_formulas = textLabel(formBox);
    m_formulas->setObjectName("formulas");
    QFont mono(QStringLiteral("DejaVu Sans Mono"));
    mono.setPointSizeF(font().pointSizeF() * 0.9);
    m_formulas->setFont(mono);
    fl->addWidget(m_formulas);
    col->addWidget(formBox);
    auto* figBox = new QGroupBox(tr("Figures"), page);
    m_figures = new QFormLayout(figBox);
    for (const char* label : kFigureLabels) {
        auto* v = textLabel(figBox);
        v->setObjectName(QString("figure:") + label);
        m_figures->addRow(tr(label), v);
        m_figureValues.push_back(v);
    }
    col->addWidget(figBox);

    col->addStretch(1);
    m_pages->addWidget(page);

    auto* scroll = new QScrollArea(this);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    scroll->setWidget(m_pages);
    auto* outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    outer->addWidget(scroll);

    connect(m_name, &QLineEdit::editingFinished, this, &InspectorWidget::commitName);
    connect(m_kind, &QComboBox::activated, this, &InspectorWidget::commitKind);
    connect(&m_selection, &Selection::changed, this, &InspectorWidget::onSelectionChanged);
    connect(&m_doc, &core::Document::changed, this, &InspectorWidget::onDocumentChanged);
    showCurrent();
}

QWidget* InspectorWidget::attributeEditor(std::string_view key) const
{
    for (const AttrEditor& e : m_editors)
        if (e.spec->key == key)
            return e.widget;
    return nullptr;
}

QString InspectorWidget::formulasText() const
{
    // Joined back as the lines Explain wrote, however they were broken for the screen.
    QString t = m_formulas->text();
    t.replace("\n    = ", " = ");
    return t;
}

QString InspectorWidget::figure(const QString& label) const
{
    for (size_t i = 0; i < kFigureLabels.size(); ++i)
        if (label == kFigureLabels[i])
            return m_figureValues[i]->text();
    return {};
}

void InspectorWidget::onSelectionChanged() { showCurrent(); }

void InspectorWidget::onDocumentChanged(const core::Change& change)
{
    if (change.kind == core::ChangeKind::Positions)
        return;
    const core::Node* n = m_doc.network().node(m_id);
    if (!n || n->type != m_type || change.kind == core::ChangeKind::Reset)
        showCurrent();
    else
        refreshNodePage();
    if (!m_id.valid())
        refreshNetworkPage();
}

void InspectorWidget::showCurrent()
{
    const core::Node* n = m_doc.network().node(m_selection.current());
    if (!n) {
        m_id = {};
        m_editors.clear();
        m_pages->setCurrentIndex(0);
        refreshNetworkPage();
        return;
    }
    if (n->id != m_id || n->type != m_type || m_editors.empty())
        buildNodePage(*n);
    m_pages->setCurrentIndex(1);
    refreshNodePage();
}

void InspectorWidget::buildNodePage(const core::Node& node)
{
    m_id = node.id;
    m_type = node.type;
    while (m_form->rowCount() > 0)
        m_form->removeRow(0);
    m_editors.clear();

    const core::LayerSpec& spec = core::Catalogue::instance().spec(node.type);
    m_title->setText(q(core::layerTypeLabel(node.type)) + "  ·  " + q(core::categoryLabel(spec.category)));
    m_docText->setText(wrapText(q(spec.doc), kTextColumns + 8));
    m_kind->setVisible(isActivationKind(node.type));
    m_kindLabel->setVisible(isActivationKind(node.type));

    // Paired attributes share a row ("Kernel  3 × 3", "Padding  1 1 1 1"): a conv layer's dozen
    // attributes then fit beside its formulas. Pairs are recognised by their catalogue keys.
    const auto& attrs = spec.attrs;
    for (size_t i = 0; i < attrs.size(); ++i) {
        const core::AttrSpec& a = attrs[i];
        const std::string_view key = a.key;
        auto keyAt = [&](size_t k) { return k < attrs.size() ? attrs[k].key : std::string_view(); };
        std::vector<const core::AttrSpec*> group{&a};
        QString label = q(a.label);
        QString separator;
        if (key == "pad_top" && keyAt(i + 1) == "pad_bottom" && keyAt(i + 2) == "pad_left" &&
            keyAt(i + 3) == "pad_right") {
            group = {&attrs[i], &attrs[i + 1], &attrs[i + 2], &attrs[i + 3]};
            label = tr("Padding t, b, l, r");
        } else if (key.size() > 2 && key.substr(key.size() - 2) == "_h" &&
                   keyAt(i + 1) == std::string(key.substr(0, key.size() - 2)) + "_w") {
            group = {&attrs[i], &attrs[i + 1]};
            label.remove(QRegularExpression("\\s+(height|H)$"));
            label += tr(" h × w");
            separator = QStringLiteral("×");
        }
        QWidget* field = nullptr;
        if (group.size() == 1) {
            field = makeEditor(&a, m_paramsBox);
        } else {
            field = new QWidget(m_paramsBox);
            auto* row = new QHBoxLayout(field);
            row->setContentsMargins(0, 0, 0, 0);
            row->setSpacing(4);
            for (size_t k = 0; k < group.size(); ++k) {
                if (k && !separator.isEmpty())
                    row->addWidget(new QLabel(separator, field));
                row->addWidget(makeEditor(group[k], field), 1);
            }
            i += group.size() - 1;
        }
        m_form->addRow(label, field);
    }
    m_paramsBox->setVisible(!m_editors.empty());
}

QWidget* InspectorWidget::makeEditor(const core::AttrSpec* sp, QWidget* parent)
{
    const core::AttrSpec& a = *sp;
    QWidget* w = nullptr;
    switch (a.kind) {
    case core::AttrKind::Int:
        if (!a.choices.empty()) {
            // Only these values are meaningful (bit widths); a spin box from 0 to 32 would offer 27 wrong ones.
            auto* c = new QComboBox(parent);
            for (const auto& [value, label] : a.choices)
                c->addItem(q(label), static_cast<int>(value));
            connect(c, &QComboBox::activated, this,
                    [this, sp, c](int i) { commitInt(sp, c->itemData(i).toInt()); });
            w = c;
        } else {
            auto* s = new Int64SpinBox(parent);
            s->setRange(static_cast<int64_t>(a.min), static_cast<int64_t>(a.max));
            connect(s, &Int64SpinBox::valueCommitted, this, [this, sp](qint64 v) { commitInt(sp, v); });
            w = s;
        }
        break;
    case core::AttrKind::Bool: {
        auto* c = new QCheckBox(parent);
        connect(c, &QCheckBox::clicked, this, [this, sp](bool on) { commitInt(sp, on ? 1 : 0); });
        w = c;
        break;
    }
    case core::AttrKind::Enum: {
        auto* c = new QComboBox(parent);
        for (std::string_view l : a.enumLabels)
            c->addItem(q(l));
        connect(c, &QComboBox::activated, this, [this, sp](int i) { commitInt(sp, i); });
        w = c;
        break;
    }
    case core::AttrKind::Float: {
        auto* s = new QDoubleSpinBox(parent);
        s->setDecimals(6);
        s->setRange(a.min, a.max);
        s->setSingleStep(a.max - a.min <= 1 ? 0.01 : 0.1);
        s->setKeyboardTracking(false);
        connect(s, &QDoubleSpinBox::valueChanged, this, [this, sp](double v) { commitFloat(sp, v); });
        w = s;
        break;
    }
    case core::AttrKind::Dims: {
        auto* e = new QLineEdit(parent);
        e->setPlaceholderText(tr("e.g. 3, 224, 224"));
        connect(e, &QLineEdit::editingFinished, this, [this, sp, e] { commitDims(sp, e->text()); });
        w = e;
        break;
    }
    }
    w->setObjectName("attr:" + q(a.key));
    w->setToolTip(q(a.label) + (a.help.empty() ? QString() : ": " + q(a.help)));
    m_editors.push_back({sp, w});
    return w;
}

void InspectorWidget::refreshNodePage()
{
    const core::Network& net = m_doc.network();
    const core::Node* n = net.node(m_id);
    if (!n)
        return;
    const core::AnalysisResult& a = m_doc.analysis();
    const core::LayerResult* r = a.layer(m_id, net);

    const size_t count = m_selection.ids().size();
    m_multi->setVisible(count > 1);
    if (count > 1)
        m_multi->setText(tr("%1 layers selected; showing the one picked last.").arg(count));

    if (!m_name->hasFocus()) {
        const QSignalBlocker b(m_name);
        m_name->setText(q(n->name));
    }
    // Exactly the ONNX name (selectable, so it can be copied); a long one is cut by the dock's
    // width rather than widening it, and reads whole in the tooltip.
    m_source->setText(q(n->source));
    m_source->setToolTip(q(n->source));
    m_source->setVisible(!n->source.empty());
    m_sourceLabel->setVisible(!n->source.empty());
    {
        const QSignalBlocker b(m_kind);
        m_kind->setCurrentIndex(m_kind->findData(static_cast<int>(n->type)));
    }
    for (const AttrEditor& e : m_editors) {
        const QSignalBlocker b(e.widget);
        const core::AttrSpec& s = *e.spec;
        switch (s.kind) {
        case core::AttrKind::Int:
            if (auto* c = qobject_cast<QComboBox*>(e.widget)) {
                int i = c->findData(static_cast<int>(n->params.*(s.intField)));
                c->setCurrentIndex(i);
                c->setItemText(0, tr("Network setting (%1-bit)").arg(net.bits));
            } else if (auto* sp = qobject_cast<Int64SpinBox*>(e.widget)) {
                sp->setValue(n->params.*(s.intField));
            }
            break;
        case core::AttrKind::Bool:
            static_cast<QCheckBox*>(e.widget)->setChecked(n->params.*(s.intField) != 0);
            break;
        case core::AttrKind::Enum:
            static_cast<QComboBox*>(e.widget)->setCurrentIndex(static_cast<int>(n->params.*(s.intField)));
            break;
        case core::AttrKind::Float:
            static_cast<QDoubleSpinBox*>(e.widget)->setValue(n->params.*(s.floatField));
            break;
        case core::AttrKind::Dims:
            if (!e.widget->hasFocus())
                static_cast<QLineEdit*>(e.widget)->setText(dimsText(n->params.dims));
            break;
        }
        // Explicit paddings are ignored while "same" padding chooses them.
        if (!s.ignoredWhen.empty())
            if (const core::AttrSpec* gate = core::Catalogue::instance().spec(n->type).attr(s.ignoredWhen))
                e.widget->setEnabled(n->params.*(gate->intField) == 0);
    }

    if (!r || r->status != core::LayerStatus::Ok) {
        m_error->setVisible(true);
        const QString what = r && r->status == core::LayerStatus::Error ? tr("Error: ") : QString();
        m_error->setText(wrapText(what + (r ? q(r->message) : tr("not analysed")), kTextColumns));
        for (size_t i = 0; i < m_figureValues.size(); ++i)
            setFigure(static_cast<int>(i), QStringLiteral("—"));
        m_formulas->setText(tr("No figures until the problem above is fixed."));
        return;
    }
    m_error->setVisible(false);
    auto countText = [](int64_t v) {
        return v < 1000 ? q(core::groupDigits(v))
                        : q(core::groupDigits(v)) + "  (" + q(core::humanCount(v)) + ")";
    };
    setFigure(0, q(r->output.toString()) + tr(" per sample") +
                     (a.batch > 1 ? tr(", batch %1").arg(a.batch) : ""));
    setFigure(1,
              countText(r->params) + (r->state ? tr(" + %1 state").arg(q(core::groupDigits(r->state))) : ""));
    setFigure(2, countText(r->macs));
    setFigure(3, countText(r->flops));
    setFigure(4, countText(r->otherOps));
    setFigure(5, r->stored ? q(core::humanBytes(r->activationBytes)) +
                                 tr(" (%1 values)").arg(q(core::groupDigits(r->activations)))
                           : tr("nothing new (shares its input's buffer)"));
    setFigure(6, q(core::humanBytes(r->liveBytes)) +
                     tr(" at step %1 of %2").arg(r->step + 1).arg(a.layers.size()));
    setFigure(7, r->workspaceBytes ? q(core::humanBytes(r->workspaceBytes)) : QStringLiteral("—"));
    setFigure(8, q(core::rfText(r->rf)) +
                     (r->rf.valid ? tr(", jump %1×%2").arg(r->rf.jump[0]).arg(r->rf.jump[1]) : QString()));
    setFigure(9, q(core::humanBytes(r->modelBytes)) + tr(" at %1-bit").arg(r->bits));

    QStringList lines;
    for (const core::ExplainLine& l : core::explainLayer(net, a, m_id))
        lines << breakFormula(q(l.text), kTextColumns);
    m_formulas->setText(lines.join('\n'));
}

void InspectorWidget::setFigure(int row, const QString& value)
{
    m_figureValues[static_cast<size_t>(row)]->setText(value);
}

void InspectorWidget::refreshNetworkPage()
{
    const core::Network& net = m_doc.network();
    const core::AnalysisResult& a = m_doc.analysis();
    const core::AnalysisTotals& t = a.totals;
    auto name = [&](core::NodeId id) {
        const core::Node* n = net.node(id);
        return n ? q(n->name).toHtmlEscaped() : QStringLiteral("—");
    };
    // The file's name when there is one (it changes on Save As), else the design's own name.
    const QString title = !m_documentName.isEmpty() ? m_documentName
                          : net.name.empty()        ? tr("Untitled")
                                                    : q(net.name);
    QString h = "<h3>" + title.toHtmlEscaped() + "</h3>";
    h += tr("%1 layers, %2 connections · batch %3 · %4-bit")
             .arg(net.nodes().size())
             .arg(net.edges().size())
             .arg(net.batch)
             .arg(net.bits);
    h += "<table cellspacing=4>";
    auto row = [&h](const QString& k, const QString& v) {
        h += "<tr><td><b>" + k + "</b></td><td>" + v + "</td></tr>";
    };
    row(tr("Params"), q(core::groupDigits(t.params)) + " (" + q(core::humanCount(t.params)) + ")");
    row(tr("Weights"), q(core::humanBytes(t.modelBytes)));
    row(tr("MACs"), q(core::humanCount(t.macs)));
    row(tr("FLOPs"), q(core::humanCount(t.flops)));
    row(tr("Activations"), q(core::humanBytes(t.activationBytes)));
    row(tr("Peak live memory"), q(core::humanBytes(t.peakLiveBytes)) + tr(" at ") + name(t.peakLiveLayer));
    // Only the activations a backward pass keeps: weights, gradients and optimizer state come on top
    // (the "Training and scale" panel), so "Training memory" alone would promise a total this is not.
    row(tr("Kept for backward"), q(core::humanBytes(t.trainingBytes)));
    if (t.kvCacheBytes > 0)
        row(tr("KV cache"), q(core::humanBytes(t.kvCacheBytes)));
    row(tr("Receptive field"), q(core::rfText(t.rf)));
    h += "</table>";
    if (t.errors || t.blocked)
        h += "<p style='color:#b71c1c'>" +
             tr("%1 layer(s) with errors, %2 waiting on them:<br>their figures are not counted.")
                 .arg(t.errors)
                 .arg(t.blocked) +
             "</p>";
    h += "<p style='color:#666'>" +
         tr("Select a layer to edit its hyper-parameters<br>and see its formulas.") + "</p>";
    m_network->setText(h);
}

void InspectorWidget::commitInt(const core::AttrSpec* spec, int64_t value)
{
    const core::Node* n = m_doc.network().node(m_id);
    if (!n)
        return;
    core::LayerParams p = n->params;
    p.*(spec->intField) = value;
    if (!m_editor.setNode(m_id, p, n->name))
        refreshNodePage(); // refused: show the model's value again
}

void InspectorWidget::commitFloat(const core::AttrSpec* spec, double value)
{
    const core::Node* n = m_doc.network().node(m_id);
    if (!n)
        return;
    core::LayerParams p = n->params;
    p.*(spec->floatField) = value;
    if (!m_editor.setNode(m_id, p, n->name))
        refreshNodePage();
}

void InspectorWidget::commitDims(const core::AttrSpec* spec, const QString& text)
{
    const core::Node* n = m_doc.network().node(m_id);
    if (!n)
        return;
    core::Shape dims;
    bool ok = true;
    for (const QString& part : text.split(QRegularExpression("[,×x\\s]+"), Qt::SkipEmptyParts)) {
        bool good = false;
        const qlonglong v = part.toLongLong(&good);
        ok = ok && good && (v >= spec->dimsMin || (v == -1 && spec->allowInferred)) && dims.push(v);
    }
    if (!ok || dims.empty()) {
        emit m_editor.message(tr("%1: give 1 to %2 whole numbers separated by commas, e.g. 3, 224, 224")
                                  .arg(q(spec->label))
                                  .arg(core::Shape::kMaxRank));
        refreshNodePage();
        return;
    }
    core::LayerParams p = n->params;
    p.dims = dims;
    if (!m_editor.setNode(m_id, p, n->name))
        refreshNodePage();
}

void InspectorWidget::commitName()
{
    const core::Node* n = m_doc.network().node(m_id);
    if (!n)
        return;
    const std::string name = m_name->text().trimmed().toStdString();
    if (name == n->name)
        return;
    if (!m_editor.setNode(m_id, n->params, name)) {
        const QSignalBlocker b(m_name);
        m_name->setText(q(n->name));
    }
}

void InspectorWidget::commitKind(int index)
{
    const auto type = static_cast<core::LayerType>(m_kind->itemData(index).toInt());
    m_editor.changeType(m_id, type);
}

void InspectorWidget::setDocumentName(const QString& name)
{
    if (name == m_documentName)
        return;
    m_documentName = name;
    refreshNetworkPage();
}

bool InspectorWidget::eventFilter(QObject* watched, QEvent* event)
{
    if (event->type() != QEvent::ShortcutOverride)
        return false;
    auto* w = qobject_cast<QWidget*>(watched);
    auto* key = static_cast<QKeyEvent*>(event);
    if (!w || !isAncestorOf(w) || !(key->matches(QKeySequence::Undo) || key->matches(QKeySequence::Redo) ||
                                    key->keyCombination() == QKeyCombination(Qt::CTRL | Qt::SHIFT, Qt::Key_Z)))
        return false;
    w->clearFocus(); // commits the field (editingFinished)
    event->ignore(); // not an override: the shortcut (Edit → Undo/Redo) runs
    return true;
}

} // namespace nc::widgets

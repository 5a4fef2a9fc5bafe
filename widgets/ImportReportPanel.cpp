// ImportReportPanel: filtering, copying and layer links of the import report.
#include "ImportReportPanel.h"

#include "Selection.h"

#include <QKeyEvent>
#include <QApplication>
#include <QClipboard>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QKeySequence>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QRegularExpression>
#include <QVBoxLayout>

namespace nc::widgets {

namespace {
constexpr int kLayerRole = Qt::UserRole; // NodeId::v of the linked layer, 0 when none
}

ImportReportPanel::ImportReportPanel(core::Document& doc, Selection& sel, QWidget* parent)
    : QWidget(parent), m_doc(doc), m_sel(sel)
{
    setObjectName("importReportPanel");
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    m_title = new QLabel(tr("No model imported yet: File → Import ONNX…"), this);
    m_title->setObjectName("importReportTitle");
    m_title->setWordWrap(true);
    layout->addWidget(m_title);

    auto* bar = new QHBoxLayout;
    m_filter = new QLineEdit(this);
    m_filter->setObjectName("importReportFilter");
    m_filter->setPlaceholderText(tr("Filter lines (a layer, an operator, a word)…"));
    m_filter->setClearButtonEnabled(true);
    bar->addWidget(m_filter, 1);
    m_count = new QLabel(this);
    m_count->setObjectName("importReportCount");
    bar->addWidget(m_count);
    m_copyAll = new QPushButton(tr("Copy all"), this);
    m_copyAll->setObjectName("importReportCopyAll");
    m_copyAll->setToolTip(tr("Copy the whole report to the clipboard"));
    bar->addWidget(m_copyAll);
    layout->addLayout(bar);

    m_list = new QListWidget(this);
    m_list->setObjectName("importReportList");
    m_list->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_list->setHorizontalScrollBarPolicy(Qt::ScrollBarAsNeeded);
    m_list->setVerticalScrollMode(QAbstractItemView::ScrollPerPixel);
    m_list->setHorizontalScrollMode(QAbstractItemView::ScrollPerPixel);
    m_list->setUniformItemSizes(true); // thousands of lines stay cheap to lay out
    m_list->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont)); // the report is indented text
    layout->addWidget(m_list, 1);

    // Ctrl+C copies the selected lines as text (QListWidget alone copies nothing). The key is
    // claimed before the window's Edit → Copy shortcut sees it, which would copy canvas layers.
    m_list->installEventFilter(this);

    connect(m_filter, &QLineEdit::textChanged, this, &ImportReportPanel::applyFilter);
    connect(m_copyAll, &QPushButton::clicked, this,
            [this] { QApplication::clipboard()->setText(m_text); });
    connect(m_list, &QListWidget::itemClicked, this, [this](QListWidgetItem* item) {
        const core::NodeId id{item->data(kLayerRole).toUInt()};
        if (id.valid() && m_doc.network().node(id)) // the layer may have been deleted since
            m_sel.set({id}, /*centre=*/true);
    });
}

core::NodeId ImportReportPanel::layerForLine(const QString& line, const core::Network& net)
{
    static const QRegularExpression quoted(QStringLiteral("\"([^\"]+)\""));
    for (auto it = quoted.globalMatch(line); it.hasNext();) {
        const std::string name = it.next().captured(1).toStdString();
        if (core::NodeId id = net.findByName(name); id.valid())
            return id;
        for (const core::Node& n : net.nodes()) {
            // An opaque layer made from output k of a node has the source "name:k".
            if (n.source.empty() || n.source.compare(0, name.size(), name) != 0)
                continue;
            if (n.source.size() == name.size() || n.source[name.size()] == ':')
                return n.id;
        }
    }
    return {};
}

void ImportReportPanel::setReport(const QString& title, const QString& text)
{
    m_text = text;
    m_title->setText(tr("%1: a click on a highlighted line selects its layer").arg(title));
    m_list->clear();
    const core::Network& net = m_doc.network();
    QStringList lines = text.split('\n');
    if (!lines.isEmpty() && lines.back().isEmpty())
        lines.removeLast();
    for (const QString& line : lines) {
        auto* item = new QListWidgetItem(line, m_list);
        if (const core::NodeId id = layerForLine(line, net); id.valid()) {
            item->setData(kLayerRole, id.v);
            item->setToolTip(tr("Click to select layer %1").arg(QString::fromStdString(net.node(id)->name)));
            item->setForeground(palette().link());
        }
    }
    applyFilter();
}

void ImportReportPanel::applyFilter()
{
    const QString f = m_filter->text();
    int shown = 0;
    for (int i = 0; i < m_list->count(); ++i) {
        QListWidgetItem* item = m_list->item(i);
        const bool show = f.isEmpty() || item->text().contains(f, Qt::CaseInsensitive);
        item->setHidden(!show);
        shown += show;
    }
    m_count->setText(f.isEmpty() ? tr("%n line(s)", nullptr, m_list->count())
                                 : tr("%1 of %2").arg(shown).arg(m_list->count()));
}

bool ImportReportPanel::eventFilter(QObject* watched, QEvent* event)
{
    if (watched == m_list && (event->type() == QEvent::ShortcutOverride || event->type() == QEvent::KeyPress)) {
        auto* key = static_cast<QKeyEvent*>(event);
        if (key->matches(QKeySequence::Copy)) {
            if (event->type() == QEvent::KeyPress)
                copySelected();
            event->accept();
            return event->type() == QEvent::KeyPress;
        }
    }
    return QWidget::eventFilter(watched, event);
}

QStringList ImportReportPanel::visibleLines() const
{
    QStringList out;
    for (int i = 0; i < m_list->count(); ++i)
        if (!m_list->item(i)->isHidden())
            out << m_list->item(i)->text();
    return out;
}

void ImportReportPanel::copySelected() const
{
    QStringList lines;
    for (int i = 0; i < m_list->count(); ++i) // in report order, not in the order they were picked
        if (QListWidgetItem* item = m_list->item(i); item->isSelected() && !item->isHidden())
            lines << item->text();
    if (!lines.isEmpty())
        QApplication::clipboard()->setText(lines.join('\n') + '\n');
}

} // namespace nc::widgets

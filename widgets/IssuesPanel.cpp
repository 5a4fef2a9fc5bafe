// IssuesPanel: listing the analysis' errors and selecting their layers.
#include "IssuesPanel.h"

#include "Selection.h"

#include <QBrush>
#include <QColor>

namespace nc::widgets {

IssuesPanel::IssuesPanel(core::Document& doc, Selection& sel, QWidget* parent)
    : QListWidget(parent), m_doc(doc), m_sel(sel)
{
    setObjectName("issuesPanel");
    setWordWrap(true);
    setAlternatingRowColors(true);
    connect(&m_doc, &core::Document::changed, this, [this](const core::Change& c) {
        if (c.kind != core::ChangeKind::Positions)
            refresh();
    });
    connect(this, &QListWidget::itemClicked, this, [this](QListWidgetItem* item) {
        const uint32_t id = item->data(Qt::UserRole).toUInt();
        if (id)
            m_sel.set({core::NodeId{id}}, /*centre=*/true);
    });
    refresh();
}

void IssuesPanel::refresh()
{
    clear();
    const core::Network& net = m_doc.network();
    const core::AnalysisResult& a = m_doc.analysis();
    int errors = 0, blocked = 0;
    for (const core::LayerResult& l : a.layers) {
        if (l.status == core::LayerStatus::Error) {
            ++errors;
            // The message starts with the layer's name: "layer "conv3": kernel 7 exceeds …".
            auto* item = new QListWidgetItem(QString::fromStdString(l.message), this);
            item->setData(Qt::UserRole, l.id.v);
            item->setForeground(QColor(0xc6, 0x28, 0x28));
            const core::Node* n = net.node(l.id);
            item->setToolTip(tr("Click to select %1").arg(n ? QString::fromStdString(n->name) : QString()));
        } else if (l.status == core::LayerStatus::Blocked) {
            ++blocked;
        }
    }
    if (errors == 0) {
        auto* item = new QListWidgetItem(tr("No errors: every layer's shape and cost is known."), this);
        item->setFlags(Qt::NoItemFlags);
    } else if (blocked > 0) {
        auto* item = new QListWidgetItem(
            tr("%n later layer(s) wait on these and are not counted until they are fixed.", nullptr, blocked),
            this);
        item->setFlags(Qt::NoItemFlags);
    }
    if (errors != m_errors) {
        m_errors = errors;
        emit errorCountChanged(errors);
    }
}

} // namespace nc::widgets

// Document: mutation, re-analysis and notification.
#include "Document.h"

namespace nc::core {

Document::Document(QObject* parent) : QObject(parent) { m_analysis = analyze(m_net); }

void Document::setNetwork(Network net)
{
    m_net = std::move(net);
    m_analysis = analyze(m_net);
    ++m_revision;
    emit changed(Change{ChangeKind::Reset, {}});
}

void Document::edit(const std::function<void(Network&)>& fn, Change change)
{
    fn(m_net);
    if (change.kind != ChangeKind::Positions) {
        m_analysis = analyze(m_net);
        ++m_revision;
    }
    emit changed(change);
}

} // namespace nc::core

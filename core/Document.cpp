// Document: mutation, re-analysis and notification.
#include "Document.h"

namespace nc::core {

Document::Document(QObject* parent) : QObject(parent)
{
    m_analysis = analyze(m_net);
    m_deployment = deploy::computeDeployFigures(m_net, m_analysis, m_deploySettings);
}

void Document::setDeploySettings(const deploy::DeploySettings& s)
{
    if (s == m_deploySettings)
        return;
    m_deploySettings = s;
    m_deployment = deploy::computeDeployFigures(m_net, m_analysis, m_deploySettings);
    ++m_revision;
    emit changed(Change{ChangeKind::Params, {}});
}

void Document::setNetwork(Network net)
{
    m_net = std::move(net);
    m_analysis = analyze(m_net);
    m_deployment = deploy::computeDeployFigures(m_net, m_analysis, m_deploySettings);
    ++m_revision;
    emit changed(Change{ChangeKind::Reset, {}});
}

void Document::edit(const std::function<void(Network&)>& fn, Change change)
{
    fn(m_net);
    if (change.kind != ChangeKind::Positions) {
        m_analysis = analyze(m_net);
        m_deployment = deploy::computeDeployFigures(m_net, m_analysis, m_deploySettings);
        ++m_revision;
    }
    emit changed(change);
}

} // namespace nc::core

// Document: mutation, re-analysis and notification.
#include "Document.h"

#include <QMetaObject>

#include <limits>

namespace nc::core {

Document::Document(QObject* parent) : QObject(parent)
{
    m_searchPool.setMaxThreadCount(1);
    m_analysis = analyze(m_net);
    m_deployment = deploy::computeDeployFigures(m_net, m_analysis, m_deploySettings);
}

Document::~Document()
{
    // Queued searches skip; the running one finishes before the members it posts to go away (its
    // queued result dies with this QObject).
    m_searchFor->store(std::numeric_limits<uint64_t>::max());
    m_searchPool.clear();
    m_searchPool.waitForDone();
}

void Document::rederiveDeployment()
{
    m_deployment = deploy::computeDeployFigures(m_net, m_analysis, m_deploySettings, deploy::kDocumentSearchStates,
                                                deploy::ExactSearch::Later);
    ++m_revision;
    if (!m_deployment.searching)
        return;
    const uint64_t revision = m_revision;
    m_searchFor->store(revision);
    m_searchPool.start([this, revision, latest = m_searchFor, graph = m_deployment.graph] {
        if (latest->load() != revision)
            return;
        deploy::ScheduleOptions o;
        o.maxStates = deploy::kDocumentSearchStates;
        deploy::ScheduleResult r = deploy::optimalSchedule(graph, o);
        QMetaObject::invokeMethod(
            this, [this, revision, r = std::move(r)]() mutable { applyOptimalSchedule(revision, std::move(r)); },
            Qt::QueuedConnection);
    });
}

bool Document::applyOptimalSchedule(uint64_t revision, deploy::ScheduleResult schedule)
{
    if (revision != m_revision || !m_deployment.searching)
        return false;
    deploy::applySchedule(m_deployment, m_net, m_analysis, std::move(schedule), m_deploySettings);
    // The revision stays: an order of the same layers changes no kernel, and a run taken on the
    // heuristic order would otherwise show as stale the moment the search came back.
    emit changed(Change{ChangeKind::Params, {}});
    return true;
}

void Document::setDeploySettings(const deploy::DeploySettings& s)
{
    if (s == m_deploySettings)
        return;
    m_deploySettings = s;
    rederiveDeployment();
    emit changed(Change{ChangeKind::Params, {}});
}

void Document::setNetwork(Network net)
{
    m_net = std::move(net);
    m_analysis = analyze(m_net);
    rederiveDeployment();
    emit changed(Change{ChangeKind::Reset, {}});
}

void Document::edit(const std::function<void(Network&)>& fn, Change change)
{
    fn(m_net);
    if (change.kind != ChangeKind::Positions) {
        m_analysis = analyze(m_net);
        rederiveDeployment();
    }
    emit changed(change);
}

} // namespace nc::core

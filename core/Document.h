// Document: the single source of truth of an open design — the Network, its latest analysis and the
// file it came from — and the only emitter of change notifications.
//
// Views never mutate the network directly: they build a Command (Commands.h) and execute it, through
// the GUI's undo stack or, headless, Document::execute(). Every mutation re-runs the analysis
// synchronously (microseconds for hundreds of layers) before `changed` is emitted, so a view that
// redraws on `changed` always sees figures that match the graph. The one exception is the
// memory-optimal schedule: an edit shows the heuristic's order at once (deployment().searching) and
// the exact search runs on a worker thread; its order arrives with another `changed`
// (ChangeKind::Params), unless the design or settings changed meanwhile.
// Lives in the GUI thread; not thread-safe (the worker only sees a copy of the memory graph).
#pragma once

#include "Analysis.h"
#include "Network.h"
#include "deploy/DeployView.h"

#include <QObject>
#include <QString>
#include <QThreadPool>

#include <atomic>
#include <functional>
#include <memory>
#include <vector>

namespace nc::core {

class Command;

// What an edit touched, so views can skip work (a move needs no chart redraw).
enum class ChangeKind : uint8_t {
    Reset = 0,     // a whole new network (new, open, import, replace)
    Structure = 1, // nodes or edges added or removed
    Params = 2,    // hyper-parameters, names or settings
    Positions = 3, // only node positions; figures unchanged
};

struct Change {
    ChangeKind kind = ChangeKind::Reset;
    std::vector<NodeId> nodes; // nodes the edit touched, where known
};

class Document : public QObject {
    Q_OBJECT
public:
    explicit Document(QObject* parent = nullptr);
    ~Document() override;

    const Network& network() const { return m_net; }
    const AnalysisResult& analysis() const { return m_analysis; }
    // Increments on every change that alters figures or what the kernels run; kernel results keep it to
    // detect staleness. The exact schedule's arrival (applyOptimalSchedule) only reorders: it keeps it.
    uint64_t revision() const { return m_revision; }

    // Replaces the whole network (not undoable on its own; the GUI clears its undo stack).
    void setNetwork(Network net);
    // Runs `edit` on the network, re-analyses (unless only positions changed) and emits `changed`.
    // The single mutation point: commands call it.
    void edit(const std::function<void(Network&)>& edit, Change change);
    // Runs a command headless, without an undo stack (scripts, tests, the CLI).
    void execute(std::unique_ptr<Command> command);

    // The deployment view (view state, not saved): which graph every figure follows. Its figures are
    // re-derived with the analysis on every edit and whenever the settings change; changing them
    // emits `changed` (ChangeKind::Params, no nodes) and bumps the revision, since kernel runs follow.
    const deploy::DeploySettings& deploySettings() const { return m_deploySettings; }
    void setDeploySettings(const deploy::DeploySettings& s);
    const deploy::DeployFigures& deployment() const { return m_deployment; }
    // Brings the exact search's result for `revision` in (the worker calls it through the event
    // loop); ignored, returning false, when the document has moved past that revision.
    bool applyOptimalSchedule(uint64_t revision, deploy::ScheduleResult schedule);

    QString filePath() const { return m_path; }
    void setFilePath(const QString& p) { m_path = p; }

signals:
    void changed(const nc::core::Change& change);

private:
    // Re-derives the deployment figures for the current network and settings, bumps the revision
    // and, when the optimal order is owed, starts the exact search for the new revision.
    void rederiveDeployment();

    Network m_net;
    AnalysisResult m_analysis;
    deploy::DeploySettings m_deploySettings;
    deploy::DeployFigures m_deployment;
    QString m_path;
    uint64_t m_revision = 0;
    // The revision the latest search was started for: a queued search for an older one skips.
    std::shared_ptr<std::atomic<uint64_t>> m_searchFor = std::make_shared<std::atomic<uint64_t>>(0);
    QThreadPool m_searchPool; // one thread: searches run one at a time, newest last
};

} // namespace nc::core

// Document: the single source of truth of an open design — the Network, its latest analysis and the
// file it came from — and the only emitter of change notifications.
//
// Views never mutate the network directly: they build a Command (Commands.h) and execute it, through
// the GUI's undo stack or, headless, Document::execute(). Every mutation re-runs the analysis
// synchronously (microseconds for hundreds of layers) before `changed` is emitted, so a view that
// redraws on `changed` always sees figures that match the graph.
// Lives in the GUI thread; not thread-safe.
#pragma once

#include "Analysis.h"
#include "Network.h"
#include "deploy/DeployView.h"

#include <QObject>
#include <QString>

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

    const Network& network() const { return m_net; }
    const AnalysisResult& analysis() const { return m_analysis; }
    // Increments on every change that alters figures; kernel results keep it to detect staleness.
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

    QString filePath() const { return m_path; }
    void setFilePath(const QString& p) { m_path = p; }

signals:
    void changed(const nc::core::Change& change);

private:
    Network m_net;
    AnalysisResult m_analysis;
    deploy::DeploySettings m_deploySettings;
    deploy::DeployFigures m_deployment;
    QString m_path;
    uint64_t m_revision = 0;
};

} // namespace nc::core

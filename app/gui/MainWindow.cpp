// MainWindow: menus, toolbar, docks, files, recent files, zoo, autosave and recovery.
#include "MainWindow.h"

#include "HelpDialogs.h"

#include "core/BitWidth.h"

#include "RecoveryStore.h"
#include "core/Format.h"
#include "core/Layout.h"
#include "core/NetworkFile.h"
#include "core/Zoo.h"
#include "widgets/Editor.h"
#include "widgets/GraphScene.h"
#include "widgets/GraphView.h"
#include "widgets/InspectorWidget.h"
#include "widgets/ImportReportPanel.h"
#include "widgets/IssuesPanel.h"
#include "widgets/NodeItem.h"
#include "widgets/PaletteWidget.h"
#include "widgets/Presentation.h"
#include "widgets/RfExplorer.h"

#include "widgets/charts/ChartsPanel.h"
#include "widgets/charts/MemoryPanel.h"
#include "widgets/runner/RunnerPanel.h"
#include "widgets/TrainingPanel.h"
#include "widgets/compare/CompareWindow.h"
#include "core/export/PyTorchExport.h"
#include "core/onnx/OnnxExport.h"
#include "core/onnx/OnnxImport.h"

#include <QAction>

#include <limits>
#include <QActionGroup>
#include <QApplication>
#include <QCloseEvent>
#include <QComboBox>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QInputDialog>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QRegularExpression>
#include <QScopedValueRollback>
#include <QScrollArea>
#include <QSettings>
#include <QSpinBox>
#include <QStandardPaths>
#include <QStatusBar>
#include <QToolBar>

#include <algorithm>
#include <array>

namespace nc::app {

namespace {

QString q(const std::string& s) { return QString::fromStdString(s); }

constexpr int kMaxRecent = 8;
const char* const kRecentKey = "recentFiles";
const char* const kReopenLastKey = "reopenLastOnStart";


struct Budget {
    const char* label;
    int64_t bytes;
};
constexpr std::array<Budget, 5> kBudgets{{{"No budget", 0},
                                          {"256 KiB", 256LL * 1024},
                                          {"512 KiB", 512LL * 1024},
                                          {"1 MiB", 1024LL * 1024},
                                          {"16 GB", 16LL * 1000 * 1000 * 1000}}};

// "300 KB", "2 MiB", "1.5GB", "65536" → bytes; 0 when unreadable.
int64_t parseBytes(const QString& text)
{
    static const QRegularExpression re(R"(^\s*([0-9]+(?:\.[0-9]+)?)\s*([kmgt]?i?b?)\s*$)",
                                       QRegularExpression::CaseInsensitiveOption);
    const auto m = re.match(text);
    if (!m.hasMatch())
        return 0;
    const double v = m.captured(1).toDouble();
    const QString unit = m.captured(2).toLower();
    const bool binary = unit.contains('i');
    const double base = binary ? 1024.0 : 1000.0;
    int power = 0;
    if (!unit.isEmpty())
        power = QString("bkmgt").indexOf(unit[0]);
    double bytes = v;
    for (int i = 0; i < power; ++i)
        bytes *= base;
    return bytes >= 1 && bytes < 9e18 ? static_cast<int64_t>(bytes) : 0;
}

} // namespace

MainWindow::MainWindow(Options options, QWidget* parent) : QMainWindow(parent), m_opts(std::move(options))
{
    setObjectName("mainWindow");
    m_editor = std::make_unique<widgets::Editor>(m_doc, m_undo, m_selection);
    if (m_opts.recoveryDir.isEmpty())
        m_opts.recoveryDir =
            QStandardPaths::writableLocation(QStandardPaths::AppLocalDataLocation) + "/recovery";
    m_recovery = std::make_unique<RecoveryStore>(m_opts.recoveryDir);

    m_scene = new widgets::GraphScene(m_doc, *m_editor, m_selection, m_options, this);
    m_view = new widgets::GraphView(m_scene, this);
    setCentralWidget(m_view);

    buildDocks();
    buildActions();
    buildToolBar();
    {
        widgets::Presentation::Parts parts;
        parts.window = this;
        parts.view = m_view;
        parts.scene = m_scene;
        parts.doc = &m_doc;
        parts.selection = &m_selection;
        parts.cardDock = m_stepDock;
        parts.minimapAction = findChild<QAction*>("minimapAction");
        parts.chartsDock = m_firstCostDock;
        // A room needs the canvas, the palette, the inspector and the charts; the rest steps aside.
        for (QDockWidget* d : findChildren<QDockWidget*>())
            if (d->objectName() != "paletteDock" && d->objectName() != "inspectorDock" && d != m_firstCostDock &&
                d != m_stepDock)
                parts.hide.push_back(d);
        parts.hide.push_back(m_toolBar);
        parts.hide.push_back(statusBar());
        m_presentation = new widgets::Presentation(std::move(parts), this);
        m_stepDock->setWidget(m_presentation->card());
    }

    m_totals = new QLabel(this);
    m_totals->setObjectName("totals");
    m_totals->setToolTip(tr("Click the error count to list the errors"));
    connect(m_totals, &QLabel::linkActivated, this, [this] { showIssues(); });
    statusBar()->addPermanentWidget(m_totals);

    m_autosave.setSingleShot(true);
    m_autosave.setInterval(m_opts.autosaveMs);
    connect(&m_autosave, &QTimer::timeout, this, &MainWindow::autosaveNow);
    connect(&m_doc, &core::Document::changed, this, &MainWindow::onDocumentChanged);
    // The stack's index moves after a command ran (and Document::changed fired), so this is where an
    // edit is known to be unsaved.
    connect(&m_undo, &QUndoStack::indexChanged, this, [this] {
        if (m_opts.autosaveMs > 0 && isModified() && !m_autosave.isActive())
            m_autosave.start();
    });
    connect(&m_undo, &QUndoStack::cleanChanged, this, [this](bool clean) {
        updateTitle();
        if (clean) {
            m_autosave.stop();
            m_recovery->discard();
        }
    });
    connect(m_editor.get(), &widgets::Editor::message, this,
            [this](const QString& text) { statusBar()->showMessage(text, 8000); });
    connect(m_scene, &widgets::GraphScene::hint, this,
            [this](const QString& text) { statusBar()->showMessage(text, 8000); });
    connect(&m_options, &widgets::ViewOptions::changed, this, &MainWindow::syncBudgetCombo);
    connect(&m_options, &widgets::ViewOptions::changed, this, &MainWindow::updateTotals);

    resize(1600, 1000);
    newDesign();
}

MainWindow::~MainWindow()
{
    // The views hold references to the Document and the shared view state, which are members and so
    // die before QWidget's destructor would delete the child widgets: delete the views first.
    m_autosave.stop();
    m_undo.clear();
    for (QDockWidget* d : findChildren<QDockWidget*>())
        delete d;
    delete takeCentralWidget();
    delete m_scene;
}

void MainWindow::buildDocks()
{
    setCorner(Qt::BottomLeftCorner, Qt::LeftDockWidgetArea);
    setCorner(Qt::BottomRightCorner, Qt::RightDockWidgetArea);
    setDockOptions(AnimatedDocks | AllowTabbedDocks | AllowNestedDocks);
    // Up to six panels share the right edge (inspector, runner, issues, memory, training, receptive
    // field). Side by side under a 380 px dock their titles need about 700 px and were cut to
    // "Inspe…", "Kernel ru…"; along the window's edge, as an IDE's side bar, the tabs have the
    // dock's whole height and every title stays whole (tst_mainwindow: rightDockTabTitlesAreWhole).
    setTabPosition(Qt::RightDockWidgetArea, QTabWidget::East);

    m_palette = new widgets::PaletteWidget(this);
    auto* paletteDock = new QDockWidget(tr("Layers"), this);
    paletteDock->setObjectName("paletteDock");
    paletteDock->setWidget(m_palette);
    addDockWidget(Qt::LeftDockWidgetArea, paletteDock);
    connect(m_palette, &widgets::PaletteWidget::activated, this, [this](int index) {
        // The new layer goes below the selected one, often past the bottom of the view: show it.
        if (auto id = m_editor->appendLayer(index))
            if (widgets::NodeItem* item = m_scene->nodeItem(*id))
                m_view->reveal(item->pos());
    });

    m_inspector = new widgets::InspectorWidget(m_doc, *m_editor, m_selection, this);
    auto* inspectorDock = new QDockWidget(tr("Inspector"), this);
    inspectorDock->setObjectName("inspectorDock");
    inspectorDock->setWidget(m_inspector);
    addDockWidget(Qt::RightDockWidgetArea, inspectorDock);
    resizeDocks({paletteDock, inspectorDock}, {210, 380}, Qt::Horizontal);

    m_charts = new widgets::ChartsPanel(m_doc, m_selection, m_options, this);
    addCostDock(m_charts, tr("Charts"));
    // The right-hand panels share one tab stack whose width is the widest panel's minimum: a panel
    // laid out wider than the canvas can spare scrolls sideways in its tab instead, so the canvas
    // keeps its room with every panel open (tests/widgets/tst_canvaslayout).
    auto scrolling = [](QWidget* panel) {
        auto* area = new QScrollArea;
        area->setWidget(panel);
        area->setWidgetResizable(true);
        area->setFrameShape(QFrame::NoFrame);
        return area;
    };
    m_runner = new widgets::RunnerPanel(m_doc, m_selection, this);
    QDockWidget* runnerDock = new QDockWidget(tr("Kernel runner"), this);
    runnerDock->setObjectName("runnerDock");
    runnerDock->setWidget(scrolling(m_runner));
    addDockWidget(Qt::RightDockWidgetArea, runnerDock);
    tabifyDockWidget(inspectorDock, runnerDock);
    auto* memoryDock = new QDockWidget(tr("Deployment memory"), this);
    memoryDock->setObjectName("memoryDock");
    memoryDock->setWidget(scrolling(new widgets::MemoryPanel(m_doc, m_selection, m_options, this)));
    addDockWidget(Qt::RightDockWidgetArea, memoryDock);
    tabifyDockWidget(runnerDock, memoryDock);
    // Beside the inspector rather than under the canvas: its minimum size would squeeze the palette.
    auto* trainingDock = new QDockWidget(tr("Training and scale"), this); // "&" would be a mnemonic in tabs and menus
    trainingDock->setObjectName("trainingDock");
    auto* training = new widgets::TrainingPanel(m_doc, this);
    trainingDock->setWidget(scrolling(training));
    connect(training, &widgets::TrainingPanel::stagesChanged, m_scene, &widgets::GraphScene::setPipelineStages);
    addDockWidget(Qt::RightDockWidgetArea, trainingDock);
    tabifyDockWidget(memoryDock, trainingDock);
    auto* explorerDock = new QDockWidget(tr("Receptive-field explorer"), this);
    explorerDock->setObjectName("rfExplorerDock");
    m_rfExplorer = new widgets::RfExplorer(m_doc, m_selection, this);
    explorerDock->setWidget(scrolling(m_rfExplorer));
    addDockWidget(Qt::RightDockWidgetArea, explorerDock);
    tabifyDockWidget(trainingDock, explorerDock);
    explorerDock->hide();
    m_stepDock = new QDockWidget(tr("This step"), this);
    m_stepDock->setObjectName("presentationStepDock");
    addDockWidget(Qt::RightDockWidgetArea, m_stepDock);
    tabifyDockWidget(inspectorDock, m_stepDock);
    m_stepDock->hide();
    // Both open from View → Docks: shown by default, their minimum sizes take the canvas's room at
    // 1600×1000 (tests/widgets/tst_readability, tst_overview).
    memoryDock->hide();
    trainingDock->hide();

    // Every error by name, one click from its layer; the tab says how many there are.
    m_issues = new widgets::IssuesPanel(m_doc, m_selection, this);
    m_issuesDock = new QDockWidget(tr("Issues"), this);
    m_issuesDock->setObjectName("issuesDock");
    m_issuesDock->setWidget(m_issues);
    addDockWidget(Qt::RightDockWidgetArea, m_issuesDock);
    tabifyDockWidget(inspectorDock, m_issuesDock);
    connect(m_issues, &widgets::IssuesPanel::errorCountChanged, this, [this](int n) {
        m_issuesDock->setWindowTitle(n > 0 ? tr("Issues (%1)").arg(n) : tr("Issues"));
    });
    m_issuesDock->setWindowTitle(m_issues->errorCount() > 0 ? tr("Issues (%1)").arg(m_issues->errorCount())
                                                            : tr("Issues"));
    inspectorDock->raise();

    // The import report under the canvas, where its long lines have room: hidden until an import.
    m_importReportPanel = new widgets::ImportReportPanel(m_doc, m_selection, this);
    m_importReportDock = new QDockWidget(tr("Import report"), this);
    m_importReportDock->setObjectName("importReportDock");
    m_importReportDock->setWidget(m_importReportPanel);
    addDockWidget(Qt::BottomDockWidgetArea, m_importReportDock);
    m_importReportDock->hide();
    if (m_docksMenu) {
        m_docksMenu->addAction(runnerDock->toggleViewAction());
        m_docksMenu->addAction(memoryDock->toggleViewAction());
        m_docksMenu->addAction(trainingDock->toggleViewAction());
    }
    connect(m_runner, &widgets::RunnerPanel::resultsChanged, this, &MainWindow::showLatency);
}

void MainWindow::showIssues()
{
    m_issuesDock->show();
    m_issuesDock->raise();
}

void MainWindow::showLatency()
{
    // Measured latency goes where the other per-layer figures are: a chart and a table column in
    // the charts dock, and the canvas's latency colouring. The runner's rows are in schedule order,
    // as the analysis' are; a stale result is passed on marked stale, never as current.
    const auto& eigen = m_runner->report(core::BackendKind::Eigen);
    const auto& onednn = m_runner->report(core::BackendKind::OneDnn);
    const auto& r = eigen ? eigen : onednn;
    if (!r)
        return;
    const bool stale = m_runner->stale();
    const auto& layers = m_doc.analysis().layers;
    std::vector<double> us(layers.size(), std::numeric_limits<double>::quiet_NaN());
    std::vector<std::pair<core::NodeId, double>> seconds;
    if (!stale && r->layers.size() == layers.size()) {
        for (size_t i = 0; i < layers.size(); ++i)
            if (r->layers[i].status == core::TimingStatus::Measured) {
                us[i] = r->layers[i].medianUs;
                seconds.push_back({r->layers[i].id, r->layers[i].medianUs * 1e-6});
            }
    }
    m_charts->setLatency(std::move(us), stale);
    m_scene->setLayerLatencies(seconds);
    if (m_latencyColour)
        m_latencyColour->setEnabled(!seconds.empty());
}

QDockWidget* MainWindow::addCostDock(QWidget* w, const QString& title)
{
    auto* dock = new QDockWidget(title, this);
    dock->setObjectName("costDock:" + title);
    dock->setWidget(w);
    // Not floatable: a user grabbing the title bar to make the charts taller tore the dock out of the
    // window. The separator above it resizes; View → Layout offers presets.
    dock->setFeatures(QDockWidget::DockWidgetClosable | QDockWidget::DockWidgetMovable);
    addDockWidget(Qt::BottomDockWidgetArea, dock);
    if (m_firstCostDock)
        tabifyDockWidget(m_firstCostDock, dock);
    else
        m_firstCostDock = dock;
    if (m_docksMenu)
        m_docksMenu->addAction(dock->toggleViewAction());
    return dock;
}

void MainWindow::addFileAction(QAction* action) { m_fileMenu->insertAction(m_quitSeparator, action); }

void MainWindow::buildActions()
{
    // File
    m_fileMenu = menuBar()->addMenu(tr("&File"));
    QAction* a = m_fileMenu->addAction(tr("&New"), this, &MainWindow::newDesign);
    a->setShortcut(QKeySequence::New);
    a = m_fileMenu->addAction(tr("&Open…"), this, [this] {
        if (!maybeSave())
            return;
        const QScopedValueRollback answered(m_saveAnswered, true); // do not ask again after the picker
        const QString path = QFileDialog::getOpenFileName(this, tr("Open design"), QString(),
                                                          tr("NetCanvas designs (*.json);;All files (*)"));
        if (!path.isEmpty())
            openFile(path);
    });
    a->setShortcut(QKeySequence::Open);
    QMenu* zoo = m_fileMenu->addMenu(tr("Open from &zoo"));
    zoo->setObjectName("zooMenu");
    for (const core::ZooEntry& e : core::zooEntries()) {
        QAction* z = zoo->addAction(q(e.title), this, [this, key = e.key] { openZoo(key); });
        z->setToolTip(q(e.description));
        z->setStatusTip(q(e.description));
    }
    m_recentMenu = m_fileMenu->addMenu(tr("Open &recent"));
    m_recentMenu->setObjectName("recentMenu");
    connect(m_recentMenu, &QMenu::aboutToShow, this, &MainWindow::rebuildRecentMenu);
    m_fileMenu->addSeparator();
    a = m_fileMenu->addAction(tr("&Save"), this, &MainWindow::save);
    a->setShortcut(QKeySequence::Save);
    a = m_fileMenu->addAction(tr("Save &As…"), this, &MainWindow::saveAs);
    a->setShortcut(QKeySequence::SaveAs);
    m_fileMenu->addSeparator();
    a = m_fileMenu->addAction(tr("&Import ONNX…"), this, [this] {
        // Unsaved changes first: answering after choosing the file felt like a trap.
        if (!maybeSave())
            return;
        const QScopedValueRollback answered(m_saveAnswered, true);
        const QString path = QFileDialog::getOpenFileName(this, tr("Import ONNX model"), QString(),
                                                          tr("ONNX models (*.onnx)"));
        if (!path.isEmpty())
            importOnnxFile(path); // the report opens in its dock
    });
    a->setObjectName("importOnnx");
    a = m_fileMenu->addAction(tr("Export &PyTorch…"), this, [this] {
        const QString path = QFileDialog::getSaveFileName(this, tr("Export PyTorch module"),
                                                          suggestedPath(QStringLiteral(".py")),
                                                          tr("Python files (*.py)"));
        if (!path.isEmpty())
            exportPyTorchFile(path);
    });
    a->setObjectName("exportPyTorch");
    a = m_fileMenu->addAction(tr("Export &ONNX…"), this, [this] {
        const QString path = QFileDialog::getSaveFileName(this, tr("Export ONNX model"),
                                                          suggestedPath(QStringLiteral(".onnx")),
                                                          tr("ONNX models (*.onnx)"));
        if (!path.isEmpty())
            exportOnnxFile(path);
    });
    a->setObjectName("exportOnnx");
    m_fileMenu->addSeparator();
    a = m_fileMenu->addAction(tr("&Close"), this, &MainWindow::newDesign);
    a->setObjectName("closeAction");
    a->setShortcut(QKeySequence::Close);
    a->setStatusTip(tr("Close the design (asking to save changes) and start an empty one"));
    a = m_fileMenu->addAction(tr("Reopen Last File on Start"));
    a->setObjectName("reopenLastAction");
    a->setCheckable(true);
    a->setChecked(reopenLastOnStart());
    connect(a, &QAction::toggled, this, [](bool on) { QSettings().setValue(kReopenLastKey, on); });
    m_quitSeparator = m_fileMenu->addSeparator();
    a = m_fileMenu->addAction(tr("&Quit"), this, &QWidget::close);
    a->setShortcut(QKeySequence::Quit);

    // Edit
    m_editMenu = menuBar()->addMenu(tr("&Edit"));
    QAction* undo = m_undo.createUndoAction(this, tr("&Undo"));
    undo->setShortcuts(QKeySequence::Undo);
    undo->setObjectName("undoAction");
    QAction* redo = m_undo.createRedoAction(this, tr("&Redo"));
    // Both common redo keys on every platform (the standard binding differs between Windows and X11).
    QList<QKeySequence> redoKeys = QKeySequence::keyBindings(QKeySequence::Redo);
    for (const QKeySequence& k :
         {QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Z), QKeySequence(Qt::CTRL | Qt::Key_Y)})
        if (!redoKeys.contains(k))
            redoKeys << k;
    redo->setShortcuts(redoKeys);
    redo->setObjectName("redoAction");
    m_editMenu->addAction(undo);
    m_editMenu->addAction(redo);
    m_editMenu->addSeparator();
    a = m_editMenu->addAction(tr("Cu&t"), m_editor.get(), &widgets::Editor::cutSelection);
    a->setShortcut(QKeySequence::Cut);
    a = m_editMenu->addAction(tr("&Copy"), m_editor.get(), &widgets::Editor::copySelection);
    a->setShortcut(QKeySequence::Copy);
    a = m_editMenu->addAction(tr("&Paste"), this, &MainWindow::pasteAtCursor);
    a->setShortcut(QKeySequence::Paste);
    a = m_editMenu->addAction(tr("&Delete"), this,
                              [this] { m_editor->deleteSelection(m_scene->selectedEdges()); });
    a->setShortcuts({QKeySequence::Delete, QKeySequence(Qt::Key_Backspace)});
    a->setObjectName("deleteAction");
    m_editMenu->addSeparator();
    a = m_editMenu->addAction(tr("Select &All"), this, &MainWindow::selectAll);
    a->setShortcut(QKeySequence::SelectAll);
    // User groups: the name is asked here; the group itself is a core command on the document.
    a = m_editMenu->addAction(tr("&Group…"), this, [this] {
        if (m_selection.ids().size() < 2) {
            statusBar()->showMessage(tr("Select at least two layers to group (Shift+click or drag a rectangle)"), 6000);
            return;
        }
        bool ok = false;
        const QString name = QInputDialog::getText(
            this, tr("Group layers"), tr("Name of the group of %n layers:", nullptr, static_cast<int>(m_selection.ids().size())),
            QLineEdit::Normal, QString::fromStdString(core::GroupCommand::suggestName(m_doc.network())), &ok);
        if (ok)
            (void)m_editor->groupSelection(name.trimmed().toStdString());
    });
    a->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_G));
    a->setObjectName("groupAction");
    a->setToolTip(tr("Group the selected layers under a name; collapse the group to one node (Ctrl+G)"));
    connect(m_scene, &widgets::GraphScene::groupRequested, a, &QAction::trigger);
    a = m_editMenu->addAction(tr("U&ngroup"), this, [this] {
        // The user group of the selected layer (or of the collapsed group standing for it).
        for (core::NodeId id : m_selection.ids())
            for (const core::BlockGroup& g : m_scene->blockGroups())
                if (g.user && std::find(g.members.begin(), g.members.end(), id) != g.members.end()) {
                    (void)m_editor->ungroup(g.name);
                    return;
                }
        statusBar()->showMessage(tr("The selection is in no group you made"), 6000);
    });
    a->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_G));
    a->setObjectName("ungroupAction");

    // View
    m_viewMenu = menuBar()->addMenu(tr("&View"));
    a = m_viewMenu->addAction(tr("&Fit to View"), m_view, &widgets::GraphView::fitAll);
    a->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_0));
    a->setObjectName("fitAction");
    a = m_viewMenu->addAction(tr("Zoom &In"), this, [this] { m_view->zoomBy(1.25); });
    a->setShortcut(QKeySequence::ZoomIn);
    a = m_viewMenu->addAction(tr("Zoom &Out"), this, [this] { m_view->zoomBy(0.8); });
    a->setShortcut(QKeySequence::ZoomOut);
    a = m_viewMenu->addAction(tr("Auto &Layout"), m_editor.get(), &widgets::Editor::autoLayout);
    a->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_L));
    a->setObjectName("layoutAction");
    m_viewMenu->addSeparator();
    m_blocksAction = m_viewMenu->addAction(tr("Collapse &Blocks"));
    m_blocksAction->setObjectName("blocksAction");
    m_blocksAction->setCheckable(true);
    m_blocksAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_B));
    m_blocksAction->setToolTip(
        tr("Show each block (layers sharing a name prefix such as layer1.0) as one node "
           "with its summed figures; double-click a block to open it (Ctrl+B)"));
    connect(m_blocksAction, &QAction::toggled, this, [this](bool on) { m_scene->setAllGroupsCollapsed(on); });
    connect(m_scene, &widgets::GraphScene::overviewChanged, this, [this] {
        const QSignalBlocker b(m_blocksAction);
        m_blocksAction->setChecked(m_scene->overview());
    });
    a = m_viewMenu->addAction(tr("&Minimap"));
    a->setObjectName("minimapAction");
    a->setCheckable(true);
    a->setChecked(true);
    connect(a, &QAction::toggled, m_view, &widgets::GraphView::setMinimapVisible);
    m_viewMenu->addSeparator();
    // Layout presets: how the height is shared between the canvas and the charts below it.
    QMenu* layouts = m_viewMenu->addMenu(tr("&Layout"));
    layouts->setObjectName("layoutMenu");
    struct Preset {
        const char* label;
        const char* name;
        double chartsShare;
        QKeySequence key;
    };
    const Preset presets[] = {
        {"&Canvas and charts", "layoutBalanced", kBalancedChartsShare, QKeySequence(Qt::CTRL | Qt::Key_1)},
        {"Charts &large", "layoutCharts", 0.72, QKeySequence(Qt::CTRL | Qt::Key_2)},
        {"Canvas l&arge", "layoutCanvas", 0.34, QKeySequence(Qt::CTRL | Qt::Key_3)},
    };
    for (const Preset& pr : presets) {
        a = layouts->addAction(tr(pr.label), this,
                               [this, share = pr.chartsShare] { applyLayoutPreset(share); });
        a->setObjectName(pr.name);
        a->setShortcut(pr.key);
    }
    m_docksMenu = m_viewMenu->addMenu(tr("&Panels"));
    for (QDockWidget* d : findChildren<QDockWidget*>())
        if (d != m_stepDock)
            m_docksMenu->addAction(d->toggleViewAction());
    m_viewMenu->addSeparator();
    // Presentation mode: for a room. Page Down / Page Up are what presenter remotes send.
    a = m_viewMenu->addAction(tr("&Presentation Mode"));
    a->setObjectName("presentationAction");
    a->setCheckable(true);
    a->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_P));
    a->setToolTip(tr("Large type for a projector, only the canvas, inspector, palette and charts, and the "
                     "network built up layer by layer (Ctrl+Shift+P)"));
    QAction* presentAction = a;
    QAction* nextStep = m_viewMenu->addAction(tr("Next Step"), this, [this] { m_presentation->next(); });
    nextStep->setObjectName("presentationNext");
    nextStep->setShortcuts({QKeySequence(Qt::Key_PageDown), QKeySequence(Qt::Key_Right)});
    QAction* prevStep = m_viewMenu->addAction(tr("Previous Step"), this, [this] { m_presentation->previous(); });
    prevStep->setObjectName("presentationPrevious");
    prevStep->setShortcuts({QKeySequence(Qt::Key_PageUp), QKeySequence(Qt::Key_Left)});
    nextStep->setEnabled(false);
    prevStep->setEnabled(false);
    connect(presentAction, &QAction::toggled, this, [this, nextStep, prevStep](bool on) {
        m_presentation->setActive(on);
        nextStep->setEnabled(on);
        prevStep->setEnabled(on);
    });

    // Compare: a window of its own whose design A follows this document (widgets/compare).
    m_viewMenu->addSeparator();
    a = m_viewMenu->addAction(tr("&Compare Designs…"), this, [this] {
        auto* w = findChild<widgets::CompareWindow*>("compareWindow");
        if (!w) {
            w = new widgets::CompareWindow(&m_doc, this);
            w->setWindowFlag(Qt::Window);
            w->resize(1600, 1000);
        }
        w->show();
        w->raise();
    });
    a->setObjectName("compareAction");

    // Help
    m_helpMenu = menuBar()->addMenu(tr("&Help"));
    a = m_helpMenu->addAction(tr("Quick &Tour"), this, &MainWindow::showTour);
    a->setObjectName("tourAction");
    a = m_helpMenu->addAction(tr("&Keyboard Shortcuts"), this,
                              [this] {
                                  showHelpText(this, "shortcutsHelp", tr("Keyboard shortcuts"),
                                               shortcutsHtml(this));
                              });
    a->setObjectName("shortcutsAction");
    a->setShortcut(QKeySequence::HelpContents);
    a = m_helpMenu->addAction(tr("&Counting Conventions"), this, [this] {
        showHelpText(this, "conventionsHelp", tr("Counting conventions"), countingConventionsMarkdown(), true);
    });
    a->setObjectName("conventionsAction");
    a = m_helpMenu->addAction(tr("&Node Colours"), this,
                              [this] {
                                  showHelpText(this, "coloursHelp", tr("Node colours"), nodeColoursHtml());
                              });
    a->setObjectName("coloursAction");
}

void MainWindow::showTour()
{
    QSettings().setValue(QStringLiteral("tourShown"), true);
    showHelpText(this, "tourHelp", tr("Quick tour"), tourHtml());
}

void MainWindow::buildToolBar()
{
    m_toolBar = addToolBar(tr("Design"));
    m_toolBar->setObjectName("designToolBar");
    m_toolBar->setMovable(false);

    m_toolBar->addWidget(new QLabel(tr(" Bits "), this));
    m_bits = new QComboBox(this);
    m_bits->setObjectName("bitsCombo");
    m_bits->setToolTip(tr("Bit width of weights and activations for the whole network"));
    for (const core::BitWidth& b : core::kBitWidths)
        m_bits->addItem(QString::fromUtf8(b.label.data(), static_cast<qsizetype>(b.label.size())), b.bits);
    connect(m_bits, &QComboBox::activated, this,
            [this](int i) { m_editor->setSettings(m_doc.network().batch, m_bits->itemData(i).toInt()); });
    m_toolBar->addWidget(m_bits);

    m_toolBar->addWidget(new QLabel(tr("  Batch "), this));
    m_batch = new QSpinBox(this);
    m_batch->setObjectName("batchSpin");
    m_batch->setRange(1, 1000000000);
    m_batch->setKeyboardTracking(false);
    m_batch->setToolTip(tr("Samples per forward pass: scales MACs and activation memory, not parameters"));
    connect(m_batch, &QSpinBox::valueChanged, this,
            [this](int v) { m_editor->setSettings(v, m_doc.network().bits); });
    m_toolBar->addWidget(m_batch);
    m_toolBar->addSeparator();

    m_toolBar->addWidget(new QLabel(tr(" Colour by "), this));
    auto* colours = new QActionGroup(this);
    colours->setExclusive(true);
    struct Mode {
        const char* label;
        const char* name;
        widgets::CostColour mode;
        const char* tip;
    };
    const Mode modes[] = {
        {"Activations", "colourActivations", widgets::CostColour::Activations,
         "Fill shows each layer's share of activation memory"},
        {"MACs", "colourMacs", widgets::CostColour::Macs,
         "Fill shows each layer's share of multiply-accumulates"},
        {"Params", "colourParams", widgets::CostColour::Params,
         "Fill shows each layer's share of parameters"},
        {"Latency", "colourLatency", widgets::CostColour::Latency,
         "Fill shows each layer's share of measured latency (run the kernel runner first)"},
    };
    for (const Mode& m : modes) {
        QAction* act = m_toolBar->addAction(tr(m.label));
        act->setObjectName(m.name);
        act->setCheckable(true);
        act->setToolTip(tr(m.tip));
        act->setChecked(m_options.costColour() == m.mode);
        colours->addAction(act);
        connect(act, &QAction::triggered, this, [this, mode = m.mode] { m_options.setCostColour(mode); });
        if (m.mode == widgets::CostColour::Latency) {
            m_latencyColour = act;
            act->setEnabled(false);
        }
    }
    m_toolBar->addSeparator();

    m_toolBar->addWidget(new QLabel(tr(" Memory budget "), this));
    m_budget = new QComboBox(this);
    m_budget->setObjectName("budgetCombo");
    m_budget->setToolTip(tr("Layers whose live memory exceeds the budget are marked on the canvas"));
    for (const Budget& b : kBudgets)
        m_budget->addItem(tr(b.label), QVariant::fromValue<qint64>(b.bytes));
    m_budget->addItem(tr("Custom…"), QVariant::fromValue<qint64>(-1));
    connect(m_budget, &QComboBox::activated, this, &MainWindow::onBudgetChosen);
    m_toolBar->addWidget(m_budget);
    m_toolBar->addSeparator();

    QAction* fit = m_toolBar->addAction(tr("Fit"), m_view, &widgets::GraphView::fitAll);
    fit->setToolTip(tr("Fit the whole design in the view (Ctrl+0)"));
    m_toolBar->addAction(m_blocksAction);
    m_blocksAction->setIconText(tr("Blocks"));
    QAction* layout = m_toolBar->addAction(tr("Auto layout"), m_editor.get(), &widgets::Editor::autoLayout);
    layout->setToolTip(tr("Arrange layers in rows: main path straight, branches to the side (Ctrl+L)"));
}

void MainWindow::onBudgetChosen(int index)
{
    const qint64 bytes = m_budget->itemData(index).value<qint64>();
    if (bytes < 0)
        chooseCustomBudget();
    else
        m_options.setBudgetBytes(bytes);
}

void MainWindow::chooseCustomBudget()
{
    bool ok = m_opts.interactive;
    const QString text = ok ? QInputDialog::getText(this, tr("Memory budget"),
                                                    tr("Live memory budget (e.g. 320 KB, 2 MiB, 8 GB):"),
                                                    QLineEdit::Normal, QString(), &ok)
                            : QString();
    const int64_t bytes = ok ? parseBytes(text) : 0;
    if (ok && bytes <= 0)
        statusBar()->showMessage(tr("Cannot read \"%1\" as a size; try 320 KB or 2 MiB.").arg(text), 8000);
    if (bytes > 0)
        m_options.setBudgetBytes(bytes);
    syncBudgetCombo();
}

void MainWindow::syncBudgetCombo()
{
    const int64_t bytes = m_options.budgetBytes();
    int index = m_budget->findData(QVariant::fromValue<qint64>(bytes));
    if (index < 0) {
        // A custom value (typed here, or set by another view such as the timeline chart).
        index = m_budget->count() - 1;
        m_budget->insertItem(index, q(core::humanBytes(bytes)), QVariant::fromValue<qint64>(bytes));
    }
    const QSignalBlocker b(m_budget);
    m_budget->setCurrentIndex(index);
}

void MainWindow::onDocumentChanged(const core::Change& change)
{
    if (change.kind != core::ChangeKind::Positions) {
        syncSettings();
        updateTotals();
    }
}

void MainWindow::syncSettings()
{
    const core::Network& net = m_doc.network();
    {
        const QSignalBlocker b(m_bits);
        m_bits->setCurrentIndex(m_bits->findData(net.bits));
    }
    const QSignalBlocker b(m_batch);
    m_batch->setValue(static_cast<int>(std::min<int64_t>(net.batch, m_batch->maximum())));
}

void MainWindow::updateTotals()
{
    const core::AnalysisTotals& t = m_doc.analysis().totals;
    QString s = tr("Params %1  ·  MACs %2  ·  Peak memory %3  ·  Weights %4")
                    .arg(q(core::humanCount(t.params)), q(core::humanCount(t.macs)),
                         q(core::humanBytes(t.peakLiveBytes)), q(core::humanBytes(t.modelBytes)));
    if (m_options.budgetBytes() > 0)
        s += "  ·  " + q(core::budgetVerdict(t.peakLiveBytes, m_options.budgetBytes()));
    if (t.errors)
        s += "  ·  <a href='issues' style='color:#c62828'><b>" + tr("%n error(s)", nullptr, t.errors) +
             "</b></a>";
    m_totals->setText(s);
}

void MainWindow::updateTitle()
{
    setWindowTitle(m_displayName + "[*] — NetCanvas");
    setWindowModified(isModified());
    m_inspector->setDocumentName(m_displayName);
}

void MainWindow::showError(const QString& title, const QString& text)
{
    m_lastError = text;
    statusBar()->showMessage(title + ": " + text, 10000);
    if (m_opts.interactive)
        QMessageBox::warning(this, title, text);
}

bool MainWindow::adoptNetwork(core::Network net, const QString& filePath, const QString& displayName)
{
    // Designs from importers may come without positions: lay them out rather than stack them.
    bool placed = net.nodes().size() < 2;
    for (const core::Node& n : net.nodes())
        placed = placed || n.x != net.nodes().front().x || n.y != net.nodes().front().y;
    if (!placed)
        core::applyLayout(net, core::layeredLayout(net));

    m_undo.clear();
    m_selection.clear();
    m_doc.setFilePath(filePath);
    m_doc.setNetwork(std::move(net));
    m_undo.setClean();
    m_recovery->discard();
    m_displayName = displayName;
    updateTitle();
    if (!filePath.isEmpty())
        addRecent(filePath);
    m_view->requestFit();
    return true;
}

bool MainWindow::importOnnxFile(const QString& path)
{
    // A size the file leaves open (a symbolic sequence length) is asked for, then the import runs
    // again; each dimension is asked once, so a refused value ends as the import's error.
    core::onnx::ImportOptions options;
    auto r = core::onnx::importOnnxIsolated(path, options);
    while (!r && m_opts.interactive) {
        const auto missing = core::onnx::missingDimension(r.error());
        if (!missing || options.symbols.count(missing->key()))
            break;
        const QString dim = missing->symbol.empty() ? tr("axis %1").arg(missing->axis)
                                                    : tr("axis %1 (\"%2\")").arg(missing->axis).arg(q(missing->symbol));
        bool ok = false;
        const int size = QInputDialog::getInt(this, tr("Input size needed"),
                                              tr("The model leaves the size of input \"%1\", %2, open.\n"
                                                 "Size to import it with:")
                                                  .arg(q(missing->input), dim),
                                              128, 1, std::numeric_limits<int>::max(), 1, &ok);
        if (!ok)
            return false;
        options.symbols[missing->key()] = size;
        r = core::onnx::importOnnxIsolated(path, options);
    }
    if (!r) {
        showError(tr("Cannot import ONNX model"), q(r.error()));
        return false;
    }
    if (!maybeSave())
        return false;
    m_importReport = q(r->report.text(SIZE_MAX));
    // An import is a new, unsaved design named after the model: saving asks for a .json path.
    adoptNetwork(std::move(r->network), QString(), QFileInfo(path).completeBaseName());
    m_importReportPanel->setReport(QFileInfo(path).fileName(), m_importReport); // links to the adopted layers
    // Tabbed with the charts once there is a report: tabified while hidden at start-up, it changed the
    // window's dock layout enough that a double-click on a palette row missed it (tst_canvas).
    if (m_firstCostDock && !tabifiedDockWidgets(m_firstCostDock).contains(m_importReportDock))
        tabifyDockWidget(m_firstCostDock, m_importReportDock);
    m_importReportDock->show();
    m_importReportDock->raise();
    showBlocksIfLarge();
    m_undo.resetClean();
    statusBar()->showMessage(tr("Imported %1: %2").arg(QFileInfo(path).fileName(), q(r->report.summary())), 15000);
    return true;
}

bool MainWindow::exportPyTorchFile(const QString& path)
{
    core::Status s = core::savePyTorch(m_doc.network(), path);
    if (!s) {
        showError(tr("Cannot export to PyTorch"), q(s.error()));
        return false;
    }
    statusBar()->showMessage(tr("Exported PyTorch module to %1").arg(path), 10000);
    return true;
}

bool MainWindow::exportOnnxFile(const QString& path)
{
    core::Status s = core::onnx::exportOnnx(m_doc.network(), path);
    if (!s) {
        showError(tr("Cannot export to ONNX"), q(s.error()));
        return false;
    }
    statusBar()->showMessage(tr("Exported ONNX model to %1").arg(path), 10000);
    return true;
}

bool MainWindow::openFile(const QString& path)
{
    if (path.endsWith(".onnx", Qt::CaseInsensitive))
        return importOnnxFile(path);
    auto net = core::loadNetwork(path);
    if (!net) {
        showError(tr("Cannot open design"), q(net.error()));
        return false;
    }
    if (!maybeSave())
        return false;
    const bool ok =
        adoptNetwork(std::move(*net), QFileInfo(path).absoluteFilePath(), QFileInfo(path).fileName());
    showBlocksIfLarge();
    return ok;
}

bool MainWindow::openZoo(const std::string& key)
{
    auto net = core::loadZoo(key);
    if (!net) {
        showError(tr("Cannot open zoo model"), q(net.error()));
        return false;
    }
    if (!maybeSave())
        return false;
    QString title = q(key);
    for (const core::ZooEntry& e : core::zooEntries())
        if (e.key == key)
            title = q(e.title);
    const bool ok = adoptNetwork(std::move(*net), QString(), title + tr(" (zoo)"));
    showBlocksIfLarge();
    return ok;
}

bool MainWindow::openExample()
{
    auto net = core::loadZoo("resnet18");
    if (!net) {
        showError(tr("Cannot open the example"), q(net.error()));
        return false;
    }
    const bool ok = adoptNetwork(std::move(*net), QString(), tr("ResNet-18 (example)"));
    showBlocksIfLarge();
    return ok;
}

void MainWindow::showBlocksIfLarge()
{
    // A large design opens as its blocks, so Fit shows all of it readably; double-click opens one.
    const bool large = static_cast<int>(m_doc.network().nodes().size()) > kBlocksFromLayers;
    m_scene->setAllGroupsCollapsed(large && !m_scene->blockGroups().empty());
    if (m_blocksAction) {
        const QSignalBlocker b(m_blocksAction);
        m_blocksAction->setChecked(m_scene->overview());
    }
}

void MainWindow::newDesign()
{
    if (!maybeSave())
        return;
    // A new design starts with an input, so the palette's "append" has something to append to.
    core::Network net;
    core::Node input;
    input.type = core::LayerType::Input;
    input.name = "input";
    input.params.dims = core::Shape{3, 224, 224};
    (void)net.addNode(input);
    adoptNetwork(std::move(net), QString(), tr("Untitled"));
}

bool MainWindow::save()
{
    if (m_doc.filePath().isEmpty())
        return saveAs();
    return saveTo(m_doc.filePath());
}

bool MainWindow::saveAs()
{
    if (!m_opts.interactive)
        return false;
    QString suggested = m_doc.filePath();
    if (suggested.isEmpty())
        suggested =
            q(m_doc.network().name.empty() ? std::string("untitled") : m_doc.network().name) + ".json";
    QString path = QFileDialog::getSaveFileName(this, tr("Save design"), suggested,
                                                tr("NetCanvas designs (*.json);;All files (*)"));
    if (path.isEmpty())
        return false;
    if (QFileInfo(path).suffix().isEmpty())
        path += ".json";
    return saveTo(path);
}

bool MainWindow::saveTo(const QString& path)
{
    const core::Status st = core::saveNetwork(m_doc.network(), path);
    if (!st) {
        showError(tr("Cannot save design"), q(st.error()));
        return false;
    }
    m_doc.setFilePath(QFileInfo(path).absoluteFilePath());
    m_displayName = QFileInfo(path).fileName();
    m_undo.setClean();
    m_recovery->discard();
    updateTitle();
    addRecent(m_doc.filePath());
    statusBar()->showMessage(tr("Saved %1").arg(QDir::toNativeSeparators(path)), 5000);
    return true;
}

bool MainWindow::maybeSave()
{
    if (!isModified() || !m_opts.interactive || m_saveAnswered)
        return true;
    const auto answer = QMessageBox::warning(
        this, tr("Unsaved changes"), tr("%1 has unsaved changes. Save them first?").arg(m_displayName),
        QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel, QMessageBox::Save);
    if (answer == QMessageBox::Save)
        return save();
    return answer == QMessageBox::Discard;
}

void MainWindow::autosaveNow()
{
    if (isModified())
        m_recovery->write(m_doc.network(), m_doc.filePath());
    else
        m_recovery->discard();
}

bool MainWindow::offerRecovery()
{
    const auto orphans = m_recovery->orphans();
    if (orphans.empty())
        return false;
    const RecoveryStore::Orphan& o = orphans.front();
    if (m_opts.interactive) {
        const auto answer = QMessageBox::question(
            this, tr("Restore unsaved design?"),
            tr("NetCanvas did not close normally. Restore the unsaved changes to \"%1\" autosaved at %2?")
                .arg(o.name, QLocale().toString(o.saved, QLocale::ShortFormat)),
            QMessageBox::Yes | QMessageBox::No, QMessageBox::Yes);
        if (answer != QMessageBox::Yes) {
            RecoveryStore::discard(o);
            return false;
        }
    }
    auto net = core::loadNetwork(o.designPath);
    RecoveryStore::discard(o);
    if (!net) {
        showError(tr("Cannot restore design"), q(net.error()));
        return false;
    }
    const QString name = o.originalPath.isEmpty() ? o.name : QFileInfo(o.originalPath).fileName();
    adoptNetwork(std::move(*net), o.originalPath, name + tr(" (recovered)"));
    m_undo.resetClean(); // restored changes are unsaved changes
    updateTitle();
    autosaveNow();
    return true;
}

bool MainWindow::reopenLastOnStart() { return QSettings().value(kReopenLastKey, false).toBool(); }

QString MainWindow::suggestedPath(const QString& suffix) const
{
    // Next to the design, named after it: "resnet18.json" → "resnet18.py".
    const QString base = !m_doc.filePath().isEmpty() ? QFileInfo(m_doc.filePath()).completeBaseName()
                         : !m_doc.network().name.empty() ? q(m_doc.network().name)
                                                         : QStringLiteral("untitled");
    const QString dir =
        m_doc.filePath().isEmpty() ? QString() : QFileInfo(m_doc.filePath()).absolutePath() + "/";
    QString safe = base;
    safe.replace(QRegularExpression(QStringLiteral(R"([\\/:*?"<>|]+)")), QStringLiteral("_"));
    return dir + safe + suffix;
}

QStringList MainWindow::recentFiles() const { return QSettings().value(kRecentKey).toStringList(); }

void MainWindow::addRecent(const QString& path)
{
    QStringList list = recentFiles();
    list.removeAll(path);
    list.prepend(path);
    while (list.size() > kMaxRecent)
        list.removeLast();
    QSettings().setValue(kRecentKey, list);
}

void MainWindow::rebuildRecentMenu()
{
    m_recentMenu->clear();
    const QStringList list = recentFiles();
    for (const QString& path : list)
        m_recentMenu
            ->addAction(QFileInfo(path).fileName(), this,
                        [this, path] {
                            if (!openFile(path)) {
                                QStringList l = recentFiles();
                                if (!QFileInfo::exists(path)) {
                                    l.removeAll(path);
                                    QSettings().setValue(kRecentKey, l);
                                }
                            }
                        })
            ->setToolTip(path);
    if (list.isEmpty())
        m_recentMenu->addAction(tr("(none)"))->setEnabled(false);
    else {
        m_recentMenu->addSeparator();
        m_recentMenu->addAction(tr("Clear list"), this, [] { QSettings().remove(kRecentKey); });
    }
}

void MainWindow::selectAll()
{
    std::vector<core::NodeId> ids;
    for (const core::Node& n : m_doc.network().nodes())
        ids.push_back(n.id);
    m_selection.set(std::move(ids));
}

void MainWindow::pasteAtCursor()
{
    const QPoint local = m_view->viewport()->mapFromGlobal(QCursor::pos());
    if (m_view->viewport()->rect().contains(local))
        m_editor->pasteClipboard(m_view->mapToScene(local));
    else
        m_editor->pasteClipboard();
}

void MainWindow::showEvent(QShowEvent* e)
{
    QMainWindow::showEvent(e);
    if (m_shown)
        return;
    m_shown = true;
    // Dock sizes only take once the window is laid out at its size.
    QTimer::singleShot(0, this, [this] {
        applyLayoutPreset(kBalancedChartsShare);
        if (m_importReportDock->isVisible()) // a model imported at start-up: its report in front
            m_importReportDock->raise();
    });
    // The tour once, on the first start (Help → Quick Tour shows it again).
    if (m_opts.interactive && !QSettings().value(QStringLiteral("tourShown"), false).toBool())
        QTimer::singleShot(300, this, &MainWindow::showTour);
}

void MainWindow::applyLayoutPreset(double chartsShare)
{
    if (!m_firstCostDock)
        return;
    m_firstCostDock->show();
    m_firstCostDock->raise();
    const int available = centralWidget()->height() + m_firstCostDock->height();
    resizeDocks({m_firstCostDock}, {static_cast<int>(available * chartsShare)}, Qt::Vertical);
}

void MainWindow::closeEvent(QCloseEvent* e)
{
    if (maybeSave()) {
        m_recovery->discard();
        e->accept();
    } else {
        e->ignore();
    }
}

} // namespace nc::app

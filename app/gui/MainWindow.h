// MainWindow: the designer window — canvas in the centre, palette on the left, inspector on the right,
// cost docks (charts) below, toolbar with the network settings and view options, menus, files, recent
// files, the zoo, autosave and crash recovery. It owns the Document, the undo stack and the shared view
// state; the widgets it hosts are views over them.
//
// Extension points for later features: fileMenu()/addFileAction() (File → Import ONNX…, Export
// PyTorch…), addCostDock() (charts, the kernel runner), adoptNetwork() (importers), toolBar().
#pragma once

#include "core/Document.h"
#include "widgets/Selection.h"
#include "widgets/ViewOptions.h"

#include <QMainWindow>
#include <QTimer>
#include <QUndoStack>

#include <memory>
#include <string>

class QComboBox;
class QDockWidget;
class QLabel;
class QMenu;
class QSpinBox;
class QToolBar;

namespace nc::widgets {
class ChartsPanel;
class Editor;
class RunnerPanel;
class GraphScene;
class GraphView;
class InspectorWidget;
class ImportReportPanel;
class IssuesPanel;
class PaletteWidget;
class Presentation;
class RfExplorer;
} // namespace nc::widgets

namespace nc::app {

class RecoveryStore;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    struct Options {
        QString recoveryDir;     // empty: the platform's app-data location + "/recovery"
        int autosaveMs = 3000;   // after the first unsaved change; 0 disables autosave
        bool interactive = true; // false: never open a modal dialog (screenshots, tests)
    };

    explicit MainWindow(Options options, QWidget* parent = nullptr);
    explicit MainWindow(QWidget* parent = nullptr) : MainWindow(Options{}, parent) {}
    ~MainWindow() override;

    // Extension points.
    QMenu* fileMenu() const { return m_fileMenu; }
    QMenu* editMenu() const { return m_editMenu; }
    QMenu* viewMenu() const { return m_viewMenu; }
    QToolBar* toolBar() const { return m_toolBar; }
    // Inserts an action into the File menu, above Quit.
    void addFileAction(QAction* action);
    // Docks a cost view (charts, kernel runner) below the canvas, tabbed with the other cost docks,
    // and lists it in the View menu.
    QDockWidget* addCostDock(QWidget* w, const QString& title);

    core::Document& document() { return m_doc; }
    QUndoStack& undoStack() { return m_undo; }
    widgets::Selection& selection() { return m_selection; }
    widgets::ViewOptions& viewOptions() { return m_options; }
    widgets::Editor& editor() { return *m_editor; }
    widgets::GraphScene* scene() const { return m_scene; }
    widgets::GraphView* view() const { return m_view; }
    widgets::InspectorWidget* inspector() const { return m_inspector; }
    widgets::PaletteWidget* palette() const { return m_palette; }
    widgets::ChartsPanel* charts() const { return m_charts; }
    widgets::IssuesPanel* issues() const { return m_issues; }
    widgets::RfExplorer* rfExplorer() const { return m_rfExplorer; }
    widgets::Presentation* presentation() const { return m_presentation; }
    // Brings the list of errors to the front.
    void showIssues();
    QComboBox* bitsCombo() const { return m_bits; }
    QSpinBox* batchSpin() const { return m_batch; }
    QComboBox* budgetCombo() const { return m_budget; }
    QLabel* totalsLabel() const { return m_totals; }

    // Files. Failures show the reason (a dialog when interactive) and leave the open design untouched.
    bool openFile(const QString& path); // .onnx files are imported
    // File → Import ONNX… / Export: the same as the menu items without the file dialogs.
    bool importOnnxFile(const QString& path);
    bool exportPyTorchFile(const QString& path);
    bool exportOnnxFile(const QString& path);
    QString lastImportReport() const { return m_importReport; }
    // The last import's report, in a dock shown (and raised) by every successful import.
    widgets::ImportReportPanel* importReport() const { return m_importReportPanel; }
    QDockWidget* importReportDock() const { return m_importReportDock; }
    bool openZoo(const std::string& key);
    // The built-in example a first start shows (ResNet-18).
    bool openExample();
    void newDesign();
    bool save();
    bool saveAs();
    bool saveTo(const QString& path);
    // Makes `net` the open design (importers use this); asks about unsaved changes first.
    bool adoptNetwork(core::Network net, const QString& filePath, const QString& displayName);
    // Asks whether to save unsaved changes; false when the user cancels.
    bool maybeSave();
    bool isModified() const { return !m_undo.isClean(); }
    QString displayName() const { return m_displayName; }
    QString lastError() const { return m_lastError; }

    // Offers the newest design left by a crashed instance; true when one was restored.
    bool offerRecovery();
    void autosaveNow();
    RecoveryStore& recovery() { return *m_recovery; }

    QStringList recentFiles() const;
    // File → Reopen Last File on Start: main() opens recentFiles().front() instead of the example.
    static bool reopenLastOnStart();
    // A file name for a save or export dialog: the design's name with `suffix`, beside its file.
    QString suggestedPath(const QString& suffix) const;

    // Shares the height below the toolbar between the canvas and the cost docks: `chartsShare` of it
    // goes to the charts (View → Layout). The balanced preset is the default: at 1600×1000 it leaves
    // every chart a plot area over 120 px tall and the canvas a dozen layers in view.
    static constexpr double kBalancedChartsShare = 0.52;
    // Designs with more layers than this open with their blocks collapsed (View → Collapse Blocks).
    static constexpr int kBlocksFromLayers = 60;
    void showBlocksIfLarge();
    void applyLayoutPreset(double chartsShare);
    // Help → Quick Tour (shown by itself on the first interactive start).
    void showTour();
    QMenu* helpMenu() const { return m_helpMenu; }

protected:
    void closeEvent(QCloseEvent* e) override;
    void showEvent(QShowEvent* e) override;

private:
    void buildActions();
    void buildToolBar();
    void buildDocks();
    void onDocumentChanged(const core::Change& change);
    void syncSettings();
    void updateTotals();
    void updateTitle();
    void showError(const QString& title, const QString& text);
    void addRecent(const QString& path);
    void rebuildRecentMenu();
    void chooseCustomBudget();
    void onBudgetChosen(int index);
    void syncBudgetCombo();
    void selectAll();
    void pasteAtCursor();
    void showLatency();

    Options m_opts;
    core::Document m_doc;
    QUndoStack m_undo;
    widgets::Selection m_selection;
    widgets::ViewOptions m_options;
    std::unique_ptr<widgets::Editor> m_editor;
    std::unique_ptr<RecoveryStore> m_recovery;
    widgets::GraphScene* m_scene = nullptr;
    widgets::ChartsPanel* m_charts = nullptr;
    widgets::RunnerPanel* m_runner = nullptr;
    QAction* m_latencyColour = nullptr;
    QAction* m_blocksAction = nullptr;
    widgets::IssuesPanel* m_issues = nullptr;
    QDockWidget* m_issuesDock = nullptr;
    QString m_importReport;
    widgets::ImportReportPanel* m_importReportPanel = nullptr;
    QDockWidget* m_importReportDock = nullptr;
    widgets::GraphView* m_view = nullptr;
    widgets::InspectorWidget* m_inspector = nullptr;
    widgets::PaletteWidget* m_palette = nullptr;

    QMenu* m_fileMenu = nullptr;
    QMenu* m_editMenu = nullptr;
    QMenu* m_viewMenu = nullptr;
    QMenu* m_helpMenu = nullptr;
    QMenu* m_recentMenu = nullptr;
    QMenu* m_docksMenu = nullptr;
    QAction* m_quitSeparator = nullptr;
    QToolBar* m_toolBar = nullptr;
    QComboBox* m_bits = nullptr;
    QSpinBox* m_batch = nullptr;
    QComboBox* m_budget = nullptr;
    QLabel* m_totals = nullptr;
    QDockWidget* m_firstCostDock = nullptr;
    widgets::RfExplorer* m_rfExplorer = nullptr;
    widgets::Presentation* m_presentation = nullptr;
    QDockWidget* m_stepDock = nullptr;
    bool m_shown = false;
    bool m_saveAnswered = false; // the unsaved-changes question was answered for the action under way

    QTimer m_autosave;
    QString m_displayName;
    QString m_lastError;
};

} // namespace nc::app

// Presentation: the designer for a room — one switch scales the interface for a projector, hides
// what the room does not need and steps through the network layer by layer as a build-up, each
// step's figures and formulas large on a card.
#pragma once

#include "core/Document.h"

#include <QFont>
#include <QObject>
#include <QPointer>
#include <QWidget>

#include <functional>
#include <vector>

class QAction;
class QDockWidget;
class QLabel;
class QMainWindow;
class QWidget;

namespace nc::widgets {

class GraphScene;
class GraphView;
class Selection;

// The step card: which layer, its figures and its formulas (core::explainLayer), in large type.
class StepCard : public QWidget {
    Q_OBJECT
public:
    explicit StepCard(QWidget* parent = nullptr);
    void showStep(const core::Network& net, const core::AnalysisResult& a, int step);
    QLabel* stepLabel() const { return m_step; }
    QLabel* titleLabel() const { return m_title; }
    QLabel* figuresLabel() const { return m_figures; }
    QLabel* formulasLabel() const { return m_formulas; }

private:
    QLabel* m_step;
    QLabel* m_title;
    QLabel* m_figures;
    QLabel* m_formulas;
};

// While active:
// - every widget of the window is drawn kScale times larger: the window's font (which widgets without
//   a font of their own follow), each explicitly set widget font, and every chart's fonts;
// - the widgets in `hide` (docks, tool bar, status bar) and the minimap are hidden, block overviews
//   opened so each layer is a node;
// - step k shows the layers of schedule steps 0…k on the canvas (the rest and their connections are
//   hidden), selects layer k (so the inspector and the charts show it) and fills the card; next() and
//   previous() move one step. The canvas zooms on what is shown, labels at least at normal size.
// Leaving restores fonts, visibility, minimap, block overview and zoom. Borrows everything it is
// given, which must outlive it; GUI thread only.
class Presentation : public QObject {
    Q_OBJECT
public:
    static constexpr double kScale = 1.5;

    struct Parts {
        QMainWindow* window = nullptr;
        GraphView* view = nullptr;
        GraphScene* scene = nullptr;
        core::Document* doc = nullptr;
        Selection* selection = nullptr;
        QWidget* cardDock = nullptr;        // shown while active (holds card())
        QAction* minimapAction = nullptr;   // unchecked while active
        QDockWidget* chartsDock = nullptr;  // given less height while active: the build-up needs the canvas
        std::vector<QWidget*> hide;         // hidden while active
    };
    Presentation(Parts parts, QObject* parent = nullptr);
    ~Presentation() override;

    StepCard* card() const { return m_card; }
    bool active() const { return m_active; }
    void setActive(bool on);
    int step() const { return m_step; }
    int steps() const;
    void next();
    void previous();
    void goTo(int step);

signals:
    void activeChanged(bool on);

private:
    void scaleFonts(double factor);
    void restoreFonts();
    void applyStep();
    void frameShown();

    Parts m_parts;
    StepCard* m_card;
    bool m_active = false;
    int m_step = 0;
    double m_zoom = 1.0;
    int m_chartsHeight = 0;
    bool m_overview = false;
    bool m_minimap = true;
    QFont m_windowFont;
    bool m_windowFontSet = false;
    std::vector<std::pair<QPointer<QWidget>, bool>> m_hidden;
    std::vector<std::function<void()>> m_restoreFonts;
};

} // namespace nc::widgets

// Tests presentation mode at 1600×1000 as a teacher uses it: Ctrl+Shift+P scales every visible panel,
// hides what a room does not need, Page Down builds the network up layer by layer, and no text
// overlaps or is cut; leaving restores the designer as it was.
#include "DesignerFixture.h"

#include "widgets/Presentation.h"
#include "widgets/Minimap.h"
#include "widgets/charts/ChartsPanel.h"
#include "widgets/charts/LayerBarChart.h"

#include "core/Zoo.h"

#include <qcustomplot.h>

#include <QAbstractButton>
#include <QAbstractItemView>
#include <QAbstractScrollArea>
#include <QLineEdit>
#include <QTabBar>
#include <QDockWidget>
#include <QTextDocument>
#include <QToolBar>

#include <map>

using namespace nc;
using namespace nc::test;

class TestPresentation : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() { isolateApplication(); }
    void switchScalesHidesAndBuildsUp();
    void everyVisibleLabelFitsWithoutOverlap();
    void leavingRestores();
};

namespace {

struct Room {
    Designer d;
    std::map<QLabel*, double> before; // point size of every label before the switch
    double baseTick = 0;

    Room()
    {
        d.w().resize(1600, 1000);
        d.load(core::loadZoo("alexnet").value());
        QApplication::processEvents();
        for (QLabel* l : d.w().findChildren<QLabel*>())
            before[l] = l->font().pointSizeF();
        baseTick = d.w().charts()->macsChart()->plot()->yAxis->tickLabelFont().pointSizeF();
        QTest::keyClick(&d.w(), Qt::Key_P, Qt::ControlModifier | Qt::ShiftModifier);
        settle();
    }
    void settle()
    {
        for (int i = 0; i < 5; ++i) {
            QApplication::processEvents();
            QTest::qWait(10);
        }
    }
    widgets::Presentation& p() { return *d.w().presentation(); }
};

// Visible on screen: shown, with a part inside every ancestor's visible area.
bool onScreen(QWidget* w)
{
    return w->isVisible() && !w->visibleRegion().isEmpty() && w->width() > 0 && w->height() > 0;
}

QString plainText(const QLabel* l)
{
    if (!Qt::mightBeRichText(l->text()))
        return l->text();
    QTextDocument doc;
    doc.setHtml(l->text());
    return doc.toPlainText();
}

QRect inWindow(QWidget* w, QWidget* window) { return QRect(w->mapTo(window, QPoint(0, 0)), w->size()); }

} // namespace

void TestPresentation::switchScalesHidesAndBuildsUp()
{
    Room r;
    QVERIFY(r.p().active());
    // What a room does not need is gone.
    QVERIFY(!r.d.w().findChild<QDockWidget*>("issuesDock")->isVisible());
    QVERIFY(!r.d.w().findChild<QDockWidget*>("runnerDock")->isVisible());
    QVERIFY(!r.d.w().toolBar()->isVisible());
    QVERIFY(!r.d.view().minimap()->isVisible());
    QVERIFY(r.d.w().findChild<QDockWidget*>("presentationStepDock")->isVisible());
    // Step 1 is the input, alone on the canvas.
    QCOMPARE(r.p().step(), 0);
    QVERIFY(r.d.item("input")->isVisible());
    QVERIFY(!r.d.item("conv1")->isVisible());
    // Page Down adds conv1 (and its connection), selects it, and the card says so in large type.
    QTest::keyClick(&r.d.w(), Qt::Key_PageDown);
    r.settle();
    QCOMPARE(r.p().step(), 1);
    QVERIFY(r.d.item("conv1")->isVisible());
    QVERIFY(!r.d.item("relu1")->isVisible());
    QCOMPARE(r.d.w().selection().current(), r.d.id("conv1"));
    widgets::StepCard* card = r.p().card();
    QVERIFY(card->titleLabel()->text().contains("conv1"));
    QVERIFY(card->stepLabel()->text().startsWith("Step 2 of"));
    // The formulas are the inspector's: the lecture's conv1 has 96 filters, 96·(3/1)·11·11 + 96 = 34,944.
    QVERIFY2(card->formulasLabel()->text().contains("= 34,944"), qPrintable(card->formulasLabel()->text()));
    QVERIFY(card->formulasLabel()->font().pointSizeF() >= r.before.begin()->second * 1.4);
    QTest::keyClick(&r.d.w(), Qt::Key_PageUp);
    r.settle();
    QCOMPARE(r.p().step(), 0);
    // Canvas labels a quarter larger than normal, charts' text half again as large.
    QVERIFY(r.d.view().zoom() >= 1.25);
    QCOMPARE(r.d.w().charts()->macsChart()->plot()->yAxis->tickLabelFont().pointSizeF(),
             r.baseTick * widgets::Presentation::kScale);
    const QByteArray dir = qgetenv("NC_SHOT_DIR");
    if (!dir.isEmpty()) {
        for (int i = 0; i < 5; ++i)
            QTest::keyClick(&r.d.w(), Qt::Key_PageDown);
        r.settle();
        r.d.w().grab().save(QString::fromUtf8(dir) + "/presentation.png");
    }
}

// Every text widget a room sees (labels, buttons, combo boxes, tab bars, the palette's tree, the
// inspector's fields) is drawn kScale times larger than before the switch; a label's text fits its
// width (a single line within the label; wrapped text: every word within it, and the label tall
// enough for its lines); no two visible labels, buttons or combo boxes overlap — on several steps of
// the build-up, with the step card and then with the inspector in front.
void TestPresentation::everyVisibleLabelFitsWithoutOverlap()
{
    Room r;
    std::map<QWidget*, double> before;
    for (const auto& [l, size] : r.before)
        before[l] = size;
    // Sizes before the switch of the other text widgets: leave, record, switch back on.
    QTest::keyClick(&r.d.w(), Qt::Key_P, Qt::ControlModifier | Qt::ShiftModifier);
    r.settle();
    for (QWidget* w : r.d.w().findChildren<QWidget*>())
        if (qobject_cast<QAbstractButton*>(w) || qobject_cast<QComboBox*>(w) || qobject_cast<QTabBar*>(w) ||
            qobject_cast<QAbstractItemView*>(w) || qobject_cast<QLineEdit*>(w) || qobject_cast<QSpinBox*>(w))
            before[w] = w->font().pointSizeF();
    QTest::keyClick(&r.d.w(), Qt::Key_P, Qt::ControlModifier | Qt::ShiftModifier);
    r.settle();
    QVERIFY(r.p().active());

    auto* inspector = r.d.w().findChild<QDockWidget*>("inspectorDock");
    auto* stepDock = r.d.w().findChild<QDockWidget*>("presentationStepDock");
    for (int step : {1, 5, 14, 15}) {
        r.p().goTo(step);
        (step == 15 ? inspector : stepDock)->raise(); // step 15 (fc6): the inspector with its formulas
        r.settle();
        std::vector<QWidget*> boxes;
        int labels = 0, scaled = 0;
        for (QWidget* w : r.d.w().findChildren<QWidget*>()) {
            if (!onScreen(w))
                continue;
            auto* l = qobject_cast<QLabel*>(w);
            if (auto it = before.find(w); it != before.end() && it->second > 0) {
                QVERIFY2(w->font().pointSizeF() >= it->second * widgets::Presentation::kScale * 0.99,
                         qPrintable(QString("%1 (%2) at %3 pt, %4 pt before")
                                        .arg(w->objectName(), w->metaObject()->className())
                                        .arg(w->font().pointSizeF())
                                        .arg(it->second)));
                ++scaled;
            }
            if (qobject_cast<QAbstractButton*>(w) || qobject_cast<QComboBox*>(w))
                boxes.push_back(w);
            if (!l || plainText(l).trimmed().isEmpty())
                continue;
            boxes.push_back(l);
            ++labels;
            const QString name = l->objectName().isEmpty() ? plainText(l).left(30) : l->objectName();
            const QFontMetrics fm(l->font());
            const int width = l->contentsRect().width() - 2 * l->margin() - 2 * l->indent() * (l->indent() > 0);
            const QStringList lines = plainText(l).split(QLatin1Char('\n'));
            if (!l->wordWrap()) {
                for (const QString& line : lines)
                    QVERIFY2(fm.horizontalAdvance(line) <= width + 1,
                             qPrintable(QString("%1: \"%2\" is %3 px in %4 px")
                                            .arg(name, line)
                                            .arg(fm.horizontalAdvance(line))
                                            .arg(width)));
            } else {
                for (const QString& line : lines)
                    for (const QString& word : line.split(QLatin1Char(' '), Qt::SkipEmptyParts))
                        QVERIFY2(fm.horizontalAdvance(word) <= width + 1,
                                 qPrintable(QString("%1: word \"%2\" is %3 px in %4 px")
                                                .arg(name, word)
                                                .arg(fm.horizontalAdvance(word))
                                                .arg(width)));
                QVERIFY2(l->height() >= l->heightForWidth(l->width()) - 1, qPrintable(name + " is cut at the bottom"));
            }
        }
        QVERIFY2(labels >= 10, qPrintable(QString::number(labels)));
        QVERIFY2(scaled >= 25, qPrintable(QString::number(scaled)));
        for (size_t i = 0; i < boxes.size(); ++i)
            for (size_t j = i + 1; j < boxes.size(); ++j) {
                if (boxes[i]->isAncestorOf(boxes[j]) || boxes[j]->isAncestorOf(boxes[i]))
                    continue;
                const QRect a = inWindow(boxes[i], &r.d.w()), b = inWindow(boxes[j], &r.d.w());
                QVERIFY2(!a.intersects(b), qPrintable(QString("%1 \"%2\" overlaps %3 \"%4\" at step %5")
                                                          .arg(boxes[i]->metaObject()->className(),
                                                               boxes[i]->objectName(),
                                                               boxes[j]->metaObject()->className(),
                                                               boxes[j]->objectName())
                                                          .arg(step)));
            }
        // Chart titles and legends follow: every chart's fonts are larger than the designer's.
        for (QCustomPlot* plot : r.d.w().charts()->findChildren<QCustomPlot*>())
            if (onScreen(plot))
                QVERIFY(plot->legend->font().pointSizeF() >= 7 * widgets::Presentation::kScale * 0.99 ||
                        !plot->legend->visible());
    }
}

void TestPresentation::leavingRestores()
{
    Room r;
    QTest::keyClick(&r.d.w(), Qt::Key_PageDown);
    QTest::keyClick(&r.d.w(), Qt::Key_P, Qt::ControlModifier | Qt::ShiftModifier);
    r.settle();
    QVERIFY(!r.p().active());
    for (auto& [label, size] : r.before)
        QCOMPARE(label->font().pointSizeF(), size);
    QCOMPARE(r.d.w().charts()->macsChart()->plot()->yAxis->tickLabelFont().pointSizeF(), r.baseTick);
    QVERIFY(r.d.item("fc8")->isVisible());
    QVERIFY(r.d.w().toolBar()->isVisible());
    QVERIFY(r.d.w().findChild<QAction*>("minimapAction")->isChecked());
    QVERIFY(!r.d.w().findChild<QDockWidget*>("presentationStepDock")->isVisible());
    // Page Down no longer steps anything.
    QTest::keyClick(&r.d.w(), Qt::Key_PageDown);
    QCOMPARE(r.p().step(), 1);
}

QTEST_MAIN(TestPresentation)
#include "tst_presentation.moc"

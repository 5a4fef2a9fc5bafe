// tst_readability: the designer at its default size (1600×1000) read as a user would — every chart
// has room, no labels collide or hide the data, no label is clipped, table figures are whole, names
// keep their distinguishing end — on ResNet-50, ViT-Tiny and the MCU CNN with a 256 KiB budget.
#include "DesignerFixture.h"

#include "core/DottedName.h"
#include "core/Format.h"
#include "core/Zoo.h"
#include "widgets/ViewOptions.h"
#include "widgets/charts/ChartsPanel.h"
#include "widgets/charts/LayerBarChart.h"
#include "widgets/charts/LayerTable.h"
#include "widgets/charts/MemoryTimelineChart.h"

#include <qcustomplot.h>

#include <QCheckBox>
#include <QHeaderView>
#include <QImage>
#include <QSet>
#include <QTest>

#include <algorithm>

using namespace nc;
using namespace nc::test;

class TestReadability : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() { isolateApplication(); }
    void chartsHaveRoom_data();
    void chartsHaveRoom();
    void tableFiguresAreWhole();
    void exportDefaultsToSlideSize();
    void nameTailsKeepWholeComponents();
    void budgetVerdictInOneUnitSystem();
    void timelineComparesInBinaryUnits();
    void timelineFollowsLogScale();
    void nodeTitlesEndWithLastComponent_data();
    void nodeTitlesEndWithLastComponent();
    void chartNamesEndWithLastComponent();

private:
    static void addZooRows()
    {
        QTest::addColumn<QString>("zoo");
        QTest::addColumn<qint64>("budget");
        QTest::addColumn<bool>("log");
        QTest::newRow("resnet50") << "resnet50" << qint64(0) << false;
        QTest::newRow("vit_tiny") << "vit_tiny" << qint64(0) << false;
        QTest::newRow("mcu_cnn, 256 KiB budget") << "mcu_cnn" << qint64(256 * 1024) << false;
        QTest::newRow("resnet18, 1 MiB budget below the peak") << "resnet18" << qint64(1024 * 1024) << false;
        QTest::newRow("resnet50, log scale") << "resnet50" << qint64(0) << true;
        QTest::newRow("mcu_cnn, 256 KiB budget, log scale") << "mcu_cnn" << qint64(256 * 1024) << true;
    }
    static std::unique_ptr<Designer> open(const QString& zoo)
    {
        auto d = std::make_unique<Designer>();
        d->w().resize(1600, 1000);
        d->w().openZoo(zoo.toStdString());
        QTest::qWait(50); // the dock layout preset is applied on the first event-loop turn
        QApplication::processEvents();
        return d;
    }
    // Tick labels of `axis` that are drawn, as pixel positions along the axis, ascending.
    static std::vector<double> labelPositions(QCPAxis* axis)
    {
        std::vector<double> px;
        const QVector<double> ticks = axis->tickVector();
        const QVector<QString> labels = axis->tickVectorLabels();
        for (int i = 0; i < ticks.size(); ++i)
            if (axis->range().contains(ticks[i]) && i < labels.size() && !labels[i].isEmpty())
                px.push_back(axis->coordToPixel(ticks[i]));
        std::sort(px.begin(), px.end());
        return px;
    }
};

void TestReadability::chartsHaveRoom_data()
{
    addZooRows();
}

void TestReadability::chartsHaveRoom()
{
    QFETCH(QString, zoo);
    QFETCH(qint64, budget);
    QFETCH(bool, log);
    auto d = open(zoo);
    d->w().viewOptions().setBudgetBytes(budget);
    d->w().viewOptions().setLogScale(log);
    widgets::ChartsPanel* panel = d->w().charts();
    QVERIFY(panel);
    QVERIFY(panel->isVisible());
    // The canvas stays usable beside the charts: room for several layers.
    QVERIFY2(d->view().viewport()->height() >= 300,
             qPrintable(QString::number(d->view().viewport()->height())));

    for (widgets::ChartBase* chart : panel->charts()) {
        panel->showView(chart);
        panel->flush();
        QApplication::processEvents();
        chart->replotNow();
        const QString name = chart->title();
        QVERIFY2(chart->isVisible(), qPrintable(name));
        QCustomPlot* p = chart->plot();
        const QRect data = p->axisRect()->rect();

        // Room: a plot area a class can read from the back of the room.
        QVERIFY2(data.height() >= 120,
                 qPrintable(name + ": plot " + QString::number(data.height()) + " px tall"));

        // No two tick labels overlap: neighbours at least a line height apart along the axis (the
        // layer names are rotated, so across them a label is one line high too).
        for (QCPAxis* axis : {p->xAxis, p->yAxis}) {
            const int line = QFontMetrics(axis->tickLabelFont()).height();
            const std::vector<double> px = labelPositions(axis);
            QVERIFY2(px.size() >= 2, qPrintable(name + ": fewer than two labels"));
            for (size_t i = 1; i < px.size(); ++i)
                QVERIFY2(px[i] - px[i - 1] >= line,
                         qPrintable(QString("%1: labels %2 px apart, a line is %3 px")
                                        .arg(name)
                                        .arg(px[i] - px[i - 1])
                                        .arg(line)));
        }

        // Legends sit outside the data.
        if (p->legend->visible() && p->legend->itemCount() > 0)
            QVERIFY2(!p->legend->outerRect().intersects(data), qPrintable(name + ": legend over the data"));

        // Labels on the data (peak, budget, largest bar) are whole: inside the data area.
        for (int i = 0; i < p->itemCount(); ++i) {
            auto* text = qobject_cast<QCPItemText*>(p->item(i));
            if (!text || !text->visible() || text->text().isEmpty())
                continue;
            const QRect r = QRectF(text->topLeft->pixelPosition(), text->bottomRight->pixelPosition())
                                .toAlignedRect()
                                .adjusted(1, 1, -1, -1);
            QVERIFY2(data.contains(r),
                     qPrintable(QString("%1: \"%2\" at (%3,%4 %5×%6) clipped by the plot (%7,%8 %9×%10)")
                                    .arg(name, text->text())
                                    .arg(r.x())
                                    .arg(r.y())
                                    .arg(r.width())
                                    .arg(r.height())
                                    .arg(data.x())
                                    .arg(data.y())
                                    .arg(data.width())
                                    .arg(data.height())));
        }
    }
}

void TestReadability::tableFiguresAreWhole()
{
    auto d = open("resnet50");
    widgets::LayerTable* table = d->w().charts()->table();
    d->w().charts()->showView(table);
    QApplication::processEvents();
    // Every figure column is as wide as its widest cell plus the cell margins: "4,089,184,256"-sized
    // values are not cut.
    const QFontMetrics fm(table->font());
    QAbstractItemModel* m = table->model();
    for (int c = widgets::LayerTableModel::Params; c <= widgets::LayerTableModel::Bits; ++c) {
        int widest = 0;
        for (int r = 0; r < m->rowCount(); ++r)
            widest = std::max(widest, fm.horizontalAdvance(m->index(r, c).data().toString()));
        QVERIFY2(table->columnWidth(c) >= widest + 6,
                 qPrintable(QString("column %1: %2 px for %3 px of text")
                                .arg(widgets::LayerTableModel::kCsvKeys[c])
                                .arg(table->columnWidth(c))
                                .arg(widest)));
    }
}

void TestReadability::exportDefaultsToSlideSize()
{
    auto d = open("resnet18");
    QTemporaryDir dir;
    const QString path = dir.filePath("timeline.png");
    QVERIFY(d->w().charts()->timelineChart()->exportPng(path).ok());
    const QImage img(path);
    QCOMPARE(img.width(), 1600);
    QCOMPARE(img.height(), 900);
}

void TestReadability::budgetVerdictInOneUnitSystem()
{
    // 66,058 B = 64.51 KiB of 256 KiB (262,144 B): 25.2 % used.
    QCOMPARE(QString::fromStdString(core::humanBinaryBytes(66058)), QString("64.51 KiB"));
    QCOMPARE(QString::fromStdString(core::budgetVerdict(66058, 262144)), QString("fits in 256 KiB (25% used)"));
    // 1,405,092 B = 1.34 MiB against 256 KiB: 5.36 times the budget.
    QCOMPARE(QString::fromStdString(core::budgetVerdict(1405092, 262144)),
             QString("needs 1.34 MiB, 5.4× the budget of 256 KiB"));
    QCOMPARE(QString::fromStdString(core::budgetVerdict(1000, 0)), QString());
}

void TestReadability::timelineComparesInBinaryUnits()
{
    auto d = open("mcu_cnn");
    d->w().viewOptions().setBudgetBytes(256 * 1024);
    widgets::ChartsPanel* panel = d->w().charts();
    panel->flush();
    const QString title = panel->timelineChart()->titleText();
    const int64_t peak = d->doc().analysis().totals.peakLiveBytes;
    QVERIFY2(title.contains(QString::fromStdString(core::budgetVerdict(peak, 256 * 1024))), qPrintable(title));
    QVERIFY2(!title.contains(" KB") && !title.contains(" MB"), qPrintable(title));
    QVERIFY(panel->timelineChart()->peakText().contains("KiB"));
    QVERIFY(d->w().totalsLabel()->text().contains(QString::fromStdString(core::budgetVerdict(peak, 256 * 1024))));
}

// The Charts dock's "Log scale" box, ticked as a user would, puts the memory timeline on a log axis
// too: ResNet-18's steps span 6 KB-class tails to its 6.42 MB peak, which a linear axis flattens.
void TestReadability::timelineFollowsLogScale()
{
    auto d = open("resnet18");
    widgets::ChartsPanel* panel = d->w().charts();
    widgets::MemoryTimelineChart* timeline = panel->timelineChart();
    QCheckBox* box = nullptr;
    for (QCheckBox* c : panel->findChildren<QCheckBox*>())
        if (c->text() == "Log scale")
            box = c;
    QVERIFY(box);
    QVERIFY(!box->isChecked());
    panel->showView(timeline);
    QCPAxis* y = timeline->plot()->yAxis;
    QCOMPARE(y->scaleType(), QCPAxis::stLinear);

    // A click on the indicator, at the left end of the box (its centre can lie past the label).
    QTest::mouseClick(box, Qt::LeftButton, Qt::NoModifier, QPoint(box->height() / 2, box->height() / 2));
    QVERIFY(box->isChecked());
    QVERIFY(d->w().viewOptions().logScale());
    panel->flush();
    QApplication::processEvents();
    timeline->replotNow();
    QVERIFY(timeline->logScale());
    QCOMPARE(y->scaleType(), QCPAxis::stLogarithmic);
    QVERIFY(y->range().lower > 0);

    // Every step's outline inside the data area, the smallest above the bottom edge (it keeps a
    // column), the peak below the top edge (room for its label).
    const QRect data = timeline->plot()->axisRect()->rect();
    const auto* live = timeline->liveGraph();
    double smallestPx = 1e9, peakPx = -1e9;
    for (auto it = live->data()->constBegin(); it != live->data()->constEnd(); ++it) {
        const double px = y->coordToPixel(it->value);
        smallestPx = std::min(smallestPx, data.bottom() - px);
        peakPx = std::max(peakPx, data.bottom() - px);
    }
    QVERIFY2(smallestPx >= 10, qPrintable(QString::number(smallestPx)));
    QVERIFY2(peakPx < data.height(), qPrintable(QString::number(peakPx)));

    // Tick labels: at least three decades named in bytes, each different, a line or more apart.
    const QVector<double> ticks = y->tickVector();
    const QVector<QString> labels = y->tickVectorLabels();
    QStringList shown;
    for (int i = 0; i < ticks.size() && i < labels.size(); ++i)
        if (y->range().contains(ticks[i]) && !labels[i].isEmpty())
            shown << labels[i];
    QVERIFY2(shown.size() >= 3, qPrintable(shown.join(" | ")));
    QCOMPARE(QSet<QString>(shown.begin(), shown.end()).size(), shown.size());
    for (const QString& l : shown)
        QVERIFY2(l.endsWith("B"), qPrintable(l));
    const std::vector<double> px = labelPositions(y);
    const int line = QFontMetrics(y->tickLabelFont()).height();
    for (size_t i = 1; i < px.size(); ++i)
        QVERIFY2(px[i] - px[i - 1] >= line, qPrintable(QString("%1 px apart").arg(px[i] - px[i - 1])));
    if (qEnvironmentVariableIsSet("NC_SCREENSHOT_DIR"))
        timeline->grab().save(qEnvironmentVariable("NC_SCREENSHOT_DIR") + "/timeline-log.png");

    // Unticked, the axis is linear again and starts at 0.
    QTest::mouseClick(box, Qt::LeftButton, Qt::NoModifier, QPoint(box->height() / 2, box->height() / 2));
    panel->flush();
    QApplication::processEvents();
    QCOMPARE(y->scaleType(), QCPAxis::stLinear);
    QCOMPARE(y->range().lower, 0.0);
}

void TestReadability::nameTailsKeepWholeComponents()
{
    const std::vector<std::string> t = core::nameTails("layer1.0.conv1_bn");
    QCOMPARE(t.size(), size_t(3)); // layer1 · 0 · conv1_bn
    QCOMPARE(QString::fromStdString(t[0]), QString("layer1.0.conv1_bn"));
    QCOMPARE(QString::fromStdString(t[1]), QString("…0.conv1_bn"));
    QCOMPARE(QString::fromStdString(t[2]), QString("…conv1_bn"));
    QCOMPARE(QString::fromStdString(core::nameTails("/encoder/layer.0/attn/MatMul").back()),
             QString("…MatMul"));
    QCOMPARE(QString::fromStdString(core::shortName("blocks.11.mlp.fc2", 10)), QString("…mlp.fc2"));
    QCOMPARE(QString::fromStdString(core::lastComponent("/enc/MatMul_1")), QString("MatMul_1"));
    QCOMPARE(QString::fromStdString(core::lastComponent("conv1")), QString("conv1"));
}

void TestReadability::nodeTitlesEndWithLastComponent_data()
{
    QTest::addColumn<QString>("zoo");
    QTest::newRow("resnet50") << "resnet50";
    QTest::newRow("vit_tiny") << "vit_tiny";
    QTest::newRow("mobilenet_v2") << "mobilenet_v2";
}

void TestReadability::nodeTitlesEndWithLastComponent()
{
    QFETCH(QString, zoo);
    auto d = open(zoo);
    d->scene().setAllGroupsCollapsed(false); // large designs open as blocks
    int shortened = 0;
    for (const core::Node& n : d->net().nodes()) {
        const QString title = d->scene().nodeItem(n.id)->titleText();
        const QString last = QString::fromStdString(core::lastComponent(n.name));
        QVERIFY2(title.endsWith(last),
                 qPrintable(QString("%1 drawn as %2").arg(QString::fromStdString(n.name), title)));
        QVERIFY2(!title.contains(QChar(0x2026)) || title.startsWith(QChar(0x2026)),
                 qPrintable(QString("%1 cut in the middle: %2").arg(QString::fromStdString(n.name), title)));
        shortened += title != QString::fromStdString(n.name);
    }
    qInfo("%d of %d titles shortened", shortened, int(d->net().nodes().size()));
}

void TestReadability::chartNamesEndWithLastComponent()
{
    auto d = open("vit_tiny");
    widgets::ChartBase* chart = d->w().charts()->activationChart();
    d->w().charts()->showView(chart);
    d->w().charts()->flush();
    QCPAxis* x = chart->plot()->xAxis;
    const QVector<double> ticks = x->tickVector();
    const QVector<QString> labels = x->tickVectorLabels();
    const widgets::LayerAxis* axis = chart->layerAxis();
    int checked = 0;
    for (int i = 0; i < ticks.size() && i < labels.size(); ++i) {
        const int step = qRound(ticks[i]);
        if (!axis->contains(step) || labels[i].isEmpty())
            continue;
        const QString full = axis->names[size_t(step)];
        QVERIFY2(labels[i].endsWith(QString::fromStdString(core::lastComponent(full.toStdString()))),
                 qPrintable(full + " labelled " + labels[i]));
        ++checked;
    }
    QVERIFY(checked > 5);
}

QTEST_MAIN(TestReadability)
#include "tst_readability.moc"

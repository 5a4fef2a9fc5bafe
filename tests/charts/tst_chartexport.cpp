// Tests exports: every chart to PNG and PDF (real files with the right headers and size, hidden tabs
// included) and the per-layer table to CSV, identical to the CLI's `analyze --format csv`.
#include "ChartTestUtil.h"

#include "widgets/charts/MemoryTimelineChart.h"
#include "widgets/charts/ReceptiveFieldChart.h"

#include "core/Report.h"

#include <QFile>
#include <QImage>
#include <QTemporaryDir>
#include <QTest>

using namespace nc;
using namespace nc::test;

class TestChartExport : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void cleanupTestCase() { m_rig.reset(); }
    void png_data() { chartRows(); }
    void png();
    void pdf_data() { chartRows(); }
    void pdf();
    void pngOfHiddenTabHasRequestedSize();
    void csvIsTheCliCsv();
    void csvHasOneRowPerLayer();
    void exportToMissingFolderFails();

private:
    void chartRows() {
        QTest::addColumn<int>("chart");
        const auto charts = m_rig->panel->charts();
        for (size_t i = 0; i < charts.size(); ++i)
            QTest::newRow(qPrintable(charts[i]->title())) << int(i);
    }
    static QByteArray head(const QString& path, int n) {
        QFile f(path);
        return f.open(QIODevice::ReadOnly) ? f.read(n) : QByteArray();
    }
    QTemporaryDir m_dir;
    std::unique_ptr<PanelRig> m_rig;
};

void TestChartExport::initTestCase() {
    QVERIFY(m_dir.isValid());
    m_rig = std::make_unique<PanelRig>(PanelRig::zoo("resnet18"));
}

void TestChartExport::png() {
    QFETCH(int, chart);
    widgets::ChartBase* c = m_rig->panel->charts()[size_t(chart)];
    const QString path = m_dir.filePath(QStringLiteral("chart%1.png").arg(chart));
    QVERIFY(c->exportPng(path).ok());
    QVERIFY(QFileInfo(path).size() > 1000);
    QCOMPARE(head(path, 8), QByteArray("\x89PNG\r\n\x1a\n", 8));
}

void TestChartExport::pdf() {
    QFETCH(int, chart);
    widgets::ChartBase* c = m_rig->panel->charts()[size_t(chart)];
    const QString path = m_dir.filePath(QStringLiteral("chart%1.pdf").arg(chart));
    QVERIFY(c->exportPdf(path).ok());
    QVERIFY(QFileInfo(path).size() > 1000);
    QCOMPARE(head(path, 5), QByteArray("%PDF-"));
}

void TestChartExport::pngOfHiddenTabHasRequestedSize() {
    // The MACs chart sits in a background tab: export still draws it, at the size asked for.
    widgets::ChartBase* c = m_rig->panel->macsChart();
    QVERIFY(!c->isVisible());
    const QString path = m_dir.filePath(QStringLiteral("macs.png"));
    QVERIFY(c->exportPng(path, 1200, 600).ok());
    QCOMPARE(QImage(path).size(), QSize(1200, 600));
}

void TestChartExport::csvIsTheCliCsv() {
    const QString path = m_dir.filePath(QStringLiteral("layers.csv"));
    QVERIFY(m_rig->panel->exportCsv(path).ok());
    QFile f(path);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(f.readAll(),
             QByteArray::fromStdString(core::reportCsv(m_rig->doc.network(), m_rig->analysis())));
}

void TestChartExport::csvHasOneRowPerLayer() {
    const QString path = m_dir.filePath(QStringLiteral("rows.csv"));
    QVERIFY(m_rig->panel->exportCsv(path).ok());
    QFile f(path);
    QVERIFY(f.open(QIODevice::ReadOnly | QIODevice::Text));
    const QList<QByteArray> lines = f.readAll().trimmed().split('\n');
    QCOMPARE(lines.size(), int(m_rig->analysis().layers.size()) + 1); // + header
    QVERIFY(lines.front().startsWith("step,id,name,type,"));
}

void TestChartExport::exportToMissingFolderFails() {
    const QString path = m_dir.filePath(QStringLiteral("no/such/folder/out"));
    QVERIFY(!m_rig->panel->exportCsv(path + ".csv").ok());
    QVERIFY(!m_rig->panel->activationChart()->exportPng(path + ".png").ok());
}

QTEST_MAIN(TestChartExport)
#include "tst_chartexport.moc"

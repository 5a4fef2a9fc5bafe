// Tests the "Training and scale" panel driven as a user would: moving its controls and editing the
// design update the verdict, the stacked bars and the figures.
#include "core/Zoo.h"
#include "widgets/TrainingPanel.h"

#include <QComboBox>
#include <QLabel>
#include <QSpinBox>
#include <QTest>

using namespace nc;

class TestTrainingPanel : public QObject {
    Q_OBJECT
private slots:
    void init();
    void cleanup();
    void llamaDoesNotFitOneDevice();
    void zero3OverSixtyFourFits();
    void pipelineGivesOneBarPerStage();
    void customDeviceMemory();
    void refusalIsShownNotCrashed();
    void designEditRecomputes();

private:
    QSpinBox* spin(const char* name) { return m_panel->findChild<QSpinBox*>(name); }
    QComboBox* combo(const char* name) { return m_panel->findChild<QComboBox*>(name); }
    core::Document* m_doc = nullptr;
    widgets::TrainingPanel* m_panel = nullptr;
};

void TestTrainingPanel::init()
{
    m_doc = new core::Document;
    m_doc->setNetwork(core::loadZoo("llama2_7b").value());
    m_panel = new widgets::TrainingPanel(*m_doc);
    m_panel->resize(1000, 420);
    m_panel->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_panel));
}

void TestTrainingPanel::cleanup()
{
    delete m_panel;
    delete m_doc;
}

void TestTrainingPanel::llamaDoesNotFitOneDevice()
{
    // Mixed-precision Adam: 16 B × 6,738,415,616 parameters = 107.8 GB before any activation.
    QVERIFY(m_panel->plan());
    QVERIFY(m_panel->plan()->perDevice.total > 107'000'000'000);
    QVERIFY2(m_panel->verdictLabel()->text().contains("does not fit 80.00 GB"),
             qPrintable(m_panel->verdictLabel()->text()));
    // The optimizer segment is 12/2 = 6 times the weights segment.
    const QRectF w = m_panel->bars()->segmentRect(0, 0);
    const QRectF o = m_panel->bars()->segmentRect(0, 2);
    QVERIFY(w.height() > 10);
    QCOMPARE(qRound(o.height() / w.height()), 6);
    // Stacked: gradients sit on top of the weights, everything inside the plot area.
    QCOMPARE(m_panel->bars()->segmentRect(0, 1).bottom(), w.top());
    QVERIFY(m_panel->bars()->barArea().contains(o));
}

void TestTrainingPanel::zero3OverSixtyFourFits()
{
    spin("dp")->setValue(64);
    combo("zero")->setCurrentIndex(3);
    QVERIFY(m_panel->plan());
    QCOMPARE(m_panel->settings().dp, 64);
    QCOMPARE(m_panel->plan()->perDevice.weights, int64_t(13'476'831'232 / 64)); // 210,575,488
    QVERIFY2(m_panel->verdictLabel()->text().contains(" fits 80.00 GB"), qPrintable(m_panel->verdictLabel()->text()));
}

void TestTrainingPanel::pipelineGivesOneBarPerStage()
{
    spin("pp")->setValue(4);
    QVERIFY(m_panel->plan());
    QCOMPARE(m_panel->plan()->stages.size(), size_t(4));
    QVERIFY(!m_panel->bars()->segmentRect(3, 0).isEmpty());
    QVERIFY(m_panel->bars()->segmentRect(4, 0).isNull());
    // One micro-batch: (4 − 1)/(1 + 4 − 1).
    QVERIFY2(m_panel->figuresLabel()->text().contains("pipeline bubble 75.0 %"),
             qPrintable(m_panel->figuresLabel()->text()));
    spin("microbatches")->setValue(12); // 3/15
    QVERIFY2(m_panel->figuresLabel()->text().contains("pipeline bubble 20.0 %"),
             qPrintable(m_panel->figuresLabel()->text()));
}

void TestTrainingPanel::customDeviceMemory()
{
    spin("dp")->setValue(64);
    combo("zero")->setCurrentIndex(3);
    combo("deviceMemory")->setCurrentIndex(4);
    QVERIFY(spin("customGb")->isEnabled());
    spin("customGb")->setValue(1);
    QCOMPARE(m_panel->settings().deviceMemory, int64_t(1'000'000'000));
    QVERIFY2(m_panel->verdictLabel()->text().contains("does not fit 1.00 GB"),
             qPrintable(m_panel->verdictLabel()->text()));
    combo("deviceMemory")->setCurrentIndex(0);
    QCOMPARE(m_panel->settings().deviceMemory, int64_t(16'000'000'000));
}

void TestTrainingPanel::refusalIsShownNotCrashed()
{
    spin("tp")->setValue(3);
    QVERIFY(!m_panel->plan());
    QVERIFY2(m_panel->verdictLabel()->text().contains("layers.0.self_attn"),
             qPrintable(m_panel->verdictLabel()->text()));
    spin("tp")->setValue(4);
    QVERIFY(m_panel->plan());
}

void TestTrainingPanel::designEditRecomputes()
{
    const int64_t before = m_panel->plan()->perDevice.activations;
    m_doc->edit([](core::Network& n) { n.batch = 2; }, core::Change{core::ChangeKind::Params, {}});
    QCOMPARE(m_panel->plan()->batch, int64_t(2));
    QCOMPARE(m_panel->plan()->perDevice.activations, 2 * before); // every activation term scales with the batch
}

QTEST_MAIN(TestTrainingPanel)
#include "tst_trainingpanel.moc"

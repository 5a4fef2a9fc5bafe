// Tests that the machine probe's roofs are real upper bounds: no layer of a zoo model, measured on
// either backend, lands above the roof of the memory level its working set fits by more than its
// own measured spread; nor does a large GEMM exceed the compute peak. A roof measured too low (the
// old probe's 203 GFLOP/s under oneDNN's 197) fails here. Ratios within one run, no timings.
#include "core/Analysis.h"
#include "core/Zoo.h"
#include "core/runner/KernelRunner.h"
#include "kernels/Kernels.h"

#include <QTest>

#include <algorithm>
#include <time.h>

using namespace nc::core;
namespace k = nc::core::kernels;

Q_DECLARE_METATYPE(nc::core::BackendKind)

class TestRoofs : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void roofsAreOrdered();
    void paddingIsLeftOutOfTheWork();
    void noLayerAboveItsRoof_data();
    void noLayerAboveItsRoof();
    void bestGemmStaysUnderThePeak_data();
    void bestGemmStaysUnderThePeak();

private:
    k::MachineInfo m_machine;
};

void TestRoofs::initTestCase()
{
    m_machine = k::MachineProbe::probe();
    for (const k::Roofs& r : m_machine.roofs)
        qInfo("%d thread(s): %.1f GFLOP/s; L1 %.1f, L2 %.1f, L3 %.1f, DRAM %.1f GB/s", r.threads, r.peakGflops,
              r.bandwidthGBs[0], r.bandwidthGBs[1], r.bandwidthGBs[2], r.bandwidthGBs[3]);
}

void TestRoofs::roofsAreOrdered()
{
    QVERIFY(!m_machine.roofs.empty());
    QCOMPARE(m_machine.roofs.front().threads, 1);
    QCOMPARE(m_machine.vectorBits == 512 ? m_machine.fmaChains : 12, 12);
    for (const k::Roofs& r : m_machine.roofs) {
        QVERIFY(r.peakGflops > 0);
        // Each level's set is larger than the one below it.
        for (size_t l = 1; l < k::kMemoryLevels; ++l)
            QVERIFY(r.workingSetBytes[l] > r.workingSetBytes[l - 1]);
        // L1 is faster than DRAM on every machine (the levels in between can tie on a small L2).
        QVERIFY2(r.bandwidthGBs[0] > r.bandwidthGBs[3], "L1 bandwidth must exceed DRAM's");
    }
}

// The roofline counts the work no kernel can skip. ResNet-18's layer3.1.conv2 (256 → 256, 3×3, padding 1
// on 14×14): per axis the first and last outputs each have one tap on the padding, 3·14 − 2 = 40 of 42
// read the input, so 256·256·40·40 = 104,857,600 of its 256·256·9·196 = 115,605,504 MACs are work
// (without it a oneDNN layer at the machine's peak sat at 1.03× the roof: oneDNN skips those taps).
// A Linear layer has no padding.
void TestRoofs::paddingIsLeftOutOfTheWork()
{
    auto net = loadZoo("resnet18");
    QVERIFY(net);
    const AnalysisResult a = analyze(*net);
    const LayerResult* conv = a.layer(net->findByName("layer3.1.conv2"), *net);
    const LayerResult* fc = a.layer(net->findByName("fc"), *net);
    QVERIFY(conv && fc);
    QCOMPARE(conv->macs, int64_t(115605504));
    QCOMPARE(conv->macs - conv->paddingMacs, int64_t(104857600));
    QCOMPARE(fc->paddingMacs, int64_t(0));
}

void TestRoofs::noLayerAboveItsRoof_data()
{
    QTest::addColumn<QString>("model");
    QTest::addColumn<BackendKind>("backend");
    QTest::addColumn<int>("threads");
    // mcu_cnn by default; resnet18 and mobilenet_v2 (~1 min on a busy machine) carry runner-slow.
    for (const char* m : {"mcu_cnn", "resnet18", "mobilenet_v2"})
        for (int t : {1, 2}) {
            QTest::newRow(QString("%1 eigen %2t").arg(m).arg(t).toUtf8()) << QString(m) << BackendKind::Eigen << t;
            QTest::newRow(QString("%1 onednn %2t").arg(m).arg(t).toUtf8()) << QString(m) << BackendKind::OneDnn << t;
        }
}

void TestRoofs::noLayerAboveItsRoof()
{
    QFETCH(QString, model);
    QFETCH(BackendKind, backend);
    QFETCH(int, threads);
    if (threads > m_machine.logicalCores)
        QSKIP("fewer cores than threads");
    auto net = loadZoo(model.toStdString());
    QVERIFY(net);
    RunOptions o;
    o.backend = backend;
    o.threads = threads;
    o.secondsPerLayer = 0.005;
    o.minRepeats = 5;
    o.warmup = 1;
    o.remeasure = 1;
    o.endToEnd = false;
    RunReport r = runKernels(*net, o);
    // A layer may exceed its roof by its own spread. (Its work leaves out the taps on zero padding,
    // which oneDNN skips: paddingIsLeftOutOfTheWork.)
    // A roof is the best the machine has been seen to do. The probe takes the best of many short
    // rounds, but a whole probe can land in a slow spell of a shared machine (another test on the
    // other core, a neighbour of the VM, a lower clock: 218.7 GFLOP/s read where a oneDNN
    // convolution then ran at 225) and a layer then "beats" it. So while a layer lands above its
    // roof, the machine is probed again, up to three more times, each roof keeping the highest
    // reading; the layers (measured once) are then judged.
    auto above = [&](const LayerTiming& t) {
        return t.gops / m_machine.roofGops(t.intensity, t.bytesMoved, threads) > std::max(1.0, t.spread);
    };
    auto anyAbove = [&] {
        return std::any_of(r.layers.begin(), r.layers.end(), [&](const LayerTiming& t) {
            return t.status == TimingStatus::Measured && t.intensity > 0 && above(t);
        });
    };
    for (int probe = 0; probe < 3 && anyAbove(); ++probe) {
        const k::MachineInfo again = k::MachineProbe::probe();
        for (k::Roofs& mine : m_machine.roofs)
            for (const k::Roofs& other : again.roofs)
                if (other.threads == mine.threads) {
                    mine.peakGflops = std::max(mine.peakGflops, other.peakGflops);
                    for (size_t l = 0; l < k::kMemoryLevels; ++l)
                        mine.bandwidthGBs[l] = std::max(mine.bandwidthGBs[l], other.bandwidthGBs[l]);
                }
        qInfo("a layer was above its roof: probed again (%d), roofs keep the highest readings", probe + 1);
    }
    int checked = 0;
    double worst = 0;
    for (const LayerTiming& t : r.layers) {
        if (t.status != TimingStatus::Measured || t.intensity <= 0)
            continue;
        const double roof = m_machine.roofGops(t.intensity, t.bytesMoved, threads);
        const double ratio = t.gops / roof;
        worst = std::max(worst, ratio);
        const k::MemoryLevel level = m_machine.levelFor(t.bytesMoved, threads);
        QVERIFY2(ratio <= std::max(1.0, t.spread),
                 qPrintable(QString("%1: %2 GOP/s at %3 op/B (%4, %5 B) is %6× the roof %7 (spread %8)")
                                .arg(QString::fromStdString(net->node(t.id)->name))
                                .arg(t.gops)
                                .arg(t.intensity)
                                .arg(k::memoryLevelLabel(level))
                                .arg(t.bytesMoved)
                                .arg(ratio)
                                .arg(roof)
                                .arg(t.spread)));
        ++checked;
    }
    QVERIFY(checked > 5);
    qInfo("highest point / roof: %.2f", worst);
}

void TestRoofs::bestGemmStaysUnderThePeak_data()
{
    QTest::addColumn<BackendKind>("backend");
    QTest::newRow("eigen") << BackendKind::Eigen;
    QTest::newRow("onednn") << BackendKind::OneDnn;
}

// A 512×1024 by 1024×1024 product (Linear 1024 → 1024 on 512 rows, 0.54 GMAC): compute bound on
// any current CPU, the best case for a backend's GEMM.
void TestRoofs::bestGemmStaysUnderThePeak()
{
    QFETCH(BackendKind, backend);
    std::unique_ptr<k::Backend> be;
    if (backend == BackendKind::OneDnn)
        be = std::make_unique<k::OneDnnBackend>(1);
    else
        be = std::make_unique<k::EigenBackend>(1);
    std::vector<k::Shape> in{{512, 1024}};
    auto prepared = be->prepare(k::KernelOp::linear(1024), in);
    QVERIFY(prepared);
    k::Tensor x = k::Tensor::random(in[0], 3), y(prepared.value().outputShape());
    // Thread CPU time, as the probe: with one thread both backends compute on the calling thread,
    // so time another process held the core is left out of both sides of the comparison.
    auto cpu = [] {
        timespec ts{};
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return static_cast<double>(ts.tv_sec) * 1e6 + 1e-3 * static_cast<double>(ts.tv_nsec);
    };
    std::vector<double> us;
    for (int i = 0; i < 12; ++i) {
        const double t0 = cpu();
        QVERIFY(be->run(prepared.value(), x, y));
        us.push_back(cpu() - t0);
    }
    us.erase(us.begin(), us.begin() + 2); // warm-up
    const SampleStats s = summarize(us);
    const double best = *std::min_element(us.begin(), us.end());
    const double gflops = 2.0 * 512 * 1024 * 1024 / (best * 1e3);
    const double peak = m_machine.roofsFor(1)->peakGflops;
    qInfo("%s GEMM: best %.1f GFLOP/s = %.2f of the 1-thread peak %.1f (spread %.2f)",
          backend == BackendKind::OneDnn ? "oneDNN" : "Eigen", gflops, gflops / peak, peak, s.spread);
    QVERIFY2(gflops <= peak * std::max(1.0, s.spread), qPrintable(QString("%1 > %2").arg(gflops).arg(peak)));
}

QTEST_GUILESS_MAIN(TestRoofs)
#include "tst_roofs.moc"

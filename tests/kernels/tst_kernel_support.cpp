// Tensor storage, the seeded generator, the thread pool's loop coverage and the machine probe.
#include "kernels/Kernels.h"
#include "kernels/Rng.h"
#include "kernels/ThreadPool.h"

#include <QtTest>

#include <atomic>
#include <cstdint>
#include <vector>

using namespace nc::core::kernels;

class TestKernelSupport : public QObject {
    Q_OBJECT

private slots:
    void rngIsPlatformIndependent();
    void tensorIsAligned();
    void tensorCopyIsDeep();
    void tensorResizeReusesStorage();
    void randomFillIsSeeded();
    void parallelForCoversEachIndexOnce_data();
    void parallelForCoversEachIndexOnce();
    void parallelTasksCoversEachIndexOnce_data();
    void parallelTasksCoversEachIndexOnce();
    void probeMeasuresSomething();
};

void TestKernelSupport::rngIsPlatformIndependent()
{
    // SplitMix64 reference value for seed 0 (first output), as published with the algorithm.
    Rng rng(0);
    QCOMPARE(rng.next(), uint64_t{0xe220a8397b1dcdafULL});
}

void TestKernelSupport::tensorIsAligned()
{
    Tensor t(Shape{3, 5, 7});
    QCOMPARE(reinterpret_cast<std::uintptr_t>(t.data()) % 64, std::uintptr_t{0});
}

void TestKernelSupport::tensorCopyIsDeep()
{
    Tensor a = Tensor::random(Shape{4, 4}, 1);
    Tensor b = a;
    b[0] = 100.0f;
    QVERIFY(a[0] != 100.0f);
}

void TestKernelSupport::tensorResizeReusesStorage()
{
    Tensor t(Shape{10, 10});
    const float* before = t.data();
    t.resize(Shape{5, 10});
    QCOMPARE(t.data(), before);
}

void TestKernelSupport::randomFillIsSeeded()
{
    const Tensor a = Tensor::random(Shape{100}, 5), b = Tensor::random(Shape{100}, 5), c = Tensor::random(Shape{100}, 6);
    QCOMPARE(std::memcmp(a.data(), b.data(), 100 * sizeof(float)), 0);
    QVERIFY(std::memcmp(a.data(), c.data(), 100 * sizeof(float)) != 0);
}

void TestKernelSupport::parallelForCoversEachIndexOnce_data()
{
    QTest::addColumn<int>("pool");
    QTest::addColumn<int>("threads");
    QTest::addColumn<int>("count");
    QTest::newRow("1 thread") << 1 << 1 << 100;
    QTest::newRow("2 threads") << 2 << 2 << 101;
    QTest::newRow("4 threads, fewer tasks") << 4 << 4 << 3;
    QTest::newRow("pool of 4 used by 2") << 4 << 2 << 1000;
    QTest::newRow("more threads than pool") << 2 << 8 << 50;
}

void TestKernelSupport::parallelForCoversEachIndexOnce()
{
    QFETCH(int, pool);
    QFETCH(int, threads);
    QFETCH(int, count);
    ThreadPool tp(pool);
    std::vector<std::atomic<int>> hits(static_cast<std::size_t>(count));
    std::atomic<int> badWorker{0};
    for (int rep = 0; rep < 20; ++rep) {
        tp.parallelFor(count, threads, [&](int64_t b, int64_t e, int worker) {
            if (worker < 0 || worker >= std::min(threads, pool))
                badWorker.fetch_add(1);
            for (int64_t i = b; i < e; ++i)
                hits[static_cast<std::size_t>(i)].fetch_add(1);
        });
    }
    int wrong = 0;
    for (auto& h : hits)
        wrong += h.load() != 20;
    QCOMPARE(wrong, 0);
    QCOMPARE(badWorker.load(), 0);
}

void TestKernelSupport::parallelTasksCoversEachIndexOnce_data()
{
    parallelForCoversEachIndexOnce_data();
}

void TestKernelSupport::parallelTasksCoversEachIndexOnce()
{
    QFETCH(int, pool);
    QFETCH(int, threads);
    QFETCH(int, count);
    ThreadPool tp(pool);
    std::vector<std::atomic<int>> hits(static_cast<std::size_t>(count));
    for (int rep = 0; rep < 20; ++rep)
        tp.parallelTasks(count, threads, [&](int64_t b, int64_t e, int) {
            for (int64_t i = b; i < e; ++i)
                hits[static_cast<std::size_t>(i)].fetch_add(1);
        });
    int wrong = 0;
    for (auto& h : hits)
        wrong += h.load() != 20;
    QCOMPARE(wrong, 0);
}

void TestKernelSupport::probeMeasuresSomething()
{
    // Not a timing assertion: only that the probes run and return plausible, positive numbers.
    QVERIFY(!MachineProbe::cpuModel().empty());
    QVERIFY(MachineProbe::logicalCores() >= 1);
    QVERIFY(MachineProbe::peakGflops(1, 0.01) > 0.0);
    QVERIFY(MachineProbe::streamBandwidthGBs(1, 4u << 20, 1) > 0.0);
}

QTEST_GUILESS_MAIN(TestKernelSupport)
#include "tst_kernel_support.moc"

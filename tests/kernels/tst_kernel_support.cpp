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
    void cacheSizeTextParses();
    void probeWorkingSetsFollowTheCaches();
    void layersFindTheirLevelAndRoof();
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
    QVERIFY(MachineProbe::bandwidthGBs(1, 4 << 20, 0.01) > 0.0);
}

void TestKernelSupport::cacheSizeTextParses()
{
    // The forms /sys/devices/system/cpu/cpu0/cache/index*/size uses.
    QCOMPARE(MachineProbe::parseCacheSize("48K\n"), int64_t{48 * 1024});
    QCOMPARE(MachineProbe::parseCacheSize("1024K"), int64_t{1048576});
    QCOMPARE(MachineProbe::parseCacheSize("32M"), int64_t{32 * 1048576});
    QCOMPARE(MachineProbe::parseCacheSize("512"), int64_t{512});
    QCOMPARE(MachineProbe::parseCacheSize(""), int64_t{0});
    QCOMPARE(MachineProbe::parseCacheSize("K"), int64_t{0});
    QCOMPARE(MachineProbe::parseCacheSize("12X"), int64_t{0});
    QCOMPARE(MachineProbe::parseCacheSize("-4K"), int64_t{0});
}

void TestKernelSupport::probeWorkingSetsFollowTheCaches()
{
    // This machine's sysconf: L1d 48 KiB, L2 1 MiB, L3 508 MiB (532,676,608 bytes); 20 GiB free.
    CacheSizes c;
    c.l1 = 49152, c.l2 = 1048576, c.l3 = 532676608;
    auto ws = MachineProbe::probeWorkingSets(c, 1, int64_t{20} << 30);
    // L1: 48 KiB / 2 = 24,576 = 16 blocks of 1,536. L2: min(2·48 KiB, 1 MiB / 2) = 98,304 = 64 blocks.
    QCOMPARE(ws[0], int64_t{24576});
    QCOMPARE(ws[1], int64_t{98304});
    // L3: min(2 MiB, 508 MiB / 2) = 2,097,152 → whole blocks of 1,536: 1,365 · 1,536 = 2,096,640.
    QCOMPARE(ws[2], int64_t{2096640});
    // DRAM: max(2 · 508 MiB, 128 MiB) capped at min(256 MiB, 20 GiB / 8) = 268,435,456
    // → 174,762 blocks · 1,536 = 268,434,432.
    QCOMPARE(ws[3], int64_t{268434432});
    // Two threads: per thread; the DRAM total is split, 134,217,728 → 87,381 · 1,536 = 134,217,216.
    auto ws2 = MachineProbe::probeWorkingSets(c, 2, int64_t{20} << 30);
    QCOMPARE(ws2[0], int64_t{24576});
    QCOMPARE(ws2[3], int64_t{134217216});
    // Little free memory: DRAM capped at an eighth of 512 MiB = 64 MiB, but at least 4 × the L3
    // set (4 · 2,096,640 = 8,386,560) → 67,108,864 → 43,690 · 1,536 = 67,107,840.
    QCOMPARE(MachineProbe::probeWorkingSets(c, 1, int64_t{512} << 20)[3], int64_t{67107840});
}

void TestKernelSupport::layersFindTheirLevelAndRoof()
{
    MachineInfo m;
    m.caches.l1 = 48 << 10, m.caches.l2 = 1 << 20, m.caches.l3 = 32 << 20;
    Roofs one;
    one.threads = 1, one.peakGflops = 200, one.bandwidthGBs = {400, 150, 80, 20};
    Roofs two = one;
    two.threads = 2, two.peakGflops = 400, two.bandwidthGBs = {800, 300, 160, 30};
    m.roofs = {one, two};
    // A level counts up to twice its size. 90 KiB ≤ 2 · 48 KiB: L1; with 2 threads 180 KiB is 90 KiB
    // each: L1; 200 KiB is 100 KiB each: L2.
    QCOMPARE(m.levelFor(90 << 10, 1), MemoryLevel::L1);
    QCOMPARE(m.levelFor(180 << 10, 2), MemoryLevel::L1);
    QCOMPARE(m.levelFor(200 << 10, 2), MemoryLevel::L2);
    QCOMPARE(m.levelFor(3 << 20, 1), MemoryLevel::L3);  // > 2 MiB = 2 · L2
    QCOMPARE(m.levelFor(4 << 20, 2), MemoryLevel::L2);  // 2 MiB per core
    QCOMPARE(m.levelFor(int64_t{64} << 20, 2), MemoryLevel::L3);
    QCOMPARE(m.levelFor(int64_t{65} << 20, 2), MemoryLevel::Dram);
    // Roof = min(peak, bandwidth × intensity): 3 MiB at 0.25 op/B on 1 thread: L3 80 · 0.25 = 20;
    // at 10 op/B: min(200, 800) = 200; DRAM on 2 threads at 1 op/B: 30.
    QCOMPARE(m.roofGops(0.25, 3 << 20, 1), 20.0);
    QCOMPARE(m.roofGops(10, 3 << 20, 1), 200.0);
    QCOMPARE(m.roofGops(1, int64_t{65} << 20, 2), 30.0);
    // 4 threads use the 2-thread roofs (the most threads measured not above 4).
    QCOMPARE(m.roofsFor(4)->threads, 2);
    QCOMPARE(m.roofsFor(1)->threads, 1);
}

QTEST_GUILESS_MAIN(TestKernelSupport)
#include "tst_kernel_support.moc"

// Tests the statistics that say how far a latency can be trusted, and the /proc readers behind
// the foreign load, on synthetic samples and fixtures computed by hand.
#include "core/runner/Measurement.h"

#include <QTest>

using namespace nc::core;

class TestMeasurement : public QObject {
    Q_OBJECT
private slots:
    void oddCountStatistics();
    void evenCountTakesTheUpperMiddle();
    void quietSamplesAreNotNoisy();
    void emptySamples();
    void procStatFixture();
    void procStatRejectsGarbage();
    void pidStatWithParenthesesInTheName();
    void pidStatRejectsTruncatedLines();
    void foreignLoadIsOthersShareOfAllCpuTime();
    void liveSampleReadsThisMachine();
};

void TestMeasurement::oddCountStatistics()
{
    // {5, 1, 3, 2, 4} sorted 1 2 3 4 5: median sorted[2] = 3; p90 sorted[floor(0.9·5) = 4] = 5;
    // mean 3; population variance (4 + 1 + 0 + 1 + 4) / 5 = 2, sd √2 = 1.414214, cv √2/3 = 0.471405;
    // spread 5/3 = 1.666667 → noisy (> 1.25).
    SampleStats s = summarize({5, 1, 3, 2, 4});
    QCOMPARE(s.count, 5);
    QCOMPARE(s.median, 3.0);
    QCOMPARE(s.p90, 5.0);
    QCOMPARE(s.mean, 3.0);
    QVERIFY(std::abs(s.cv - 0.471405) < 1e-6);
    QVERIFY(std::abs(s.spread - 5.0 / 3.0) < 1e-12);
    QVERIFY(isNoisy(s));
}

void TestMeasurement::evenCountTakesTheUpperMiddle()
{
    // {4, 1, 3, 2}: sorted 1 2 3 4, median sorted[2] = 3, p90 sorted[min(3, floor(3.6) = 3)] = 4.
    SampleStats s = summarize({4, 1, 3, 2});
    QCOMPARE(s.median, 3.0);
    QCOMPARE(s.p90, 4.0);
}

void TestMeasurement::quietSamplesAreNotNoisy()
{
    // Nine 10 µs and one 11 µs: median sorted[5] = 10, p90 sorted[9] = 11, spread 1.1; mean 10.1,
    // variance (9 · 0.01 + 0.81) / 10 = 0.09, sd 0.3, cv 0.3 / 10.1 = 0.029703 → not noisy.
    SampleStats s = summarize({10, 10, 11, 10, 10, 10, 10, 10, 10, 10});
    QCOMPARE(s.median, 10.0);
    QCOMPARE(s.p90, 11.0);
    QVERIFY(std::abs(s.spread - 1.1) < 1e-12);
    QVERIFY(std::abs(s.cv - 0.029703) < 1e-6);
    QVERIFY(!isNoisy(s));
    // One outlier of 100 µs after ten of 10 µs: p90 = sorted[floor(9.9) = 9] = 10 still, but the cv
    // is large: mean 200/11 = 18.1818; Σ(x − m)² = 10 · 8.1818² + 81.8182² = 669.42 + 6,694.21 =
    // 7,363.64; /11 = 669.42; sd 25.8732 → cv 1.42302. The median and p90 are unmoved: not noisy.
    SampleStats o = summarize({10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 100});
    QCOMPARE(o.p90, 10.0);
    QVERIFY(std::abs(o.cv - 1.42302) < 1e-5);
    QVERIFY(!isNoisy(o));
    // Two slow samples in ten: p90 = sorted[9] = 30, spread 3 → noisy.
    QVERIFY(isNoisy(summarize({10, 10, 10, 10, 10, 10, 10, 10, 30, 30})));
}

void TestMeasurement::emptySamples()
{
    SampleStats s = summarize({});
    QCOMPARE(s.count, 0);
    QCOMPARE(s.spread, 0.0);
    QVERIFY(!isNoisy(s));
}

void TestMeasurement::procStatFixture()
{
    // A real /proc/stat layout (Linux 5.x, 2 CPUs). busy = user 4705 + nice 150 + system 1120 +
    // irq 30 + softirq 45 + steal 10 = 6,060; total = 6,060 + idle 16,250 + iowait 520 = 22,830.
    const char* fixture = "cpu  4705 150 1120 16250 520 30 45 10 0 0\n"
                          "cpu0 2400 70 560 8100 260 15 20 5 0 0\n"
                          "cpu1 2305 80 560 8150 260 15 25 5 0 0\n"
                          "intr 123456 0 0\n"
                          "ctxt 987654\n";
    auto t = parseProcStat(fixture);
    QVERIFY(t);
    QCOMPARE(t->busy, int64_t{6060});
    QCOMPARE(t->total, int64_t{22830});
    // guest columns are part of user and nice already: 99 guest ticks change nothing.
    auto g = parseProcStat("cpu  4705 150 1120 16250 520 30 45 10 99 0\n");
    QCOMPARE(g->busy, int64_t{6060});
}

void TestMeasurement::procStatRejectsGarbage()
{
    QVERIFY(!parseProcStat(""));
    QVERIFY(!parseProcStat("cpu0 1 2 3 4 5 6 7\n"));    // not the summary line
    QVERIFY(!parseProcStat("cpu  1 2 3\n"));            // too few columns
    QVERIFY(!parseProcStat("cpu  1 2 x 4 5 6 7 8\n"));  // not a number
    QVERIFY(!parseProcStat("cpu  1 2 -3 4 5 6 7 8\n")); // negative
}

void TestMeasurement::pidStatWithParenthesesInTheName()
{
    // Fields after the name: state S, ppid 1, pgrp 1234, session 1234, tty 0, tpgid −1, flags
    // 4194304, minflt 100, cminflt 0, majflt 0, cmajflt 0, utime 250, stime 37 → 287 ticks.
    const char* fixture = "1234 (my (odd) app) S 1 1234 1234 0 -1 4194304 100 0 0 0 250 37 0 0 20 0 3 0 100 "
                          "123456 789 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";
    auto t = parseProcPidStat(fixture);
    QVERIFY(t);
    QCOMPARE(*t, int64_t{287});
}

void TestMeasurement::pidStatRejectsTruncatedLines()
{
    QVERIFY(!parseProcPidStat("1234 (app) S 1 2 3"));
    QVERIFY(!parseProcPidStat("no parenthesis 1 2 3 4 5 6 7 8 9 10 11 12 13 14"));
}

void TestMeasurement::foreignLoadIsOthersShareOfAllCpuTime()
{
    // Between the samples: 400 ticks passed over all CPUs, 300 of them busy, 100 ours → others used
    // 200 / 400 = 0.5 of the machine.
    CpuSample a{{1000, 4000}, 100, true}, b{{1300, 4400}, 200, true};
    QCOMPARE(foreignLoad(a, b), 0.5);
    // Ours only: 0. Invalid or no time passed: 0.
    CpuSample c{{1100, 4400}, 200, true};
    QCOMPARE(foreignLoad(a, c), 0.0);
    QCOMPARE(foreignLoad(a, a), 0.0);
    QCOMPARE(foreignLoad(CpuSample{}, b), 0.0);
}

void TestMeasurement::liveSampleReadsThisMachine()
{
    CpuSample s = sampleCpu();
    QVERIFY(s.valid);
    QVERIFY(s.machine.total >= s.machine.busy);
    QVERIFY(s.self >= 0);
}

QTEST_GUILESS_MAIN(TestMeasurement)
#include "tst_measurement.moc"

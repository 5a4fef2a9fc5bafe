// The Eigen backend's own GEMM (GemmKernel, PrepackedGemm) against a naive triple loop.
//
// Sizes are chosen off the micro-kernel's tile (MR = 8 or 4 rows, NR = 3 packets of columns) and
// depth block (256): 1, 7, 17, 33, 100 and 513 leave a remainder in every direction, so the
// partial tiles, the packet-tail columns, the zero-padded panel rows and the last depth block
// are all exercised. Every operand is also taken strided or transposed as the callers use it.
#include "kernels/GemmKernel.h"
#include "kernels/PrepackedGemm.h"
#include "kernels/Tensor.h"

#include <QtTest>

#include <cmath>
#include <limits>
#include <cstdint>
#include <vector>

using namespace nc::core::kernels;
namespace gemm = nc::core::kernels::eigen::gemm;
using eigen::PrepackedGemm;

namespace {

// Largest |c − ref| / Σ_k |a_ik·b_kj| over C: the error relative to the magnitude the sum was
// built from, so it does not blow up where terms cancel. Float accumulation of k terms stays
// around k·2⁻²⁴ ≈ 3e-5 at k = 513 in the worst case; in practice (random signs) far below.
struct Ref {
    std::vector<double> value, magnitude;
};
// C[i][j] = c0[i][j] + Σ_k A(i, k)·B(k, j), element accessors given as lambdas.
template <typename FA, typename FB>
Ref naive(int64_t m, int64_t n, int64_t k, FA a, FB b, const std::vector<float>& c0)
{
    Ref r{std::vector<double>(static_cast<std::size_t>(m * n)), std::vector<double>(static_cast<std::size_t>(m * n))};
    for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < n; ++j) {
            double s = c0[static_cast<std::size_t>(i * n + j)], mag = std::abs(s);
            for (int64_t kk = 0; kk < k; ++kk) {
                const double t = static_cast<double>(a(i, kk)) * static_cast<double>(b(kk, j));
                s += t;
                mag += std::abs(t);
            }
            r.value[static_cast<std::size_t>(i * n + j)] = s;
            r.magnitude[static_cast<std::size_t>(i * n + j)] = mag;
        }
    return r;
}
// got(i, j) against ref.
template <typename F>
double worstError(int64_t m, int64_t n, const Ref& ref, F got)
{
    double worst = 0.0;
    for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < n; ++j) {
            const auto idx = static_cast<std::size_t>(i * n + j);
            const double err = std::abs(static_cast<double>(got(i, j)) - ref.value[idx]) /
                               std::max(ref.magnitude[idx], 1e-30);
            worst = std::max(worst, std::isnan(err) ? 1.0 : err);
        }
    return worst;
}

std::vector<float> randomVector(int64_t n, uint64_t seed)
{
    const Tensor t = Tensor::random(Shape{std::max<int64_t>(n, 1)}, seed);
    return std::vector<float>(t.data(), t.data() + n);
}

} // namespace

class TestGemmKernel : public QObject {
    Q_OBJECT

private slots:
    void handComputedProduct();
    void packedProductMatchesNaive_data();
    void packedProductMatchesNaive();
    void prepackedRightMatchesNaive_data();
    void prepackedRightMatchesNaive();
    void prepackedLeftMatchesNaive_data();
    void prepackedLeftMatchesNaive();
    void packedPixelsMatchRowMajor();
};

// [1 2 3; 4 5 6] · [7 8; 9 10; 11 12] = [1·7+2·9+3·11, 1·8+2·10+3·12; 4·7+5·9+6·11, 4·8+5·10+6·12]
//                                      = [58 64; 139 154], added to C = [1 1; 1 1].
void TestGemmKernel::handComputedProduct()
{
    const std::vector<float> a{1, 2, 3, 4, 5, 6}, b{7, 8, 9, 10, 11, 12};
    std::vector<float> c{1, 1, 1, 1};
    std::vector<float> pa(static_cast<std::size_t>(gemm::packedAFloats(2, 3)));
    std::vector<float> pb(static_cast<std::size_t>(gemm::packedBFloats(3, 2)));
    gemm::packA({a.data(), 3, 1}, 2, 3, pa.data());
    gemm::packB({b.data(), 2, 1}, 3, 2, pb.data());
    gemm::multiplyPacked(2, 2, 3, pa.data(), pb.data(), c.data(), 2, 1);
    QCOMPARE(c[0], 59.0f);
    QCOMPARE(c[1], 65.0f);
    QCOMPARE(c[2], 140.0f);
    QCOMPARE(c[3], 155.0f);
}

void TestGemmKernel::packedProductMatchesNaive_data()
{
    QTest::addColumn<int>("m");
    QTest::addColumn<int>("n");
    QTest::addColumn<int>("k");
    QTest::addColumn<bool>("transposed"); // A, B and C all taken through their transposes
    const int sizes[][3] = {{1, 1, 1},   {7, 17, 33},  {17, 33, 7},  {33, 100, 17}, {100, 7, 513},
                            {8, 48, 256}, {9, 49, 257}, {513, 33, 1}, {1, 513, 100}, {100, 100, 100}};
    for (const auto& s : sizes)
        for (bool t : {false, true})
            QTest::newRow(QString("%1x%2x%3%4").arg(s[0]).arg(s[1]).arg(s[2]).arg(t ? " T" : "").toUtf8())
                << s[0] << s[1] << s[2] << t;
}

// One depth block at a time, as the callers do (blocks of depthBlock(k)); leading dimensions
// larger than the matrices so a stride mix-up reads the wrong values.
void TestGemmKernel::packedProductMatchesNaive()
{
    QFETCH(int, m);
    QFETCH(int, n);
    QFETCH(int, k);
    QFETCH(bool, transposed);
    const int64_t lda = (transposed ? m : k) + 3, ldb = (transposed ? k : n) + 5, ldc = (transposed ? m : n) + 2;
    const std::vector<float> a = randomVector(lda * (transposed ? k : m), 1);
    const std::vector<float> b = randomVector(ldb * (transposed ? n : k), 2);
    const std::vector<float> cInit = randomVector(ldc * (transposed ? n : m), 3);
    // Element views: A(i, kk), B(kk, j), C(i, j) at rs·row + cs·col.
    const int64_t ars = transposed ? 1 : lda, acs = transposed ? lda : 1;
    const int64_t brs = transposed ? 1 : ldb, bcs = transposed ? ldb : 1;
    const int64_t crs = transposed ? 1 : ldc, ccs = transposed ? ldc : 1;
    std::vector<float> c0(static_cast<std::size_t>(m * n));
    for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < n; ++j)
            c0[static_cast<std::size_t>(i * n + j)] = cInit[static_cast<std::size_t>(i * crs + j * ccs)];
    const Ref ref = naive(
        m, n, k, [&](int64_t i, int64_t kk) { return a[static_cast<std::size_t>(i * ars + kk * acs)]; },
        [&](int64_t kk, int64_t j) { return b[static_cast<std::size_t>(kk * brs + j * bcs)]; }, c0);

    std::vector<float> c = cInit;
    const int64_t kc = gemm::depthBlock(k);
    std::vector<float> pa(static_cast<std::size_t>(gemm::packedAFloats(m, kc)));
    std::vector<float> pb(static_cast<std::size_t>(gemm::packedBFloats(kc, n)));
    for (int64_t k2 = 0; k2 < k; k2 += kc) {
        const int64_t akc = std::min<int64_t>(kc, k - k2);
        gemm::packA({a.data() + k2 * acs, ars, acs}, m, akc, pa.data());
        gemm::packB({b.data() + k2 * brs, brs, bcs}, akc, n, pb.data());
        gemm::multiplyPacked(m, n, akc, pa.data(), pb.data(), c.data(), crs, ccs);
    }
    const double err = worstError(m, n, ref, [&](int64_t i, int64_t j) { return c[static_cast<std::size_t>(i * crs + j * ccs)]; });
    QVERIFY2(err < 1e-5, qPrintable(QString("relative error %1").arg(err)));
    // Padding of C between the rows (the leading-dimension slack) is left alone.
    if (!transposed && n + 2 == ldc && m > 0)
        QCOMPARE(c[static_cast<std::size_t>(n)], cInit[static_cast<std::size_t>(n)]);
}

void TestGemmKernel::prepackedRightMatchesNaive_data()
{
    QTest::addColumn<int>("m");
    QTest::addColumn<int>("n");
    QTest::addColumn<int>("k");
    QTest::addColumn<int>("side");
    QTest::addColumn<bool>("bias");
    const int sizes[][3] = {{1, 1, 1}, {7, 33, 17}, {17, 100, 513}, {64, 49, 300}, {33, 7, 100}, {100, 513, 33}};
    for (const auto& s : sizes)
        for (int side : {0, 1, 2})
            for (bool bias : {false, true})
                QTest::newRow(QString("%1x%2x%3 side %4%5").arg(s[0]).arg(s[1]).arg(s[2]).arg(side).arg(bias ? " bias" : "").toUtf8())
                    << s[0] << s[1] << s[2] << side << bias;
}

// Y's tile set to NaN: a run that starts from the bias must never read it.
std::vector<float> nanTile(std::vector<float> y, int64_t rows, int64_t cols, int64_t ld)
{
    for (int64_t i = 0; i < rows; ++i)
        std::fill(y.begin() + i * ld, y.begin() + i * ld + cols, std::numeric_limits<float>::quiet_NaN());
    return y;
}

// Right mode: Y[m × n] += W[m × k] · B[k × n], W prepared once for up to n + 5 columns; run
// with the n columns of a wider B and Y (the convolution's tile inside a whole image). With a
// bias, Y[i][j] = bias[i] + (W · B)[i][j] whatever Y held.
void TestGemmKernel::prepackedRightMatchesNaive()
{
    QFETCH(int, m);
    QFETCH(int, n);
    QFETCH(int, k);
    QFETCH(int, side);
    QFETCH(bool, bias);
    const int64_t ldw = k + 1, ldb = n + 4, ldy = n + 6;
    const std::vector<float> w = randomVector(ldw * m, 4), b = randomVector(ldb * k, 5);
    const std::vector<float> biasValues = randomVector(m, 12);
    const std::vector<float> yInit = bias ? nanTile(randomVector(ldy * m, 6), m, n, ldy) : randomVector(ldy * m, 6);
    std::vector<float> y0(static_cast<std::size_t>(m * n));
    for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < n; ++j)
            y0[static_cast<std::size_t>(i * n + j)] =
                bias ? biasValues[static_cast<std::size_t>(i)] : yInit[static_cast<std::size_t>(i * ldy + j)];
    const Ref ref = naive(
        m, n, k, [&](int64_t i, int64_t kk) { return w[static_cast<std::size_t>(i * ldw + kk)]; },
        [&](int64_t kk, int64_t j) { return b[static_cast<std::size_t>(kk * ldb + j)]; }, y0);

    PrepackedGemm g;
    g.prepare(PrepackedGemm::Mode::Right, w.data(), ldw, m, k, n + 5, static_cast<PrepackedGemm::WeightSide>(side));
    std::vector<float> work(static_cast<std::size_t>(g.workspaceFloats()));
    std::vector<float> y = yInit;
    g.run(n, b.data(), ldb, y.data(), ldy, work.data(), bias ? biasValues.data() : nullptr);
    const double err = worstError(m, n, ref, [&](int64_t i, int64_t j) { return y[static_cast<std::size_t>(i * ldy + j)]; });
    QVERIFY2(err < 1e-5, qPrintable(QString("relative error %1 (%2)").arg(err).arg(QString::fromStdString(g.orientation()))));
    QCOMPARE(y[static_cast<std::size_t>(n)], yInit[static_cast<std::size_t>(n)]); // slack untouched

    // The same product with B's rows given as pointers (the implicit im2col) where the
    // orientation allows it.
    if (g.takesPackedPixels()) {
        std::vector<const float*> rows(static_cast<std::size_t>(k));
        std::vector<float> bPadded(static_cast<std::size_t>(ldb * k + 64), 0.0f); // rows read a packet past n
        std::copy(b.begin(), b.end(), bPadded.begin());
        for (int64_t kk = 0; kk < k; ++kk)
            rows[static_cast<std::size_t>(kk)] = bPadded.data() + kk * ldb;
        std::vector<float> yRows = yInit;
        g.runPixelRows(n, rows.data(), yRows.data(), ldy, bias ? biasValues.data() : nullptr);
        const double errRows =
            worstError(m, n, ref, [&](int64_t i, int64_t j) { return yRows[static_cast<std::size_t>(i * ldy + j)]; });
        QVERIFY2(errRows < 1e-5, qPrintable(QString("pixel rows: relative error %1").arg(errRows)));
    }
}

void TestGemmKernel::prepackedLeftMatchesNaive_data()
{
    QTest::addColumn<int>("m");
    QTest::addColumn<int>("n");
    QTest::addColumn<int>("k");
    QTest::addColumn<bool>("bias");
    const int sizes[][3] = {{1, 1, 1}, {7, 2, 17}, {33, 17, 513}, {100, 64, 100}, {513, 7, 33}};
    for (const auto& s : sizes)
        for (bool bias : {false, true})
            QTest::newRow(QString("%1x%2x%3%4").arg(s[0]).arg(s[1]).arg(s[2]).arg(bias ? " bias" : "").toUtf8())
                << s[0] << s[1] << s[2] << bias;
}

// Left mode (linear layer): Y[n × m] += X[n × k] · Wᵀ with W [m × k]; with a bias,
// Y[r][o] = bias[o] + (X · Wᵀ)[r][o] whatever Y held.
void TestGemmKernel::prepackedLeftMatchesNaive()
{
    QFETCH(int, m);
    QFETCH(int, n);
    QFETCH(int, k);
    QFETCH(bool, bias);
    const int64_t ldw = k + 2, ldx = k + 3, ldy = m + 1;
    const std::vector<float> w = randomVector(ldw * m, 7), x = randomVector(ldx * n, 8);
    const std::vector<float> biasValues = randomVector(m, 13);
    const std::vector<float> yInit = bias ? nanTile(randomVector(ldy * n, 9), n, m, ldy) : randomVector(ldy * n, 9);
    std::vector<float> y0(static_cast<std::size_t>(n * m));
    for (int64_t r = 0; r < n; ++r)
        for (int64_t o = 0; o < m; ++o)
            y0[static_cast<std::size_t>(r * m + o)] =
                bias ? biasValues[static_cast<std::size_t>(o)] : yInit[static_cast<std::size_t>(r * ldy + o)];
    const Ref ref = naive(
        n, m, k, [&](int64_t r, int64_t kk) { return x[static_cast<std::size_t>(r * ldx + kk)]; },
        [&](int64_t kk, int64_t o) { return w[static_cast<std::size_t>(o * ldw + kk)]; }, y0);

    PrepackedGemm g;
    g.prepare(PrepackedGemm::Mode::Left, w.data(), ldw, m, k, n);
    std::vector<float> work(static_cast<std::size_t>(g.workspaceFloats()));
    std::vector<float> y = yInit;
    g.run(n, x.data(), ldx, y.data(), ldy, work.data(), bias ? biasValues.data() : nullptr);
    const double err = worstError(n, m, ref, [&](int64_t r, int64_t o) { return y[static_cast<std::size_t>(r * ldy + o)]; });
    QVERIFY2(err < 1e-5, qPrintable(QString("relative error %1").arg(err)));
}

// The im2col path writes B straight into the panels at packedPixelOffset: scattering a
// row-major B there and running on it must give what run() gives on the row-major B.
void TestGemmKernel::packedPixelsMatchRowMajor()
{
    const int64_t m = 17, n = 100, k = 513;
    const std::vector<float> w = randomVector(m * k, 10), b = randomVector(k * n, 11);
    PrepackedGemm g;
    g.prepare(PrepackedGemm::Mode::Right, w.data(), k, m, k, n, PrepackedGemm::WeightSide::Broadcast);
    QVERIFY(g.takesPackedPixels());
    std::vector<float> packed(static_cast<std::size_t>(g.packedPixelFloats(n)), 0.0f);
    for (int64_t kk = 0; kk < k; ++kk)
        for (int64_t i = 0; i < n; ++i) {
            const int64_t at = g.packedPixelOffset(kk, i, n);
            QVERIFY(at >= 0 && at < static_cast<int64_t>(packed.size()));
            packed[static_cast<std::size_t>(at)] = b[static_cast<std::size_t>(kk * n + i)];
        }
    std::vector<float> work(static_cast<std::size_t>(g.workspaceFloats()));
    std::vector<float> yRun(static_cast<std::size_t>(m * n), 0.5f), yPacked = yRun;
    g.run(n, b.data(), n, yRun.data(), n, work.data());
    g.runPackedPixels(n, packed.data(), yPacked.data(), n);
    QCOMPARE(yPacked, yRun);
    // Starting from a bias instead of Y: the same product, Y's old contents (NaN) never read.
    const std::vector<float> bias = randomVector(m, 14);
    std::vector<float> yBias(static_cast<std::size_t>(m * n), std::numeric_limits<float>::quiet_NaN());
    g.runPackedPixels(n, packed.data(), yBias.data(), n, bias.data());
    for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < n; ++j) {
            const auto at = static_cast<std::size_t>(i * n + j);
            QVERIFY(std::abs(yBias[at] - (yRun[at] - 0.5f + bias[static_cast<std::size_t>(i)])) < 1e-4f);
        }
}

QTEST_GUILESS_MAIN(TestGemmKernel)
#include "tst_gemm_kernel.moc"

// tst_screenshot: `netcanvas --screenshot OUT.png [FILE]` renders the main window at 1600×1000 without a
// display and exits; a damaged FILE fails with the reason instead of hanging on a dialog.
#include "core/NetworkFile.h"
#include "core/Zoo.h"

#include <QImage>
#include <QProcess>
#include <QSet>
#include <QTemporaryDir>
#include <QtTest>

class TestScreenshot : public QObject {
    Q_OBJECT
private slots:
    void rendersExample();
    void rendersFile();
    void damagedFileFails();

private:
    int run(const QStringList& args, QString* err = nullptr)
    {
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert("QT_QPA_PLATFORM", "offscreen");
        env.insert("XDG_CONFIG_HOME", m_dir.filePath("config"));
        env.insert("XDG_DATA_HOME", m_dir.filePath("data"));
        p.setProcessEnvironment(env);
        p.start(QStringLiteral(NC_NETCANVAS_EXE), args);
        if (!p.waitForFinished(60000))
            return -1;
        if (err)
            *err = QString::fromUtf8(p.readAllStandardError());
        return p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    }
    // A real picture, not a blank: many distinct colours.
    static int colours(const QImage& img)
    {
        QSet<QRgb> seen;
        for (int y = 0; y < img.height(); y += 7)
            for (int x = 0; x < img.width(); x += 7)
                seen.insert(img.pixel(x, y));
        return static_cast<int>(seen.size());
    }
    QTemporaryDir m_dir;
};

void TestScreenshot::rendersExample()
{
    const QString out = m_dir.filePath("example.png");
    QCOMPARE(run({"--screenshot", out}), 0);
    QImage img(out);
    QCOMPARE(img.size(), QSize(1600, 1000));
    QVERIFY(colours(img) > 50);
}

void TestScreenshot::rendersFile()
{
    auto net = nc::core::loadZoo("vgg16");
    QVERIFY(net);
    const QString file = m_dir.filePath("vgg.json");
    QVERIFY(nc::core::saveNetwork(*net, file));
    const QString out = m_dir.filePath("vgg.png");
    QCOMPARE(run({"--screenshot", out, "--select", "fc1", file}), 0);
    QCOMPARE(QImage(out).size(), QSize(1600, 1000));
}

void TestScreenshot::damagedFileFails()
{
    const QString file = m_dir.filePath("broken.json");
    QFile f(file);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("{ not json");
    f.close();
    QString err;
    QCOMPARE(run({"--screenshot", m_dir.filePath("broken.png"), file}, &err), 1);
    QVERIFY2(err.contains("not valid JSON"), qPrintable(err));
    QVERIFY(!QFile::exists(m_dir.filePath("broken.png")));
}

QTEST_GUILESS_MAIN(TestScreenshot)
#include "tst_screenshot.moc"

// Saving is atomic even when the process dies mid-save: a saver is killed with SIGKILL at random
// moments, and after every kill the target must hold one complete version, byte for byte.
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QRandomGenerator>
#include <QThread>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <csignal>
#include <sys/types.h>

namespace {

QByteArray readAll(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

bool waitForLine(QProcess& p, const QByteArray& line)
{
    while (!p.canReadLine())
        if (!p.waitForReadyRead(60000))
            return false;
    return p.readLine().trimmed() == line;
}

// Starts the hammer, times one save after the first, and kills it at a random moment within the
// next two saves' span (one of each version), so over many kills every phase of a save (open,
// write, flush, rename) is hit, and either version may be the last whole one.
void killMidSave(const QString& mode, const QString& target, const QString& refDir, QRandomGenerator& rng)
{
    QProcess p;
    p.start(NC_SAVE_HAMMER, {mode, target, refDir});
    QVERIFY2(p.waitForStarted(), qPrintable(p.errorString()));
    QVERIFY2(waitForLine(p, "ready"), "the hammer never became ready");
    QVERIFY2(waitForLine(p, "saved"), "the hammer never saved");
    QElapsedTimer t;
    t.start();
    QVERIFY2(waitForLine(p, "saved"), "the hammer never saved twice");
    const auto span = std::max<qint64>(1, t.elapsed());
    QThread::msleep(static_cast<unsigned long>(rng.bounded(2 * span)));
    ::kill(static_cast<pid_t>(p.processId()), SIGKILL);
    QVERIFY(p.waitForFinished(10000));
    QCOMPARE(p.exitStatus(), QProcess::CrashExit); // killed while saving, not finished on its own
}

} // namespace

class SaveKill : public QObject {
    Q_OBJECT
private slots:
    void saveSurvivesSigkill()
    {
        QTemporaryDir dir;
        const QString target = dir.filePath("design.json");
        QRandomGenerator rng(20261205);
        int sawA = 0, sawB = 0;
        const int kills = 20;
        for (int i = 0; i < kills; ++i) {
            killMidSave("save", target, dir.path(), rng);
            if (QTest::currentTestFailed())
                return;
            const QByteArray a = readAll(dir.filePath("a.json")), b = readAll(dir.filePath("b.json"));
            QVERIFY(a.size() > 3'000'000); // a large design, so a kill lands mid-write
            const QByteArray got = readAll(target);
            QVERIFY2(got == a || got == b, qPrintable(QString("kill %1 left a torn file of %2 bytes")
                                                          .arg(i).arg(got.size())));
            (got == a ? sawA : sawB)++;
        }
        // Both versions were seen, so the kills landed between saves of each kind, not in one spot.
        QVERIFY2(sawA > 0 && sawB > 0, qPrintable(QString("a %1, b %2").arg(sawA).arg(sawB)));
        // No temporary file is mistaken for a design: QSaveFile's leftovers carry another name.
        for (const QString& f : QDir(dir.path()).entryList({"*.json"}, QDir::Files))
            QVERIFY2(f == "design.json" || f == "a.json" || f == "b.json", qPrintable(f));
    }

    void autosaveSurvivesSigkill()
    {
        QTemporaryDir refs, store;
        QRandomGenerator rng(7);
        for (int i = 0; i < 12; ++i) {
            killMidSave("recovery", store.path(), refs.path(), rng);
            if (QTest::currentTestFailed())
                return;
            const QByteArray a = readAll(refs.filePath("a.json")), b = readAll(refs.filePath("b.json"));
            // Every recovery copy the killed instances left must be whole: it is what the next start
            // offers the user.
            for (const QString& f : QDir(store.path()).entryList({"recovery-*.json"}, QDir::Files)) {
                const QByteArray got = readAll(store.filePath(f));
                QVERIFY2(got == a || got == b,
                         qPrintable(QString("kill %1 left %2 torn (%3 bytes)").arg(i).arg(f).arg(got.size())));
            }
        }
    }
};

QTEST_GUILESS_MAIN(SaveKill)
#include "tst_savekill.moc"

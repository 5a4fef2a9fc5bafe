// RecoveryStore: per-instance autosave files and orphan detection.
#include "RecoveryStore.h"

#include "core/NetworkFile.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>
#include <QUuid>

#include <algorithm>

namespace nc::app {

RecoveryStore::RecoveryStore(QString dir) : m_dir(std::move(dir))
{
    QDir().mkpath(m_dir);
    const QString stem = QString("recovery-%1-%2")
                             .arg(QCoreApplication::applicationPid())
                             .arg(QUuid::createUuid().toString(QUuid::Id128).left(8));
    m_design = QDir(m_dir).filePath(stem + ".json");
    m_meta = QDir(m_dir).filePath(stem + ".meta");
    m_lock = std::make_unique<QLockFile>(QDir(m_dir).filePath(stem + ".lock"));
    m_lock->setStaleLockTime(0); // only a dead owner makes it stale, never its age
    (void)m_lock->tryLock(0);
}

RecoveryStore::~RecoveryStore()
{
    discard();
    m_lock->unlock();
}

bool RecoveryStore::write(const core::Network& net, const QString& originalPath)
{
    QSaveFile f(m_design);
    if (!f.open(QIODevice::WriteOnly))
        return false;
    f.write(core::serializeNetwork(net));
    if (!f.commit())
        return false;
    QSaveFile m(m_meta);
    if (!m.open(QIODevice::WriteOnly))
        return false;
    QJsonObject o;
    o["original"] = originalPath;
    m.write(QJsonDocument(o).toJson());
    return m.commit();
}

void RecoveryStore::discard()
{
    QFile::remove(m_design);
    QFile::remove(m_meta);
}

bool RecoveryStore::hasCopy() const { return QFileInfo::exists(m_design); }

std::vector<RecoveryStore::Orphan> RecoveryStore::orphans() const
{
    std::vector<Orphan> out;
    const QDir dir(m_dir);
    for (const QFileInfo& fi : dir.entryInfoList({"recovery-*.json"}, QDir::Files)) {
        if (fi.absoluteFilePath() == QFileInfo(m_design).absoluteFilePath())
            continue;
        const QString stem = fi.completeBaseName();
        QLockFile lock(dir.filePath(stem + ".lock"));
        lock.setStaleLockTime(0);
        if (!lock.tryLock(0))
            continue; // its instance is still running
        lock.unlock();
        Orphan o;
        o.designPath = fi.absoluteFilePath();
        o.saved = fi.lastModified();
        QFile meta(dir.filePath(stem + ".meta"));
        if (meta.open(QIODevice::ReadOnly))
            o.originalPath = QJsonDocument::fromJson(meta.readAll()).object().value("original").toString();
        if (auto net = core::loadNetwork(o.designPath))
            o.name = QString::fromStdString(net->name.empty() ? std::string("untitled") : net->name);
        if (o.name.isEmpty()) {
            discard(o); // unreadable (cut short by the crash itself): nothing to offer
            continue;
        }
        out.push_back(o);
    }
    std::sort(out.begin(), out.end(), [](const Orphan& a, const Orphan& b) { return a.saved > b.saved; });
    return out;
}

void RecoveryStore::discard(const Orphan& o)
{
    QFile::remove(o.designPath);
    const QFileInfo fi(o.designPath);
    QFile::remove(fi.dir().filePath(fi.completeBaseName() + ".meta"));
}

} // namespace nc::app

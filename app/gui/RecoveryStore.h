// RecoveryStore: autosaved copies of unsaved designs, one per running instance, so the next start after
// a crash can offer them back. An instance marks its copy with a QLockFile; a copy whose lock is stale
// (its process is gone) is an orphan to offer.
#pragma once

#include "core/Network.h"

#include <QDateTime>
#include <QLockFile>
#include <QString>

#include <memory>
#include <vector>

namespace nc::app {

class RecoveryStore {
public:
    struct Orphan {
        QString designPath;   // the autosaved design
        QString originalPath; // the file it was a modified copy of ("" when never saved)
        QString name;         // the network's name
        QDateTime saved;
    };

    // Creates `dir` if needed. Owned by the main window; GUI thread only.
    explicit RecoveryStore(QString dir);
    ~RecoveryStore();

    // Atomically replaces this instance's copy. False when the directory is not writable.
    bool write(const core::Network& net, const QString& originalPath);
    // Removes this instance's copy (the design was saved or closed cleanly).
    void discard();
    bool hasCopy() const;
    QString path() const { return m_design; }

    // Copies left by instances that are no longer running, newest first.
    std::vector<Orphan> orphans() const;
    static void discard(const Orphan& o);

private:
    QString m_dir;
    QString m_design;
    QString m_meta;
    std::unique_ptr<QLockFile> m_lock;
};

} // namespace nc::app

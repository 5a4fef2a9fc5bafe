// save_hammer: the victim process of tst_savekill. It writes the two versions it will alternate between
// (reference copies, written once and plainly), prints "ready", then saves them to the target over and
// over until it is killed, the way a user's repeated Ctrl+S or the autosave timer would.
//   save_hammer save TARGET.json REFDIR      through core::saveNetwork
//   save_hammer recovery DIR REFDIR          through the GUI's RecoveryStore (autosave)
#include "app/gui/RecoveryStore.h"
#include "core/ModelBuilder.h"
#include "core/NetworkFile.h"

#include <QCoreApplication>
#include <QFile>

#include <cstdio>
#include <cstring>

namespace {

// About 4 MB as JSON, like the designs the report killed saves of: a long chain of
// conv/bn/relu triples. `variant` changes every layer's name so a torn file cannot equal either copy.
nc::core::Network bigDesign(char variant)
{
    nc::core::ModelBuilder b(std::string("hammer-") + variant);
    nc::core::NodeId x = b.input({8, 32, 32});
    for (int i = 0; i < 2500; ++i) {
        const std::string n = std::string(1, variant) + std::to_string(i);
        x = b.relu(b.batchNorm(b.conv(x, 8, 3, 1, 1, 1, false, "conv" + n), "bn" + n), "relu" + n);
    }
    return b.finish();
}

bool writePlain(const QString& path, const QByteArray& data)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly) && f.write(data) == data.size();
}

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    if (argc != 4)
        return 2;
    const bool recovery = std::strcmp(argv[1], "recovery") == 0;
    const QString target = QString::fromLocal8Bit(argv[2]);
    const QString refDir = QString::fromLocal8Bit(argv[3]);
    const nc::core::Network versions[2] = {bigDesign('a'), bigDesign('b')};
    if (!writePlain(refDir + "/a.json", nc::core::serializeNetwork(versions[0]))
        || !writePlain(refDir + "/b.json", nc::core::serializeNetwork(versions[1])))
        return 3;
    std::printf("ready\n");
    std::fflush(stdout);
    if (recovery) {
        nc::app::RecoveryStore store(target);
        for (unsigned i = 0;; ++i) {
            if (!store.write(versions[i % 2], "/designs/original.json"))
                return 4;
            std::printf("saved\n");
            std::fflush(stdout);
        }
    }
    for (unsigned i = 0;; ++i) {
        if (!nc::core::saveNetwork(versions[i % 2], target))
            return 4;
        std::printf("saved\n");
        std::fflush(stdout);
    }
}

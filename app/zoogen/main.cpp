// netcanvas-zoogen: writes every zoo model to DIR/<key>.json (run after changing ZooModels.cpp).
#include "ZooModels.h"

#include "core/NetworkFile.h"

#include <QString>
#include <cstdio>

int main(int argc, char** argv)
{
    if (argc != 2) {
        std::fprintf(stderr, "usage: netcanvas-zoogen DIR\n");
        return 2;
    }
    for (const std::string& key : nc::app::zooModelKeys()) {
        QString path = QString::fromLocal8Bit(argv[1]) + "/" + QString::fromStdString(key) + ".json";
        nc::core::Status s = nc::core::saveNetwork(nc::app::buildZooModel(key), path);
        if (!s) {
            std::fprintf(stderr, "netcanvas-zoogen: %s\n", s.error().c_str());
            return 1;
        }
        std::printf("wrote %s\n", qPrintable(path));
    }
    return 0;
}

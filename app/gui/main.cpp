// netcanvas: the designer window (placeholder until the editor lands).
#include "core/Zoo.h"

#include <QApplication>
#include <QLabel>
#include <QMainWindow>

int main(int argc, char** argv)
{
    QApplication app(argc, argv);
    QMainWindow w;
    auto net = nc::core::loadZoo("resnet18");
    w.setCentralWidget(new QLabel(net ? QString::fromStdString(net->name) : QString("NetCanvas")));
    w.resize(1600, 1000);
    w.show();
    return app.exec();
}

// charts_screenshot: renders the charts panel offscreen for docs/screenshot-charts.png — ResNet-18
// (a layer selected) beside the MCU CNN with a 256 KiB SRAM budget.
//   charts_screenshot OUT.png                                  the documentation picture
//   charts_screenshot OUT.png MODEL TOP BOTTOM [log] [BUDGET]   one panel, for looking at other tabs:
//     TOP, BOTTOM index ChartsPanel::charts() (0 activations, 1 params, 2 MACs, 3 timeline, 4 field;
//     BOTTOM -1 the table); an OUT ending in .pdf exports the BOTTOM chart with ChartBase::exportPdf
#include "widgets/Selection.h"
#include "widgets/ViewOptions.h"
#include "widgets/charts/ChartBase.h"
#include "widgets/charts/ChartsPanel.h"
#include "widgets/charts/LayerTable.h"

#include "core/Document.h"
#include "core/Zoo.h"

#include <QApplication>
#include <QPainter>
#include <QPixmap>

#include <cstdio>

using namespace nc;

namespace {

QPixmap shoot(const char* key, int64_t budget, int selectStep, int top = 0, int bottom = 3, bool log = false,
              const QString& pdf = {}) {
    core::Document doc;
    doc.setNetwork(core::loadZoo(key).value());
    widgets::Selection sel;
    widgets::ViewOptions opts;
    opts.setBudgetBytes(budget);
    opts.setLogScale(log);
    widgets::ChartsPanel panel(doc, sel, opts);
    panel.showView(panel.charts()[static_cast<size_t>(top)]);
    panel.showView(bottom < 0 ? static_cast<QWidget*>(panel.table())
                              : static_cast<QWidget*>(panel.charts()[static_cast<size_t>(bottom)]));
    panel.resize(700, 1000);
    panel.show();
    if (selectStep >= 0)
        sel.set({doc.analysis().layers[static_cast<size_t>(selectStep)].id});
    panel.flush();
    QApplication::processEvents();
    panel.flush();
    if (!pdf.isEmpty() && bottom >= 0 && !panel.charts()[static_cast<size_t>(bottom)]->exportPdf(pdf).ok())
        return {};
    return panel.grab();
}

} // namespace

int main(int argc, char** argv) {
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    if (argc < 2) {
        std::fprintf(stderr, "usage: charts_screenshot OUT.png\n");
        return 2;
    }
    if (argc >= 5) {
        const bool log = argc >= 6 && QByteArray(argv[5]) == "log";
        const int64_t budget = argc >= 7 ? QByteArray(argv[6]).toLongLong() : 0;
        const QString out = QString::fromLocal8Bit(argv[1]);
        if (out.endsWith(QStringLiteral(".pdf")))
            return shoot(argv[2], budget, -1, atoi(argv[3]), atoi(argv[4]), log, out).isNull() ? 1 : 0;
        return shoot(argv[2], budget, -1, atoi(argv[3]), atoi(argv[4]), log).save(out) ? 0 : 1;
    }
    const QPixmap left = shoot("resnet18", 0, 12);
    const QPixmap right = shoot("mcu_cnn", 256 * 1024, -1);
    QPixmap both(left.width() + right.width() + 8, std::max(left.height(), right.height()));
    both.fill(QColor(0xd0, 0xd0, 0xd0));
    QPainter p(&both);
    p.drawPixmap(0, 0, left);
    p.drawPixmap(left.width() + 8, 0, right);
    p.end();
    if (!both.save(QString::fromLocal8Bit(argv[1]))) {
        std::fprintf(stderr, "charts_screenshot: could not write %s\n", argv[1]);
        return 1;
    }
    return 0;
}

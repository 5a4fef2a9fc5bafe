// HelpDialogs: texts and the dialog that shows them.
#include "HelpDialogs.h"

#include <QAction>
#include <QDialog>
#include <QDialogButtonBox>
#include <QFile>
#include <QMainWindow>
#include <QMenu>
#include <QMenuBar>
#include <QTextBrowser>
#include <QVBoxLayout>

#include <functional>

namespace nc::app {

QString countingConventionsMarkdown()
{
    QFile f(QStringLiteral(":/docs/README.md"));
    if (!f.open(QIODevice::ReadOnly))
        return {};
    const QString all = QString::fromUtf8(f.readAll());
    const qsizetype start = all.indexOf(QStringLiteral("## Counting conventions"));
    if (start < 0)
        return {};
    const qsizetype end = all.indexOf(QStringLiteral("\n## "), start + 3);
    return all.mid(start, end < 0 ? -1 : end - start);
}

QString tourHtml()
{
    return QObject::tr(
        "<h3>NetCanvas in five steps</h3>"
        "<p><b>1. Build.</b> Drag a layer from the <i>Layers</i> palette onto the canvas, or double-click it "
        "to append it below the selected layer, wired in. Drag from a layer's output port (bottom) to "
        "another's input port (top) to connect; select a connection and press Delete to remove it.</p>"
        "<p><b>2. Read the costs.</b> Every node shows its output shape and the figure chosen under "
        "<i>Colour by</i>; its fill is its share of the network total. The status bar has the totals.</p>"
        "<p><b>3. Edit.</b> The <i>Inspector</i> on the right edits the selected layer and shows its "
        "formulas with its own numbers. Ctrl+Z undoes, also while a field has focus.</p>"
        "<p><b>4. Compare.</b> The charts below show per-layer memory, parameters and MACs, the memory "
        "timeline against a budget and the receptive field. Click a bar to find its layer. View → Layout "
        "gives the charts more room (Ctrl+2).</p>"
        "<p><b>5. Find your way.</b> Large networks open as blocks (Ctrl+B); double-click a block to open "
        "it. <i>Fit</i> (Ctrl+0) shows everything, the minimap moves the view, and the <i>Issues</i> tab "
        "lists every error — click one to go to its layer.</p>"
        "<p>Help → Counting Conventions has the formulas behind every figure.</p>");
}

QString nodeColoursHtml()
{
    auto swatch = [](const char* colour, const QString& what) {
        return QStringLiteral("<tr><td style='background:%1' width='28'>&nbsp;</td><td>&nbsp;%2</td></tr>")
            .arg(QLatin1String(colour), what);
    };
    QString h = QObject::tr("<h3>What the node colours mean</h3><p><b>Fill</b>: the layer's share of the "
                            "figure chosen under <i>Colour by</i>, from white (little) to red (the "
                            "largest).</p><table cellspacing='3'>");
    h += swatch("#fafafa", QObject::tr("a small share"));
    h += swatch("#ffcd82", QObject::tr("about half of the largest layer's"));
    h += swatch("#f0765c", QObject::tr("the largest layer"));
    h += QObject::tr(
        "</table><p><b>Stripe on the left edge</b>: the kind of layer.</p><table cellspacing='3'>");
    h += swatch("#607d8b", QObject::tr("input"));
    h += swatch("#5c6bc0", QObject::tr("linear"));
    h += swatch("#1e88e5", QObject::tr("convolution"));
    h += swatch("#00897b", QObject::tr("pooling"));
    h += swatch("#7cb342", QObject::tr("normalisation"));
    h += swatch("#f9a825", QObject::tr("activation"));
    h += swatch("#8e24aa", QObject::tr("attention"));
    h += swatch("#f4511e", QObject::tr("merge (add, multiply, concat)"));
    h += swatch("#8d6e63", QObject::tr("reshape, flatten, dropout"));
    h += swatch("#455a64", QObject::tr("a collapsed block (drawn as a stack of cards)"));
    h += QObject::tr("</table><p><b>Borders and marks</b></p><table cellspacing='3'>");
    h += swatch("#d32f2f", QObject::tr("red border and ! badge: the layer has an error (hover for the fix)"));
    h += swatch("#eeeeee", QObject::tr("grey: waiting on an error upstream, not counted"));
    h += swatch("#8e24aa",
                QObject::tr("dashed purple border, \"over budget\" tag: live memory above the budget"));
    h += swatch("#1e6fd9", QObject::tr("thick blue border: selected"));
    h += QStringLiteral("</table>");
    return h;
}

QString shortcutsHtml(const QWidget* window)
{
    QString h = QObject::tr("<h3>Keyboard shortcuts</h3><table cellspacing='4'>");
    auto* mw = qobject_cast<const QMainWindow*>(window);
    if (mw)
        for (QAction* top : mw->menuBar()->actions()) {
            QMenu* menu = top->menu();
            if (!menu)
                continue;
            QString rows;
            std::function<void(QMenu*)> walk = [&](QMenu* m) {
                for (QAction* a : m->actions()) {
                    if (a->menu())
                        walk(a->menu());
                    else if (!a->shortcut().isEmpty())
                        rows += QStringLiteral("<tr><td><b>%1</b></td><td>%2</td></tr>")
                                    .arg(a->shortcut().toString(QKeySequence::NativeText).toHtmlEscaped(),
                                         a->text().remove(QLatin1Char('&')).toHtmlEscaped());
                }
            };
            walk(menu);
            if (!rows.isEmpty())
                h += QStringLiteral("<tr><td colspan='2'><br><i>%1</i></td></tr>")
                         .arg(top->text().remove(QLatin1Char('&'))) +
                     rows;
        }
    h += QObject::tr(
        "<tr><td colspan='2'><br><i>Canvas</i></td></tr>"
        "<tr><td><b>Wheel</b></td><td>Zoom around the pointer</td></tr>"
        "<tr><td><b>Space+drag, middle drag</b></td><td>Pan</td></tr>"
        "<tr><td><b>Ctrl+click</b></td><td>Add to the selection</td></tr>"
        "<tr><td><b>Delete</b></td><td>Remove the selected layers or connection</td></tr>"
        "<tr><td><b>Double-click a block</b></td><td>Open it</td></tr>"
        "<tr><td colspan='2'><br><i>Charts</i></td></tr>"
        "<tr><td><b>Click a bar</b></td><td>Select its layer</td></tr>"
        "<tr><td><b>Wheel, drag</b></td><td>Zoom and pan along the layers; double-click: all</td></tr>");
    return h + QStringLiteral("</table>");
}

void showHelpText(QWidget* parent, const QString& name, const QString& title, const QString& text,
                  bool markdown)
{
    auto* dlg = new QDialog(parent);
    dlg->setObjectName(name);
    dlg->setAttribute(Qt::WA_DeleteOnClose);
    dlg->setWindowTitle(title);
    auto* browser = new QTextBrowser(dlg);
    browser->setObjectName(name + QStringLiteral("Text"));
    browser->setOpenExternalLinks(true);
    if (markdown)
        browser->setMarkdown(text);
    else
        browser->setHtml(text);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, dlg);
    QObject::connect(buttons, &QDialogButtonBox::rejected, dlg, &QDialog::close);
    auto* v = new QVBoxLayout(dlg);
    v->addWidget(browser);
    v->addWidget(buttons);
    dlg->resize(markdown ? 820 : 620, markdown ? 720 : 560);
    dlg->show();
}

} // namespace nc::app

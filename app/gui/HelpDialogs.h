// HelpDialogs: the Help menu's content — a short tour, the keyboard shortcuts (read from the window's
// own actions, so the list cannot go stale), the counting conventions (the README's section, built
// into the program) and what the node colours mean.
#pragma once

#include <QString>

class QWidget;

namespace nc::app {

// The README's "Counting conventions" section as Markdown (empty if the resource is missing).
QString countingConventionsMarkdown();
// Tour steps as HTML paragraphs.
QString tourHtml();
// The node colour legend as HTML (swatches drawn with table cells).
QString nodeColoursHtml();
// Every action of `window` that has a shortcut, grouped by menu, as an HTML table.
QString shortcutsHtml(const QWidget* window);
// A modeless, resizable dialog showing `html` (or Markdown with `markdown`), object name `name`.
void showHelpText(QWidget* parent, const QString& name, const QString& title, const QString& text,
                  bool markdown = false);

} // namespace nc::app

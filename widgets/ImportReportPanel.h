// ImportReportPanel: the ONNX import report as a dock panel — one row per line of the report,
// a filter box that hides the rows not containing its text, copying (select rows and Ctrl+C, or
// Copy all), and a click on a line that names a layer (by its NetCanvas name or its full ONNX name,
// Node::source) selects that layer on the canvas. Owned by its dock; borrows the Document and the
// Selection. GUI thread only.
#pragma once

#include "core/Document.h"

#include <QWidget>

#include <string>
#include <unordered_map>

class QLabel;
class QLineEdit;
class QListWidget;
class QPushButton;

namespace nc::widgets {

class Selection;

class ImportReportPanel : public QWidget {
    Q_OBJECT
public:
    ImportReportPanel(core::Document& doc, Selection& sel, QWidget* parent = nullptr);

    // Shows `text` (ImportReport::text(), lines separated by '\n') for the model `title`; lines are
    // linked to the layers of the Document's network as it is now (call after adopting the import).
    void setReport(const QString& title, const QString& text);
    QString reportText() const { return m_text; }

    // The rows the filter leaves visible, in order.
    QStringList visibleLines() const;
    // The layer a report line names: the first quoted name ("…") that is a layer's name or source.
    static core::NodeId layerForLine(const QString& line, const core::Network& net);

    QLineEdit* filterEdit() const { return m_filter; }
    QListWidget* list() const { return m_list; }
    QPushButton* copyAllButton() const { return m_copyAll; }

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    void applyFilter();
    void copySelected() const;

    core::Document& m_doc;
    Selection& m_sel;
    QString m_text;
    QLabel* m_title = nullptr;
    QLineEdit* m_filter = nullptr;
    QListWidget* m_list = nullptr;
    QPushButton* m_copyAll = nullptr;
    QLabel* m_count = nullptr;
};

} // namespace nc::widgets

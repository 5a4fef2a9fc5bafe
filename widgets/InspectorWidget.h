// InspectorWidget: edits every hyper-parameter of the selected layer with widgets built generically from
// the catalogue's attribute list (LayerSpec::attrs), and shows the layer's figures and the formulas
// behind them filled in with its own numbers (core/Explain.h). With nothing selected it shows the
// network's totals. Every edit goes through the Editor as one undoable command.
#pragma once

#include "core/Catalogue.h"
#include "core/Document.h"

#include <QWidget>

#include <string_view>
#include <vector>

class QComboBox;
class QFormLayout;
class QGroupBox;
class QLabel;
class QLineEdit;
class QStackedWidget;

namespace nc::widgets {

class Editor;
class Selection;

class InspectorWidget : public QWidget {
    Q_OBJECT
public:
    InspectorWidget(core::Document& doc, Editor& editor, Selection& selection, QWidget* parent = nullptr);

    core::NodeId shownNode() const { return m_id; }
    // The editor of attribute `key` ("kernel_h") of the shown layer (objectName "attr:<key>"), or null.
    QWidget* attributeEditor(std::string_view key) const;
    QLineEdit* nameEditor() const { return m_name; }
    QLabel* sourceLabel() const { return m_source; } // the full ONNX node name of an imported layer
    // The formula lines as shown, one per line (plain text).
    QString formulasText() const;
    // The figure rows as shown ("Output", "Params", ...), label → value.
    QString figure(const QString& label) const;

    // What the network page's header calls the design ("resnet.json", "ResNet-50 (zoo)").
    void setDocumentName(const QString& name);

protected:
    // Ctrl+Z / Ctrl+Shift+Z in a field: the field's own text undo would hide the Edit menu's. The
    // field is committed (it loses focus, which commits it as Enter does) and the key goes on to the
    // window's Undo/Redo, so it undoes the edit the user just typed.
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    QString m_documentName;
    struct AttrEditor {
        const core::AttrSpec* spec;
        QWidget* widget;
    };

    void onSelectionChanged();
    void onDocumentChanged(const core::Change& change);
    void showCurrent();
    void buildNodePage(const core::Node& node);
    QWidget* makeEditor(const core::AttrSpec* spec, QWidget* parent);
    void refreshNodePage();
    void refreshNetworkPage();
    void commitInt(const core::AttrSpec* spec, int64_t value);
    void commitFloat(const core::AttrSpec* spec, double value);
    void commitDims(const core::AttrSpec* spec, const QString& text);
    void commitName();
    void commitKind(int index);
    void setFigure(int row, const QString& value);

    core::Document& m_doc;
    Editor& m_editor;
    Selection& m_selection;
    core::NodeId m_id;
    core::LayerType m_type = core::LayerType::Input;

    QStackedWidget* m_pages;
    QLabel* m_network;
    QLabel* m_title;
    QLabel* m_multi;
    QLineEdit* m_name;
    QLabel* m_sourceLabel; // "ONNX name": shown for imported layers only
    QLabel* m_source;
    QComboBox* m_kind;
    QLabel* m_kindLabel;
    QLabel* m_docText;
    QLabel* m_error;
    QGroupBox* m_paramsBox;
    QFormLayout* m_form;
    std::vector<AttrEditor> m_editors;
    QFormLayout* m_figures;
    std::vector<QLabel*> m_figureValues;
    QLabel* m_formulas;
};

} // namespace nc::widgets

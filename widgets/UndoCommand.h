// UndoCommand: adapts a core::Command to QUndoStack, so the GUI's history runs the very same edits
// that tests and scripts run headless through core::History.
#pragma once

#include "core/Commands.h"

#include <QUndoCommand>

#include <memory>

namespace nc::widgets {

// Owns its core command; holds the Document by reference (the Document outlives the undo stack: the
// main window clears the stack before it replaces the network).
class UndoCommand : public QUndoCommand {
public:
    UndoCommand(core::Document& doc, std::unique_ptr<core::Command> cmd, QUndoCommand* parent = nullptr);
    void redo() override;
    void undo() override;

private:
    core::Document& m_doc;
    std::unique_ptr<core::Command> m_cmd;
};

} // namespace nc::widgets

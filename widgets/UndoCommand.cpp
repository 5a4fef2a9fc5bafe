// UndoCommand: the QUndoCommand adapter over core commands.
#include "UndoCommand.h"

namespace nc::widgets {

UndoCommand::UndoCommand(core::Document& doc, std::unique_ptr<core::Command> cmd, QUndoCommand* parent)
    : QUndoCommand(QString::fromStdString(cmd->text()), parent), m_doc(doc), m_cmd(std::move(cmd))
{
}

void UndoCommand::redo() { m_cmd->redo(m_doc); }
void UndoCommand::undo() { m_cmd->undo(m_doc); }

} // namespace nc::widgets

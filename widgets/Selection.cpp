// Selection: the shared selection set.
#include "Selection.h"

#include <algorithm>

namespace nc::widgets {

bool Selection::contains(core::NodeId id) const { return std::find(m_ids.begin(), m_ids.end(), id) != m_ids.end(); }

void Selection::set(std::vector<core::NodeId> ids, bool centre)
{
    if (ids == m_ids && !centre)
        return;
    m_ids = std::move(ids);
    emit changed(centre);
}

} // namespace nc::widgets

// Shape: text form.
#include "Shape.h"

namespace nc::core {

std::string Shape::toString() const
{
    if (m_rank == 0)
        return "()";
    std::string s;
    for (int i = 0; i < m_rank; ++i) {
        if (i)
            s += "×";
        s += std::to_string(m_d[static_cast<size_t>(i)]);
    }
    return s;
}

} // namespace nc::core

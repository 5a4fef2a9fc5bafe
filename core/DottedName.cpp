// DottedName: candidate short forms of hierarchical names.
#include "DottedName.h"

namespace nc::core {

namespace {
constexpr std::string_view kEllipsis = "\xE2\x80\xA6"; // U+2026, one character on screen

int displayLength(std::string_view s)
{
    // Counts code points, not bytes: names are ASCII except for the ellipsis we add.
    int n = 0;
    for (char c : s)
        n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    return n;
}
} // namespace

bool isNameSeparator(char c)
{
    return c == '.' || c == '/';
}

std::vector<std::string> nameTails(std::string_view name)
{
    std::vector<std::string> out{std::string(name)};
    // Component starts after each separator; a leading or trailing separator ("/enc/") starts no
    // component worth showing alone.
    for (size_t i = 0; i + 1 < name.size(); ++i)
        if (isNameSeparator(name[i]) && !isNameSeparator(name[i + 1]) && i > 0)
            out.push_back(std::string(kEllipsis) + std::string(name.substr(i + 1)));
    return out;
}

std::string shortName(std::string_view name, int maxChars)
{
    const std::vector<std::string> tails = nameTails(name);
    for (const std::string& t : tails)
        if (displayLength(t) <= maxChars)
            return t;
    return tails.back();
}

std::string lastComponent(std::string_view name)
{
    size_t end = name.size();
    while (end > 0 && isNameSeparator(name[end - 1]))
        --end;
    size_t start = end;
    while (start > 0 && !isNameSeparator(name[start - 1]))
        --start;
    return start == end ? std::string(name) : std::string(name.substr(start, end - start));
}

} // namespace nc::core

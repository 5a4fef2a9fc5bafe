// ImportNames: the scope-name rule of ImportNames.h.
#include "ImportNames.h"

#include <cctype>
#include <unordered_map>
#include <unordered_set>

namespace nc::core::onnx {

namespace {

struct Parsed {
    bool scoped = false;
    std::string path;   // dotted module path, "" at the top level
    std::string opPart; // lower-cased operator component, "" when the name ends in a scope
    std::string output; // ":k" set aside
};

bool allDigits(const std::string& s, size_t from)
{
    if (from >= s.size())
        return false;
    for (size_t i = from; i < s.size(); ++i)
        if (!std::isdigit(static_cast<unsigned char>(s[i])))
            return false;
    return true;
}

// "MatMul" or "MatMul_2" for operator MatMul.
bool isOperatorPart(const std::string& part, const std::string& op)
{
    if (op.empty() || part.compare(0, op.size(), op) != 0)
        return false;
    return part.size() == op.size() || (part[op.size()] == '_' && allDigits(part, op.size() + 1));
}

std::string lower(std::string s)
{
    for (char& c : s)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

Parsed parse(const OnnxLayerName& in)
{
    Parsed p;
    if (in.name.empty() || in.name[0] != '/')
        return p;
    p.scoped = true;
    std::string name = in.name;
    if (size_t colon = name.rfind(':'); colon != std::string::npos && allDigits(name, colon + 1)) {
        p.output = name.substr(colon);
        name.resize(colon);
    }
    std::vector<std::string> parts;
    size_t start = 0;
    while (start <= name.size()) {
        size_t slash = name.find('/', start);
        if (slash == std::string::npos)
            slash = name.size();
        if (slash > start)
            parts.push_back(name.substr(start, slash - start));
        start = slash + 1;
    }
    if (!parts.empty() && isOperatorPart(parts.back(), in.opType)) {
        p.opPart = lower(parts.back());
        parts.pop_back();
    }
    std::string previous;
    for (const std::string& part : parts) {
        // A Sequential child's scope repeats its parent's: "layer1" then "layer1.0".
        std::string segment = part;
        if (!previous.empty() && part.size() > previous.size() + 1 && part.compare(0, previous.size(), previous) == 0 &&
            part[previous.size()] == '.')
            segment = part.substr(previous.size() + 1);
        p.path += (p.path.empty() ? "" : ".") + segment;
        previous = part;
    }
    return p;
}

} // namespace

std::vector<std::string> readableLayerNames(const std::vector<OnnxLayerName>& layers)
{
    std::vector<Parsed> parsed;
    parsed.reserve(layers.size());
    std::unordered_map<std::string, int> perPath;  // scoped layers whose module path is exactly this
    std::unordered_set<std::string> hasInside;     // paths some layer's path lies strictly inside
    for (const OnnxLayerName& l : layers) {
        parsed.push_back(parse(l));
        const Parsed& p = parsed.back();
        if (!p.scoped)
            continue;
        ++perPath[p.path];
        for (size_t dot = p.path.find('.'); dot != std::string::npos; dot = p.path.find('.', dot + 1))
            hasInside.insert(p.path.substr(0, dot));
    }

    std::vector<std::string> out;
    out.reserve(layers.size());
    std::unordered_set<std::string> used;
    std::unordered_map<std::string, int> nextSuffix;
    for (size_t i = 0; i < layers.size(); ++i) {
        const Parsed& p = parsed[i];
        std::string want;
        if (!p.scoped) {
            want = layers[i].name;
        } else {
            const bool alone = !p.path.empty() && perPath[p.path] == 1 && !hasInside.count(p.path);
            const std::string& last = p.opPart.empty() ? layers[i].kind : p.opPart;
            if (alone || last.empty())
                want = p.path;
            else
                want = p.path.empty() ? last : p.path + "." + last;
            if (!want.empty())
                want += p.output;
        }
        if (want.empty()) {
            out.emplace_back();
            continue;
        }
        std::string name = want;
        int& k = nextSuffix.try_emplace(want, 2).first->second;
        while (!used.insert(name).second)
            name = want + "_" + std::to_string(k++);
        out.push_back(std::move(name));
    }
    return out;
}

} // namespace nc::core::onnx

// NetworkFile: JSON reading and writing of designs.
#include "NetworkFile.h"

#include "BitWidth.h"

#include "Catalogue.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>

#include <cmath>
#include <cstdio>
#include <queue>
#include <unordered_map>
#include <unordered_set>

namespace nc::core {

namespace {

std::string s(const QString& q) { return q.toStdString(); }

// A JSON number that is a whole number within [lo, hi]. Doubles beyond 2^53 are refused rather than
// rounded.
bool wholeNumber(const QJsonValue& v, double lo, double hi, int64_t& out)
{
    if (!v.isDouble())
        return false;
    double d = v.toDouble();
    if (!std::isfinite(d) || d != std::floor(d) || d < lo || d > hi || std::fabs(d) > 9007199254740992.0)
        return false;
    out = v.toInteger();
    return true;
}

Error layerError(int64_t id, const std::string& name, const std::string& what)
{
    return Error{"layer " + std::to_string(id) + (name.empty() ? "" : " (\"" + name + "\")") + ": " + what};
}

Status readAttrs(const QJsonObject& attrs, const LayerSpec& spec, LayerParams& p, int64_t id, const std::string& name)
{
    for (auto it = attrs.begin(); it != attrs.end(); ++it) {
        std::string key = s(it.key());
        const AttrSpec* a = spec.attr(key);
        if (!a)
            return layerError(id, name, "unknown attribute \"" + key + "\" for " + std::string(layerTypeLabel(spec.type)));
        const QJsonValue v = it.value();
        switch (a->kind) {
        case AttrKind::Int:
        case AttrKind::Enum: {
            int64_t x;
            if (!wholeNumber(v, a->min, a->max, x))
                return layerError(id, name, "attribute \"" + key + "\" must be a whole number from " +
                                                std::to_string(static_cast<int64_t>(a->min)) + " to " +
                                                std::to_string(static_cast<int64_t>(a->max)));
            if (!a->allows(x)) {
                std::string list;
                for (const auto& c : a->choices)
                    list += (list.empty() ? "" : ", ") + std::to_string(c.first);
                return layerError(id, name, "attribute \"" + key + "\" must be one of " + list);
            }
            p.*(a->intField) = x;
            break;
        }
        case AttrKind::Bool:
            if (!v.isBool())
                return layerError(id, name, "attribute \"" + key + "\" must be true or false");
            p.*(a->intField) = v.toBool() ? 1 : 0;
            break;
        case AttrKind::Float: {
            double d = v.toDouble(std::nan(""));
            if (!v.isDouble() || !std::isfinite(d) || d < a->min || d > a->max)
                return layerError(id, name, "attribute \"" + key + "\" must be a number from " +
                                                std::to_string(a->min) + " to " + std::to_string(a->max));
            p.*(a->floatField) = d;
            break;
        }
        case AttrKind::Dims: {
            if (!v.isArray() || v.toArray().size() > Shape::kMaxRank || v.toArray().isEmpty())
                return layerError(id, name, "attribute \"" + key + "\" must be a list of 1 to " +
                                                std::to_string(Shape::kMaxRank) + " sizes");
            Shape d;
            for (const QJsonValue& e : v.toArray()) {
                int64_t x;
                if (!wholeNumber(e, -1, 9007199254740992.0, x)) {
                    const double d = e.toDouble(0);
                    // JSON numbers are doubles: beyond 2^53 they are no longer exact, so such a size
                    // cannot be read as written.
                    if (e.isDouble() && std::isfinite(d) && d > 9007199254740992.0) {
                        char text[64];
                        std::snprintf(text, sizeof text, "%.0f", d);
                        return layerError(id, name, "attribute \"" + key + "\" holds the size " + text +
                                                        ", which is too large: a design file holds sizes up to "
                                                        "9007199254740992 (2^53)");
                    }
                    return layerError(id, name, "attribute \"" + key + "\" holds a size that is not a whole number ≥ −1");
                }
                d.push(x);
            }
            p.dims = d;
            break;
        }
        }
    }
    return {};
}

} // namespace

Result<Network> parseNetwork(const QByteArray& json)
{
    if (json.size() > kMaxFileBytes)
        return Error{"file is larger than " + std::to_string(kMaxFileBytes / (1024 * 1024)) + " MB; not a NetCanvas design"};
    QJsonParseError perr;
    QJsonDocument doc = QJsonDocument::fromJson(json, &perr);
    if (perr.error != QJsonParseError::NoError) {
        int line = 1 + static_cast<int>(std::count(json.begin(), json.begin() + std::min<qsizetype>(perr.offset, json.size()), '\n'));
        return Error{"not valid JSON at line " + std::to_string(line) + ": " + s(perr.errorString())};
    }
    if (!doc.isObject())
        return Error{"not a NetCanvas design: the top level is not a JSON object"};
    const QJsonObject root = doc.object();
    if (root.value("format").toString() != "netcanvas")
        return Error{"not a NetCanvas design: \"format\" is not \"netcanvas\""};
    int64_t version;
    if (!wholeNumber(root.value("version"), 1, 1e9, version))
        return Error{"\"version\" is missing or not a positive whole number"};
    if (version > kFormatVersion)
        return Error{"file format version " + std::to_string(version) + " is newer than this NetCanvas supports (" +
                     std::to_string(kFormatVersion) + "); update NetCanvas to open it"};

    Network net;
    if (root.contains("name")) {
        if (!root.value("name").isString())
            return Error{"\"name\" must be a string"};
        net.name = s(root.value("name").toString());
    }
    int64_t batch = 1, bits = 32;
    if (root.contains("batch") && !wholeNumber(root.value("batch"), 1, 1e9, batch))
        return Error{"\"batch\" must be a whole number from 1 to 1000000000"};
    if (root.contains("bits") &&
        (!wholeNumber(root.value("bits"), 1, 32, bits) || !isBitWidth(static_cast<int>(bits))))
        return Error{"\"bits\" must be " + bitWidthList()};
    net.batch = batch;
    net.bits = static_cast<int>(bits);
    // Written only by decoders' designs; older files and other designs leave it out (0 = automatic).
    int64_t context = 0;
    if (root.contains("context") && !wholeNumber(root.value("context"), 0, 1e12, context))
        return Error{"\"context\" must be a whole number from 0 to 1000000000000 (0: each attention layer's own "
                     "sequence length)"};
    net.context = context;

    const QJsonValue layersV = root.value("layers");
    if (!layersV.isArray())
        return Error{"\"layers\" is missing or not a list"};
    const QJsonArray layers = layersV.toArray();
    if (layers.size() > kMaxLayers)
        return Error{"too many layers (" + std::to_string(layers.size()) + "); at most " + std::to_string(kMaxLayers)};
    const Catalogue& cat = Catalogue::instance();
    std::unordered_set<std::string> names;
    names.reserve(static_cast<size_t>(layers.size()));
    {
        const QJsonValue ev = root.value("edges");
        const qsizetype edgeCount = ev.isArray() ? std::min<qsizetype>(ev.toArray().size(), 16LL * kMaxLayers) : 0;
        net.reserve(static_cast<size_t>(layers.size()), static_cast<size_t>(edgeCount));
    }
    for (qsizetype li = 0; li < layers.size(); ++li) {
        const QJsonValue lv = layers.at(li);
        std::string where = "layer #" + std::to_string(li + 1);
        if (!lv.isObject())
            return Error{where + " is not a JSON object"};
        const QJsonObject lo = lv.toObject();
        int64_t id;
        if (!wholeNumber(lo.value("id"), 1, 4294967294.0, id))
            return Error{where + ": \"id\" is missing or not a whole number from 1 to 4294967294"};
        if (!lo.value("name").isString() || lo.value("name").toString().isEmpty())
            return layerError(id, "", "\"name\" is missing or empty");
        std::string name = s(lo.value("name").toString());
        if (name.size() > 256)
            return layerError(id, "", "name is longer than 256 characters");
        if (!names.insert(name).second)
            return layerError(id, name, "duplicate layer name");
        auto type = layerTypeFromKey(s(lo.value("type").toString()));
        if (!type)
            return layerError(id, name, "unknown layer type \"" + s(lo.value("type").toString()) + "\"");
        Node node;
        node.id = NodeId{static_cast<uint32_t>(id)};
        node.name = name;
        node.type = *type;
        node.params = cat.spec(*type).defaults;
        for (const char* k : {"x", "y"}) {
            QJsonValue pv = lo.value(k);
            if (!pv.isUndefined() && (!pv.isDouble() || !std::isfinite(pv.toDouble()) || std::fabs(pv.toDouble()) > 1e9))
                return layerError(id, name, std::string("position \"") + k + "\" must be a finite number");
        }
        // Optional since the ONNX importer made names readable; older readers ignore it.
        if (const QJsonValue sv = lo.value("source"); !sv.isUndefined()) {
            if (!sv.isString())
                return layerError(id, name, "\"source\" must be a string (the ONNX node name)");
            node.source = s(sv.toString());
            if (node.source.size() > 4096)
                return layerError(id, name, "\"source\" is longer than 4096 characters");
        }
        node.x = lo.value("x").toDouble();
        node.y = lo.value("y").toDouble();
        const QJsonValue av = lo.value("attrs");
        if (!av.isUndefined()) {
            if (!av.isObject())
                return layerError(id, name, "\"attrs\" must be a JSON object");
            if (Status st = readAttrs(av.toObject(), cat.spec(*type), node.params, id, name); !st)
                return Error{st.error()};
        }
        auto added = net.addNode(std::move(node));
        if (!added)
            return Error{where + ": " + added.error()};
    }

    const QJsonValue edgesV = root.value("edges");
    if (!edgesV.isUndefined() && !edgesV.isArray())
        return Error{"\"edges\" is not a list"};
    const QJsonArray edges = edgesV.toArray();
    if (edges.size() > 16LL * kMaxLayers)
        return Error{"too many edges"};
    for (qsizetype ei = 0; ei < edges.size(); ++ei) {
        std::string where = "edge #" + std::to_string(ei + 1);
        if (!edges.at(ei).isObject())
            return Error{where + " is not a JSON object"};
        const QJsonObject eo = edges.at(ei).toObject();
        int64_t id, from, to, port = 0, fromPort = 0;
        if (!wholeNumber(eo.value("id"), 1, 4294967294.0, id))
            return Error{where + ": \"id\" is missing or not a whole number from 1 to 4294967294"};
        where = "edge " + std::to_string(id);
        if (!wholeNumber(eo.value("from"), 1, 4294967294.0, from) || !wholeNumber(eo.value("to"), 1, 4294967294.0, to))
            return Error{where + ": \"from\" and \"to\" must be layer ids"};
        if (eo.contains("port") && !wholeNumber(eo.value("port"), 0, 1e6, port))
            return Error{where + ": \"port\" must be a whole number ≥ 0"};
        if (eo.contains("from_port") && (version < 2 || !wholeNumber(eo.value("from_port"), 0, 1e6, fromPort)))
            return Error{where + (version < 2 ? ": \"from_port\" needs file format version 2"
                                              : ": \"from_port\" must be a whole number ≥ 0")};
        const Node* a = net.node(NodeId{static_cast<uint32_t>(from)});
        const Node* b = net.node(NodeId{static_cast<uint32_t>(to)});
        if (!a || !b)
            return Error{where + " refers to layer " + std::to_string(a ? to : from) + ", which does not exist"};
        if (from == to)
            return Error{where + ": layer \"" + a->name + "\" cannot feed itself"};
        int ports = net.inputCount(*b);
        if (port >= ports)
            return Error{where + ": layer \"" + b->name + "\" has no input port " + std::to_string(port)};
        if (int outs = net.outputCount(*a); fromPort >= outs)
            return Error{where + ": layer \"" + a->name + "\" has no output port " + std::to_string(fromPort)};
        if (net.edgeInto(b->id, static_cast<int>(port)))
            return Error{where + ": input port " + std::to_string(port) + " of layer \"" + b->name +
                         "\" is already connected"};
        auto added = net.addEdgeUnchecked(
            Edge{EdgeId{static_cast<uint32_t>(id)}, a->id, b->id, static_cast<int>(port), static_cast<int>(fromPort)});
        if (!added)
            return Error{where + ": " + added.error()};
    }

    // User groups (version 3): {"name": "...", "members": [layer ids]}; a layer in at most one group.
    const QJsonValue groupsV = root.value("groups");
    if (!groupsV.isUndefined()) {
        if (version < 3)
            return Error{"\"groups\" needs file format version 3"};
        if (!groupsV.isArray())
            return Error{"\"groups\" is not a list"};
        std::unordered_set<std::string> groupNames;
        std::unordered_map<uint32_t, std::string> groupOf;
        const QJsonArray groups = groupsV.toArray();
        for (qsizetype gi = 0; gi < groups.size(); ++gi) {
            const std::string where = "group #" + std::to_string(gi + 1);
            if (!groups.at(gi).isObject())
                return Error{where + " is not a JSON object"};
            const QJsonObject go = groups.at(gi).toObject();
            if (!go.value("name").isString() || go.value("name").toString().isEmpty())
                return Error{where + ": \"name\" is missing or empty"};
            NodeGroup g;
            g.name = s(go.value("name").toString());
            if (g.name.size() > 256)
                return Error{where + ": name is longer than 256 characters"};
            if (!groupNames.insert(g.name).second)
                return Error{where + ": duplicate group name \"" + g.name + "\""};
            if (!go.value("members").isArray() || go.value("members").toArray().isEmpty())
                return Error{"group \"" + g.name + "\": \"members\" must be a non-empty list of layer ids"};
            for (const QJsonValue& mv : go.value("members").toArray()) {
                int64_t id;
                if (!wholeNumber(mv, 1, 4294967294.0, id) || !net.node(NodeId{static_cast<uint32_t>(id)}))
                    return Error{"group \"" + g.name + "\": member " +
                                 (mv.isDouble() ? std::to_string(mv.toInteger()) : std::string("?")) +
                                 " is not a layer id of this design"};
                const NodeId nid{static_cast<uint32_t>(id)};
                if (auto [it, added] = groupOf.try_emplace(nid.v, g.name); !added)
                    return Error{"group \"" + g.name + "\": layer \"" + net.node(nid)->name +
                                 "\" is already in group \"" + it->second + "\""};
                g.members.push_back(nid);
            }
            net.groups.push_back(std::move(g));
        }
    }

    // Cycle check in O(V + E): Kahn's algorithm must consume every node.
    {
        std::unordered_map<uint32_t, int> indeg;
        std::unordered_map<uint32_t, std::vector<uint32_t>> out;
        for (const Edge& e : net.edges()) {
            ++indeg[e.to.v];
            out[e.from.v].push_back(e.to.v);
        }
        std::queue<uint32_t> q;
        for (const Node& nd : net.nodes())
            if (!indeg[nd.id.v])
                q.push(nd.id.v);
        size_t seen = 0;
        while (!q.empty()) {
            uint32_t v = q.front();
            q.pop();
            ++seen;
            for (uint32_t w : out[v])
                if (--indeg[w] == 0)
                    q.push(w);
        }
        if (seen != net.nodes().size()) {
            for (const Node& nd : net.nodes())
                if (indeg[nd.id.v] > 0)
                    return Error{"the edges form a cycle through layer \"" + nd.name + "\"; a network must be acyclic"};
        }
    }
    return net;
}

Result<Network> loadNetwork(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return Error{"cannot open " + s(path) + ": " + s(f.errorString())};
    if (f.size() > kMaxFileBytes)
        return Error{s(path) + " is larger than " + std::to_string(kMaxFileBytes / (1024 * 1024)) +
                     " MB; not a NetCanvas design"};
    QByteArray data = f.read(kMaxFileBytes + 1);
    auto r = parseNetwork(data);
    if (!r)
        return Error{s(path) + ": " + r.error()};
    return r;
}

QByteArray serializeNetwork(const Network& net)
{
    const Catalogue& cat = Catalogue::instance();
    QJsonObject root;
    root["format"] = "netcanvas";
    // The oldest version that holds the content: a design without groups stays readable (and
    // byte-identical) for NetCanvas releases that know only version 2.
    QJsonArray groups;
    for (const NodeGroup& g : net.groups) {
        QJsonArray members;
        for (NodeId id : g.members)
            if (net.node(id)) // ids of deleted layers stay in the model for undo, not in files
                members.append(static_cast<qint64>(id.v));
        if (members.isEmpty())
            continue;
        QJsonObject go;
        go["name"] = QString::fromStdString(g.name);
        go["members"] = members;
        groups.append(go);
    }
    root["version"] = groups.isEmpty() ? 2 : kFormatVersion;
    if (!groups.isEmpty())
        root["groups"] = groups;
    root["name"] = QString::fromStdString(net.name);
    root["batch"] = static_cast<qint64>(net.batch);
    root["bits"] = net.bits;
    if (net.context > 0)
        root["context"] = static_cast<qint64>(net.context);
    QJsonArray layers;
    for (const Node& n : net.nodes()) {
        QJsonObject lo;
        lo["id"] = static_cast<qint64>(n.id.v);
        lo["name"] = QString::fromStdString(n.name);
        lo["type"] = QString::fromUtf8(layerTypeKey(n.type).data(), static_cast<qsizetype>(layerTypeKey(n.type).size()));
        if (!n.source.empty())
            lo["source"] = QString::fromStdString(n.source);
        lo["x"] = std::round(n.x * 100) / 100;
        lo["y"] = std::round(n.y * 100) / 100;
        QJsonObject attrs;
        for (const AttrSpec& a : cat.spec(n.type).attrs) {
            QString key = QString::fromUtf8(a.key.data(), static_cast<qsizetype>(a.key.size()));
            if (a.omitWhenDefault && a.intField && n.params.*(a.intField) == cat.spec(n.type).defaults.*(a.intField))
                continue;
            switch (a.kind) {
            case AttrKind::Int:
            case AttrKind::Enum:
                attrs[key] = static_cast<qint64>(n.params.*(a.intField));
                break;
            case AttrKind::Bool:
                attrs[key] = n.params.*(a.intField) != 0;
                break;
            case AttrKind::Float:
                attrs[key] = n.params.*(a.floatField);
                break;
            case AttrKind::Dims: {
                // An optional shape left at its unset default (Add's learned operand) is not written:
                // an empty list is refused on load, and files without the operand stay as they were.
                if (n.params.dims.rank() == 0 && cat.spec(n.type).defaults.dims.rank() == 0)
                    break;
                QJsonArray d;
                for (int64_t x : n.params.dims)
                    d.append(static_cast<qint64>(x));
                attrs[key] = d;
                break;
            }
            }
        }
        if (!attrs.isEmpty())
            lo["attrs"] = attrs;
        layers.append(lo);
    }
    root["layers"] = layers;
    QJsonArray edges;
    for (const Edge& e : net.edges()) {
        QJsonObject eo;
        eo["id"] = static_cast<qint64>(e.id.v);
        eo["from"] = static_cast<qint64>(e.from.v);
        eo["to"] = static_cast<qint64>(e.to.v);
        eo["port"] = e.toPort;
        if (e.fromPort != 0)
            eo["from_port"] = e.fromPort;
        edges.append(eo);
    }
    root["edges"] = edges;
    return QJsonDocument(root).toJson(QJsonDocument::Indented);
}

Status saveNetwork(const Network& net, const QString& path)
{
    QSaveFile f(path); // writes a temporary file and renames it on commit()
    if (!f.open(QIODevice::WriteOnly))
        return Error{"cannot write " + s(path) + ": " + s(f.errorString())};
    QByteArray data = serializeNetwork(net);
    if (f.write(data) != data.size()) {
        f.cancelWriting();
        return Error{"cannot write " + s(path) + ": " + s(f.errorString())};
    }
    if (!f.commit())
        return Error{"cannot save " + s(path) + ": " + s(f.errorString())};
    return {};
}

} // namespace nc::core

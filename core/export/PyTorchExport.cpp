// PyTorchExport: a design as one readable nn.Module.
#include "PyTorchExport.h"

#include "core/Analysis.h"
#include "core/Format.h"
#include "core/LayerRules.h"
#include "core/layers/LayerKind.h"

#include <QSaveFile>

#include <algorithm>
#include <set>
#include <unordered_map>

namespace nc::core {

namespace {

// Python keywords, and names the generated file itself uses.
const std::set<std::string>& reserved()
{
    static const std::set<std::string> r{
        "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def",
        "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is",
        "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while", "with", "yield",
        "self", "torch", "nn", "x", "input", "model", "inputs", "outputs", "print", "super", "tuple", "zip",
        "name", "y", "_"};
    return r;
}

std::string i(int64_t v) { return std::to_string(v); }

std::string join(const std::vector<std::string>& parts, const std::string& sep = ", ")
{
    std::string s;
    for (size_t k = 0; k < parts.size(); ++k)
        s += (k ? sep : "") + parts[k];
    return s;
}

std::string className(const std::string& design)
{
    std::string s;
    bool upper = true;
    for (char c : design) {
        if (std::isalnum(static_cast<unsigned char>(c))) {
            s += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
            upper = false;
        } else {
            upper = true;
        }
    }
    if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0])))
        s = "Net" + s;
    return s;
}

class Writer {
public:
    explicit Writer(const Network& net) : m_net(net) {}
    Result<std::string> run();

private:
    std::string unique(const std::string& want, std::set<std::string>& used)
    {
        std::string n = want;
        for (int k = 2; used.count(n) || reserved().count(n); ++k)
            n = want + "_" + std::to_string(k);
        used.insert(n);
        return n;
    }
    bool inplaceSafe(const Node& n) const;

    const Network& m_net;
    AnalysisResult m_a;
    std::vector<std::string> m_init;
    std::unordered_map<uint32_t, int> m_consumers;
    std::set<std::string> m_attrs;
};

bool Writer::inplaceSafe(const Node& n) const
{
    // In place only when the input tensor is this layer's alone and not a view of another tensor
    // (PyTorch would overwrite what another layer still reads) nor the network input.
    if (n.params.inplace == 0)
        return false;
    const Edge* e = m_net.edgeInto(n.id, 0);
    if (!e)
        return false;
    const Node* src = m_net.node(e->from);
    auto it = m_consumers.find(e->from.v);
    return src && src->type != LayerType::Input && !isView(src->type) && src->type != LayerType::Opaque &&
           it != m_consumers.end() && it->second == 1;
}

std::string identifier(const std::string& name)
{
    std::string s;
    for (char c : name) {
        unsigned char u = static_cast<unsigned char>(c);
        s += std::isalnum(u) || c == '_' ? c : '_';
    }
    // Collapse runs of '_' and trim them: "/features/features.0/Conv" -> "features_features_0_Conv".
    std::string t;
    for (char c : s)
        if (!(c == '_' && (t.empty() || t.back() == '_')))
            t += c;
    while (!t.empty() && t.back() == '_')
        t.pop_back();
    if (t.empty())
        t = "layer";
    if (std::isdigit(static_cast<unsigned char>(t[0])))
        t = "layer_" + t;
    return t;
}

Result<std::string> Writer::run()
{
    m_a = analyze(m_net);
    for (const LayerResult& l : m_a.layers)
        if (l.status != LayerStatus::Ok)
            return Error{l.message.empty() ? "the design has errors; fix them before exporting" : l.message};
    if (m_net.nodes().empty())
        return Error{"the design is empty; there is nothing to export"};
    for (const Edge& e : m_net.edges())
        ++m_consumers[e.from.v];

    // Attribute names for modules, variable names for tensors read later than the next statement.
    std::unordered_map<uint32_t, std::string> attrOf;
    std::set<std::string> used;
    for (const LayerResult& l : m_a.layers) {
        const Node& n = m_net.nodes()[static_cast<size_t>(l.nodeIndex)];
        attrOf[n.id.v] = unique(identifier(n.name), used);
    }
    std::vector<std::string> init, body, inputs;
    // The variable holding output port p of a node, keyed by (id, p).
    auto key = [](NodeId id, int port) { return (static_cast<uint64_t>(id.v) << 16) | static_cast<uint64_t>(port); };
    std::unordered_map<uint64_t, std::string> var;
    std::unordered_map<uint64_t, int> portConsumers;
    std::unordered_map<uint32_t, const Edge*> onlyEdgeFrom;
    for (const Edge& e : m_net.edges()) {
        ++portConsumers[key(e.from, e.fromPort)];
        onlyEdgeFrom[e.from.v] = &e;
    }
    std::vector<std::string> outputs, outputNames; // variables, and the layer names __main__ prints
    for (size_t step = 0; step < m_a.layers.size(); ++step) {
        const LayerResult& l = m_a.layers[step];
        const Node& n = m_net.nodes()[static_cast<size_t>(l.nodeIndex)];
        const std::string& attr = attrOf[n.id.v];
        const int ports = 1 + static_cast<int>(l.extraOutputs.size());
        // The chain variable x: a single-output tensor read once, by the very next statement.
        std::string out = attr;
        int consumers = m_consumers[n.id.v];
        if (ports == 1 && consumers == 1 && step + 1 < m_a.layers.size()) {
            const Node& next = m_net.nodes()[static_cast<size_t>(m_a.layers[step + 1].nodeIndex)];
            if (onlyEdgeFrom[n.id.v]->to == next.id)
                out = "x";
        }
        // An unread by-product port (LSTM's h_n) is "_": neither a variable nor an output.
        const bool optional = layerKind(n.type).extraOutputsOptional;
        std::vector<std::string> outVars{out};
        for (int port = 1; port < ports; ++port)
            outVars.push_back(optional && !portConsumers[key(n.id, port)]
                                  ? std::string("_")
                                  : unique(attr + "_" + std::to_string(port), used));
        for (int port = 0; port < ports; ++port) {
            var[key(n.id, port)] = outVars[static_cast<size_t>(port)];
            if (n.type != LayerType::Input && !portConsumers[key(n.id, port)] &&
                outVars[static_cast<size_t>(port)] != "_") {
                outputs.push_back(outVars[static_cast<size_t>(port)]);
                outputNames.push_back(port == 0 ? n.name : n.name + ":" + std::to_string(port));
            }
        }
        if (n.type == LayerType::Input) {
            inputs.push_back(out);
            continue;
        }
        std::vector<std::string> ins;
        for (int port = 0; port < l.inputCount; ++port) {
            const Edge* e = m_net.edgeInto(n.id, port);
            ins.push_back(var[key(e->from, e->fromPort)]);
        }
        const LayerKind& kind = layerKind(n.type);
        if (!kind.pytorch.applies())
            return Error{"layer \"" + n.name + "\": no PyTorch export for " + std::string(kind.spec.label) + ": " +
                         std::string(kind.pytorch.notApplicable)};
        PyCtx ctx{n, m_a.inputsOf(l), l.output, ins, attr, out, outVars, inplaceSafe(n),
                  [&](const std::string& suffix) { return unique(attr + suffix, used); },
                  l.tiedTo.valid() ? attrOf[l.tiedTo.v] : std::string()};
        auto code = kind.pytorch.fn(ctx);
        if (!code)
            return Error{code.error()};
        if (!code->module.empty())
            init.push_back("self." + attr + " = " + code->module);
        for (auto& line : code->init)
            init.push_back(line);
        if (code->forward.empty())
            body.push_back(out + " = self." + attr + "(" + ins[0] + ")");
        for (auto& line : code->forward)
            body.push_back(line);
    }
    if (outputs.empty())
        return Error{"the design has no layer after its inputs; there is nothing to export"};

    const std::string cls = className(m_net.name);
    std::string py;
    py += "\"\"\"" + m_net.name + " — exported from NetCanvas.\n\n";
    for (const LayerResult& l : m_a.layers) {
        const Node& n = m_net.nodes()[static_cast<size_t>(l.nodeIndex)];
        if (n.type == LayerType::Input)
            py += "Input \"" + n.name + "\": " + l.output.toString() + " per sample.\n";
    }
    py += "Batch " + i(m_net.batch) + ". Parameters: " + groupDigits(m_a.totals.params) +
          " (as NetCanvas counts them).\n\"\"\"\n";
    py += "import torch\nfrom torch import nn\n\n\n";
    py += "class " + cls + "(nn.Module):\n";
    py += "    def __init__(self):\n        super().__init__()\n";
    for (const auto& s : init)
        py += "        " + s + "\n";
    py += "\n    def forward(self, " + join(inputs) + "):\n";
    for (const auto& s : body)
        py += "        " + s + "\n";
    py += "        return " + join(outputs) + "\n\n\n";

    py += "if __name__ == \"__main__\":\n";
    py += "    model = " + cls + "().eval()\n";
    std::vector<std::string> randoms;
    for (const LayerResult& l : m_a.layers) {
        const Node& n = m_net.nodes()[static_cast<size_t>(l.nodeIndex)];
        if (n.type != LayerType::Input)
            continue;
        std::vector<std::string> d{i(m_net.batch)};
        for (int64_t v : l.output)
            d.push_back(i(v));
        // Token ids for an embedding: whole numbers inside its vocabulary.
        int64_t vocab = 0;
        for (const Edge& e : m_net.edges())
            if (const Node* to = e.from == n.id ? m_net.node(e.to) : nullptr; to && to->type == LayerType::Embedding)
                vocab = vocab ? std::min(vocab, to->params.vocab) : to->params.vocab;
        if (vocab > 0)
            randoms.push_back("torch.randint(0, " + i(vocab) + ", (" + join(d) + ",))");
        else
            randoms.push_back("torch.randn(" + join(d) + ")");
    }
    py += "    inputs = (" + join(randoms) + (randoms.size() == 1 ? ",)\n" : ")\n");
    py += "    with torch.no_grad():\n        outputs = model(*inputs)\n";
    if (outputs.size() == 1) {
        py += "    print(\"output:\", tuple(outputs.shape))\n";
    } else {
        std::vector<std::string> names;
        for (const std::string& o : outputNames)
            names.push_back("\"" + o + "\"");
        py += "    for name, y in zip([" + join(names) + "], outputs):\n";
        py += "        print(name + \":\", tuple(y.shape))\n";
    }
    return py;
}

} // namespace

std::string pythonIdentifier(const std::string& name) { return identifier(name); }

Result<std::string> exportPyTorch(const Network& net)
{
    try {
        return Writer(net).run();
    } catch (const std::exception& e) {
        return Error{std::string("cannot export to PyTorch: ") + e.what()};
    }
}

Status savePyTorch(const Network& net, const QString& path)
{
    auto py = exportPyTorch(net);
    if (!py)
        return Error{py.error()};
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly))
        return Error{"cannot write " + path.toStdString() + ": " + f.errorString().toStdString()};
    const QByteArray data = QByteArray::fromStdString(*py);
    if (f.write(data) != data.size()) {
        f.cancelWriting();
        return Error{"cannot write " + path.toStdString() + ": " + f.errorString().toStdString()};
    }
    if (!f.commit())
        return Error{"cannot save " + path.toStdString() + ": " + f.errorString().toStdString()};
    return {};
}

} // namespace nc::core

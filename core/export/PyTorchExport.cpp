// PyTorchExport: a design as one readable nn.Module.
#include "PyTorchExport.h"

#include "core/Analysis.h"
#include "core/Format.h"
#include "core/LayerRules.h"

#include <QSaveFile>

#include <charconv>
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

std::string num(double v)
{
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    std::string s(buf, r.ptr);
    if (s.find_first_of(".einf") == std::string::npos)
        s += ".0";
    return s;
}

std::string i(int64_t v) { return std::to_string(v); }

// "3" for a square pair, "(3, 5)" otherwise.
std::string pair(int64_t a, int64_t b) { return a == b ? i(a) : "(" + i(a) + ", " + i(b) + ")"; }

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
    // Module declaration for a layer, or "" when it is an expression in forward.
    Result<std::string> module(const Node& n, const LayerResult& l);
    // Statements computing `out` from `ins`.
    std::vector<std::string> statements(const Node& n, const LayerResult& l, const std::string& attr,
                                        const std::vector<std::string>& ins, const std::string& out);
    bool inplaceSafe(const Node& n) const;

    const Network& m_net;
    AnalysisResult m_a;
    std::vector<std::string> m_init;
    std::unordered_map<uint32_t, int> m_consumers;
    struct Extra {
        std::string cls, pos;
    };
    std::unordered_map<uint32_t, Extra> m_extraParams; // PatchEmbed's class token and position embedding
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

Result<std::string> Writer::module(const Node& n, const LayerResult& l)
{
    const LayerParams& p = n.params;
    const auto ins = m_a.inputsOf(l);
    const Shape& in = ins.empty() ? l.output : ins[0];
    auto err = [&](const std::string& why) { return Result<std::string>(Error{"layer \"" + n.name + "\": " + why}); };
    auto bias = [&](std::vector<std::string>& a) {
        if (!p.bias)
            a.push_back("bias=False");
    };
    switch (n.type) {
    case LayerType::Linear: {
        std::vector<std::string> a{i(in.back()), i(p.features)};
        bias(a);
        return "nn.Linear(" + join(a) + ")";
    }
    case LayerType::Conv2d:
    case LayerType::DepthwiseConv2d: {
        const bool dw = n.type == LayerType::DepthwiseConv2d;
        const int64_t ci = in[0], co = l.output[0], g = dw ? ci : p.groups;
        std::vector<std::string> a{i(ci), i(co), "kernel_size=" + pair(p.kh, p.kw)};
        if (p.sh != 1 || p.sw != 1)
            a.push_back("stride=" + pair(p.sh, p.sw));
        std::string pre;
        const Padding pad = resolvePadding(p, in[1], in[2]);
        const bool stride1 = p.sh == 1 && p.sw == 1;
        if (p.padSame && stride1 && p.padMode == 0) {
            a.push_back("padding=\"same\"");
        } else if (pad.top == pad.bottom && pad.left == pad.right) {
            if (pad.top || pad.left)
                a.push_back("padding=" + pair(pad.top, pad.left));
            if (p.padMode == static_cast<int64_t>(PadMode::Reflect))
                a.push_back("padding_mode=\"reflect\"");
            else if (p.padMode == static_cast<int64_t>(PadMode::Replicate))
                a.push_back("padding_mode=\"replicate\"");
        } else {
            // Uneven padding: an explicit padding module in front (PyTorch pads both sides equally).
            const char* cls = p.padMode == static_cast<int64_t>(PadMode::Reflect)     ? "nn.ReflectionPad2d"
                              : p.padMode == static_cast<int64_t>(PadMode::Replicate) ? "nn.ReplicationPad2d"
                                                                                      : "nn.ZeroPad2d";
            pre = std::string(cls) + "((" + i(pad.left) + ", " + i(pad.right) + ", " + i(pad.top) + ", " +
                  i(pad.bottom) + "))";
        }
        if (p.dh != 1 || p.dw != 1)
            a.push_back("dilation=" + pair(p.dh, p.dw));
        if (g != 1)
            a.push_back("groups=" + i(g));
        bias(a);
        std::string conv = "nn.Conv2d(" + join(a) + ")";
        return pre.empty() ? conv : "nn.Sequential(" + pre + ", " + conv + ")";
    }
    case LayerType::MaxPool2d:
    case LayerType::AvgPool2d: {
        const bool avg = n.type == LayerType::AvgPool2d;
        std::vector<std::string> a{"kernel_size=" + pair(p.kh, p.kw)};
        if (p.sh != p.kh || p.sw != p.kw)
            a.push_back("stride=" + pair(p.sh, p.sw));
        std::string pre;
        if (p.pt == p.pb && p.pl == p.pr) {
            if (p.pt || p.pl)
                a.push_back("padding=" + pair(p.pt, p.pl));
        } else {
            pre = std::string(avg ? "nn.ZeroPad2d((" : "nn.ConstantPad2d((") + i(p.pl) + ", " + i(p.pr) + ", " +
                  i(p.pt) + ", " + i(p.pb) + ")" + (avg ? ")" : "), float(\"-inf\"))");
        }
        if (p.ceilMode)
            a.push_back("ceil_mode=True");
        if (avg && !p.countIncludePad)
            a.push_back("count_include_pad=False");
        std::string pool = std::string(avg ? "nn.AvgPool2d(" : "nn.MaxPool2d(") + join(a) + ")";
        return pre.empty() ? pool : "nn.Sequential(" + pre + ", " + pool + ")";
    }
    case LayerType::GlobalAvgPool:
        return std::string("nn.AdaptiveAvgPool2d(1)");
    case LayerType::AdaptiveAvgPool2d:
        return "nn.AdaptiveAvgPool2d(" + pair(p.outH, p.outW) + ")";
    case LayerType::BatchNorm:
    case LayerType::InstanceNorm: {
        const bool bn = n.type == LayerType::BatchNorm;
        int dims = bn ? (in.rank() <= 2 ? 1 : in.rank() - 1) : in.rank() - 1;
        if (dims < 1 || dims > 3)
            return err(std::string(bn ? "BatchNorm" : "InstanceNorm") + " over " + in.toString() +
                       " samples has no PyTorch module");
        std::vector<std::string> a{i(in[0])};
        if (p.eps != 1e-5)
            a.push_back("eps=" + num(p.eps));
        if (bn && !p.affine)
            a.push_back("affine=False");
        if (!bn && p.affine)
            a.push_back("affine=True");
        if (bn && !p.trackStats)
            a.push_back("track_running_stats=False");
        return std::string(bn ? "nn.BatchNorm" : "nn.InstanceNorm") + i(dims) + "d(" + join(a) + ")";
    }
    case LayerType::LayerNorm: {
        std::vector<std::string> dims;
        for (int k = in.rank() - static_cast<int>(p.normAxes); k < in.rank(); ++k)
            dims.push_back(i(in[k]));
        std::vector<std::string> a{dims.size() == 1 ? dims[0] : "(" + join(dims) + ")"};
        if (p.eps != 1e-5)
            a.push_back("eps=" + num(p.eps));
        if (!p.affine)
            a.push_back("elementwise_affine=False");
        return "nn.LayerNorm(" + join(a) + ")";
    }
    case LayerType::GroupNorm: {
        std::vector<std::string> a{i(p.numGroups), i(in[0])};
        if (p.eps != 1e-5)
            a.push_back("eps=" + num(p.eps));
        if (!p.affine)
            a.push_back("affine=False");
        return "nn.GroupNorm(" + join(a) + ")";
    }
    case LayerType::ReLU:
    case LayerType::ReLU6:
    case LayerType::SiLU:
    case LayerType::HardSwish: {
        const char* cls = n.type == LayerType::ReLU    ? "nn.ReLU("
                          : n.type == LayerType::ReLU6 ? "nn.ReLU6("
                          : n.type == LayerType::SiLU  ? "nn.SiLU("
                                                       : "nn.Hardswish(";
        return std::string(cls) + (inplaceSafe(n) ? "inplace=True" : "") + ")";
    }
    case LayerType::LeakyReLU:
        return "nn.LeakyReLU(" + num(p.slope) + (inplaceSafe(n) ? ", inplace=True" : "") + ")";
    case LayerType::Sigmoid:
        return std::string("nn.Sigmoid()");
    case LayerType::Tanh:
        return std::string("nn.Tanh()");
    case LayerType::GELU:
        return std::string("nn.GELU()");
    case LayerType::Softmax:
        return "nn.Softmax(dim=" + i(p.axis >= 0 ? p.axis + 1 : p.axis) + ")";
    case LayerType::Dropout:
        return "nn.Dropout(" + num(p.dropP) + ")";
    case LayerType::PatchEmbed: {
        std::vector<std::string> a{i(in[0]), i(p.features), "kernel_size=" + i(p.patch), "stride=" + i(p.patch)};
        bias(a);
        return "nn.Conv2d(" + join(a) + ")";
    }
    case LayerType::MultiHeadAttention: {
        std::vector<std::string> a{i(in[1]), i(p.heads)};
        bias(a);
        a.push_back("batch_first=True");
        return "nn.MultiheadAttention(" + join(a) + ")";
    }
    case LayerType::Mlp: {
        const int64_t d = in.back(), o = l.output.back();
        std::string b = p.bias ? "" : ", bias=False";
        return "nn.Sequential(nn.Linear(" + i(d) + ", " + i(p.hidden) + b + "), nn.GELU(), nn.Linear(" +
               i(p.hidden) + ", " + i(o) + b + "))";
    }
    default:
        return std::string(); // an expression in forward
    }
}

std::vector<std::string> Writer::statements(const Node& n, const LayerResult& l, const std::string& attr,
                                            const std::vector<std::string>& ins, const std::string& out)
{
    const LayerParams& p = n.params;
    const std::string x = ins.empty() ? std::string() : ins[0];
    switch (n.type) {
    case LayerType::Add:
        return {out + " = " + join(ins, " + ")};
    case LayerType::Multiply: {
        // NetCanvas broadcasts per-sample shapes from the right; give lower-rank inputs the batch axis
        // and leading 1s so PyTorch's broadcast (batch included) lines up the same way.
        const auto shapes = m_a.inputsOf(l);
        std::vector<std::string> terms;
        for (size_t k = 0; k < ins.size(); ++k) {
            const Shape& s = shapes[k];
            if (s.rank() == l.output.rank()) {
                terms.push_back(ins[k]);
                continue;
            }
            std::vector<std::string> d{ins[k] + ".shape[0]"};
            for (int r = s.rank(); r < l.output.rank(); ++r)
                d.push_back("1");
            for (int64_t v : s)
                d.push_back(i(v));
            terms.push_back(ins[k] + ".reshape(" + join(d) + ")");
        }
        return {out + " = " + join(terms, " * ")};
    }
    case LayerType::Concat:
        return {out + " = torch.cat([" + join(ins) + "], dim=1)"};
    case LayerType::Flatten:
        return {out + " = torch.flatten(" + x + ", 1)"};
    case LayerType::Reshape: {
        std::vector<std::string> d{x + ".shape[0]"};
        for (int64_t v : p.dims)
            d.push_back(i(v));
        return {out + " = " + x + ".reshape(" + join(d) + ")"};
    }
    case LayerType::ClassTokenSelect:
        return {out + " = " + x + "[:, 0]"};
    case LayerType::Opaque: {
        std::vector<std::string> d{x + ".shape[0]"};
        for (int64_t v : p.dims)
            d.push_back(i(v));
        return {"# \"" + n.name + "\" is an operator NetCanvas does not model; zeros of its shape stand in",
                out + " = " + x + ".new_zeros(" + join(d) + ")"};
    }
    case LayerType::PatchEmbed: {
        std::vector<std::string> s{out + " = self." + attr + "(" + x + ").flatten(2).transpose(1, 2)"};
        const Extra& extra = m_extraParams[n.id.v];
        if (p.classToken)
            s.push_back(out + " = torch.cat([self." + extra.cls + ".expand(" + out + ".shape[0], -1, -1), " + out +
                        "], dim=1)");
        if (p.posEmbed)
            s.push_back(out + " = " + out + " + self." + extra.pos);
        return s;
    }
    case LayerType::MultiHeadAttention:
        return {out + ", _ = self." + attr + "(" + x + ", " + x + ", " + x + ", need_weights=False)"};
    default:
        return {out + " = self." + attr + "(" + x + ")"};
    }
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
    std::unordered_map<uint32_t, std::string> var;
    std::vector<const Node*> outputs;
    for (size_t step = 0; step < m_a.layers.size(); ++step) {
        const LayerResult& l = m_a.layers[step];
        const Node& n = m_net.nodes()[static_cast<size_t>(l.nodeIndex)];
        const std::string& attr = attrOf[n.id.v];
        // The chain variable x: a tensor read once, by the very next statement.
        std::string out = attr;
        int consumers = m_consumers[n.id.v];
        if (consumers == 1 && step + 1 < m_a.layers.size()) {
            const Node& next = m_net.nodes()[static_cast<size_t>(m_a.layers[step + 1].nodeIndex)];
            const Edge* e = nullptr;
            for (const Edge& ed : m_net.edges())
                if (ed.from == n.id)
                    e = &ed;
            if (e && e->to == next.id)
                out = "x";
        }
        if (consumers == 0 && n.type != LayerType::Input)
            outputs.push_back(&n);
        var[n.id.v] = out;
        if (n.type == LayerType::Input) {
            inputs.push_back(out);
            continue;
        }
        auto decl = module(n, l);
        if (!decl)
            return Error{decl.error()};
        if (!decl->empty())
            init.push_back("self." + attr + " = " + *decl);
        if (n.type == LayerType::PatchEmbed) {
            Extra& extra = m_extraParams[n.id.v];
            const LayerParams& p = n.params;
            if (p.classToken) {
                extra.cls = unique(attr + "_cls_token", used);
                init.push_back("self." + extra.cls + " = nn.Parameter(torch.zeros(1, 1, " + i(p.features) + "))");
            }
            if (p.posEmbed) {
                extra.pos = unique(attr + "_pos_embed", used);
                init.push_back("self." + extra.pos + " = nn.Parameter(torch.zeros(1, " + i(l.output[0]) + ", " +
                               i(p.features) + "))");
            }
        }
        std::vector<std::string> ins;
        for (int port = 0; port < l.inputCount; ++port)
            ins.push_back(var[m_net.edgeInto(n.id, port)->from.v]);
        for (auto& s : statements(n, l, attr, ins, out))
            body.push_back(s);
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
    std::vector<std::string> results;
    for (const Node* n : outputs)
        results.push_back(var[n->id.v]);
    py += "        return " + join(results) + "\n\n\n";

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
        randoms.push_back("torch.randn(" + join(d) + ")");
    }
    py += "    inputs = (" + join(randoms) + (randoms.size() == 1 ? ",)\n" : ")\n");
    py += "    with torch.no_grad():\n        outputs = model(*inputs)\n";
    if (outputs.size() == 1) {
        py += "    print(\"output:\", tuple(outputs.shape))\n";
    } else {
        std::vector<std::string> names;
        for (const Node* n : outputs)
            names.push_back("\"" + n->name + "\"");
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

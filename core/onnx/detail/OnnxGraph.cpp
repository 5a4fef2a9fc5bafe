// OnnxGraph: parsing under limits, validation, weight stripping, topological order, and the value
// pass (constant folding and per-node ONNX shape inference).
#include "OnnxGraph.h"
#include "PayloadSkip.h"

#include "core/layers/LayerKind.h"
#include "core/onnx/OnnxImport.h"

#include <google/protobuf/io/coded_stream.h>
#include <onnx/checker.h>
#include <onnx/defs/schema.h>
#include <onnx/shape_inference/implementation.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <queue>
#include <unordered_set>

namespace nc::core::onnx::detail {

namespace {

using TP = ox::TensorProto;

std::string quote(const std::string& s) { return "\"" + s + "\""; }

bool isDefaultDomain(const std::string& d) { return d.empty() || d == "ai.onnx"; }

// Frees a string's heap buffer (clear() keeps the capacity).
void freeString(std::string* s)
{
    s->clear();
    s->shrink_to_fit();
}

template <typename R>
void freeRepeated(R* r)
{
    R().Swap(r);
}

// Drops the contents of a tensor, keeping name, type and dims: weights are counted, never kept.
void stripData(TP& t)
{
    if (t.has_raw_data()) {
        freeString(t.mutable_raw_data());
        t.clear_raw_data();
    }
    freeRepeated(t.mutable_float_data());
    freeRepeated(t.mutable_int32_data());
    freeRepeated(t.mutable_int64_data());
    freeRepeated(t.mutable_double_data());
    freeRepeated(t.mutable_uint64_data());
    freeRepeated(t.mutable_string_data());
}

// Row 0 and column 0 (first 4 values each) of a float32 matrix stored in the file, else empty.
// `skippedRaw` is the payload PayloadSkip left out of `t` (its raw_data), read in place instead.
std::vector<float> fingerprintOf(const TP& t, const char* skippedRaw = nullptr, uint64_t skippedBytes = 0)
{
    std::vector<float> f;
    if (t.data_type() != TP::FLOAT || t.dims_size() != 2 || t.dims(0) < 4 || t.dims(1) < 4 ||
        t.data_location() == TP::EXTERNAL)
        return f;
    const int64_t cols = t.dims(1);
    auto at = [&](int64_t r, int64_t c, float& out) {
        const int64_t k = r * cols + c;
        if (skippedRaw) {
            if (static_cast<uint64_t>(k + 1) * 4 > skippedBytes)
                return false;
            std::memcpy(&out, skippedRaw + k * 4, 4);
            return true;
        }
        if (t.has_raw_data()) {
            if (static_cast<uint64_t>(k + 1) * 4 > t.raw_data().size())
                return false;
            std::memcpy(&out, t.raw_data().data() + k * 4, 4); // little-endian, as ONNX stores it
            return true;
        }
        if (k >= t.float_data_size())
            return false;
        out = t.float_data(static_cast<int>(k));
        return true;
    };
    for (int64_t k = 0; k < 8; ++k) {
        float v = 0;
        if (!(k < 4 ? at(0, k, v) : at(k - 4, 0, v)))
            return {};
        f.push_back(v);
    }
    return f;
}

// Reads a tensor's dims and checks them against the limits.
Result<std::vector<int64_t>> checkedDims(const TP& t, const std::string& what)
{
    std::vector<int64_t> dims(t.dims().begin(), t.dims().end());
    if (dims.size() > static_cast<size_t>(kMaxRank))
        return Error{what + " has " + std::to_string(dims.size()) + " dimensions; at most " +
                     std::to_string(kMaxRank) + " are supported"};
    for (int64_t d : dims)
        if (d < 0 || d > kMaxDim)
            return Error{what + " has an invalid or absurd dimension " + std::to_string(d)};
    if (!elementCount(dims))
        return Error{what + " has an absurd size " + dimsText(dims)};
    return dims;
}

// Largest raw_data the importer may keep (4,096 int64 values): longer payloads are skipped before
// parsing (PayloadSkip.h), as they could never be kept.
constexpr uint64_t kKeptPayloadBytes = uint64_t(kMaxConstElements) * 8;
static_assert(uint64_t(kMaxRealConstElements) * 8 <= kKeptPayloadBytes);

// Validates a tensor's data size against its dims; keeps small contents, strips the rest.
// `skippedRaw`: the length of a raw_data payload left out before parsing.
Result<std::optional<Tensor>> takeTensor(TP& t, const std::string& what, std::optional<uint64_t> skippedRaw = {})
{
    auto dims = checkedDims(t, what);
    if (!dims)
        return Error{dims.error()};
    int64_t n = *elementCount(*dims);
    int32_t type = t.data_type();
    if (skippedRaw) {
        // The same size check as for a parsed payload below (a payload this long is never kept).
        uint64_t need = static_cast<uint64_t>(n) * static_cast<uint64_t>(elementBytes(type));
        if (elementBytes(type) > 0 && t.data_location() != TP::EXTERNAL && *skippedRaw != need)
            return Error{what + " holds " + std::to_string(*skippedRaw) + " bytes of data but its dims " +
                         dimsText(*dims) + " need " + std::to_string(need) + "; the file is damaged"};
        stripData(t);
        return std::optional<Tensor>{};
    }
    std::optional<Tensor> kept;
    int64_t limit = isRealType(type) ? kMaxRealConstElements : kMaxConstElements;
    if (n <= limit) {
        auto r = readTensor(t, limit);
        if (!r)
            return Error{what + ": " + r.error()};
        kept = std::move(*r);
    } else if (t.data_location() != TP::EXTERNAL && !t.has_raw_data() && t.float_data_size() == 0 &&
               t.int32_data_size() == 0 && t.int64_data_size() == 0 && t.double_data_size() == 0 &&
               t.uint64_data_size() == 0 && t.string_data_size() == 0) {
        // Counting a tensor the file does not hold would put made-up parameters in the figures.
        return Error{what + " claims " + std::to_string(n) + " elements (" + dimsText(*dims) +
                     ") but holds no data; the file is damaged"};
    } else if (t.has_raw_data() && elementBytes(type) > 0 && t.data_location() != TP::EXTERNAL) {
        // Large: only the size is checked (it costs nothing), then the data is dropped.
        uint64_t need = static_cast<uint64_t>(n) * static_cast<uint64_t>(elementBytes(type));
        if (t.raw_data().size() != need)
            return Error{what + " holds " + std::to_string(t.raw_data().size()) + " bytes of data but its dims " +
                         dimsText(*dims) + " need " + std::to_string(need) + "; the file is damaged"};
    }
    if (!kept)
        stripData(t); // small contents stay: folding a Constant node reads them again
    return kept;
}

bool tensorShape(const ox::TypeProto& type, std::vector<int64_t>& dims, std::vector<std::string>* symbols = nullptr)
{
    if (!type.has_tensor_type() || !type.tensor_type().has_shape())
        return false;
    dims.clear();
    for (const auto& d : type.tensor_type().shape().dim()) {
        dims.push_back(d.has_dim_value() ? d.dim_value() : -1);
        if (symbols)
            symbols->push_back(d.has_dim_param() ? d.dim_param() : std::string());
    }
    return true;
}

// Input slots that hold weights: a graph input used only there is a parameter, not data.
bool weightSlot(const ox::NodeProto& n, int slot, size_t rank)
{
    const std::string& op = n.op_type();
    if (!isDefaultDomain(n.domain()) || slot < 1)
        return false;
    if (op == "Conv" || op == "ConvTranspose" || op == "BatchNormalization" || op == "InstanceNormalization" ||
        op == "LayerNormalization" || op == "PRelu" || op == "Gemm")
        return true;
    return op == "MatMul" && slot == 1 && rank == 2;
}

} // namespace

const ox::AttributeProto* findAttr(const ox::NodeProto& n, const std::string& name)
{
    for (const auto& a : n.attribute())
        if (a.name() == name)
            return &a;
    return nullptr;
}
int64_t attrInt(const ox::NodeProto& n, const std::string& name, int64_t def)
{
    const auto* a = findAttr(n, name);
    return a && a->type() == ox::AttributeProto::INT ? a->i() : def;
}
double attrFloat(const ox::NodeProto& n, const std::string& name, double def)
{
    const auto* a = findAttr(n, name);
    return a && a->type() == ox::AttributeProto::FLOAT ? a->f() : def;
}
std::string attrString(const ox::NodeProto& n, const std::string& name, const std::string& def)
{
    const auto* a = findAttr(n, name);
    return a && a->type() == ox::AttributeProto::STRING ? a->s() : def;
}
std::optional<std::vector<int64_t>> attrInts(const ox::NodeProto& n, const std::string& name)
{
    const auto* a = findAttr(n, name);
    if (!a || a->type() != ox::AttributeProto::INTS)
        return std::nullopt;
    return std::vector<int64_t>(a->ints().begin(), a->ints().end());
}

int OnnxGraph::valueIndex(const std::string& name) const
{
    auto it = m_byName.find(name);
    return it == m_byName.end() ? -1 : it->second;
}

int OnnxGraph::opset(const std::string& domain) const
{
    auto it = m_opsets.find(isDefaultDomain(domain) ? std::string() : domain);
    return it == m_opsets.end() ? 0 : it->second;
}

std::string OnnxGraph::metadata(const std::string& key) const
{
    for (const auto& p : m_model->metadata_props())
        if (p.key() == key)
            return p.value();
    return {};
}

void OnnxGraph::release() { m_model.reset(); }

namespace {
bool maskShaped(const std::vector<int64_t>& dims)
{
    if (dims.size() < 2 || dims.back() < 2 || dims[dims.size() - 2] != dims.back())
        return false;
    for (size_t a = 0; a + 2 < dims.size(); ++a)
        if (dims[a] != 1)
            return false;
    return true;
}
} // namespace

std::optional<Tensor> OnnxGraph::maskContents(int v, std::string& why) const
{
    const Value& val = value(v);
    if (val.data)
        return *val.data;
    // Views keep the order of the values: the exporter's Identity for a buffer two blocks share, a
    // view(1, 1, T, T).
    for (int hops = 0; hops < 16 && m_maskInitializer.count(v) == 0; ++hops) {
        const Value& cur = value(v);
        if (cur.producer < 0 || !info(cur.producer).constant)
            break;
        const std::string& op = node(cur.producer).op_type();
        if (op != "Identity" && op != "Reshape" && op != "Unsqueeze" && op != "Squeeze")
            break;
        const int src = info(cur.producer).inputs.empty() ? -1 : info(cur.producer).inputs[0];
        if (src < 0)
            break;
        if (value(src).data)
            return *value(src).data;
        v = src;
    }
    if (auto k = m_maskKept.find(v); k != m_maskKept.end())
        return k->second;
    auto init = m_maskInitializer.find(v);
    if (init == m_maskInitializer.end()) {
        why = "its contents are not kept (not an initializer shaped 1×…×T×T)";
        return std::nullopt;
    }
    auto payload = m_skippedPayload.find(init->second);
    if (payload == m_skippedPayload.end()) {
        why = "its contents are stored outside the file or in a form not read";
        return std::nullopt;
    }
    if (payload->second.second > kMaxMaskBytes) {
        why = "it holds " + std::to_string(payload->second.second) + " bytes, more than the " +
              std::to_string(kMaxMaskBytes >> 20) + " MiB a mask is read up to";
        return std::nullopt;
    }
    ox::TensorProto t;
    t.set_data_type(val.elemType);
    for (int64_t d : val.dims)
        t.add_dims(d);
    t.set_raw_data(payload->second.first, payload->second.second);
    auto r = readTensor(t, static_cast<int64_t>(kMaxMaskBytes));
    if (!r || !*r) {
        why = r ? "its element type is not numeric" : r.error();
        return std::nullopt;
    }
    return std::move(**r);
}

Result<OnnxGraph> OnnxGraph::load(const char* bytes, size_t size)
{
    if (size == 0)
        return Error{"the file is empty; not an ONNX model"};
    if (size > static_cast<size_t>(kMaxOnnxBytes))
        return Error{"the file is 2 GiB or larger; ONNX models that big keep their weights in external files"};
    OnnxGraph g;
    g.m_model = std::make_unique<ox::ModelProto>();
    {
        // Weights are never parsed: their payloads are left out first, and only their sizes kept.
        std::optional<SkimmedModel> skim = skimPayloads(bytes, size, kKeptPayloadBytes);
        if (skim) {
            bytes = skim->bytes.data();
            size = skim->bytes.size();
            g.m_skippedRaw.insert(skim->skipped.begin(), skim->skipped.end());
            for (size_t k = 0; k < skim->skipped.size(); ++k)
                g.m_skippedPayload[skim->skipped[k].first] = {skim->payloads[k], skim->skipped[k].second};
        }
        // The original bytes are still here: sample the skipped tables for the tie check now.
        auto sampleSkipped = [&](const ox::ModelProto& m) {
            if (!skim || !m.has_graph())
                return;
            for (size_t k = 0; k < skim->skipped.size(); ++k) {
                const int i = skim->skipped[k].first;
                if (i < m.graph().initializer_size())
                    g.m_skippedFingerprint[i] =
                        fingerprintOf(m.graph().initializer(i), skim->payloads[k], skim->skipped[k].second);
            }
        };
        google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes), static_cast<int>(size));
        in.SetRecursionLimit(64); // a graph nested in If/Loop bodies costs about 4 levels per graph
        in.SetTotalBytesLimit(INT_MAX);
        if (!g.m_model->ParseFromCodedStream(&in) || !in.ConsumedEntireMessage())
            return Error{"not an ONNX model, or a damaged one: the protobuf data is malformed, truncated or nested too deeply"};
        sampleSkipped(*g.m_model);
    }
    if (!g.m_model->has_graph())
        return Error{"not an ONNX model: it has no graph"};
    for (const auto& o : g.m_model->opset_import()) {
        if (o.version() < 1 || o.version() > 1000)
            return Error{"operator set version " + std::to_string(o.version()) + " of domain " + quote(o.domain()) +
                         " is not valid"};
        g.m_opsets[isDefaultDomain(o.domain()) ? std::string() : o.domain()] = static_cast<int>(o.version());
    }
    if (!g.m_opsets.count(std::string()))
        return Error{"not a usable ONNX model: it declares no operator set for the default domain (opset_import)"};
    if (Status s = g.index(); !s)
        return Error{s.error()};
    return g;
}

Status OnnxGraph::collectCaptures(const ox::GraphProto& sub, int depth, std::vector<std::string>& out,
                                  std::unordered_multiset<std::string>& defined) const
{
    if (depth > kMaxSubgraphDepth)
        return Error{"subgraphs are nested more than " + std::to_string(kMaxSubgraphDepth) + " deep"};
    std::vector<const std::string*> mine; // names this scope defines, removed again on the way out
    for (const auto& i : sub.input())
        mine.push_back(&i.name());
    for (const auto& i : sub.initializer())
        mine.push_back(&i.name());
    for (const auto& n : sub.node())
        for (const auto& o : n.output())
            mine.push_back(&o);
    for (const std::string* m : mine)
        defined.insert(*m);
    Status result;
    for (const auto& n : sub.node()) {
        for (const auto& i : n.input())
            if (!i.empty() && !defined.count(i))
                out.push_back(i);
        for (const auto& a : n.attribute()) {
            if (a.has_g() && result)
                result = collectCaptures(a.g(), depth + 1, out, defined);
            for (const auto& gg : a.graphs())
                if (result)
                    result = collectCaptures(gg, depth + 1, out, defined);
        }
        if (!result)
            break;
    }
    for (const auto& o : sub.output())
        if (!defined.count(o.name()))
            out.push_back(o.name());
    for (const std::string* m : mine)
        defined.erase(defined.find(*m));
    return result;
}

bool OnnxGraph::spend(int64_t n)
{
    if (n > m_constBudget)
        return false;
    m_constBudget -= n;
    return true;
}

Status OnnxGraph::index()
{
    ox::GraphProto& g = *m_model->mutable_graph();
    if (g.node_size() > kMaxNodes)
        return Error{"the graph has " + std::to_string(g.node_size()) + " nodes; at most " + std::to_string(kMaxNodes) +
                     " are supported"};
    if (g.initializer_size() > kMaxNodes || g.input_size() > kMaxNodes || g.value_info_size() > 4 * kMaxNodes)
        return Error{"the graph has too many initializers, inputs or value_info entries"};

    auto addValue = [&](const std::string& name, const std::string& what) -> Result<int> {
        if (name.empty())
            return Error{what + " has an empty name"};
        if (name.size() > 4096)
            return Error{what + " has a name longer than 4096 characters"};
        if (m_byName.count(name))
            return Error{"tensor " + quote(name) + " is defined twice (" + what + "); every ONNX tensor has one producer"};
        Value v;
        v.name = name;
        m_values.push_back(std::move(v));
        int idx = static_cast<int>(m_values.size()) - 1;
        m_byName.emplace(name, idx);
        return idx;
    };

    for (int i = 0; i < g.initializer_size(); ++i) {
        TP& t = *g.mutable_initializer(i);
        auto idx = addValue(t.name(), "an initializer");
        if (!idx)
            return Error{idx.error()};
        Value& v = m_values[static_cast<size_t>(*idx)];
        auto dims = checkedDims(t, "initializer " + quote(t.name()));
        if (!dims)
            return Error{dims.error()};
        auto sampled = m_skippedFingerprint.find(i);
        v.fingerprint = sampled != m_skippedFingerprint.end() ? sampled->second : fingerprintOf(t);
        // A mask-shaped initializer (1×…×1×T×T) may be the constant mask of an attention: keep the way
        // to its contents. Parsed ones are at most kKeptPayloadBytes, so keeping them costs little.
        if (maskShaped(*dims)) {
            m_maskInitializer[*idx] = i;
            if (m_skippedRaw.count(i) == 0 && *elementCount(*dims) > kMaxRealConstElements)
                if (auto r = readTensor(t, kMaxConstElements * 8); r && *r)
                    m_maskKept[*idx] = std::move(**r);
        }
        auto skipped = m_skippedRaw.find(i);
        auto data = takeTensor(t, "initializer " + quote(t.name()),
                               skipped == m_skippedRaw.end() ? std::optional<uint64_t>() : skipped->second);
        if (!data)
            return Error{data.error()};
        v.initializer = true;
        v.shapeKnown = true;
        v.dims = *dims;
        v.elemType = t.data_type();
        if (*data && spend(static_cast<int64_t>((*data)->size())))
            v.data = std::move(*data);
        v.paramRoot = isRealType(v.elemType);
        v.rootElements = *elementCount(v.dims);
        v.fixedConstant = t.doc_string() == kFixedConstantDoc;
        v.learnedOperand = t.doc_string() == kLearnedOperandDoc;
    }
    for (const auto& s : g.sparse_initializer()) {
        const TP& vals = s.values();
        auto idx = addValue(vals.name(), "a sparse initializer");
        if (!idx)
            return Error{idx.error()};
        Value& v = m_values[static_cast<size_t>(*idx)];
        std::vector<int64_t> dims(s.dims().begin(), s.dims().end());
        for (int64_t d : dims)
            if (d < 0 || d > kMaxDim)
                return Error{"sparse initializer " + quote(vals.name()) + " has an invalid dimension"};
        if (!elementCount(dims) || dims.size() > static_cast<size_t>(kMaxRank))
            return Error{"sparse initializer " + quote(vals.name()) + " has an absurd size"};
        v.initializer = true;
        v.shapeKnown = true;
        v.dims = dims;
        v.elemType = vals.data_type();
        v.paramRoot = isRealType(v.elemType);
        v.rootElements = *elementCount(dims);
    }
    g.clear_sparse_initializer();

    for (const auto& in : g.input()) {
        int existing = valueIndex(in.name());
        if (existing >= 0 && m_values[static_cast<size_t>(existing)].initializer)
            continue; // IR < 4 lists initializers as inputs too; the initializer is its value
        auto idx = addValue(in.name(), "graph input");
        if (!idx)
            return Error{idx.error()};
        Value& v = m_values[static_cast<size_t>(*idx)];
        v.graphInput = true;
        if (!in.type().has_tensor_type())
            return Error{"graph input " + quote(in.name()) + " is not a tensor (sequences and maps are not supported)"};
        v.elemType = in.type().tensor_type().elem_type();
        std::vector<int64_t> dims;
        if (tensorShape(in.type(), dims)) {
            if (dims.size() > static_cast<size_t>(kMaxRank))
                return Error{"graph input " + quote(in.name()) + " has too many dimensions"};
            m_fileShapes[in.name()] = dims;
        }
    }

    m_nodes.resize(static_cast<size_t>(g.node_size()));
    for (int i = 0; i < g.node_size(); ++i) {
        ox::NodeProto& n = *g.mutable_node(i);
        if (n.op_type().empty())
            return Error{"node #" + std::to_string(i) + " has no operator type"};
        for (const auto& o : n.output()) {
            int idx = -1;
            if (!o.empty()) {
                auto r = addValue(o, "output of node " + quote(n.name()) + " (" + n.op_type() + ")");
                if (!r)
                    return Error{r.error()};
                idx = *r;
                m_values[static_cast<size_t>(idx)].producer = i;
            }
            m_nodes[static_cast<size_t>(i)].outputs.push_back(idx);
        }
        // A big Constant holds weights: keep dims, drop the data like an initializer's.
        if (n.op_type() == "Constant" && isDefaultDomain(n.domain()))
            for (auto& a : *n.mutable_attribute())
                if (a.has_t()) {
                    auto t = takeTensor(*a.mutable_t(), "constant " + quote(n.name()));
                    if (!t)
                        return Error{t.error()};
                }
    }
    auto label = [&](int i) {
        const auto& n = g.node(i);
        return "node " + (n.name().empty() ? "#" + std::to_string(i) : quote(n.name())) + " (" + n.op_type() + ")";
    };
    for (int i = 0; i < g.node_size(); ++i) {
        const ox::NodeProto& n = g.node(i);
        NodeInfo& info = m_nodes[static_cast<size_t>(i)];
        for (const auto& in : n.input()) {
            if (in.empty()) {
                info.inputs.push_back(-1);
                continue;
            }
            int idx = valueIndex(in);
            if (idx < 0)
                return Error{label(i) + ": input " + quote(in) +
                             " is not produced by any node, graph input or initializer"};
            info.inputs.push_back(idx);
            m_values[static_cast<size_t>(idx)].consumers.push_back(i);
        }
        std::vector<std::string> captured;
        std::unordered_multiset<std::string> defined;
        for (const auto& a : n.attribute()) {
            if (a.has_g())
                if (Status s = collectCaptures(a.g(), 1, captured, defined); !s)
                    return Error{label(i) + ": " + s.error()};
            for (const auto& gg : a.graphs())
                if (Status s = collectCaptures(gg, 1, captured, defined); !s)
                    return Error{label(i) + ": " + s.error()};
        }
        std::sort(captured.begin(), captured.end());
        captured.erase(std::unique(captured.begin(), captured.end()), captured.end());
        for (const auto& c : captured) {
            int idx = valueIndex(c);
            if (idx < 0)
                return Error{label(i) + ": its subgraph reads " + quote(c) + ", which nothing produces"};
            info.captures.push_back(idx);
            m_values[static_cast<size_t>(idx)].consumers.push_back(i);
        }
    }
    for (const auto& o : g.output()) {
        int idx = valueIndex(o.name());
        if (idx < 0)
            return Error{"graph output " + quote(o.name()) + " is not produced by any node"};
        m_values[static_cast<size_t>(idx)].graphOutput = true;
        m_outputs.push_back(idx);
        std::vector<int64_t> dims;
        if (tensorShape(o.type(), dims))
            m_fileShapes[o.name()] = dims;
    }
    if (m_outputs.empty())
        return Error{"the graph has no outputs"};
    for (const auto& vi : g.value_info()) {
        std::vector<int64_t> dims;
        if (tensorShape(vi.type(), dims))
            m_fileShapes[vi.name()] = dims;
    }
    // value_info is the file's claim about shapes; it is compared with ours, never fed to inference.
    g.clear_value_info();

    // Graph inputs that only ever feed weight slots are parameters supplied at run time.
    for (int idx = 0; idx < static_cast<int>(m_values.size()); ++idx) {
        Value& v = m_values[static_cast<size_t>(idx)];
        if (!v.graphInput)
            continue;
        auto fs = m_fileShapes.find(v.name);
        size_t rank = fs == m_fileShapes.end() ? 0 : fs->second.size();
        bool weight = !v.consumers.empty() && !v.graphOutput;
        for (int c : v.consumers) {
            const auto& n = g.node(c);
            bool slotOk = false;
            for (int k = 0; k < n.input_size(); ++k)
                if (n.input(k) == v.name)
                    slotOk = weightSlot(n, k, rank);
            weight = weight && slotOk;
        }
        v.weightInput = weight;
        if (!weight)
            m_dataInputs.push_back(idx);
    }

    // Topological order (Kahn); ties keep the file order, so a sorted file is read as written.
    const int n = g.node_size();
    std::vector<int> pending(static_cast<size_t>(n), 0);
    for (int i = 0; i < n; ++i) {
        const NodeInfo& info = m_nodes[static_cast<size_t>(i)];
        for (const auto* list : {&info.inputs, &info.captures})
            for (int v : *list)
                if (v >= 0 && m_values[static_cast<size_t>(v)].producer >= 0)
                    ++pending[static_cast<size_t>(i)];
    }
    std::priority_queue<int, std::vector<int>, std::greater<int>> ready;
    for (int i = 0; i < n; ++i)
        if (!pending[static_cast<size_t>(i)])
            ready.push(i);
    while (!ready.empty()) {
        int i = ready.top();
        ready.pop();
        m_order.push_back(i);
        for (int v : m_nodes[static_cast<size_t>(i)].outputs) {
            if (v < 0)
                continue;
            for (int c : m_values[static_cast<size_t>(v)].consumers)
                if (--pending[static_cast<size_t>(c)] == 0)
                    ready.push(c);
        }
    }
    if (static_cast<int>(m_order.size()) != n) {
        for (int i = 0; i < n; ++i)
            if (pending[static_cast<size_t>(i)] > 0)
                return Error{"the graph has a cycle through " + label(i) + "; an ONNX graph must be acyclic"};
    }
    return {};
}

Status OnnxGraph::resolveValues(const std::map<std::string, std::vector<int64_t>>& inputShapes,
                                const std::map<std::string, int64_t>& symbols,
                                const std::map<std::string, std::vector<double>>& constantInputs,
                                std::vector<std::string>& notes)
{
    for (const auto& [name, dims] : inputShapes) {
        int idx = valueIndex(name);
        if (idx < 0 || !m_values[static_cast<size_t>(idx)].graphInput)
            return Error{"there is no graph input " + quote(name) + " to give a shape to"};
    }
    for (const auto& [name, values] : constantInputs) {
        int idx = valueIndex(name);
        if (idx < 0 || !m_values[static_cast<size_t>(idx)].graphInput)
            return Error{"there is no graph input " + quote(name) + " to freeze"};
        if (values.size() > static_cast<size_t>(kMaxConstElements))
            return Error{"input " + quote(name) + ": at most " + std::to_string(kMaxConstElements) +
                         " values can be frozen"};
        m_values[static_cast<size_t>(idx)].frozenInput = true;
        m_values[static_cast<size_t>(idx)].weightInput = false;
        m_dataInputs.erase(std::remove(m_dataInputs.begin(), m_dataInputs.end(), idx), m_dataInputs.end());
    }
    std::unordered_set<std::string> batchSymbols, usedSymbols;
    for (const auto& in : graph().input()) {
        int idx = valueIndex(in.name());
        if (idx < 0 || !m_values[static_cast<size_t>(idx)].graphInput)
            continue;
        Value& v = m_values[static_cast<size_t>(idx)];
        const std::string what = (v.weightInput ? "weight input " : "input ") + quote(v.name);
        std::vector<int64_t> dims;
        if (auto it = inputShapes.find(v.name); it != inputShapes.end()) {
            dims = it->second;
        } else {
            std::vector<std::string> syms;
            if (!tensorShape(in.type(), dims, &syms))
                return Error{what + " has no shape in the file; give one (e.g. --input " + v.name + "=1,3,224,224)"};
            for (size_t a = 0; a < dims.size(); ++a) {
                if (dims[a] >= 0)
                    continue;
                const std::string& s = syms[a];
                const MissingDimension missing{v.name, static_cast<int>(a), s};
                if (symbols.count(missing.key())) {
                    dims[a] = symbols.at(missing.key());
                    usedSymbols.insert(missing.key());
                } else if (a == 0 && !v.weightInput) {
                    dims[a] = 1;
                    batchSymbols.insert(s.empty() ? std::string("?") : s);
                } else {
                    return Error{(v.weightInput ? "weight " : "") + missingDimensionError(missing)};
                }
            }
        }
        if (dims.size() > static_cast<size_t>(kMaxRank))
            return Error{what + " has too many dimensions"};
        // A constant given by the caller may be empty (ONNX's "no axes" for a Reduce); data may not.
        const int64_t least = v.frozenInput ? 0 : 1;
        for (int64_t d : dims)
            if (d < least || d > kMaxDim)
                return Error{what + " has a dimension of " + std::to_string(d) + " in " + dimsText(dims) +
                             "; every size must be from " + std::to_string(least) + " to " + std::to_string(kMaxDim)};
        if (!elementCount(dims))
            return Error{what + " has an absurd size " + dimsText(dims)};
        v.dims = dims;
        v.shapeKnown = true;
        if (v.frozenInput) {
            const auto& values = constantInputs.at(v.name);
            if (static_cast<int64_t>(values.size()) != *elementCount(dims))
                return Error{what + ": " + std::to_string(values.size()) + " values given for shape " + dimsText(dims)};
            Tensor t;
            t.type = v.elemType ? v.elemType : static_cast<int32_t>(TP::FLOAT);
            t.dims = dims;
            for (double x : values) {
                if (t.real())
                    t.reals.push_back(x);
                else
                    t.ints.push_back(Tensor::saturatingInt(x));
            }
            v.data = std::move(t);
            continue;
        }
        v.dynamic = !v.weightInput;
        if (v.weightInput) {
            v.paramRoot = isRealType(v.elemType);
            v.rootElements = *elementCount(dims);
        }
        if (v.weightInput)
            notes.push_back("graph input " + quote(v.name) + " feeds only weight slots, so it is counted as parameters");
    }
    for (const auto& s : batchSymbols)
        notes.push_back(s == "?" ? "an unknown batch dimension is taken as 1"
                                 : "symbolic batch dimension " + quote(s) + " is taken as 1");
    for (const auto& [s, value] : symbols)
        if (!usedSymbols.count(s))
            notes.push_back("no input has a symbolic dimension " + quote(s) + "; its value " + std::to_string(value) +
                            " was not used");

    for (int i : m_order)
        if (Status s = resolveNode(i, notes); !s)
            return s;
    return {};
}

Status OnnxGraph::resolveNode(int i, std::vector<std::string>& notes)
{
    const ox::NodeProto& n = node(i);
    NodeInfo& info = m_nodes[static_cast<size_t>(i)];
    const std::string& op = n.op_type();
    const bool stdOp = isDefaultDomain(n.domain());
    auto label = [&]() {
        return "node " + (n.name().empty() ? "#" + std::to_string(i) : quote(n.name())) + " (" + op + ")";
    };

    bool dynamic = false;
    for (const auto* list : {&info.inputs, &info.captures})
        for (int v : *list)
            dynamic = dynamic || (v >= 0 && m_values[static_cast<size_t>(v)].dynamic);
    const bool shapeOnly = stdOp && (op == "Shape" || op == "Size") && !info.inputs.empty() && info.inputs[0] >= 0 &&
                           m_values[static_cast<size_t>(info.inputs[0])].shapeKnown;
    if (shapeOnly)
        dynamic = false;

    std::vector<std::vector<int64_t>> outDims(info.outputs.size());
    std::vector<int32_t> outTypes(info.outputs.size(), 0);
    std::vector<bool> known(info.outputs.size(), false);

    if (!dynamic) {
        info.constant = true;
        std::vector<const Tensor*> tensors;
        std::vector<const std::vector<int64_t>*> dims;
        for (int v : info.inputs) {
            const Value* val = v >= 0 ? &m_values[static_cast<size_t>(v)] : nullptr;
            tensors.push_back(val && val->data ? &*val->data : nullptr);
            dims.push_back(val && val->shapeKnown ? &val->dims : nullptr);
        }
        if (info.captures.empty()) {
            auto folded = foldNode(n, opset(n.domain()), tensors, dims);
            if (folded) {
                int64_t size = 0;
                bool fits = folded->size() <= info.outputs.size();
                for (const Tensor& t : *folded) {
                    size += static_cast<int64_t>(t.size());
                    fits = fits && t.dims.size() <= static_cast<size_t>(kMaxRank);
                }
                if (!fits || !spend(size)) {
                    if (fits && !m_budgetNoted) {
                        notes.push_back("constant folding stopped: the model holds more than " +
                                        std::to_string(kConstBudget) + " constant values");
                        m_budgetNoted = true;
                    }
                    folded.reset();
                }
            }
            if (folded) {
                info.folded = true;
                for (size_t k = 0; k < folded->size(); ++k) {
                    int v = info.outputs[k];
                    if (v < 0)
                        continue;
                    Value& out = m_values[static_cast<size_t>(v)];
                    out.dims = (*folded)[k].dims;
                    out.elemType = (*folded)[k].type;
                    out.shapeKnown = true;
                    out.data = std::move((*folded)[k]);
                }
                if (stdOp && op == "Constant" && info.outputs[0] >= 0) {
                    Value& out = m_values[static_cast<size_t>(info.outputs[0])];
                    out.paramRoot = isRealType(out.elemType);
                    out.rootElements = static_cast<int64_t>(out.data->size());
                }
                return {};
            }
        }
        if (stdOp && op == "Constant" && info.outputs.size() == 1 && info.outputs[0] >= 0) {
            // A large constant (weights exported as Constant): dims only, data already dropped.
            if (const auto* a = findAttr(n, "value"); a && a->has_t()) {
                Value& out = m_values[static_cast<size_t>(info.outputs[0])];
                out.dims.assign(a->t().dims().begin(), a->t().dims().end());
                out.elemType = a->t().data_type();
                out.shapeKnown = true;
                out.paramRoot = isRealType(out.elemType);
                out.rootElements = elementCount(out.dims).value_or(0);
                return {};
            }
        }
    }

    // Reshape is resolved here (its rule is short, and ONNX's needs the target's contents anyway).
    bool done = false;
    if (stdOp && op == "Reshape" && info.inputs.size() >= 2 && info.inputs[0] >= 0 && info.inputs[1] >= 0 &&
        info.outputs.size() == 1) {
        const Value& x = m_values[static_cast<size_t>(info.inputs[0])];
        const Value& s = m_values[static_cast<size_t>(info.inputs[1])];
        if (x.shapeKnown && s.data && !s.data->real()) {
            auto count = elementCount(x.dims);
            if (count && *count <= kMaxElements) {
                // Resolve 0 (copy) and -1 (infer) against the input dims, as foldNode does for contents.
                std::vector<int64_t> out;
                int64_t knownProd = 1;
                int infer = -1;
                bool ok = true;
                bool allowZero = attrInt(n, "allowzero", 0) != 0;
                for (size_t k = 0; k < s.data->ints.size() && ok; ++k) {
                    int64_t d = s.data->ints[k];
                    if (d == 0 && !allowZero) {
                        ok = k < x.dims.size();
                        d = ok ? x.dims[k] : 0;
                    }
                    if (d == -1) {
                        ok = ok && infer < 0;
                        infer = static_cast<int>(k);
                        out.push_back(1);
                        continue;
                    }
                    ok = ok && d >= 0 && !__builtin_mul_overflow(knownProd, d, &knownProd);
                    out.push_back(d);
                }
                if (ok && infer >= 0) {
                    ok = knownProd > 0 && *count % knownProd == 0;
                    if (ok)
                        out[static_cast<size_t>(infer)] = *count / knownProd;
                } else if (ok) {
                    ok = knownProd == *count;
                }
                if (!ok)
                    return Error{label() + ": cannot reshape " + dimsText(x.dims) + " to " + dimsText(s.data->ints)};
                outDims[0] = out;
                outTypes[0] = x.elemType;
                known[0] = true;
                done = true;
            }
        }
    }
    if (!done && !(stdOp && op == "Constant")) {
        std::string why;
        std::vector<std::vector<int64_t>> inferred;
        std::vector<int32_t> types;
        const bool inferredOk = inferNode(i, inferred, types, why);
        if (!inferredOk)
            info.noInference = why;
        if (inferredOk) {
            for (size_t k = 0; k < info.outputs.size() && k < inferred.size(); ++k) {
                outTypes[k] = types[k];
                if (inferred[k].size() == 1 && inferred[k][0] == INT64_MIN)
                    continue; // no shape
                bool all = true;
                for (int64_t d : inferred[k])
                    all = all && d >= 0;
                if (all) {
                    outDims[k] = inferred[k];
                    known[k] = true;
                }
            }
        }
    }
    // Operators newer than ONNX 1.12 that keep their input's shape (opset 18 and 20).
    if (stdOp && !known.empty() && !known[0] && (op == "Gelu" || op == "GroupNormalization") &&
        !info.inputs.empty() && info.inputs[0] >= 0 && m_values[static_cast<size_t>(info.inputs[0])].shapeKnown) {
        outDims[0] = m_values[static_cast<size_t>(info.inputs[0])].dims;
        known[0] = true;
    }
    // Where ONNX cannot infer (an operator from another domain), the file's own value_info is used,
    // with a symbolic batch taken as the batch of the first data input.
    for (size_t k = 0; k < info.outputs.size(); ++k) {
        int v = info.outputs[k];
        if (v < 0 || known[k])
            continue;
        auto it = m_fileShapes.find(m_values[static_cast<size_t>(v)].name);
        if (it == m_fileShapes.end() || it->second.empty())
            continue;
        std::vector<int64_t> d = it->second;
        if (d[0] < 0 && !m_dataInputs.empty() && !m_values[static_cast<size_t>(m_dataInputs[0])].dims.empty())
            d[0] = m_values[static_cast<size_t>(m_dataInputs[0])].dims[0];
        if (std::all_of(d.begin(), d.end(), [](int64_t x) { return x >= 0; })) {
            outDims[k] = d;
            known[k] = true;
            notes.push_back("the shape of " + quote(m_values[static_cast<size_t>(v)].name) + " (" + label() +
                            ") comes from the file's value_info: ONNX cannot infer it");
        }
    }
    for (size_t k = 0; k < info.outputs.size(); ++k) {
        int v = info.outputs[k];
        if (v < 0)
            continue;
        Value& out = m_values[static_cast<size_t>(v)];
        out.dynamic = dynamic;
        out.elemType = outTypes[k] ? outTypes[k]
                                   : (!info.inputs.empty() && info.inputs[0] >= 0
                                          ? m_values[static_cast<size_t>(info.inputs[0])].elemType
                                          : static_cast<int32_t>(TP::FLOAT));
        if (!known[k])
            continue;
        if (outDims[k].size() > static_cast<size_t>(kMaxRank))
            return Error{label() + ": output " + quote(out.name) + " would have " + std::to_string(outDims[k].size()) +
                         " dimensions"};
        for (int64_t d : outDims[k])
            if (d > kMaxDim)
                return Error{label() + ": output " + quote(out.name) + " would have an absurd dimension " +
                             std::to_string(d)};
        if (!elementCount(outDims[k]))
            return Error{label() + ": output " + quote(out.name) + " would have an absurd size " + dimsText(outDims[k])};
        out.dims = outDims[k];
        out.shapeKnown = true;
    }
    return {};
}

std::string OnnxGraph::unsafeForInference(int i) const
{
    const ox::NodeProto& n = node(i);
    const NodeInfo& info = m_nodes[static_cast<size_t>(i)];

    // ONNX's own checker: the operator exists in the model's opset, required attributes are there
    // with the right types (Scan's num_scan_inputs, If's branches), input and output counts fit the
    // schema, subgraphs are well formed and read only names in scope.
    try {
        ox::checker::CheckerContext ctx;
        ctx.set_ir_version(m_model->ir_version() > 0 ? static_cast<int>(m_model->ir_version()) : 8);
        ctx.set_opset_imports(m_opsets);
        ctx.set_is_main_graph(false);
        ox::checker::LexicalScopeContext scope;
        for (int v : info.captures)
            scope.add(m_values[static_cast<size_t>(v)].name);
        for (const auto& in : n.input())
            scope.add(in);
        ox::checker::check_node(n, ctx, scope);
    } catch (const std::exception& e) {
        std::string msg = e.what();
        if (msg.size() > 300)
            msg = msg.substr(0, 300) + "…";
        return "the ONNX checker refuses the node: " + msg;
    }

    // Ranks that the convolution and pooling inference functions index without checking: the data
    // input has batch, channel and at least one spatial axis; a weight has the data's rank; every
    // per-axis attribute has one entry per spatial axis (pads two).
    const std::string& op = n.op_type();
    if (!isDefaultDomain(n.domain()))
        return {};
    static const std::unordered_set<std::string> convLike{"Conv", "ConvTranspose", "ConvInteger", "QLinearConv",
                                                          "DeformConv"};
    static const std::unordered_set<std::string> poolLike{
        "MaxPool", "AveragePool", "LpPool", "GlobalMaxPool", "GlobalAveragePool", "GlobalLpPool", "MaxRoiPool",
        "MaxUnpool", "RoiAlign", "Col2Im"};
    if (!convLike.count(op) && !poolLike.count(op))
        return {};
    auto rankOf = [&](size_t slot) -> int {
        if (slot >= info.inputs.size() || info.inputs[slot] < 0)
            return -1;
        const Value& v = m_values[static_cast<size_t>(info.inputs[slot])];
        return v.shapeKnown ? static_cast<int>(v.dims.size()) : -1;
    };
    const int rank = rankOf(0);
    if (rank < 0)
        return "the shape of its data input is unknown";
    if (rank < 3)
        return "its data input has rank " + std::to_string(rank) + "; " + op + " needs batch, channel and spatial axes";
    if (convLike.count(op)) {
        const size_t wSlot = op == "QLinearConv" ? 3 : 1;
        const int wRank = rankOf(wSlot);
        if (wRank < 0)
            return "the shape of its weight is unknown";
        if (wRank != rank)
            return "its weight has rank " + std::to_string(wRank) + " but its data input has rank " +
                   std::to_string(rank);
    }
    const size_t spatial = static_cast<size_t>(rank - 2);
    for (const auto& a : n.attribute()) {
        const std::string& an = a.name();
        size_t want = 0;
        if (an == "kernel_shape" || an == "strides" || an == "dilations" || an == "output_padding")
            want = spatial;
        else if (an == "pads")
            want = 2 * spatial;
        else if (an == "output_shape" && a.ints_size() != rank)
            want = spatial;
        else
            continue;
        if (static_cast<size_t>(a.ints_size()) != want)
            return "attribute " + an + " has " + std::to_string(a.ints_size()) + " values; the input has " +
                   std::to_string(spatial) + " spatial axes";
    }
    return {};
}

bool OnnxGraph::inferNode(int i, std::vector<std::vector<int64_t>>& dims, std::vector<int32_t>& types,
                          std::string& why) const
{
    const ox::NodeProto& n = node(i);
    const NodeInfo& info = m_nodes[static_cast<size_t>(i)];
    const bool stdOp = isDefaultDomain(n.domain());

    why = unsafeForInference(i);
    if (!why.empty())
        return false;

    // Hostile attributes: some inference functions divide by these or loop over them.
    for (const auto& a : n.attribute()) {
        const std::string& an = a.name();
        if (an == "strides" || an == "dilations" || an == "kernel_shape" || an == "blocksize" || an == "group") {
            auto bad = [&](int64_t x) { return x < 1 || x > (int64_t(1) << 24); };
            bool anyBad = a.type() == ox::AttributeProto::INT ? bad(a.i()) : false;
            for (int64_t x : a.ints())
                anyBad = anyBad || bad(x);
            if (anyBad) {
                why = "attribute " + an + " must hold positive sizes";
                return false;
            }
        }
        if (an == "pads")
            for (int64_t x : a.ints())
                if (x < -(int64_t(1) << 24) || x > (int64_t(1) << 24)) {
                    why = "attribute pads holds an absurd value";
                    return false;
                }
    }
    if (stdOp && (n.op_type() == "Range")) {
        why = "Range is only folded when its inputs are constants";
        return false;
    }
    if (attrString(n, "auto_pad", "NOTSET").rfind("SAME", 0) == 0)
        for (int v : info.inputs)
            if (v >= 0)
                for (int64_t d : m_values[static_cast<size_t>(v)].dims)
                    if (d > (int64_t(1) << 24)) {
                        why = "input too large for \"same\" padding";
                        return false;
                    }

    ox::GraphProto g;
    g.set_name("netcanvas_node");
    *g.add_node() = n;
    std::unordered_set<int> seen;
    for (const auto* list : {&info.inputs, &info.captures})
        for (int v : *list) {
            if (v < 0 || !seen.insert(v).second)
                continue;
            const Value& val = m_values[static_cast<size_t>(v)];
            if (val.data) {
                auto* t = g.add_initializer();
                writeTensor(*val.data, t);
                t->set_name(val.name);
                continue;
            }
            auto* vi = g.add_input();
            vi->set_name(val.name);
            auto* tt = vi->mutable_type()->mutable_tensor_type();
            tt->set_elem_type(val.elemType ? val.elemType : static_cast<int32_t>(TP::FLOAT));
            if (val.shapeKnown) {
                auto* sh = tt->mutable_shape();
                for (int64_t d : val.dims)
                    sh->add_dim()->set_dim_value(d);
            }
        }
    for (const auto& o : n.output())
        if (!o.empty())
            g.add_output()->set_name(o);
    try {
        ox::ShapeInferenceOptions options(false, 1, false);
        ox::shape_inference::InferShapes(&g, m_opsets, ox::OpSchemaRegistry::Instance(), options);
    } catch (const std::exception& e) {
        why = e.what();
        return false;
    }
    dims.assign(static_cast<size_t>(n.output_size()), std::vector<int64_t>{INT64_MIN});
    types.assign(static_cast<size_t>(n.output_size()), 0);
    for (const auto& o : g.output()) {
        for (int k = 0; k < n.output_size(); ++k) {
            if (n.output(k) != o.name() || !o.type().has_tensor_type())
                continue;
            types[static_cast<size_t>(k)] = o.type().tensor_type().elem_type();
            std::vector<int64_t> d;
            if (tensorShape(o.type(), d))
                dims[static_cast<size_t>(k)] = d;
        }
    }
    return true;
}

} // namespace nc::core::onnx::detail

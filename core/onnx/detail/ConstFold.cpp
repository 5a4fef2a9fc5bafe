// ConstFold: small constant tensors — reading them from TensorProtos and folding the shape arithmetic
// that exporters put in front of Reshape (Shape, Gather, Unsqueeze, Concat, Slice, Cast, ...).
#include "OnnxGraph.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace nc::core::onnx::detail {

namespace {

using TP = ox::TensorProto;

float halfToFloat(uint16_t h)
{
    uint32_t sign = (h >> 15) & 1u, exp = (h >> 10) & 0x1fu, man = h & 0x3ffu;
    float v;
    if (exp == 0)
        v = std::ldexp(static_cast<float>(man), -24);
    else if (exp == 31)
        v = man ? std::numeric_limits<float>::quiet_NaN() : std::numeric_limits<float>::infinity();
    else
        v = std::ldexp(static_cast<float>(man | 0x400u), static_cast<int>(exp) - 25);
    return sign ? -v : v;
}

float bfloatToFloat(uint16_t b)
{
    uint32_t bits = static_cast<uint32_t>(b) << 16;
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
}

template <typename T>
T readLE(const char* p)
{
    T v; // the file format is little-endian, as is every platform NetCanvas builds on
    std::memcpy(&v, p, sizeof v);
    return v;
}

bool isIntType(int32_t t)
{
    switch (t) {
    case TP::UINT8: case TP::INT8: case TP::UINT16: case TP::INT16: case TP::INT32: case TP::INT64:
    case TP::BOOL: case TP::UINT32: case TP::UINT64:
        return true;
    default:
        return false;
    }
}

std::optional<int64_t> product(const std::vector<int64_t>& dims)
{
    int64_t n = 1;
    for (int64_t d : dims) {
        if (d < 0 || __builtin_mul_overflow(n, d, &n))
            return std::nullopt;
    }
    return n;
}

} // namespace

bool isRealType(int32_t t)
{
    return t == TP::FLOAT || t == TP::DOUBLE || t == TP::FLOAT16 || t == TP::BFLOAT16;
}

int elementBytes(int32_t t)
{
    switch (t) {
    case TP::UINT8: case TP::INT8: case TP::BOOL: return 1;
    case TP::UINT16: case TP::INT16: case TP::FLOAT16: case TP::BFLOAT16: return 2;
    case TP::INT32: case TP::UINT32: case TP::FLOAT: return 4;
    case TP::INT64: case TP::UINT64: case TP::DOUBLE: return 8;
    default: return 0;
    }
}

std::optional<int64_t> elementCount(const std::vector<int64_t>& dims)
{
    auto n = product(dims);
    if (!n || *n > kMaxElements)
        return std::nullopt;
    return n;
}

std::string dimsText(const std::vector<int64_t>& dims)
{
    if (dims.empty())
        return "scalar";
    std::string s;
    for (size_t i = 0; i < dims.size(); ++i)
        s += (i ? "×" : "") + (dims[i] < 0 ? std::string("?") : std::to_string(dims[i]));
    return s;
}

Result<std::optional<Tensor>> readTensor(const ox::TensorProto& t, int64_t maxElements)
{
    std::vector<int64_t> dims(t.dims().begin(), t.dims().end());
    auto n = elementCount(dims);
    const std::string where = "tensor \"" + t.name() + "\"";
    if (!n)
        return Error{where + " has invalid or absurd dimensions " + dimsText(dims)};
    int32_t type = t.data_type();
    if (*n > maxElements || (!isRealType(type) && !isIntType(type)) ||
        t.data_location() == TP::EXTERNAL)
        return std::optional<Tensor>{};
    Tensor r;
    r.type = type;
    r.dims = dims;
    const size_t count = static_cast<size_t>(*n);
    if (isRealType(type))
        r.reals.reserve(count);
    else
        r.ints.reserve(count);

    if (t.has_raw_data()) {
        const std::string& raw = t.raw_data();
        const size_t bytes = static_cast<size_t>(elementBytes(type));
        if (raw.size() != count * bytes)
            return Error{where + " holds " + std::to_string(raw.size()) + " bytes but its dims " + dimsText(dims) +
                         " need " + std::to_string(count * bytes)};
        for (size_t i = 0; i < count; ++i) {
            const char* p = raw.data() + i * bytes;
            switch (type) {
            case TP::FLOAT: r.reals.push_back(readLE<float>(p)); break;
            case TP::DOUBLE: r.reals.push_back(readLE<double>(p)); break;
            case TP::FLOAT16: r.reals.push_back(halfToFloat(readLE<uint16_t>(p))); break;
            case TP::BFLOAT16: r.reals.push_back(bfloatToFloat(readLE<uint16_t>(p))); break;
            case TP::UINT8: r.ints.push_back(readLE<uint8_t>(p)); break;
            case TP::INT8: r.ints.push_back(readLE<int8_t>(p)); break;
            case TP::BOOL: r.ints.push_back(readLE<uint8_t>(p) != 0); break;
            case TP::UINT16: r.ints.push_back(readLE<uint16_t>(p)); break;
            case TP::INT16: r.ints.push_back(readLE<int16_t>(p)); break;
            case TP::INT32: r.ints.push_back(readLE<int32_t>(p)); break;
            case TP::UINT32: r.ints.push_back(readLE<uint32_t>(p)); break;
            case TP::INT64: r.ints.push_back(readLE<int64_t>(p)); break;
            case TP::UINT64: r.ints.push_back(static_cast<int64_t>(readLE<uint64_t>(p))); break;
            default: break;
            }
        }
        return std::optional<Tensor>{std::move(r)};
    }
    // Typed fields (ONNX's TensorProto documents which field holds which type).
    auto mismatch = [&](size_t have) {
        return Error{where + " holds " + std::to_string(have) + " values but its dims " + dimsText(dims) + " need " +
                     std::to_string(count)};
    };
    switch (type) {
    case TP::FLOAT:
        if (static_cast<size_t>(t.float_data_size()) != count)
            return mismatch(static_cast<size_t>(t.float_data_size()));
        r.reals.assign(t.float_data().begin(), t.float_data().end());
        break;
    case TP::DOUBLE:
        if (static_cast<size_t>(t.double_data_size()) != count)
            return mismatch(static_cast<size_t>(t.double_data_size()));
        r.reals.assign(t.double_data().begin(), t.double_data().end());
        break;
    case TP::INT64:
        if (static_cast<size_t>(t.int64_data_size()) != count)
            return mismatch(static_cast<size_t>(t.int64_data_size()));
        r.ints.assign(t.int64_data().begin(), t.int64_data().end());
        break;
    case TP::UINT32:
    case TP::UINT64:
        if (static_cast<size_t>(t.uint64_data_size()) != count)
            return mismatch(static_cast<size_t>(t.uint64_data_size()));
        for (uint64_t v : t.uint64_data())
            r.ints.push_back(static_cast<int64_t>(v));
        break;
    default: // int32_data carries every narrower type, and float16/bfloat16 as bit patterns
        if (static_cast<size_t>(t.int32_data_size()) != count)
            return mismatch(static_cast<size_t>(t.int32_data_size()));
        for (int32_t v : t.int32_data()) {
            if (type == TP::FLOAT16)
                r.reals.push_back(halfToFloat(static_cast<uint16_t>(v)));
            else if (type == TP::BFLOAT16)
                r.reals.push_back(bfloatToFloat(static_cast<uint16_t>(v)));
            else if (type == TP::BOOL)
                r.ints.push_back(v != 0);
            else
                r.ints.push_back(v);
        }
        break;
    }
    return std::optional<Tensor>{std::move(r)};
}

void writeTensor(const Tensor& t, ox::TensorProto* out)
{
    for (int64_t d : t.dims)
        out->add_dims(d);
    if (t.real()) {
        // Folded floating-point constants are written as double or float; narrower types widen to float.
        if (t.type == TP::DOUBLE) {
            out->set_data_type(TP::DOUBLE);
            for (double v : t.reals)
                out->add_double_data(v);
        } else {
            out->set_data_type(TP::FLOAT);
            for (double v : t.reals)
                out->add_float_data(static_cast<float>(v));
        }
        return;
    }
    switch (t.type) {
    case TP::INT64:
        out->set_data_type(TP::INT64);
        for (int64_t v : t.ints)
            out->add_int64_data(v);
        break;
    case TP::UINT32:
    case TP::UINT64:
        out->set_data_type(t.type);
        for (int64_t v : t.ints)
            out->add_uint64_data(static_cast<uint64_t>(v));
        break;
    default:
        out->set_data_type(t.type);
        for (int64_t v : t.ints)
            out->add_int32_data(static_cast<int32_t>(v));
        break;
    }
}

// ---- folding ---------------------------------------------------------------------------------------

namespace {

using Opt = std::optional<std::vector<Tensor>>;

Opt one(Tensor t)
{
    std::vector<Tensor> v;
    v.push_back(std::move(t));
    return v;
}

bool small(const std::vector<int64_t>& dims)
{
    auto n = product(dims);
    return n && *n <= kMaxConstElements;
}

// Normalises an axis against a rank; false when out of range.
bool normAxis(int64_t& axis, int64_t rank)
{
    if (axis < -rank || axis >= rank)
        return false;
    if (axis < 0)
        axis += rank;
    return true;
}

std::vector<int64_t> stridesOf(const std::vector<int64_t>& dims)
{
    std::vector<int64_t> s(dims.size(), 1);
    for (int i = static_cast<int>(dims.size()) - 2; i >= 0; --i)
        s[static_cast<size_t>(i)] = s[static_cast<size_t>(i) + 1] * dims[static_cast<size_t>(i) + 1];
    return s;
}

// Copies element `from` of src into dst (same value class).
void pushFrom(Tensor& dst, const Tensor& src, size_t from)
{
    if (dst.real())
        dst.reals.push_back(src.value(from));
    else
        dst.ints.push_back(src.intValue(from));
}

std::optional<std::vector<int64_t>> broadcastDims(const std::vector<const Tensor*>& in)
{
    size_t rank = 0;
    for (const Tensor* t : in)
        rank = std::max(rank, t->dims.size());
    std::vector<int64_t> out(rank, 1);
    for (const Tensor* t : in) {
        size_t off = rank - t->dims.size();
        for (size_t i = 0; i < t->dims.size(); ++i) {
            int64_t d = t->dims[i], &o = out[off + i];
            if (d == o || d == 1)
                continue;
            if (o != 1)
                return std::nullopt;
            o = d;
        }
    }
    return out;
}

// Index into `t` for flat output index `i` of broadcast output dims `out`.
size_t broadcastIndex(const Tensor& t, const std::vector<int64_t>& out, const std::vector<int64_t>& outStrides,
                      int64_t i)
{
    size_t off = out.size() - t.dims.size();
    int64_t idx = 0, stride = 1;
    for (int a = static_cast<int>(t.dims.size()) - 1; a >= 0; --a) {
        int64_t coord = (i / outStrides[off + static_cast<size_t>(a)]) % out[off + static_cast<size_t>(a)];
        if (t.dims[static_cast<size_t>(a)] != 1)
            idx += coord * stride;
        stride *= t.dims[static_cast<size_t>(a)];
    }
    return static_cast<size_t>(idx);
}

template <typename F>
Opt elementwise(const std::vector<const Tensor*>& in, int32_t outType, F f)
{
    auto dims = broadcastDims(in);
    if (!dims || !small(*dims))
        return std::nullopt;
    Tensor r;
    r.type = outType;
    r.dims = *dims;
    auto strides = stridesOf(*dims);
    int64_t n = *product(*dims);
    std::vector<double> args(in.size());
    std::vector<int64_t> iargs(in.size());
    for (int64_t i = 0; i < n; ++i) {
        for (size_t k = 0; k < in.size(); ++k) {
            size_t j = broadcastIndex(*in[k], *dims, strides, i);
            args[k] = in[k]->value(j);
            iargs[k] = in[k]->intValue(j);
        }
        auto v = f(args, iargs);
        if (!v)
            return std::nullopt;
        if (r.real())
            r.reals.push_back(v->first);
        else
            r.ints.push_back(v->second);
    }
    return one(std::move(r));
}

using Pair = std::optional<std::pair<double, int64_t>>;

Opt binaryArith(const std::string& op, const Tensor& a, const Tensor& b)
{
    if (a.real() != b.real())
        return std::nullopt;
    bool real = a.real();
    return elementwise({&a, &b}, a.type, [&](const std::vector<double>& x, const std::vector<int64_t>& k) -> Pair {
        if (real) {
            double v;
            if (op == "Add") v = x[0] + x[1];
            else if (op == "Sub") v = x[0] - x[1];
            else if (op == "Mul") v = x[0] * x[1];
            else if (op == "Div") v = x[0] / x[1];
            else if (op == "Pow") v = std::pow(x[0], x[1]);
            else if (op == "Max") v = std::max(x[0], x[1]);
            else if (op == "Min") v = std::min(x[0], x[1]);
            else return std::nullopt;
            return std::pair{v, int64_t(0)};
        }
        int64_t v = 0;
        if (op == "Add") {
            if (__builtin_add_overflow(k[0], k[1], &v)) return std::nullopt;
        } else if (op == "Sub") {
            if (__builtin_sub_overflow(k[0], k[1], &v)) return std::nullopt;
        } else if (op == "Mul") {
            if (__builtin_mul_overflow(k[0], k[1], &v)) return std::nullopt;
        } else if (op == "Div") {
            if (k[1] == 0 || (k[0] == INT64_MIN && k[1] == -1)) return std::nullopt;
            v = k[0] / k[1];
        } else if (op == "Mod") {
            if (k[1] == 0 || (k[0] == INT64_MIN && k[1] == -1)) return std::nullopt;
            v = k[0] % k[1];
            if (v != 0 && ((v < 0) != (k[1] < 0))) v += k[1]; // ONNX Mod (fmod=0) follows the divisor's sign
        } else if (op == "Max") v = std::max(k[0], k[1]);
        else if (op == "Min") v = std::min(k[0], k[1]);
        else return std::nullopt;
        return std::pair{0.0, v};
    });
}

Opt compare(const std::string& op, const Tensor& a, const Tensor& b)
{
    return elementwise({&a, &b}, TP::BOOL, [&](const std::vector<double>& x, const std::vector<int64_t>& k) -> Pair {
        bool v;
        bool real = a.real() || b.real();
        if (op == "Equal") v = real ? x[0] == x[1] : k[0] == k[1];
        else if (op == "Less") v = real ? x[0] < x[1] : k[0] < k[1];
        else if (op == "Greater") v = real ? x[0] > x[1] : k[0] > k[1];
        else if (op == "And") v = k[0] && k[1];
        else if (op == "Or") v = k[0] || k[1];
        else return std::nullopt;
        return std::pair{0.0, int64_t(v)};
    });
}

Opt unary(const std::string& op, const Tensor& a)
{
    return elementwise({&a}, a.type, [&](const std::vector<double>& x, const std::vector<int64_t>& k) -> Pair {
        if (a.real()) {
            double v;
            if (op == "Neg") v = -x[0];
            else if (op == "Abs") v = std::fabs(x[0]);
            else if (op == "Sqrt") v = std::sqrt(x[0]);
            else if (op == "Floor") v = std::floor(x[0]);
            else if (op == "Ceil") v = std::ceil(x[0]);
            else if (op == "Reciprocal") v = 1.0 / x[0];
            else return std::nullopt;
            return std::pair{v, int64_t(0)};
        }
        if (op == "Neg" && k[0] != INT64_MIN) return std::pair{0.0, -k[0]};
        if (op == "Abs" && k[0] != INT64_MIN) return std::pair{0.0, k[0] < 0 ? -k[0] : k[0]};
        if (op == "Not") return std::pair{0.0, int64_t(!k[0])};
        if (op == "Floor" || op == "Ceil") return std::pair{0.0, k[0]};
        return std::nullopt;
    });
}

Opt cast(const Tensor& a, int64_t to)
{
    Tensor r;
    r.type = static_cast<int32_t>(to);
    if (!isRealType(r.type) && !elementBytes(r.type))
        return std::nullopt;
    r.dims = a.dims;
    for (size_t i = 0; i < a.size(); ++i) {
        if (r.real()) {
            r.reals.push_back(a.value(i));
        } else if (r.type == TP::BOOL) {
            r.ints.push_back(a.value(i) != 0);
        } else {
            double v = a.value(i);
            if (a.real() && (!std::isfinite(v) || std::fabs(v) > 9.2e18))
                return std::nullopt;
            r.ints.push_back(a.real() ? static_cast<int64_t>(v) : a.ints[i]);
        }
    }
    return one(std::move(r));
}

std::optional<std::vector<int64_t>> axesOf(const ox::NodeProto& n, int opset, int inputIndex, int sinceOpset,
                                           const std::vector<const Tensor*>& in)
{
    if (opset < sinceOpset)
        return attrInts(n, "axes");
    if (static_cast<int>(in.size()) > inputIndex && in[static_cast<size_t>(inputIndex)])
        return in[static_cast<size_t>(inputIndex)]->ints;
    return std::nullopt;
}

Opt gather(const Tensor& data, const Tensor& idx, int64_t axis)
{
    int64_t rank = static_cast<int64_t>(data.dims.size());
    if (rank == 0 || !normAxis(axis, rank) || idx.real())
        return std::nullopt;
    std::vector<int64_t> outDims(data.dims.begin(), data.dims.begin() + axis);
    outDims.insert(outDims.end(), idx.dims.begin(), idx.dims.end());
    outDims.insert(outDims.end(), data.dims.begin() + axis + 1, data.dims.end());
    if (!small(outDims))
        return std::nullopt;
    int64_t outer = 1, inner = 1, len = data.dims[static_cast<size_t>(axis)];
    for (int64_t a = 0; a < axis; ++a)
        outer *= data.dims[static_cast<size_t>(a)];
    for (int64_t a = axis + 1; a < rank; ++a)
        inner *= data.dims[static_cast<size_t>(a)];
    Tensor r;
    r.type = data.type;
    r.dims = outDims;
    for (int64_t o = 0; o < outer; ++o)
        for (int64_t k : idx.ints) {
            if (k < -len || k >= len)
                return std::nullopt;
            if (k < 0)
                k += len;
            for (int64_t j = 0; j < inner; ++j)
                pushFrom(r, data, static_cast<size_t>((o * len + k) * inner + j));
        }
    return one(std::move(r));
}

Opt concat(const std::vector<const Tensor*>& in, int64_t axis)
{
    if (in.empty())
        return std::nullopt;
    const Tensor& f = *in[0];
    int64_t rank = static_cast<int64_t>(f.dims.size());
    if (!normAxis(axis, rank))
        return std::nullopt;
    std::vector<int64_t> outDims = f.dims;
    outDims[static_cast<size_t>(axis)] = 0;
    for (const Tensor* t : in) {
        if (t->dims.size() != f.dims.size() || t->real() != f.real())
            return std::nullopt;
        for (int64_t a = 0; a < rank; ++a)
            if (a != axis && t->dims[static_cast<size_t>(a)] != f.dims[static_cast<size_t>(a)])
                return std::nullopt;
        outDims[static_cast<size_t>(axis)] += t->dims[static_cast<size_t>(axis)];
    }
    if (!small(outDims))
        return std::nullopt;
    int64_t outer = 1, inner = 1;
    for (int64_t a = 0; a < axis; ++a)
        outer *= f.dims[static_cast<size_t>(a)];
    for (int64_t a = axis + 1; a < rank; ++a)
        inner *= f.dims[static_cast<size_t>(a)];
    Tensor r;
    r.type = f.type;
    r.dims = outDims;
    for (int64_t o = 0; o < outer; ++o)
        for (const Tensor* t : in) {
            int64_t chunk = t->dims[static_cast<size_t>(axis)] * inner;
            for (int64_t j = 0; j < chunk; ++j)
                pushFrom(r, *t, static_cast<size_t>(o * chunk + j));
        }
    return one(std::move(r));
}

Opt slice(const Tensor& data, std::vector<int64_t> starts, std::vector<int64_t> ends, std::vector<int64_t> axes,
          std::vector<int64_t> steps)
{
    int64_t rank = static_cast<int64_t>(data.dims.size());
    if (starts.size() != ends.size())
        return std::nullopt;
    if (axes.empty())
        for (size_t i = 0; i < starts.size(); ++i)
            axes.push_back(static_cast<int64_t>(i));
    if (steps.empty())
        steps.assign(starts.size(), 1);
    if (axes.size() != starts.size() || steps.size() != starts.size())
        return std::nullopt;
    std::vector<int64_t> b(static_cast<size_t>(rank), 0), st(static_cast<size_t>(rank), 1), outDims = data.dims;
    for (size_t i = 0; i < axes.size(); ++i) {
        int64_t a = axes[i];
        if (!normAxis(a, rank) || steps[i] == 0 || steps[i] < -(int64_t(1) << 62) || steps[i] > (int64_t(1) << 62))
            return std::nullopt;
        int64_t len = data.dims[static_cast<size_t>(a)], s = starts[i], e = ends[i], step = steps[i];
        if (s < 0) s += len;
        if (e < 0) e += len;
        if (step > 0) {
            s = std::clamp<int64_t>(s, 0, len);
            e = std::clamp<int64_t>(e, 0, len);
        } else {
            s = std::clamp<int64_t>(s, 0, len - 1);
            e = std::clamp<int64_t>(e, -1, len - 1);
        }
        int64_t count = step > 0 ? (e > s ? (e - s + step - 1) / step : 0) : (s > e ? (s - e - step - 1) / -step : 0);
        b[static_cast<size_t>(a)] = s;
        st[static_cast<size_t>(a)] = step;
        outDims[static_cast<size_t>(a)] = count;
    }
    if (!small(outDims))
        return std::nullopt;
    Tensor r;
    r.type = data.type;
    r.dims = outDims;
    auto inStrides = stridesOf(data.dims), outStrides = stridesOf(outDims);
    int64_t n = *product(outDims);
    for (int64_t i = 0; i < n; ++i) {
        int64_t src = 0;
        for (int64_t a = 0; a < rank; ++a) {
            int64_t c = (i / outStrides[static_cast<size_t>(a)]) % outDims[static_cast<size_t>(a)];
            src += (b[static_cast<size_t>(a)] + c * st[static_cast<size_t>(a)]) * inStrides[static_cast<size_t>(a)];
        }
        pushFrom(r, data, static_cast<size_t>(src));
    }
    return one(std::move(r));
}

} // namespace

std::optional<std::vector<Tensor>> foldNode(const ox::NodeProto& n, int opset, const std::vector<const Tensor*>& in,
                                            const std::vector<const std::vector<int64_t>*>& inDims)
{
    if (!n.domain().empty() && n.domain() != "ai.onnx")
        return std::nullopt;
    const std::string& op = n.op_type();
    auto input = [&](size_t k) -> const Tensor* { return k < in.size() ? in[k] : nullptr; };

    if (op == "Shape" || op == "Size") {
        if (inDims.empty() || !inDims[0])
            return std::nullopt;
        const auto& d = *inDims[0];
        Tensor r;
        if (op == "Size") {
            auto c = product(d);
            if (!c)
                return std::nullopt;
            r.ints = {*c};
            return one(std::move(r));
        }
        int64_t rank = static_cast<int64_t>(d.size());
        int64_t s = attrInt(n, "start", 0), e = attrInt(n, "end", rank);
        if (s < 0) s += rank;
        if (e < 0) e += rank;
        s = std::clamp<int64_t>(s, 0, rank);
        e = std::clamp<int64_t>(e, 0, rank);
        r.ints.assign(d.begin() + s, d.begin() + std::max(s, e));
        r.dims = {static_cast<int64_t>(r.ints.size())};
        return one(std::move(r));
    }
    if (op == "Constant") {
        if (const auto* a = findAttr(n, "value"); a && a->has_t()) {
            auto t = readTensor(a->t(), isRealType(a->t().data_type()) ? kMaxRealConstElements : kMaxConstElements);
            if (!t || !*t)
                return std::nullopt;
            return one(std::move(**t));
        }
        Tensor r;
        if (const auto* a = findAttr(n, "value_float")) {
            r.type = TP::FLOAT;
            r.reals = {a->f()};
        } else if (const auto* a = findAttr(n, "value_floats")) {
            r.type = TP::FLOAT;
            r.reals.assign(a->floats().begin(), a->floats().end());
            r.dims = {static_cast<int64_t>(r.reals.size())};
        } else if (const auto* a = findAttr(n, "value_int")) {
            r.ints = {a->i()};
        } else if (const auto* a = findAttr(n, "value_ints")) {
            r.ints.assign(a->ints().begin(), a->ints().end());
            r.dims = {static_cast<int64_t>(r.ints.size())};
        } else {
            return std::nullopt;
        }
        if (static_cast<int64_t>(r.size()) > kMaxConstElements)
            return std::nullopt;
        return one(std::move(r));
    }

    // Every other operator needs the contents of each present input.
    for (int k = 0; k < n.input_size(); ++k)
        if (!n.input(k).empty() && !input(static_cast<size_t>(k)))
            return std::nullopt;
    const Tensor* a = input(0);
    const Tensor* b = input(1);
    if (!a)
        return std::nullopt;

    if (op == "Identity")
        return one(*a);
    if (op == "Cast")
        return cast(*a, attrInt(n, "to", TP::FLOAT));
    if (op == "Gather") {
        if (!b)
            return std::nullopt;
        return gather(*a, *b, attrInt(n, "axis", 0));
    }
    if (op == "Unsqueeze" || op == "Squeeze") {
        auto axes = axesOf(n, opset, 1, 13, in);
        int64_t rank = static_cast<int64_t>(a->dims.size());
        Tensor r = *a;
        if (op == "Unsqueeze") {
            if (!axes)
                return std::nullopt;
            int64_t outRank = rank + static_cast<int64_t>(axes->size());
            std::vector<bool> ins(static_cast<size_t>(outRank), false);
            for (int64_t ax : *axes) {
                if (!normAxis(ax, outRank) || ins[static_cast<size_t>(ax)])
                    return std::nullopt;
                ins[static_cast<size_t>(ax)] = true;
            }
            r.dims.clear();
            size_t k = 0;
            for (int64_t i = 0; i < outRank; ++i)
                r.dims.push_back(ins[static_cast<size_t>(i)] ? 1 : a->dims[k++]);
            return one(std::move(r));
        }
        std::vector<bool> drop(static_cast<size_t>(rank), false);
        if (axes && !axes->empty()) {
            for (int64_t ax : *axes) {
                if (!normAxis(ax, rank) || a->dims[static_cast<size_t>(ax)] != 1)
                    return std::nullopt;
                drop[static_cast<size_t>(ax)] = true;
            }
        } else {
            for (int64_t i = 0; i < rank; ++i)
                drop[static_cast<size_t>(i)] = a->dims[static_cast<size_t>(i)] == 1;
        }
        r.dims.clear();
        for (int64_t i = 0; i < rank; ++i)
            if (!drop[static_cast<size_t>(i)])
                r.dims.push_back(a->dims[static_cast<size_t>(i)]);
        return one(std::move(r));
    }
    if (op == "Transpose") {
        // Swin's padding amounts pass through a Transpose(1, 0) of a 2×k table on their way to Pad.
        const int64_t rank = static_cast<int64_t>(a->dims.size());
        std::vector<int64_t> perm = attrInts(n, "perm").value_or(std::vector<int64_t>{});
        if (perm.empty())
            for (int64_t i = rank - 1; i >= 0; --i)
                perm.push_back(i);
        if (static_cast<int64_t>(perm.size()) != rank)
            return std::nullopt;
        std::vector<bool> seen(static_cast<size_t>(rank), false);
        for (int64_t p : perm) {
            if (p < 0 || p >= rank || seen[static_cast<size_t>(p)])
                return std::nullopt;
            seen[static_cast<size_t>(p)] = true;
        }
        std::vector<int64_t> inStrides(static_cast<size_t>(rank), 1), outDims;
        for (int64_t i = rank - 2; i >= 0; --i)
            inStrides[static_cast<size_t>(i)] = inStrides[static_cast<size_t>(i + 1)] * a->dims[static_cast<size_t>(i + 1)];
        for (int64_t p : perm)
            outDims.push_back(a->dims[static_cast<size_t>(p)]);
        Tensor r;
        r.type = a->type;
        r.dims = outDims;
        const int64_t count = static_cast<int64_t>(a->size());
        for (int64_t i = 0; i < count; ++i) {
            int64_t rest = i, src = 0;
            for (int64_t ax = rank - 1; ax >= 0; --ax) {
                const int64_t d = outDims[static_cast<size_t>(ax)];
                src += (rest % d) * inStrides[static_cast<size_t>(perm[static_cast<size_t>(ax)])];
                rest /= d;
            }
            if (r.real())
                r.reals.push_back(a->reals[static_cast<size_t>(src)]);
            else
                r.ints.push_back(a->ints[static_cast<size_t>(src)]);
        }
        return one(std::move(r));
    }
    if (op == "Concat") {
        std::vector<const Tensor*> parts;
        for (size_t k = 0; k < in.size(); ++k)
            if (in[k])
                parts.push_back(in[k]);
        return concat(parts, attrInt(n, "axis", 0));
    }
    if (op == "Slice") {
        if (opset < 10) {
            auto s = attrInts(n, "starts"), e = attrInts(n, "ends");
            if (!s || !e)
                return std::nullopt;
            return slice(*a, *s, *e, attrInts(n, "axes").value_or(std::vector<int64_t>{}), {});
        }
        const Tensor* s = input(1);
        const Tensor* e = input(2);
        if (!s || !e || s->real() || e->real())
            return std::nullopt;
        const Tensor* ax = input(3);
        const Tensor* st = input(4);
        return slice(*a, s->ints, e->ints, ax ? ax->ints : std::vector<int64_t>{}, st ? st->ints : std::vector<int64_t>{});
    }
    if (op == "Reshape") {
        if (!b || b->real())
            return std::nullopt;
        std::vector<int64_t> out;
        int64_t known = 1;
        int infer = -1;
        bool allowZero = attrInt(n, "allowzero", 0) != 0;
        for (size_t i = 0; i < b->ints.size(); ++i) {
            int64_t d = b->ints[i];
            if (d == 0 && !allowZero) {
                if (i >= a->dims.size())
                    return std::nullopt;
                d = a->dims[i];
            }
            if (d == -1) {
                if (infer >= 0)
                    return std::nullopt;
                infer = static_cast<int>(i);
                out.push_back(1);
                continue;
            }
            if (d < 0 || __builtin_mul_overflow(known, d, &known))
                return std::nullopt;
            out.push_back(d);
        }
        int64_t total = static_cast<int64_t>(a->size());
        if (infer >= 0) {
            if (known == 0 || total % known)
                return std::nullopt;
            out[static_cast<size_t>(infer)] = total / known;
        } else if (known != total) {
            return std::nullopt;
        }
        Tensor r = *a;
        r.dims = out;
        return one(std::move(r));
    }
    if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div" || op == "Pow" || op == "Mod" ||
        ((op == "Max" || op == "Min") && in.size() == 2)) {
        if (!b)
            return std::nullopt;
        return binaryArith(op, *a, *b);
    }
    if (op == "Equal" || op == "Less" || op == "Greater" || op == "And" || op == "Or") {
        if (!b)
            return std::nullopt;
        return compare(op, *a, *b);
    }
    if (op == "Neg" || op == "Abs" || op == "Sqrt" || op == "Floor" || op == "Ceil" || op == "Not" ||
        op == "Reciprocal")
        return unary(op, *a);
    if (op == "Where") {
        const Tensor* c = input(2);
        if (!b || !c || b->real() != c->real())
            return std::nullopt;
        return elementwise({a, b, c}, b->type,
                           [](const std::vector<double>& x, const std::vector<int64_t>& k) -> Pair {
                               return k[0] ? std::pair{x[1], k[1]} : std::pair{x[2], k[2]};
                           });
    }
    if (op == "ConstantOfShape") {
        if (a->real())
            return std::nullopt;
        Tensor r;
        r.type = TP::FLOAT;
        r.dims = a->ints;
        double fill = 0;
        if (const auto* v = findAttr(n, "value"); v && v->has_t()) {
            auto t = readTensor(v->t(), 1);
            if (!t || !*t || (*t)->size() != 1)
                return std::nullopt;
            r.type = (*t)->type;
            fill = (*t)->value(0);
        }
        if (!small(r.dims))
            return std::nullopt;
        size_t count = static_cast<size_t>(*product(r.dims));
        if (r.real())
            r.reals.assign(count, fill);
        else
            r.ints.assign(count, Tensor::saturatingInt(fill));
        return one(std::move(r));
    }
    if (op == "Range") {
        const Tensor* c = input(2);
        if (!b || !c || a->size() != 1 || b->size() != 1 || c->size() != 1)
            return std::nullopt;
        double start = a->value(0), limit = b->value(0), delta = c->value(0);
        if (delta == 0 || !std::isfinite(start) || !std::isfinite(limit) || !std::isfinite(delta))
            return std::nullopt;
        double count = std::max(std::ceil((limit - start) / delta), 0.0);
        if (count > static_cast<double>(kMaxConstElements))
            return std::nullopt;
        Tensor r;
        r.type = a->type;
        r.dims = {static_cast<int64_t>(count)};
        for (int64_t i = 0; i < static_cast<int64_t>(count); ++i) {
            if (r.real()) {
                r.reals.push_back(start + static_cast<double>(i) * delta);
                continue;
            }
            int64_t step, v;
            if (__builtin_mul_overflow(i, c->ints[0], &step) || __builtin_add_overflow(a->ints[0], step, &v))
                return std::nullopt;
            r.ints.push_back(v);
        }
        return one(std::move(r));
    }
    if (op == "Expand") {
        if (!b || b->real())
            return std::nullopt;
        Tensor shape;
        shape.dims = b->ints;
        for (int64_t d : shape.dims)
            if (d < 0)
                return std::nullopt;
        // Broadcast `a` against a dummy of the requested shape (its contents are not read).
        auto dims = broadcastDims({a, &shape});
        if (!dims || !small(*dims))
            return std::nullopt;
        Tensor r;
        r.type = a->type;
        r.dims = *dims;
        auto strides = stridesOf(*dims);
        for (int64_t i = 0; i < *product(*dims); ++i)
            pushFrom(r, *a, broadcastIndex(*a, *dims, strides, i));
        return one(std::move(r));
    }
    return std::nullopt;
}

} // namespace nc::core::onnx::detail

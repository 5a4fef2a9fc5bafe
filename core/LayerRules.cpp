// LayerRules: the graph-independent entry points, each dispatching to the layer kind's own rule
// (core/layers/). What is common to every kind — input checks, joining the fields of several
// inputs, overflow — is done here once.
#include "LayerRules.h"

#include "RfSteps.h"

#include "layers/LayerKind.h"

#include <algorithm>
#include <string>

namespace nc::core {

Padding resolvePadding(const LayerParams& p, int64_t h, int64_t w)
{
    if (!p.padSame)
        return {p.pt, p.pb, p.pl, p.pr};
    // "same" (ONNX SAME_UPPER): out = ceil(in / s); the odd pixel of padding goes to the end.
    auto axis = [](int64_t in, int64_t k, int64_t s, int64_t d, int64_t& a, int64_t& b) {
        int64_t out = (in + s - 1) / s;
        int64_t keff = d * (k - 1) + 1;
        int64_t total = std::max<int64_t>((out - 1) * s + keff - in, 0);
        a = total / 2;
        b = total - a;
    };
    Padding r;
    axis(h, p.kh, p.sh, p.dh, r.top, r.bottom);
    axis(w, p.kw, p.sw, p.dw, r.left, r.right);
    return r;
}

bool isView(LayerType t) { return layerKind(t).view; }

bool canRunInPlace(LayerType t, const LayerParams& p) { return layerKind(t).inplaceCapable && p.inplace != 0; }

int64_t activationOpsPerElement(LayerType t) { return layerKind(t).opsPerElement; }

int64_t normOpsPerElement(LayerType t, bool affine)
{
    return (t == LayerType::BatchNorm ? 2 : 5) + (affine ? 2 : 0);
}

Result<Shape> inferShape(LayerType t, const LayerParams& p, std::span<const Shape> in)
{
    const LayerKind& k = layerKind(t);
    const int want = k.spec.inputCount(p);
    if (static_cast<int>(in.size()) != want)
        return Error{"expects " + std::to_string(want) + " input(s), got " + std::to_string(in.size())};
    for (size_t i = 0; i < in.size(); ++i) {
        for (int64_t d : in[i])
            if (d <= 0)
                return Error{"input " + std::to_string(i) + " has a non-positive size " + in[i].toString()};
        if (!in[i].elements())
            return Error{"input " + std::to_string(i) + " " + in[i].toString() + " has more elements than 64 bits hold"};
    }
    return k.shape(p, in);
}

Result<LayerCosts> layerCosts(LayerType t, const LayerParams& p, std::span<const Shape> in, const Shape& out)
{
    if (!out.elements())
        return Error{"output size overflows 64 bits; reduce the sizes"};
    return layerKind(t).costs(p, in, out);
}

namespace {

Result<ReceptiveField> receptiveFieldTraced(LayerType t, const LayerParams& p, std::span<const ReceptiveField> in,
                                            std::span<const Shape> inShapes, const Shape& out,
                                            std::vector<RfStep>* trace)
{
    if (t == LayerType::Input) {
        ReceptiveField r;
        // C×H×W; C×D×H×W (video) charts H and W; C×L (audio, sequences) is a C×1×L image, its field on W.
        const int rank = p.dims.rank();
        if (rank >= 2 && rank <= 4) {
            r.valid = true;
            r.extent[0] = r.reach[0] = rank == 2 ? 1 : p.dims[rank - 2];
            r.extent[1] = r.reach[1] = p.dims[rank - 1];
        }
        return r;
    }
    if (in.empty() || !in[0].valid)
        return ReceptiveField{};

    // Joins: an output unit sees the union of its inputs' fields, so the size is the largest. Jump,
    // start and extent come from the input that carries the spatial axes (the largest extent): a
    // C×1×1 gate broadcast over a C×H×W map (squeeze-and-excitation) leaves the map's grid as it is.
    ReceptiveField r = in[0];
    for (int a = 0; a < 2; ++a) {
        size_t grid = 0;
        for (size_t i = 1; i < in.size(); ++i) {
            if (!in[i].valid)
                continue;
            if (in[i].extent[a] > in[grid].extent[a] ||
                (in[i].extent[a] == in[grid].extent[a] && in[i].size[a] > in[grid].size[a]))
                grid = i;
            r.size[a] = std::max(r.size[a], in[i].size[a]);
            r.reach[a] = std::max(r.reach[a], in[i].reach[a]);
        }
        r.jump[a] = in[grid].jump[a];
        r.start[a] = in[grid].start[a];
        r.extent[a] = in[grid].extent[a];
    }

    RfBuilder b;
    b.r = r;
    b.inputs = in;
    b.inShapes = inShapes;
    b.out = out;
    const size_t traced = trace ? trace->size() : 0;
    b.trace = trace;
    layerKind(t).receptiveField(p, b);
    if (b.overflow)
        return Error{"receptive field overflows 64 bits; the network grows it past any input"};
    if (trace) {
        // Replaying the recorded windows and global steps must give the rule's field; an axis where it
        // does not was moved some other way, which a position-following tool must not guess at.
        RfBuilder replay;
        replay.r = r;
        for (size_t i = traced; i < trace->size(); ++i) {
            const RfStep& s = (*trace)[i];
            if (s.kind == RfStep::Kind::Window)
                replay.window(s.axis, s.kernel, s.stride, s.dilation, s.padBefore, s.outExtent);
            else
                replay.global(s.axis);
        }
        for (int a = 0; a < 2; ++a) {
            if (!b.r.valid)
                trace->push_back({RfStep::Kind::Lost, a, 1, 1, 1, 0, r.extent[a], 1});
            else if (replay.r.size[a] != b.r.size[a] || replay.r.jump[a] != b.r.jump[a] ||
                     replay.r.start[a] != b.r.start[a] || replay.r.extent[a] != b.r.extent[a])
                trace->push_back({RfStep::Kind::Other, a, 1, 1, 1, 0, r.extent[a], b.r.extent[a]});
        }
    }
    return b.r;
}

} // namespace

Result<ReceptiveField> receptiveField(LayerType t, const LayerParams& p, std::span<const ReceptiveField> in,
                                      std::span<const Shape> inShapes, const Shape& out)
{
    return receptiveFieldTraced(t, p, in, inShapes, out, nullptr);
}

Result<ReceptiveField> receptiveFieldSteps(LayerType t, const LayerParams& p, std::span<const ReceptiveField> in,
                                           std::span<const Shape> inShapes, const Shape& out,
                                           std::vector<RfStep>& steps)
{
    return receptiveFieldTraced(t, p, in, inShapes, out, &steps);
}

} // namespace nc::core

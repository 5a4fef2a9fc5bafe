"""Real PyTorch models exported to ONNX, with PyTorch's own figures beside each file.

Run by /usr/bin/python3 (Debian's python3-torch 1.13, python3-torchvision 0.14, python3-onnx 1.12):

    torch_exports.py OUTDIR NAME...      # writes OUTDIR/NAME.onnx and OUTDIR/NAME.json per model
    torch_exports.py --list              # "NAME LABEL" per model (LABEL: torch or torch-slow)

The JSON holds what PyTorch itself says, with NetCanvas's counting conventions (README "Counting
conventions"):
  params   sum of p.numel() over model.parameters() (shared parameters once, as PyTorch counts them)
  state    BatchNorm running mean and variance (buffers; not parameters)
  macs     multiply-accumulates, counted while the model runs (batch 1):
           convolutions out_elements·(ci/g)·∏k; transposed convolutions in_elements·(co/g)·∏k;
           F.linear in_elements·out_features (rows·in·out); every matrix product between two tensors
           (torch.matmul, @, bmm, baddbmm, addmm, mm, einsum) batch·M·N·K = out_elements·K;
           LSTM/GRU/RNN T·gates·H·(I + H) per layer and direction.
           The functions are intercepted by replacing them in torch / torch.nn.functional for the
           duration of one forward pass (modules call them through those names), so the products
           inside nn.MultiheadAttention's functional code are seen too. Gradients stay enabled while
           counting so nn.TransformerEncoderLayer does not take its fused inference kernel.
  padding_macs  of macs, the convolution taps on zero padding (README "MACs on zero padding"): each
           convolution runs once more in float64 on an all-ones input and all-ones weights, no bias,
           so each output element counts the taps that read the input; macs minus their sum
  output   the first output's shape; input: the input's shape and dtype
  exporter_folding  parameter values the exporter's constant folding adds to the file (Swin's expanded
           relative-position bias; 0 for every other model): the file holds params + this
  fixed_constants  values of the constants an Add or Mul joins with data that are not parameters (a
           registered buffer, q·head_dim^−½, Swin's shifted-window mask): NetCanvas holds them as fixed
           operands, counted as state beside BatchNorm's (0 unless the model's forward makes them)
Models are built with weights=None (no network). The ONNX export keeps BatchNorm as its own operator
(training=PRESERVE on a model in eval mode: the exporter's eval-mode pass would otherwise fold it into
the convolution), so parameter counts compare one to one; opset 14.
A model whose JSON is newer than this script is not exported again (a cache within one build dir).
"""
import json
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))

OPSET = 14


# ---- models written here ------------------------------------------------------------------------

class GPT(nn.Module):
    """A GPT-style decoder: token + learned position embedding, pre-norm blocks with hand-written causal
    attention (separate Q/K/V projections, a lower-triangular mask applied with masked_fill), a GELU
    MLP, and a language-model head tied to the token embedding."""

    def __init__(self, vocab=512, dim=128, heads=4, layers=2, context=32):
        super().__init__()
        self.heads = heads
        self.tok = nn.Embedding(vocab, dim)
        self.pos = nn.Embedding(context, dim)
        self.blocks = nn.ModuleList([Block(dim, heads, context) for _ in range(layers)])
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, vocab, bias=False)
        self.head.weight = self.tok.weight

    def forward(self, ids):
        t = ids.shape[1]
        x = self.tok(ids) + self.pos(torch.arange(t, device=ids.device))
        for b in self.blocks:
            x = b(x)
        return self.head(self.norm(x))


class Block(nn.Module):
    def __init__(self, dim, heads, context):
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(dim)
        self.q = nn.Linear(dim, dim)
        self.k = nn.Linear(dim, dim)
        self.v = nn.Linear(dim, dim)
        self.proj = nn.Linear(dim, dim)
        self.ln2 = nn.LayerNorm(dim)
        self.fc1 = nn.Linear(dim, 4 * dim)
        self.fc2 = nn.Linear(4 * dim, dim)
        self.register_buffer("mask", torch.tril(torch.ones(context, context)).view(1, 1, context, context))

    def forward(self, x):
        b, t, d = x.shape
        h = self.ln1(x)
        hd = d // self.heads
        q = self.q(h).view(b, t, self.heads, hd).transpose(1, 2)
        k = self.k(h).view(b, t, self.heads, hd).transpose(1, 2)
        v = self.v(h).view(b, t, self.heads, hd).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hd))
        att = att.masked_fill(self.mask[:, :, :t, :t] == 0, float("-inf"))
        att = F.softmax(att, dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(b, t, d)
        x = x + self.proj(y)
        return x + self.fc2(F.gelu(self.fc1(self.ln2(x))))


class GPTAdditive(GPT):
    """The GPT decoder with an additive float mask (0 on and below the diagonal, −∞ above) added to the
    scores, as many decoders write it; `context` tokens, so the mask is a context×context float constant
    (T = 128: 16,384 values, 64 KB; T = 24: 576 values)."""

    def __init__(self, context):
        super().__init__(vocab=256, dim=64, heads=4, layers=2, context=context)
        for b in self.blocks:
            b.forward = AdditiveMaskForward(b)


class AdditiveMaskForward:
    def __init__(self, block):
        self.b = block
        t = block.mask.shape[-1]
        block.register_buffer("additive", torch.full((t, t), float("-inf")).triu(1))

    def __call__(self, x):
        b_, t, d = x.shape
        blk = self.b
        h = blk.ln1(x)
        hd = d // blk.heads
        q = blk.q(h).view(b_, t, blk.heads, hd).transpose(1, 2)
        k = blk.k(h).view(b_, t, blk.heads, hd).transpose(1, 2)
        v = blk.v(h).view(b_, t, blk.heads, hd).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hd)) + blk.additive[:t, :t]
        att = F.softmax(att, dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(b_, t, d)
        x = x + blk.proj(y)
        return x + blk.fc2(F.gelu(blk.fc1(blk.ln2(x))))


class UNet(nn.Module):
    """A small UNet: transposed-convolution up-sampling on one level, F.interpolate (bilinear) on the other."""

    def __init__(self):
        super().__init__()

        def dc(i, o):
            return nn.Sequential(nn.Conv2d(i, o, 3, padding=1), nn.BatchNorm2d(o), nn.ReLU(inplace=True),
                                 nn.Conv2d(o, o, 3, padding=1), nn.BatchNorm2d(o), nn.ReLU(inplace=True))

        self.d1, self.d2, self.mid = dc(3, 16), dc(16, 32), dc(32, 64)
        self.up2 = nn.ConvTranspose2d(64, 32, 2, stride=2)
        self.c2 = dc(64, 32)
        self.c1 = dc(32 + 16, 16)
        self.head = nn.Conv2d(16, 2, 1)

    def forward(self, x):
        x1 = self.d1(x)
        x2 = self.d2(F.max_pool2d(x1, 2))
        y = self.mid(F.max_pool2d(x2, 2))
        y = self.c2(torch.cat([x2, self.up2(y)], 1))
        y = F.interpolate(y, scale_factor=2, mode="bilinear", align_corners=False)
        y = self.c1(torch.cat([x1, y], 1))
        return self.head(y)


class AudioConv1d(nn.Module):
    """M5-style raw-audio classifier: Conv1d + BatchNorm1d + ReLU + MaxPool1d blocks, global average, Linear."""

    def __init__(self):
        super().__init__()
        chans = [(1, 32, 80, 4), (32, 32, 3, 1), (32, 64, 3, 1), (64, 64, 3, 1)]
        self.convs = nn.ModuleList([nn.Conv1d(i, o, k, stride=s, padding=k // 2) for i, o, k, s in chans])
        self.bns = nn.ModuleList([nn.BatchNorm1d(o) for _, o, _, _ in chans])
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        for conv, bn in zip(self.convs, self.bns):
            x = F.max_pool1d(F.relu(bn(conv(x))), 4)
        x = x.mean(-1)
        return self.fc(x)


class LSTMModel(nn.Module):
    """A two-layer LSTM over features, then a Linear on every step."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(40, 96, num_layers=2, batch_first=True)
        self.fc = nn.Linear(96, 12)

    def forward(self, x):
        y, _ = self.lstm(x)
        return self.fc(y)


class GRUModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(24, 48, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(96, 5)

    def forward(self, x):
        y, _ = self.gru(x)
        return self.fc(y)


class LSTMClassifier(nn.Module):
    """The classic sequence classifier: a Linear on the last layer's final hidden state, h_n[-1] (the
    backward direction's, bidirectional). h_n is (layers·directions)×N×H even with batch_first."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(10, 20, num_layers=2, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(20, 5)

    def forward(self, x):
        _, (h_n, _) = self.lstm(x)
        return self.fc(h_n[-1])


class GRUClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(12, 32, batch_first=True)
        self.fc = nn.Linear(32, 4)

    def forward(self, x):
        _, h_n = self.gru(x)
        return self.fc(h_n[-1])


class ResizeReduce(nn.Module):
    """Resizing and reductions as a dense-prediction head uses them: nearest ×2 (Resize with scales),
    bilinear to a size (Resize with sizes), then mean, max and sum over spatial axes (ReduceMean,
    ReduceMax, ReduceSum without keepdims)."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 8, 3, padding=1)
        self.c2 = nn.Conv2d(8, 8, 3, padding=1)
        self.fc = nn.Linear(8, 4)

    def forward(self, x):
        y = nn.functional.interpolate(self.c1(x), scale_factor=2, mode="nearest")
        y = nn.functional.interpolate(self.c2(y), size=(40, 24), mode="bilinear", align_corners=False)
        z = y.mean(dim=(2, 3)) + y.amax(dim=(2, 3)) + y.sum(dim=3).mean(dim=2)
        return self.fc(z)


class ScaleSplit(nn.Module):
    """Learned elementwise operands and a split: a ConvNeXt-style layer scale (x * gamma, gamma an
    nn.Parameter of 96×1×1), torch.split into two pieces both read (a gate: a * sigmoid(b)), and a
    learned 16×16 table added to the map (x + pos). Both parameters hold more than 64 values, so the
    importer treats them as weights, as PyTorch counts them."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 96, 3, padding=1)
        self.gamma = nn.Parameter(torch.full((96, 1, 1), 1e-6))
        self.pos = nn.Parameter(torch.zeros(16, 16))
        self.head = nn.Linear(16, 10)

    def forward(self, x):
        x = self.conv(x) * self.gamma
        a, b = torch.split(x, [48, 48], dim=1)
        x = (a * torch.sigmoid(b)).mean(dim=1)
        return self.head(x + self.pos)


class FixedOperands(nn.Module):
    """Elementwise operands that are fixed constants, not parameters: y = proj(x)·0.125 + mask, the
    mask a registered 8×8 buffer (64 values, −100 above the diagonal), then y·2 + 1 and a head. The
    constants joined with data are the buffer (64 values) and the scalars 0.125, 2 and 1."""

    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(16, 8, bias=False)
        self.register_buffer("mask", torch.triu(torch.full((8, 8), -100.0), diagonal=1))
        self.head = nn.Linear(8, 4)

    def fixed_constants(self, x):
        return self.mask.numel() + 3  # the buffer and the scalars 0.125, 2, 1

    def forward(self, x):
        y = self.proj(x) * 0.125 + self.mask
        return self.head(y * 2 + 1)


def swin_fixed_constants(model, x):
    """torchvision's shifted_window_attention (0.14) multiplies q by head_dim^−½ (one scalar per block)
    and, in a block whose shift survives (a shift is dropped on an axis whose padded size is at most
    one window), adds a mask of num_windows × N × N values (N = window_h·window_w) computed from the
    shifts: both constants the file holds beside the data. Taken from the blocks' real input sizes."""
    total = [0]

    def hook(m, inp, out):
        _, h, w, _ = inp[0].shape
        wh, ww = m.window_size
        ph, pw = -(-h // wh) * wh, -(-w // ww) * ww
        shift = [0 if wh >= ph else m.shift_size[0], 0 if ww >= pw else m.shift_size[1]]
        total[0] += 1
        if sum(shift) > 0:
            total[0] += (ph // wh) * (pw // ww) * (wh * ww) ** 2

    hooks = [m.register_forward_hook(hook) for m in model.modules()
             if type(m).__name__ == "ShiftedWindowAttention"]
    with torch.no_grad():
        model(x)
    for h in hooks:
        h.remove()
    return total[0]


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        layer = nn.TransformerEncoderLayer(d_model=128, nhead=4, dim_feedforward=256, batch_first=True)
        self.enc = nn.TransformerEncoder(layer, num_layers=2, enable_nested_tensor=False)

    def forward(self, x):
        return self.enc(x)


class EncoderSeqFirst(nn.Module):
    """nn.TransformerEncoderLayer with batch_first=False: T×B×D in, no Transpose before attention."""

    def __init__(self):
        super().__init__()
        self.layer = nn.TransformerEncoderLayer(d_model=64, nhead=4, dim_feedforward=128, batch_first=False)

    def forward(self, x):
        return self.layer(x)


class MhaSeqFirst(nn.Module):
    """A bare nn.MultiheadAttention (batch_first=False, the default): self-attention on T×B×D."""

    def __init__(self):
        super().__init__()
        self.attn = nn.MultiheadAttention(48, 6)

    def forward(self, x):
        return self.attn(x, x, x, need_weights=False)[0]


class RMSNorm(nn.Module):
    """Llama's RMSNorm as its code writes it: x * rsqrt(mean(x²) + eps) * weight."""

    def __init__(self, dim, eps=1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


class LlamaBlock(nn.Module):
    """One pre-norm Llama block without rotary embedding: RMSNorm, causal attention with separate
    q/k/v/o projections (no biases, a constant lower-triangular mask applied with masked_fill), RMSNorm,
    and the SwiGLU MLP w2(silu(w1 x) * w3 x)."""

    def __init__(self, dim=96, heads=6, hidden=256, context=24):
        super().__init__()
        self.heads = heads
        self.attn_norm = RMSNorm(dim)
        self.wq = nn.Linear(dim, dim, bias=False)
        self.wk = nn.Linear(dim, dim, bias=False)
        self.wv = nn.Linear(dim, dim, bias=False)
        self.wo = nn.Linear(dim, dim, bias=False)
        self.ffn_norm = RMSNorm(dim)
        self.w1 = nn.Linear(dim, hidden, bias=False)
        self.w2 = nn.Linear(hidden, dim, bias=False)
        self.w3 = nn.Linear(dim, hidden, bias=False)
        self.register_buffer("mask", torch.tril(torch.ones(context, context, dtype=torch.bool)))

    def forward(self, x):
        b, t, d = x.shape
        hd = d // self.heads
        h = self.attn_norm(x)
        q = self.wq(h).view(b, t, self.heads, hd).transpose(1, 2)
        k = self.wk(h).view(b, t, self.heads, hd).transpose(1, 2)
        v = self.wv(h).view(b, t, self.heads, hd).transpose(1, 2)
        att = torch.matmul(q, k.transpose(2, 3)) / math.sqrt(hd)
        att = att.masked_fill(~self.mask[:t, :t], float("-inf"))
        y = torch.matmul(F.softmax(att, dim=-1), v).transpose(1, 2).contiguous().view(b, t, d)
        x = x + self.wo(y)
        h = self.ffn_norm(x)
        return x + self.w2(F.silu(self.w1(h)) * self.w3(h))


class Llama(nn.Module):
    """Two Llama blocks and a final RMSNorm over a T×D sequence."""

    def __init__(self):
        super().__init__()
        self.blocks = nn.ModuleList([LlamaBlock() for _ in range(2)])
        self.norm = RMSNorm(96)

    def forward(self, x):
        for b in self.blocks:
            x = b(x)
        return self.norm(x)


class HardGates(nn.Module):
    """Hard-swish and hard-sigmoid written out as formulas (x·relu6(x + 3)/6, relu6(x + 3)/6 as a
    squeeze-and-excitation gate) beside the modules nn.Hardswish and nn.Hardsigmoid."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 16, 3, padding=1)
        self.c2 = nn.Conv2d(16, 16, 3, padding=1)
        self.fc1 = nn.Conv2d(16, 8, 1)
        self.fc2 = nn.Conv2d(8, 16, 1)
        self.fc3 = nn.Conv2d(16, 16, 1)
        self.hswish = nn.Hardswish()
        self.hsig = nn.Hardsigmoid()

    def forward(self, x):
        y = self.c1(x)
        y = y * F.relu6(y + 3) / 6
        y = self.hswish(self.c2(y))
        s = F.adaptive_avg_pool2d(y, 1)
        s = F.relu6(self.fc2(F.relu(self.fc1(s))) + 3) / 6
        y = y * s
        return y * self.hsig(self.fc3(y))


class FirstOutput(nn.Module):
    """Segmentation models return a dict; the export takes its "out" tensor."""

    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, x):
        return self.m(x)["out"]


def tv(name, **kw):
    import torchvision.models as tvm
    return getattr(tvm, name)(weights=None, **kw)


def seg(name):
    import torchvision.models.segmentation as tvs
    extra = {} if name.startswith("lraspp") else {"aux_loss": False}
    return FirstOutput(getattr(tvs, name)(weights=None, weights_backbone=None, **extra))


def image(size=224):
    return lambda: torch.randn(1, 3, size, size)


# name -> (label, model factory, input factory)
MODELS = {
    "resnet18": ("torch", lambda: tv("resnet18"), image()),
    "mobilenet_v2": ("torch", lambda: tv("mobilenet_v2"), image()),
    "mobilenet_v3_small": ("torch", lambda: tv("mobilenet_v3_small"), image()),
    "mnasnet0_5": ("torch", lambda: tv("mnasnet0_5"), image()),
    "shufflenet_v2_x0_5": ("torch", lambda: tv("shufflenet_v2_x0_5"), image()),
    "squeezenet1_0": ("torch", lambda: tv("squeezenet1_0"), image()),
    "efficientnet_b0": ("torch", lambda: tv("efficientnet_b0"), image()),
    "regnet_y_400mf": ("torch", lambda: tv("regnet_y_400mf"), image()),
    "googlenet": ("torch", lambda: tv("googlenet", aux_logits=False, init_weights=True), image()),
    "lraspp_mobilenet_v3_large": ("torch", lambda: seg("lraspp_mobilenet_v3_large"), image()),
    "transformer_encoder": ("torch", Encoder, lambda: torch.randn(1, 32, 128)),
    "gpt": ("torch", GPT, lambda: torch.randint(0, 512, (1, 32))),
    "gpt_additive_24": ("torch", lambda: GPTAdditive(24), lambda: torch.randint(0, 256, (1, 24))),
    "gpt_additive_128": ("torch", lambda: GPTAdditive(128), lambda: torch.randint(0, 256, (1, 128))),
    "encoder_seq_first": ("torch", EncoderSeqFirst, lambda: torch.randn(20, 1, 64)),
    "mha_seq_first": ("torch", MhaSeqFirst, lambda: torch.randn(12, 1, 48)),
    "unet": ("torch", UNet, lambda: torch.randn(1, 3, 64, 64)),
    "audio_conv1d": ("torch", AudioConv1d, lambda: torch.randn(1, 1, 8000)),
    "lstm": ("torch", LSTMModel, lambda: torch.randn(1, 50, 40)),
    "gru": ("torch", GRUModel, lambda: torch.randn(1, 30, 24)),
    "lstm_classifier": ("torch", LSTMClassifier, lambda: torch.randn(1, 7, 10)),
    "gru_classifier": ("torch", GRUClassifier, lambda: torch.randn(1, 9, 12)),
    "resize_reduce": ("torch", ResizeReduce, lambda: torch.randn(1, 3, 16, 16)),
    "llama": ("torch", Llama, lambda: torch.randn(1, 24, 96)),
    "hard_gates": ("torch", HardGates, lambda: torch.randn(1, 3, 16, 16)),
    "resnext50_32x4d": ("torch-slow", lambda: tv("resnext50_32x4d"), image()),
    "wide_resnet50_2": ("torch-slow", lambda: tv("wide_resnet50_2"), image()),
    "densenet121": ("torch-slow", lambda: tv("densenet121"), image()),
    "inception_v3": ("torch-slow", lambda: tv("inception_v3", aux_logits=False, init_weights=True), image(299)),
    "efficientnet_v2_s": ("torch-slow", lambda: tv("efficientnet_v2_s"), image()),
    "convnext_tiny": ("torch-slow", lambda: tv("convnext_tiny"), image()),
    "vit_b_16": ("torch-slow", lambda: tv("vit_b_16"), image()),
    "swin_t": ("torch-slow", lambda: tv("swin_t"), image()),
    "fcn_resnet50": ("torch-slow", lambda: seg("fcn_resnet50"), image()),
    "deeplabv3_mobilenet_v3_large": ("torch-slow", lambda: seg("deeplabv3_mobilenet_v3_large"), image()),
    "scale_split": ("torch", ScaleSplit, lambda: torch.randn(1, 3, 16, 16)),
    "fixed_operands": ("torch", FixedOperands, lambda: torch.randn(1, 8, 16)),
}


# ---- the MAC counter ----------------------------------------------------------------------------

def _prod(xs):
    r = 1
    for v in xs:
        r *= int(v)
    return r


class MacCounter:
    """Replaces the multiply-accumulate functions of torch and torch.nn.functional while active."""

    def __init__(self):
        self.macs = 0
        self.padding_macs = 0
        self.saved = []

    def _wrap(self, owner, name, count):
        orig = getattr(owner, name)

        def wrapper(*args, **kwargs):
            out = orig(*args, **kwargs)
            self.macs += int(count(out, *args, **kwargs))
            return out

        self.saved.append((owner, name, orig))
        setattr(owner, name, wrapper)

    def _inside(self, fn, x, w, a, k):
        """Products of the convolution fn that touch no padding: its output summed on ones."""
        rest = a if "bias" in k else a[1:]  # the arguments after the bias
        k = {n: v for n, v in k.items() if n != "bias"}
        with torch.no_grad():
            y = fn(torch.ones(x.shape, dtype=torch.float64), torch.ones(w.shape, dtype=torch.float64), None,
                   *rest, **k)
        return int(round(y.sum().item()))

    def __enter__(self):
        # The unwrapped functions by the output's rank (batch and channels + 1, 2 or 3 spatial axes).
        plain_conv = {3: F.conv1d, 4: F.conv2d, 5: F.conv3d}
        plain_convt = {3: F.conv_transpose1d, 4: F.conv_transpose2d, 5: F.conv_transpose3d}

        def counted(macs, fn, x, w, a, k):
            self.padding_macs += macs - self._inside(fn, x, w, a, k)
            return macs

        def conv(out, x, w, *a, **k):
            return counted(out.numel() * w.shape[1] * _prod(w.shape[2:]), plain_conv[out.dim()], x, w, a, k)

        def convt(out, x, w, *a, **k):
            # every input element scatters a kernel over co/g channels: w is [ci, co/g, k...]
            return counted(x.numel() * w.shape[1] * _prod(w.shape[2:]), plain_convt[out.dim()], x, w, a, k)

        def linear(out, x, w, *a, **k):
            return out.numel() * w.shape[-1]

        def matmul(out, a, b, *rest, **k):
            k_dim = a.shape[-1] if a.dim() > 1 else a.shape[0]
            return out.numel() * k_dim

        def baddbmm(out, inp, a, b, *rest, **k):
            return out.numel() * a.shape[-1]

        def addmm(out, inp, a, b, *rest, **k):
            return out.numel() * a.shape[-1]

        def einsum(out, eq, *ops, **k):
            if len(ops) == 1 and isinstance(ops[0], (list, tuple)):
                ops = ops[0]
            if len(ops) != 2:
                return 0
            lhs = eq.replace(" ", "").split("->")[0].split(",")
            sizes = {}
            for term, t in zip(lhs, ops):
                for c, n in zip(term, t.shape):
                    sizes[c] = int(n)
            return _prod(sizes.values())

        for n in ("conv1d", "conv2d", "conv3d"):
            self._wrap(F, n, conv)
        for n in ("conv_transpose1d", "conv_transpose2d", "conv_transpose3d"):
            self._wrap(F, n, convt)
        self._wrap(F, "linear", linear)
        for n in ("matmul", "bmm", "mm"):
            self._wrap(torch, n, matmul)
        self._wrap(torch, "baddbmm", baddbmm)
        self._wrap(torch, "addmm", addmm)
        self._wrap(torch, "einsum", einsum)
        for n in ("matmul", "__matmul__", "bmm"):
            self._wrap(torch.Tensor, n, matmul)
        return self

    def __exit__(self, *exc):
        for owner, name, orig in reversed(self.saved):
            setattr(owner, name, orig)
        return False


def rnn_macs(model, x):
    """T·gates·H·(I + H) per layer and direction for the recurrent modules, from forward hooks."""
    total = [0]

    def hook(m, inp, out):
        seq = inp[0]
        t = seq.shape[1] if m.batch_first else seq.shape[0]
        gates = {"LSTM": 4, "GRU": 3}.get(m.mode, 1)
        dirs = 2 if m.bidirectional else 1
        for layer in range(m.num_layers):
            i = m.input_size if layer == 0 else m.hidden_size * dirs
            total[0] += dirs * t * gates * m.hidden_size * (i + m.hidden_size)

    hooks = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, nn.RNNBase)]
    return total, hooks


def figures(model, x):
    rnn_total, hooks = rnn_macs(model, x)
    with MacCounter() as counter:
        y = model(x)
    for h in hooks:
        h.remove()
    if isinstance(y, (tuple, list)):
        y = y[0]
    return counter.macs + rnn_total[0], counter.padding_macs, list(y.shape)


def export(name, outdir):
    label, make, make_input = MODELS[name]
    model = make().eval()
    x = make_input()
    params = sum(p.numel() for p in model.parameters())
    state = sum(b.numel() for n, b in model.named_buffers() if n.endswith(("running_mean", "running_var")))
    macs, padding_macs, out = figures(model, x)
    # Documented exporter folding: the exporter's constant folding replaces Swin's
    # relative_position_bias_table[relative_position_index] (a Gather of a (2w−1)²×heads table by a
    # w²·w² index) by its result, a new w²×w²×heads initializer; the file holds those values instead.
    folded = 0
    for m in model.modules():
        table = getattr(m, "relative_position_bias_table", None)
        index = getattr(m, "relative_position_index", None)
        if table is not None and index is not None:
            folded += index.numel() * table.shape[1] - table.numel()
    if hasattr(model, "fixed_constants"):
        fixed = model.fixed_constants(x)
    elif name.startswith("swin"):
        fixed = swin_fixed_constants(model, x)
    else:
        fixed = 0
    path = os.path.join(outdir, name + ".onnx")
    # Gradients stay enabled, as while counting: nn.TransformerEncoderLayer's fused inference kernel
    # (taken under no_grad) has no ONNX export.
    torch.onnx.export(model, (x,), path, opset_version=OPSET, input_names=["input"], output_names=["output"],
                      training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=True)
    info = {"name": name, "label": label, "params": params, "state": state, "macs": macs, "padding_macs": padding_macs, "output": out,
            "exporter_folding": folded, "fixed_constants": fixed,
            "input": list(x.shape), "input_dtype": str(x.dtype).replace("torch.", ""), "opset": OPSET,
            "torch": torch.__version__}
    with open(os.path.join(outdir, name + ".json"), "w") as f:
        json.dump(info, f, indent=1)
    return info


def main(argv):
    if argv[1:2] == ["--list"]:
        for name, (label, _, _) in MODELS.items():
            print(name, label)
        return 0
    outdir = argv[1]
    os.makedirs(outdir, exist_ok=True)
    script_time = os.path.getmtime(__file__)
    for name in argv[2:]:
        if name not in MODELS:
            print("unknown model " + name, file=sys.stderr)
            return 2
        js = os.path.join(outdir, name + ".json")
        onnx_path = os.path.join(outdir, name + ".onnx")
        if os.path.exists(js) and os.path.exists(onnx_path) and os.path.getmtime(js) > script_time:
            continue
        export(name, outdir)
        print("exported " + name, flush=True)
    return 0


if __name__ == "__main__":
    import warnings
    warnings.filterwarnings("ignore")
    sys.exit(main(sys.argv))

"""torch.nn for the shape-only stand-in: PyTorch's output-size formulas and parameter counts."""
import math

import torch


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


class Parameter(torch.Tensor):
    def __init__(self, data):
        super().__init__(data.shape)


class Module:
    def __init__(self):
        object.__setattr__(self, "_params", {})
        object.__setattr__(self, "_modules", {})

    def __setattr__(self, name, value):
        if isinstance(value, Parameter):
            self._params[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
        object.__setattr__(self, name, value)

    def parameters(self):
        yield from self._params.values()
        for m in self._modules.values():
            yield from m.parameters()

    def eval(self):
        return self

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)


def _param(module, name, *shape):
    setattr(module, name, Parameter(torch.Tensor(shape)))


class Sequential(Module):
    def __init__(self, *mods):
        super().__init__()
        for i, m in enumerate(mods):
            setattr(self, str(i), m)
        self._order = list(mods)

    def forward(self, x):
        for m in self._order:
            x = m(x)
        return x


class Linear(Module):
    def __init__(self, in_features, out_features, bias=True):
        super().__init__()
        self.in_features = in_features
        _param(self, "weight", out_features, in_features)
        if bias:
            _param(self, "bias", out_features)
        self.out_features = out_features

    def forward(self, x):
        if x.shape[-1] != self.in_features:
            raise RuntimeError(f"Linear: expected {self.in_features} input features, got {x.shape}")
        return torch.Tensor(x.shape[:-1] + (self.out_features,))


def _window(size, k, s, p, d, ceil_mode=False):
    span = size + 2 * p - d * (k - 1) - 1
    if span < 0:
        raise RuntimeError("kernel size can't be greater than the padded input")
    out = (-(-span // s) if ceil_mode else span // s) + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


class Conv2d(Module):
    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros"):
        super().__init__()
        if in_channels % groups or out_channels % groups:
            raise ValueError("channels must be divisible by groups")
        if padding_mode not in ("zeros", "reflect", "replicate", "circular"):
            raise ValueError(f"padding_mode {padding_mode}")
        self.k, self.s, self.d = _pair(kernel_size), _pair(stride), _pair(dilation)
        if padding == "same" and self.s != (1, 1):
            raise ValueError("padding='same' is not supported for strided convolutions")
        self.p = padding if padding == "same" else _pair(padding)
        self.cin, self.cout, self.groups = in_channels, out_channels, groups
        _param(self, "weight", out_channels, in_channels // groups, *self.k)
        if bias:
            _param(self, "bias", out_channels)

    def forward(self, x):
        if x.dim() != 4 or x.shape[1] != self.cin:
            raise RuntimeError(f"Conv2d: expected {self.cin} input channels in N×C×H×W, got {x.shape}")
        if self.p == "same":
            return torch.Tensor((x.shape[0], self.cout) + x.shape[2:])
        h = _window(x.shape[2], self.k[0], self.s[0], self.p[0], self.d[0])
        w = _window(x.shape[3], self.k[1], self.s[1], self.p[1], self.d[1])
        return torch.Tensor((x.shape[0], self.cout, h, w))


class _Pool(Module):
    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False):
        super().__init__()
        self.k = _pair(kernel_size)
        self.s = _pair(stride) if stride is not None else self.k
        self.p = _pair(padding)
        if self.p[0] > self.k[0] // 2 or self.p[1] > self.k[1] // 2:
            raise RuntimeError("pad should be at most half of effective kernel size")
        self.ceil_mode = ceil_mode

    def forward(self, x):
        h = _window(x.shape[-2], self.k[0], self.s[0], self.p[0], 1, self.ceil_mode)
        w = _window(x.shape[-1], self.k[1], self.s[1], self.p[1], 1, self.ceil_mode)
        return torch.Tensor(x.shape[:-2] + (h, w))


class MaxPool2d(_Pool):
    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
        super().__init__(kernel_size, stride, padding, ceil_mode)


class AvgPool2d(_Pool):
    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
        super().__init__(kernel_size, stride, padding, ceil_mode)


class AdaptiveAvgPool2d(Module):
    def __init__(self, output_size):
        super().__init__()
        self.out = _pair(output_size)

    def forward(self, x):
        return torch.Tensor(x.shape[:-2] + self.out)


class _Pad(Module):
    def __init__(self, padding, value=0.0):
        super().__init__()
        self.l, self.r, self.t, self.b = (padding,) * 4 if isinstance(padding, int) else padding

    def forward(self, x):
        return torch.Tensor(x.shape[:-2] + (x.shape[-2] + self.t + self.b, x.shape[-1] + self.l + self.r))


ZeroPad2d = ReflectionPad2d = ReplicationPad2d = ConstantPad2d = _Pad


class _Norm(Module):
    ranks = ()

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True):
        super().__init__()
        self.c = num_features
        if affine:
            _param(self, "weight", num_features)
            _param(self, "bias", num_features)

    def forward(self, x):
        if x.dim() not in self.ranks or x.shape[1] != self.c:
            raise RuntimeError(f"{type(self).__name__}: expected {self.c} channels in a {self.ranks}-D input, "
                               f"got {x.shape}")
        return torch.Tensor(x.shape)


class BatchNorm1d(_Norm):
    ranks = (2, 3)


class BatchNorm2d(_Norm):
    ranks = (4,)


class BatchNorm3d(_Norm):
    ranks = (5,)


class InstanceNorm1d(_Norm):
    ranks = (3,)

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=False, track_running_stats=False):
        super().__init__(num_features, eps, momentum, affine, track_running_stats)


class InstanceNorm2d(InstanceNorm1d):
    ranks = (4,)


class InstanceNorm3d(InstanceNorm1d):
    ranks = (5,)


class LayerNorm(Module):
    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True):
        super().__init__()
        self.shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        if elementwise_affine:
            _param(self, "weight", *self.shape)
            _param(self, "bias", *self.shape)

    def forward(self, x):
        if x.shape[-len(self.shape):] != self.shape:
            raise RuntimeError(f"LayerNorm: normalized_shape {self.shape} does not end {x.shape}")
        return torch.Tensor(x.shape)


class GroupNorm(Module):
    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True):
        super().__init__()
        if num_channels % num_groups:
            raise ValueError("num_channels must be divisible by num_groups")
        self.c = num_channels
        if affine:
            _param(self, "weight", num_channels)
            _param(self, "bias", num_channels)

    def forward(self, x):
        if x.shape[1] != self.c:
            raise RuntimeError("GroupNorm: channel mismatch")
        return torch.Tensor(x.shape)


class _Elementwise(Module):
    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, x):
        return torch.Tensor(x.shape)


ReLU = ReLU6 = LeakyReLU = Sigmoid = Tanh = SiLU = Hardswish = GELU = Dropout = Identity = _Elementwise


class Softmax(Module):
    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        if not -x.dim() <= self.dim < x.dim():
            raise IndexError(f"Softmax: dim {self.dim} out of range for {x.shape}")
        return torch.Tensor(x.shape)


class MultiheadAttention(Module):
    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, batch_first=False):
        super().__init__()
        if embed_dim % num_heads:
            raise AssertionError("embed_dim must be divisible by num_heads")
        self.e, self.batch_first = embed_dim, batch_first
        _param(self, "in_proj_weight", 3 * embed_dim, embed_dim)
        if bias:
            _param(self, "in_proj_bias", 3 * embed_dim)
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias)

    def forward(self, query, key, value, need_weights=True):
        if query.dim() != 3 or query.shape[-1] != self.e or key.shape != value.shape:
            raise RuntimeError(f"MultiheadAttention: expected (N, L, {self.e}), got {query.shape}")
        return torch.Tensor(query.shape), None

"""A shape-only stand-in for the part of PyTorch that NetCanvas's exporter writes.

Tensors carry shapes, not values; modules compute their output shapes with the formulas of PyTorch's
documentation and count parameters as PyTorch does, and they refuse inputs PyTorch would refuse. The
tests run exported files against it where PyTorch itself is not installed: a file that runs here
follows its graph and declares consistent layers.
"""
import math


class Size(tuple):
    pass


class Tensor:
    def __init__(self, shape):
        shape = tuple(int(d) for d in shape)
        if any(d < 0 for d in shape):
            raise RuntimeError(f"negative size in {shape}")
        self.shape = Size(shape)

    def dim(self):
        return len(self.shape)

    def numel(self):
        return math.prod(self.shape)

    def size(self, i=None):
        return self.shape if i is None else self.shape[i]

    def _broadcast(self, other):
        if not isinstance(other, Tensor):
            return Tensor(self.shape)
        a, b = list(self.shape), list(other.shape)
        rank = max(len(a), len(b))
        a, b = [1] * (rank - len(a)) + a, [1] * (rank - len(b)) + b
        out = []
        for x, y in zip(a, b):
            if x != y and x != 1 and y != 1:
                raise RuntimeError(f"shapes {self.shape} and {other.shape} do not broadcast")
            out.append(max(x, y))
        return Tensor(out)

    __add__ = __radd__ = __mul__ = __rmul__ = _broadcast

    def reshape(self, *shape):
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        shape = list(shape)
        if shape.count(-1) > 1:
            raise RuntimeError("only one dimension can be inferred")
        known = math.prod(d for d in shape if d != -1)
        if -1 in shape:
            if known == 0 or self.numel() % known:
                raise RuntimeError(f"shape {shape} is invalid for input of size {self.numel()}")
            shape[shape.index(-1)] = self.numel() // known
        if math.prod(shape) != self.numel():
            raise RuntimeError(f"shape {shape} is invalid for input of size {self.numel()}")
        return Tensor(shape)

    view = reshape

    def flatten(self, start_dim=0, end_dim=-1):
        return flatten(self, start_dim, end_dim)

    def transpose(self, a, b):
        s = list(self.shape)
        s[a], s[b] = s[b], s[a]
        return Tensor(s)

    def expand(self, *sizes):
        if len(sizes) != self.dim():
            raise RuntimeError("expand: the number of sizes must match the tensor's rank")
        out = []
        for have, want in zip(self.shape, sizes):
            if want == -1:
                out.append(have)
            elif have in (1, want):
                out.append(want)
            else:
                raise RuntimeError(f"cannot expand {self.shape} to {sizes}")
        return Tensor(out)

    def __getitem__(self, index):
        if not isinstance(index, tuple):
            index = (index,)
        out, axis = [], 0
        for part in index:
            if isinstance(part, slice):
                out.append(len(range(*part.indices(self.shape[axis]))))
            elif isinstance(part, int):
                if not -self.shape[axis] <= part < self.shape[axis]:
                    raise IndexError(f"index {part} is out of range for size {self.shape[axis]}")
            else:
                raise TypeError("unsupported index")
            axis += 1
        return Tensor(out + list(self.shape[axis:]))

    def new_zeros(self, *shape):
        return Tensor(shape)


def randn(*shape):
    return Tensor(shape)


def zeros(*shape):
    return Tensor(shape)


def cat(tensors, dim=0):
    first = tensors[0]
    dim = dim % first.dim()
    for t in tensors[1:]:
        if t.dim() != first.dim() or any(a != b for i, (a, b) in enumerate(zip(t.shape, first.shape)) if i != dim):
            raise RuntimeError(f"cat: sizes {first.shape} and {t.shape} differ outside dim {dim}")
    out = list(first.shape)
    out[dim] = sum(t.shape[dim] for t in tensors)
    return Tensor(out)


def flatten(t, start_dim=0, end_dim=-1):
    end_dim = end_dim % t.dim()
    s = list(t.shape)
    return Tensor(s[:start_dim] + [math.prod(s[start_dim:end_dim + 1])] + s[end_dim + 1:])


class no_grad:
    def __enter__(self):
        return self

    def __exit__(self, *args):
        return False


from . import nn  # noqa: E402,F401  (``from torch import nn``; nn needs Tensor defined first)

# PyTorch rows of bench_inference: the same three models (torchvision, random weights, eval mode,
# batch 1), eager and torch.jit.trace, at the same thread count; prints Markdown table rows with
# the foreign load from /proc/stat like the C++ side. Usage: bench_inference_torch.py THREADS REPEATS
import statistics
import sys
import time

import torch
import torchvision


def cpu_sample():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    busy = v[0] + v[1] + v[2] + v[5] + v[6] + (v[7] if len(v) > 7 else 0)
    with open("/proc/self/stat") as f:
        rest = f.read().rsplit(")", 1)[1].split()
    return busy, busy + v[3] + v[4], int(rest[11]) + int(rest[12])


def foreign(a, b):
    total = b[1] - a[1]
    return max(0.0, min(1.0, ((b[0] - a[0]) - (b[2] - a[2])) / total)) if total > 0 else 0.0


def main():
    threads, repeats = int(sys.argv[1]), int(sys.argv[2])
    torch.set_num_threads(threads)
    x = torch.randn(1, 3, 224, 224)
    for name, ctor in (("resnet18", torchvision.models.resnet18), ("resnet50", torchvision.models.resnet50),
                       ("mobilenet_v2", torchvision.models.mobilenet_v2)):
        model = ctor(weights=None).eval()
        with torch.no_grad():
            for label, m in (("eager", model), ("jit.trace", torch.jit.trace(model, x))):
                for _ in range(3):
                    m(x)
                before = cpu_sample()
                times, cpu = [], []
                for _ in range(repeats):
                    c0 = time.process_time()
                    t0 = time.perf_counter()
                    m(x)
                    times.append((time.perf_counter() - t0) * 1e3)
                    cpu.append((time.process_time() - c0) * 1e3)
                load = foreign(before, cpu_sample())
                times.sort()
                p90 = times[min(len(times) - 1, len(times) * 9 // 10)]
                print(f"| {name} | {threads} | PyTorch {torch.__version__} | {label} | {times[len(times) // 2]:.2f} "
                      f"| {p90:.2f} | {statistics.median(cpu):.2f} | — | — | {load * 100:.0f}% |", flush=True)


if __name__ == "__main__":
    main()

"""What both PyTorch sides of `npm run bench:engine` share: the line protocol, tensor bundles and
the BLAS check.

The protocol (one JSON object per line each way, so the bench can interleave PyTorch and
onnxruntime repetitions while both hold their weights):
  first line out     {"ready": true, versions...} or {"ready": false, "error": ...} (then exit)
  {"cmd": "load", ...}                                 -> {"ok": true, "seconds": s}
  {"cmd": "run", "fn": name, "inputs": dir, "save": dir|null} -> {"ok": true, "ms": m}
  {"cmd": "stats"}                                    -> {"ok": true, "peak_rss_mb": mb}
  {"cmd": "quit"}                                     -> {"ok": true}
Tensors travel as bundles (see tensor-bundle.ts). Only the forward call is timed.
"""

import json
import os
import re
import resource
import sys
import time
import traceback

PROTOCOL_OUT = sys.stdout
sys.stdout = sys.stderr  # nothing but protocol lines may reach the bench's pipe


def reply(obj):
    PROTOCOL_OUT.write(json.dumps(obj) + "\n")
    PROTOCOL_OUT.flush()


def serve(handle):
    """Answers protocol lines with `handle(cmd) -> dict` until "quit" or end of input."""
    for line in sys.stdin:
        if not line.strip():
            continue
        cmd = json.loads(line)
        kind = cmd.get("cmd")
        try:
            if kind == "stats":
                # ru_maxrss is in KiB on Linux.
                result = {"peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
            elif kind == "quit":
                result = {}
            else:
                result = handle(cmd)
            reply(dict(ok=True, **result))
        except Exception:  # noqa: BLE001 - reported to the bench, which reports the side as failed
            reply({"ok": False, "error": traceback.format_exc()})
        if kind == "quit":
            return


def timed(torch, forward):
    """Runs `forward()` without autograd; returns (outputs, milliseconds of the call alone)."""
    with torch.inference_mode():
        start = time.perf_counter()
        outputs = forward()
        return outputs, (time.perf_counter() - start) * 1000


class Bundles:
    """Reads input bundles (cached: the same folder is timed many times) and writes outputs."""

    def __init__(self, np, torch):
        self.np, self.torch = np, torch
        self.folder, self.tensors = None, {}

    def read(self, folder):
        if folder == self.folder:
            return self.tensors
        np, torch = self.np, self.torch
        with open(os.path.join(folder, "bundle.json")) as f:
            index = json.load(f)
        tensors, by_file = {}, {}
        for name, entry in index.items():
            # One tensor per file: tensors the bench wrote from one array stay one array here.
            if entry["file"] not in by_file:
                dtype = np.float32 if entry["dtype"] == "float32" else np.int64
                data = np.fromfile(os.path.join(folder, entry["file"]), dtype=dtype).reshape(entry["shape"])
                by_file[entry["file"]] = torch.from_numpy(data)
            tensors[name] = by_file[entry["file"]]
        self.folder, self.tensors = folder, tensors
        return tensors

    def save(self, folder, outputs):
        os.makedirs(folder, exist_ok=True)
        index = {}
        for i, (name, tensor) in enumerate(outputs.items()):
            array = tensor.detach().float().contiguous().numpy()
            array.tofile(os.path.join(folder, f"{i}.bin"))
            index[name] = {"dtype": "float32", "shape": list(array.shape), "file": f"{i}.bin"}
        with open(os.path.join(folder, "bundle.json"), "w") as f:
            json.dump(index, f)


# Optimised BLAS libraries by file name; anything else named libblas is taken for the reference one.
OPTIMISED_BLAS = re.compile(r"openblas|mkl|blis|flexiblas|atlas|armpl|accelerate", re.IGNORECASE)


def torch_blas(torch, threads):
    """Which BLAS torch's matrix products run on, and whether it is a reference (unoptimised) one.

    torch's own build info names it (`BLAS_INFO=mkl` in the official wheels, with MKL linked
    statically); Debian's torch says `generic` and runs on whatever `libblas.so.3` points to, so
    the libraries actually mapped into this process (after one matrix product) decide."""
    a = torch.ones(64, 64)
    _ = a @ a
    build = torch.__config__.show()
    match = re.search(r"BLAS_INFO=([\w-]+)", build)
    blas_info = match.group(1) if match else "unknown"
    mapped = set()
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                path = line.split()[-1] if len(line.split()) >= 6 else ""
                if re.search(r"lib(blas|cblas|openblas|mkl|blis)", os.path.basename(path)):
                    mapped.add(os.path.realpath(path))
    except OSError:
        pass
    pools = []
    try:
        import threadpoolctl

        threadpoolctl.threadpool_limits(limits=threads, user_api="blas")
        pools = [i for i in threadpoolctl.threadpool_info() if i.get("user_api") == "blas"]
    except ImportError:
        pass
    described = [f"{p.get('internal_api')} {p.get('version')} ({p.get('num_threads')} threads)" for p in pools]
    if blas_info == "mkl":
        kind, reference = "MKL (linked into torch)", False
    elif pools or any(OPTIMISED_BLAS.search(p) for p in mapped):
        kind, reference = ", ".join(described) or ", ".join(sorted(mapped)), False
    elif mapped:
        kind, reference = "reference BLAS " + ", ".join(sorted(mapped)), True
    else:
        kind, reference = f"unidentified (BLAS_INFO={blas_info}, no BLAS library mapped)", True
    onednn = torch.backends.mkldnn.is_available()
    return {"blas": f"{kind}; oneDNN {'on' if onednn else 'off'}", "reference_blas": reference}


def torch_read_bandwidth(torch, nbytes, reps=5):
    """Bytes per second torch reads when summing an array far larger than any cache (best of reps)."""
    x = torch.ones(nbytes // 4, dtype=torch.float32)
    best = float("inf")
    for r in range(reps + 1):
        start = time.perf_counter()
        x.sum()
        if r > 0:
            best = min(best, time.perf_counter() - start)
    return {"bytes_per_second": x.numel() * 4 / best}

"""PyTorch side of `npm run bench:engine`: runs one BLIP-2 stage with the reference implementation.

Usage: reference_stage.py <reference_dir> <threads>

A line protocol on stdin/stdout (one JSON object per line each way) so the bench can interleave
PyTorch and onnxruntime repetitions while both hold their weights:
  first line out     {"ready": true, versions...} or {"ready": false, "error": ...} (then exit)
  {"cmd": "load", "ckpt": dir}                        -> {"ok": true, "seconds": s}
  {"cmd": "run", "fn": name, "inputs": dir, "save": dir|null} -> {"ok": true, "ms": m}
  {"cmd": "stats"}                                    -> {"ok": true, "peak_rss_mb": mb}
Tensors travel as bundles (see tensor-bundle.ts). Only the forward call is timed.

Weights are read tensor by tensor and upcast fp16 -> fp32 one at a time: the reference's own
read_safetensors reads the whole file into memory first, which for OPT-2.7B (5.4 GB fp16 ->
10.8 GB fp32) would not fit beside the model on a 24 GB machine.
"""

import json
import os
import resource
import struct
import sys
import time
import traceback

stdout = sys.stdout
sys.stdout = sys.stderr  # nothing but protocol lines may reach the bench's pipe


def reply(obj):
    stdout.write(json.dumps(obj) + "\n")
    stdout.flush()


def main():
    reference_dir, threads = sys.argv[1], int(sys.argv[2])
    try:
        import numpy as np
        import torch

        sys.path.insert(0, reference_dir)
        import blip2_ref as ref
    except Exception as error:  # noqa: BLE001 - any import failure means "skip the reference"
        reply({"ready": False, "error": f"{type(error).__name__}: {error}"})
        return
    torch.set_num_threads(threads)
    blas = limit_blas_threads(threads)
    reply({"ready": True, "torch": torch.__version__, "numpy": np.__version__, "python": sys.version.split()[0],
           "blas": blas, "threads": torch.get_num_threads()})
    stage = Stage(np, torch, ref)
    for line in sys.stdin:
        if not line.strip():
            continue
        cmd = json.loads(line)
        try:
            reply(dict(ok=True, **stage.handle(cmd)))
        except Exception:  # noqa: BLE001 - reported to the bench, which fails the stage
            reply({"ok": False, "error": traceback.format_exc()})
        if cmd.get("cmd") == "quit":
            return


def limit_blas_threads(threads):
    """torch.set_num_threads covers OpenMP; OpenBLAS keeps its own pool (the bench also sets
    OPENBLAS_NUM_THREADS). Returns a description of the BLAS in use when threadpoolctl exists."""
    try:
        import threadpoolctl
    except ImportError:
        return "unknown (no threadpoolctl)"
    threadpoolctl.threadpool_limits(limits=threads, user_api="blas")
    infos = [i for i in threadpoolctl.threadpool_info() if i.get("user_api") == "blas"]
    return ", ".join(f"{i.get('internal_api')} {i.get('version')} ({i.get('threading_layer', '?')}, "
                     f"{i.get('num_threads')} threads)" for i in infos) or "none found"


class Stage:
    SAFETENSORS_DTYPES = {"F16": "<f2", "F32": "<f4", "F64": "<f8"}

    def __init__(self, np, torch, ref):
        self.np, self.torch, self.ref = np, torch, ref
        self.P = {}
        self.cfg = None
        self.inputs_dir = None
        self.inputs = {}

    def handle(self, cmd):
        kind = cmd["cmd"]
        if kind == "load":
            start = time.perf_counter()
            self.cfg = self.ref.load_blip2_config(cmd["ckpt"])
            self.P = self.load_weights(os.path.join(cmd["ckpt"], "model.safetensors"))
            return {"seconds": time.perf_counter() - start, "tensors": len(self.P)}
        if kind == "run":
            return self.run(cmd["fn"], cmd["inputs"], cmd.get("save"))
        if kind == "stats":
            # ru_maxrss is in KiB on Linux.
            return {"peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
        if kind == "quit":
            return {}
        raise ValueError(f"unknown command {kind}")

    def load_weights(self, path):
        np, torch = self.np, self.torch
        weights = {}
        with open(path, "rb") as f:
            (header_length,) = struct.unpack("<Q", f.read(8))
            header = json.loads(f.read(header_length))
            base = 8 + header_length
            for name, info in header.items():
                if name == "__metadata__":
                    continue
                dtype = np.dtype(self.SAFETENSORS_DTYPES[info["dtype"]])
                begin, end = info["data_offsets"]
                f.seek(base + begin)
                stored = np.fromfile(f, dtype=dtype, count=(end - begin) // dtype.itemsize)
                weights[name] = torch.from_numpy(stored.astype(np.float32, copy=False).reshape(info["shape"]))
        return weights

    def read_inputs(self, folder):
        if folder == self.inputs_dir:
            return self.inputs
        np, torch = self.np, self.torch
        with open(os.path.join(folder, "bundle.json")) as f:
            index = json.load(f)
        tensors = {}
        for name, entry in index.items():
            dtype = np.float32 if entry["dtype"] == "float32" else np.int64
            data = np.fromfile(os.path.join(folder, entry["file"]), dtype=dtype).reshape(entry["shape"])
            tensors[name] = torch.from_numpy(data)
        self.inputs_dir, self.inputs = folder, tensors
        return tensors

    def run(self, fn, inputs_dir, save_dir):
        inputs = self.read_inputs(inputs_dir)
        forward = {"vision": self.vision, "qformer": self.qformer, "decoder": self.decoder}[fn]
        with self.torch.no_grad():
            start = time.perf_counter()
            outputs = forward(inputs)
            ms = (time.perf_counter() - start) * 1000
        if save_dir:
            self.save(save_dir, outputs)
        return {"ms": ms}

    def vision(self, inputs):
        return {"image_embeds": self.ref.vision_forward(self.P, self.cfg["vision_config"], inputs["pixel_values"])}

    def qformer(self, inputs):
        image = inputs["image_embeds"]
        queries = self.P["query_tokens"].expand(image.shape[0], -1, -1)
        out = self.ref.qformer_forward(self.P, self.cfg["qformer_config"], queries, encoder_hidden_states=image)
        return {"query_output": out, "language_inputs": self.ref._linear(self.P, "language_projection", out)}

    def decoder(self, inputs):
        tcfg = self.cfg["text_config"]
        past = [(inputs[f"past_key_values.{i}.key"], inputs[f"past_key_values.{i}.value"])
                for i in range(tcfg["num_hidden_layers"])]
        # An empty cache is how the ONNX graph spells prefill; the reference spells it None.
        if past[0][0].shape[2] == 0:
            past = None
        logits, _ = self.ref.opt_forward(self.P, tcfg, inputs["inputs_embeds"], inputs["attention_mask"], past)
        # The decoder graph returns the last position's logits only (all generation reads).
        return {"logits": logits[:, -1, :]}

    def save(self, folder, outputs):
        os.makedirs(folder, exist_ok=True)
        index = {}
        for i, (name, tensor) in enumerate(outputs.items()):
            array = tensor.contiguous().numpy().astype(self.np.float32, copy=False)
            array.tofile(os.path.join(folder, f"{i}.bin"))
            index[name] = {"dtype": "float32", "shape": list(array.shape), "file": f"{i}.bin"}
        with open(os.path.join(folder, "bundle.json"), "w") as f:
            json.dump(index, f)


if __name__ == "__main__":
    main()

"""Fallback PyTorch side of `npm run bench:engine` (when the transformers venv is missing): runs
one BLIP-2 stage with the pure-torch reference implementation (`blip2_ref.py`) on Debian's torch.

Usage: reference_stage.py <reference_dir> <threads>
Protocol and stage inputs: see bench_common.py and hf_stage.py (the same commands and bundles).

Weights are read tensor by tensor and upcast fp16 -> fp32 one at a time: the reference's own
read_safetensors reads the whole file into memory first, which for OPT-2.7B (5.4 GB fp16 ->
10.8 GB fp32) would not fit beside the model on a 24 GB machine.
"""

import json
import os
import struct
import sys
import time

from bench_common import Bundles, reply, serve, timed, torch_blas, torch_read_bandwidth


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
    reply({"ready": True, "torch": torch.__version__, "numpy": np.__version__, "python": sys.version.split()[0],
           "threads": torch.get_num_threads(), **torch_blas(torch, threads)})
    serve(Stage(np, torch, ref).handle)


class Stage:
    SAFETENSORS_DTYPES = {"F16": "<f2", "F32": "<f4", "F64": "<f8"}

    def __init__(self, np, torch, ref):
        self.np, self.torch, self.ref = np, torch, ref
        self.P = {}
        self.cfg = None
        self.bundles = Bundles(np, torch)

    def handle(self, cmd):
        kind = cmd["cmd"]
        if kind == "load":
            if cmd.get("variant", "fp32") != "fp32":
                raise ValueError("the reference runs in fp32 only")
            start = time.perf_counter()
            self.cfg = self.ref.load_blip2_config(cmd["ckpt"])
            self.P = self.load_weights(os.path.join(cmd["ckpt"], "model.safetensors"))
            return {"seconds": time.perf_counter() - start, "tensors": len(self.P)}
        if kind == "bandwidth":
            return torch_read_bandwidth(self.torch, int(cmd["bytes"]))
        if kind == "run":
            inputs = self.bundles.read(cmd["inputs"])
            forward = {"vision": self.vision, "qformer": self.qformer, "decoder": self.decoder}[cmd["fn"]]
            outputs, ms = timed(self.torch, lambda: forward(inputs))
            if cmd.get("save"):
                self.bundles.save(cmd["save"], outputs)
            return {"ms": ms}
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

    def vision(self, inputs):
        return {"image_embeds": self.ref.vision_forward(self.P, self.cfg["vision_config"], inputs["pixel_values"])}

    def qformer(self, inputs):
        image = inputs["image_embeds"]
        queries = self.P["query_tokens"].expand(image.shape[0], -1, -1)
        out = self.ref.qformer_forward(self.P, self.cfg["qformer_config"], queries, encoder_hidden_states=image)
        return {"language_inputs": self.ref._linear(self.P, "language_projection", out)}

    def decoder(self, inputs):
        """The stage-neutral decoder call of hf_stage.py: optional prefix_embeds, input_ids,
        attention_mask over past + current, optional past.{i}.key/value; last-position logits."""
        tcfg = self.cfg["text_config"]
        embeds = self.P["language_model.model.decoder.embed_tokens.weight"][inputs["input_ids"]]
        if "prefix_embeds" in inputs:
            embeds = self.torch.cat([inputs["prefix_embeds"], embeds], dim=1)
        past = None
        if "past.0.key" in inputs:
            past = [(inputs[f"past.{i}.key"], inputs[f"past.{i}.value"]) for i in range(tcfg["num_hidden_layers"])]
        logits, _ = self.ref.opt_forward(self.P, tcfg, embeds, inputs["attention_mask"], past)
        return {"last_logits": logits[:, -1, :]}


if __name__ == "__main__":
    main()

"""Hugging Face side of `npm run bench:engine`: times transformers' own BLIP-2 / OPT modules, as a
user would run them, on the stage's random checkpoint.

Usage: hf_stage.py <threads>      (run with the bench venv's python: npm run bench:setup)
Protocol: see bench_common.py. `load` takes {"ckpt": dir, "part": vision|qformer|language,
"variant": fp32|bf16|int8-dynamic}; the stage folder holds the full Blip2 config.json and only
that part's weights, so each part is built from its own sub-config and loaded with its prefix
stripped (nothing of the other parts is allocated).

Stage inputs (bundles):
  vision   pixel_values [B, 3, H, W]                       -> image_embeds
  qformer  image_embeds [B, tokens, vision hidden]         -> language_inputs (after language_projection)
  decoder  prefix_embeds [rows, Q, D] (prefill only), input_ids [rows, n],
           attention_mask [rows, past + n], past.{i}.key/value [rows, heads, past, hd] (decode only)
                                                          -> last_logits [rows, vocab]
The decoder runs as generate() does: HF's DynamicCache, lm_head on the last position only
(logits_to_keep=1). The cache is rebuilt from the same tensors before every call, untimed.
"""

import json
import os
import sys
import time

from bench_common import Bundles, reply, serve, timed, torch_blas, torch_read_bandwidth

PREFIXES = {"vision": "vision_model.", "qformer": "qformer.", "language": "language_model."}


def main():
    threads = int(sys.argv[1])
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        import numpy as np
        import torch
        import transformers
    except Exception as error:  # noqa: BLE001 - any import failure means "no HF baseline"
        reply({"ready": False, "error": f"{type(error).__name__}: {error}"})
        return
    transformers.logging.set_verbosity_error()
    torch.set_num_threads(threads)
    reply({"ready": True, "torch": torch.__version__, "transformers": transformers.__version__,
           "numpy": np.__version__, "python": sys.version.split()[0], "threads": torch.get_num_threads(),
           **torch_blas(torch, threads)})
    serve(Stage(np, torch, transformers).handle)


class Stage:
    def __init__(self, np, torch, transformers):
        self.np, self.torch, self.tf = np, torch, transformers
        self.bundles = Bundles(np, torch)
        self.part = None
        self.modules = {}
        self.dtype = torch.float32

    def handle(self, cmd):
        kind = cmd["cmd"]
        if kind == "load":
            start = time.perf_counter()
            self.modules = {}  # free the previous variant before loading the next
            self.load(cmd["ckpt"], cmd["part"], cmd["variant"])
            return {"seconds": time.perf_counter() - start}
        if kind == "bandwidth":
            return torch_read_bandwidth(self.torch, int(cmd["bytes"]))
        if kind == "run":
            inputs = self.bundles.read(cmd["inputs"])
            forward = {"vision": self.vision, "qformer": self.qformer, "decoder": self.decoder}[cmd["fn"]]
            prepared = forward(inputs)
            outputs, ms = timed(self.torch, prepared)
            if cmd.get("save"):
                self.bundles.save(cmd["save"], outputs)
            return {"ms": ms}
        raise ValueError(f"unknown command {kind}")

    # Loading ------------------------------------------------------------------------------------

    def load(self, ckpt, part, variant):
        torch, tf = self.torch, self.tf
        with open(os.path.join(ckpt, "config.json")) as f:
            config = json.load(f)
        # int8-dynamic quantizes an fp32 model, as torch's recipe does.
        self.dtype = torch.bfloat16 if variant == "bf16" else torch.float32
        if part == "vision":
            model = self.pretrained(tf.Blip2VisionModel, tf.Blip2VisionConfig(**config["vision_config"]), ckpt, part)
            self.modules = {"vision": model}
        elif part == "qformer":
            # Blip2ForConditionalGeneration keeps the Q-Former and query tokens in fp32 whatever the
            # dtype (_keep_in_fp32_modules); only language_projection follows it.
            qformer = self.pretrained(tf.Blip2QFormerModel, tf.Blip2QFormerConfig(**config["qformer_config"]),
                                      ckpt, part, dtype=torch.float32)
            extra = self.read_tensors(ckpt, ["query_tokens", "language_projection.weight", "language_projection.bias"])
            projection = torch.nn.Linear(extra["language_projection.weight"].shape[1],
                                         extra["language_projection.weight"].shape[0])
            projection.load_state_dict({"weight": extra["language_projection.weight"],
                                        "bias": extra["language_projection.bias"]})
            self.modules = {"qformer": qformer, "query_tokens": extra["query_tokens"].float(),
                            "projection": projection.to(self.dtype).eval()}
        elif part == "language":
            model = self.pretrained(tf.OPTForCausalLM, tf.OPTConfig(**config["text_config"]), ckpt, part)
            self.modules = {"language": model}
        else:
            raise ValueError(f"unknown part {part}")
        if variant == "int8-dynamic":
            self.quantize_dynamic()
        elif variant not in ("fp32", "bf16"):
            raise ValueError(f"unknown variant {variant}")

    def pretrained(self, cls, config, ckpt, part, dtype=None):
        """`from_pretrained` on the stage folder with the part's prefix mapped away; any weight the
        module expects but the folder lacks is an error (tied lm_head aside, which HF ties itself)."""
        prefix = PREFIXES[part].replace(".", r"\.")
        model, info = cls.from_pretrained(ckpt, config=config, dtype=dtype or self.dtype,
                                          key_mapping={f"^{prefix}": ""}, output_loading_info=True)
        missing = [k for k in info.get("missing_keys", []) if k != "lm_head.weight"]
        if missing:
            raise ValueError(f"{cls.__name__}: weights missing from {ckpt}: {missing[:5]}")
        return model.eval()

    def read_tensors(self, ckpt, names):
        from safetensors.torch import safe_open

        with safe_open(os.path.join(ckpt, "model.safetensors"), framework="pt") as f:
            return {name: f.get_tensor(name).float() for name in names}

    def quantize_dynamic(self):
        torch = self.torch
        from torch.ao.quantization import quantize_dynamic

        # In place: a copy would hold OPT-2.7B's fp32 weights twice (21 GB) while quantizing.
        for name, module in self.modules.items():
            if isinstance(module, torch.nn.Module):
                self.modules[name] = quantize_dynamic(module, {torch.nn.Linear}, dtype=torch.qint8, inplace=True)

    # Forward passes: each returns a zero-argument call, so input conversion stays untimed ---------

    def vision(self, inputs):
        model = self.modules["vision"]
        pixels = inputs["pixel_values"].to(self.dtype)
        return lambda: {"image_embeds": model(pixel_values=pixels).last_hidden_state}

    def qformer(self, inputs):
        """Blip2ForConditionalGeneration.get_image_features, minus the vision model."""
        torch, m = self.torch, self.modules
        image = inputs["image_embeds"].to(self.dtype)
        mask = torch.ones(image.shape[:-1], dtype=torch.long)
        queries = m["query_tokens"].expand(image.shape[0], -1, -1)

        def forward():
            out = m["qformer"](query_embeds=queries, encoder_hidden_states=image,
                               encoder_attention_mask=mask).last_hidden_state
            return {"language_inputs": m["projection"](out.to(self.dtype))}

        return forward

    def decoder(self, inputs):
        torch, tf = self.torch, self.tf
        model = self.modules["language"]
        ids, mask = inputs["input_ids"], inputs["attention_mask"]
        prefix = inputs.get("prefix_embeds")
        prefix = prefix.to(self.dtype) if prefix is not None else None
        cache = tf.DynamicCache(config=model.config)
        converted = {}  # layers fed from one array share one converted copy

        def cast(tensor):
            if id(tensor) not in converted:
                converted[id(tensor)] = tensor.to(self.dtype)
            return converted[id(tensor)]

        layer = 0
        while f"past.{layer}.key" in inputs:
            cache.update(cast(inputs[f"past.{layer}.key"]), cast(inputs[f"past.{layer}.value"]), layer)
            layer += 1

        def forward():
            if prefix is None:
                out = model(input_ids=ids, attention_mask=mask, past_key_values=cache, use_cache=True,
                            logits_to_keep=1)
            else:
                # What Blip2ForConditionalGeneration.generate feeds: projected queries, then the prompt.
                embeds = torch.cat([prefix, model.get_input_embeddings()(ids)], dim=1)
                out = model(inputs_embeds=embeds, attention_mask=mask, past_key_values=cache, use_cache=True,
                            logits_to_keep=1)
            return {"last_logits": out.logits[:, -1, :]}

        return forward


if __name__ == "__main__":
    main()

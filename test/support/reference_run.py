"""Runs the float32 PyTorch reference (shared/reference/blip2_ref.py) on any BLIP-2 checkpoint.

Usage: /usr/bin/python3 test/support/reference_run.py < request.json > result.json

Request (JSON on stdin):
  {"checkpoint": "<HF folder with model.safetensors>", "images": ["a.jpg", ...],
   OPT:  "prompts": [null | "text", ...] (one per image), "max_new_tokens": 8, "eos_token_id": optional
   ITM:  "texts": ["...", ...]}
The model kind comes from config.json `architectures[0]`. Everything goes through the reference's
own preprocessing (Pillow) and tokenizers, so a comparison covers the whole TypeScript pipeline.
Float tensors come back as {"shape": [...], "data": [flat row-major]}.

The reference reads only `model.safetensors`: for a sharded checkpoint pass an unsharded copy.
Its location: $SIGHTLINE_REFERENCE_DIR, else <repo>/../shared/reference.
"""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
REFERENCE_DIR = os.environ.get("SIGHTLINE_REFERENCE_DIR") or os.path.join(REPO, "..", "shared", "reference")
sys.path.insert(0, os.path.abspath(REFERENCE_DIR))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402

import blip2_ref as ref  # noqa: E402

torch.set_num_threads(1)


def tensor_json(t) -> dict:
    a = t.detach().numpy() if isinstance(t, torch.Tensor) else np.asarray(t)
    a = a.astype(np.float32)
    return {"shape": list(a.shape), "data": [float(x) for x in a.reshape(-1)]}


def pixel_batch(ckpt: str, images) -> torch.Tensor:
    pp = ref.load_preprocessor_config(ckpt)
    rows = [ref.preprocess_image(Image.open(path), pp)[0] for path in images]
    return torch.from_numpy(np.stack(rows))


def run_opt(req: dict) -> dict:
    ckpt = req["checkpoint"]
    model = ref.Blip2OPT(ckpt)
    tok = ref.ByteLevelBPETokenizer(ckpt)
    pixels = pixel_batch(ckpt, req["images"])
    prefix = model.image_prefix(pixels)
    prompts = req.get("prompts") or [None] * len(req["images"])
    assert len(prompts) == len(req["images"]), "one prompt (or null) per image"
    text_ids, text_mask = ref.pad_batch([tok.encode(p or "")[0] for p in prompts], tok.pad_token_id, "left")
    nq = model.cfg["num_query_tokens"]
    image_token = model.cfg.get("image_token_index")
    if image_token is not None:
        ids, mask = ref.expand_image_tokens(text_ids, text_mask, image_token, nq)
    else:
        # Legacy Blip2ForConditionalGeneration: inputs_embeds = cat(projected queries, embed(text)),
        # mask = [1]*nq + text mask; generate() keeps only the text ids in its sequences.
        ids, mask = text_ids, [[1] * nq + row for row in text_mask]

        def concat_embeds(input_ids, projected):
            return torch.cat([projected, model.embed_tokens(input_ids)], dim=1)

        model.build_inputs_embeds = concat_embeds
    result = model.generate(pixels, torch.tensor(ids, dtype=torch.long), torch.tensor(mask, dtype=torch.long),
                            max_new_tokens=int(req.get("max_new_tokens", 8)), eos_token_id=req.get("eos_token_id"))
    step_logits = torch.stack(result.step_logits)  # [steps, B, V]
    top2 = torch.topk(step_logits, 2, dim=-1).values
    return {
        "kind": "opt",
        "pixel_values": tensor_json(pixels),
        "vision_last_hidden_state": tensor_json(prefix["vision"]),
        "qformer_last_hidden_state": tensor_json(prefix["qformer"]),
        "language_projection": tensor_json(prefix["projected"]),
        "input_ids": ids,
        "attention_mask": mask,
        "eos_token_id": req.get("eos_token_id", model.tcfg["eos_token_id"]),
        "pad_token_id": model.tcfg["pad_token_id"],
        "new_tokens": result.new_tokens,
        # Ids past the tokenizer (the vocab's padding rows) decode to nothing, as in HF's tokenizers.
        "generated_text": [tok.decode([i for i in row if i in tok.inv_vocab], skip_special_tokens=True).strip()
                           for row in result.new_tokens],
        "step_logits": tensor_json(step_logits),
        # [steps][B]: how far the greedy choice is from the runner-up at each step.
        "greedy_top1_minus_top2": (top2[..., 0] - top2[..., 1]).tolist(),
    }


def run_itm(req: dict) -> dict:
    ckpt = req["checkpoint"]
    model = ref.Blip2ITM(ckpt)
    tok = ref.WordPieceTokenizer(ckpt)
    pixels = pixel_batch(ckpt, req["images"])
    texts = req["texts"]
    ids, mask = ref.pad_batch([tok.encode(t)[0] for t in texts], tok.pad_token_id, "right")
    ids_t, mask_t = torch.tensor(ids, dtype=torch.long), torch.tensor(mask, dtype=torch.long)
    vision = model.vision(pixels)
    image_feats, query_output = model.image_feats(vision)
    text_feat, text_hidden = model.text_feat(ids_t, mask_t)
    n_img, n_txt = len(req["images"]), len(texts)
    pair_img = [i for i in range(n_img) for _ in range(n_txt)]
    pair_txt = [t for _ in range(n_img) for t in range(n_txt)]
    itm_logits, itm_hidden = model.itm_logits(vision[pair_img], ids_t[pair_txt], mask_t[pair_txt], return_hidden=True)
    nq = model.cfg["num_query_tokens"]
    return {
        "kind": "itm",
        "pixel_values": tensor_json(pixels),
        "vision_last_hidden_state": tensor_json(vision),
        "input_ids": ids,
        "attention_mask": mask,
        "qformer_query_output": tensor_json(query_output),
        "image_feats": tensor_json(image_feats),
        "text_qformer_last_hidden_state": tensor_json(text_hidden),
        "text_feat": tensor_json(text_feat),
        "itc_logits_per_image": tensor_json(model.itc_scores(image_feats, text_feat)),
        "itm_pairs": {"image_index": pair_img, "text_index": pair_txt},
        "itm_qformer_query_output": tensor_json(itm_hidden[:, :nq]),
        "itm_logits": tensor_json(itm_logits),
        "itm_probs": tensor_json(torch.softmax(itm_logits, dim=-1)[:, 1].reshape(n_img, n_txt)),
    }


def main() -> None:
    req = json.load(sys.stdin)
    with open(os.path.join(req["checkpoint"], "config.json")) as f:
        architecture = json.load(f)["architectures"][0]
    with torch.no_grad():
        if architecture == "Blip2ForConditionalGeneration":
            out = run_opt(req)
        elif architecture == "Blip2ForImageTextRetrieval":
            out = run_itm(req)
        else:
            raise SystemExit(f"unsupported architecture {architecture}")
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()

"""Train the seq2seq headline summariser from a pack, within a time budget, resumably.

The learning rate warms up, then decays linearly with elapsed time towards ``max_minutes``,
so a run fits its budget whatever the hardware. Every ``eval_minutes`` the model greedily
decodes ``eval_pairs`` dev articles and scores character ROUGE-L; the best weights so far are
saved (encoder adapters + decoder, float16), and a resumable checkpoint (weights, optimiser,
elapsed time) goes to ``<ckpt>``. A JSON line per evaluation goes to ``<out>/train_log.jsonl``.

Run: ``python -m training.train_summarizer --config training/configs/summarizer.json`` (the
shipped run's first leg; ``summarizer-resume.json`` its second), or ``--max-minutes 60`` and
``--resume`` to continue from the checkpoint after an interruption. The resolved settings go
to ``<out>/train_config.json``, into the saved model's JSON and into the checkpoint.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from nlp.precision import training_autocast
from nlp.seq2seq import BOS, EOS, PAD, build_seq2seq, save_model
from nlp.summarizer import SummarizerConfig
from training.config import parse_config, resolved, save_config
from training.pack import length_batches, open_pack, unragged


@dataclass
class TrainConfig:
    """Training settings (saved with the model)."""

    pack: str = field(default=".pack", metadata={"help": "pack folder (training.pack)"})
    out: str = field(default="runs/summarizer", metadata={"help": "output folder"})
    ckpt: str = field(default="runs/summarizer-ckpt.pt", metadata={"help": "resumable checkpoint"})
    batch_size: int = field(default=64, metadata={"help": "pairs per step"})
    lr: float = field(default=5e-4, metadata={"help": "peak learning rate"})
    weight_decay: float = field(default=0.01, metadata={"help": "AdamW weight decay"})
    warmup_steps: int = field(default=300, metadata={"help": "linear warm-up steps"})
    label_smoothing: float = field(default=0.1, metadata={"help": "cross-entropy smoothing"})
    max_minutes: float = field(default=5.0, metadata={"help": "training time budget"})
    eval_minutes: float = field(default=1.0, metadata={"help": "evaluate this often"})
    eval_pairs: int = field(default=400, metadata={"help": "dev pairs decoded per evaluation"})
    seed: int = field(default=13, metadata={"help": "random seed"})
    resume: bool = field(default=False, metadata={"help": "continue from --ckpt"})
    limit: int = field(default=0, metadata={"help": "use only N training pairs (smoke tests)"})

    def __post_init__(self) -> None:
        if self.batch_size < 1 or self.max_minutes <= 0:
            raise ValueError(f"bad batch_size/max_minutes: {self.batch_size}, {self.max_minutes}")


def _batch(src, tgt, idx, special, device):
    bos, eos, pad = special
    s_w = max(len(src[i]) for i in idx) + 2
    t_w = max(len(tgt[i]) for i in idx) + 1
    ids = torch.full((len(idx), s_w), pad, dtype=torch.long)
    labels = torch.full((len(idx), t_w), -100, dtype=torch.long)
    dec_in = torch.full((len(idx), t_w), PAD, dtype=torch.long)
    for r, i in enumerate(idx):
        row = [bos, *src[i], eos]
        ids[r, : len(row)] = torch.tensor(row)
        t = [*tgt[i].tolist(), EOS]
        labels[r, : len(t)] = torch.tensor(t)
        dec_in[r, : len(t)] = torch.tensor([BOS, *t[:-1]])
    return {
        "input_ids": ids.to(device),
        "attention_mask": (ids != pad).long().to(device),
        "decoder_input_ids": dec_in.to(device),
        "decoder_attention_mask": (labels != -100).long().to(device),
    }, labels.to(device)


def evaluate(model, src, refs, dec_vocab, tokenizer_decode, special, device, n, batch=64):
    from nlp.evaluation.metrics import corpus_rouge

    model.eval()
    preds = []
    bos, eos, pad = special
    with torch.inference_mode(), training_autocast(device):
        for s in range(0, n, batch):
            idx = list(range(s, min(n, s + batch)))
            w = max(len(src[i]) for i in idx) + 2
            ids = torch.full((len(idx), w), pad, dtype=torch.long)
            for r, i in enumerate(idx):
                row = [bos, *src[i], eos]
                ids[r, : len(row)] = torch.tensor(row)
            ids = ids.to(device)
            gen = model.generate(
                input_ids=ids,
                attention_mask=(ids != pad).long(),
                max_new_tokens=40,
                num_beams=1,
                no_repeat_ngram_size=3,
            )
            for seq in gen.tolist():
                body = seq[1:]
                body = body[: body.index(EOS)] if EOS in body else body
                preds.append(tokenizer_decode([dec_vocab[i] for i in body if i > 3]))
    model.train()
    return corpus_rouge(preds, refs[:n]), preds[:5]


def train(cfg: TrainConfig, scfg: SummarizerConfig | None = None) -> dict:
    scfg = scfg or SummarizerConfig()
    torch.manual_seed(cfg.seed)
    rng = random.Random(cfg.seed)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    pack = Path(cfg.pack)
    base, keep, z, special = open_pack(pack, device)
    dec_vocab = z["dec_vocab"].tolist()
    src = [keep[s] for s in unragged(z["sum_train_src"], z["sum_train_soff"])]
    tgt = unragged(z["sum_train_tgt"], z["sum_train_toff"])
    if cfg.limit:
        src, tgt = src[: cfg.limit], tgt[: cfg.limit]
    dev_src = [keep[s] for s in unragged(z["sum_dev_src"], z["sum_dev_soff"])]
    dev_refs = json.loads((pack / "dev_titles.json").read_text())
    tokenizer_decode = _decoder(pack)

    model = build_seq2seq(base, scfg, dec_vocab).to(device)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    out = Path(cfg.out)
    save_config(cfg, out)
    state = {"step": 0, "elapsed": 0.0, "best": {"rougeL": -1.0}}
    if cfg.resume and Path(cfg.ckpt).exists():
        ck = torch.load(cfg.ckpt, map_location=device, weights_only=False)
        model.load_state_dict(ck["model"], strict=False)
        opt.load_state_dict(ck["opt"])
        state = ck["state"]
        print(f"resumed at step {state['step']} ({state['elapsed']:.0f}s)", flush=True)
    budget = cfg.max_minutes * 60
    loss_fn = torch.nn.CrossEntropyLoss(ignore_index=-100, label_smoothing=cfg.label_smoothing)
    log = (out / "train_log.jsonl").open("a")
    t_start, last_eval, running = time.time() - state["elapsed"], state["elapsed"], []
    order = list(range(len(src)))
    model.train()
    while True:
        batches = length_batches(order, src, cfg.batch_size, rng)
        for idx in batches:
            elapsed = time.time() - t_start
            frac = min(1.0, elapsed / budget)
            for g in opt.param_groups:
                g["lr"] = (
                    cfg.lr * min(1.0, (state["step"] + 1) / cfg.warmup_steps) * max(0.02, 1 - frac)
                )
            inputs, labels = _batch(src, tgt, idx, special, device)
            with training_autocast(device):
                logits = model(**inputs).logits
            loss = loss_fn(logits.float().reshape(-1, logits.shape[-1]), labels.reshape(-1))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            opt.zero_grad(set_to_none=True)
            running.append(loss.item())
            state["step"] += 1
            done = elapsed >= budget
            if done or elapsed - last_eval >= cfg.eval_minutes * 60:
                last_eval = elapsed
                scores, sample = evaluate(
                    model,
                    dev_src,
                    dev_refs,
                    dec_vocab,
                    tokenizer_decode,
                    special,
                    device,
                    min(cfg.eval_pairs, len(dev_src)),
                )
                row = {
                    "step": state["step"],
                    "seconds": round(elapsed, 1),
                    "train_loss": round(float(np.mean(running)), 4),
                    **scores,
                    "sample": sample,
                }
                running = []
                print(json.dumps(row, ensure_ascii=False), flush=True)
                log.write(json.dumps(row, ensure_ascii=False) + "\n")
                log.flush()
                if scores["rougeL"] > state["best"]["rougeL"]:
                    state["best"] = {k: v for k, v in row.items() if k != "sample"}
                    save_model(
                        model,
                        scfg,
                        dec_vocab,
                        out,
                        extra={"train": resolved(cfg), "best": state["best"]},
                    )
                state["elapsed"] = elapsed
                Path(cfg.ckpt).parent.mkdir(parents=True, exist_ok=True)
                torch.save(
                    {
                        "model": {
                            n: p.detach() for n, p in model.named_parameters() if p.requires_grad
                        },
                        "opt": opt.state_dict(),
                        "state": state,
                        "config": resolved(cfg),
                        "model_config": resolved(scfg),
                    },
                    cfg.ckpt,
                )
            if done:
                return state["best"]


def _decoder(pack: Path):
    """Base piece ids → text, from the output vocabulary's pieces stored in the pack."""
    pieces = {int(k): v for k, v in json.loads((pack / "dec_pieces.json").read_text()).items()}
    return lambda ids: "".join(pieces.get(i, "") for i in ids).replace("▁", " ").replace(" ", "")


def main(argv: list[str] | None = None) -> dict:
    """Train from the command line (``--config training/configs/summarizer.json`` for the
    shipped run's first leg); returns the best evaluation's row."""
    cfg = parse_config(TrainConfig, argv, __doc__.split("\n")[0])
    best = train(cfg)
    print("best", json.dumps(best, ensure_ascii=False))
    return best


if __name__ == "__main__":
    main()

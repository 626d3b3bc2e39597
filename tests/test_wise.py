"""The linear probe of training.wise: the class-balanced LR folded into a head over raw features."""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression

from nlp.labels import LABELS
from training.wise import fit_probe


def test_probe_head_on_raw_features_is_the_regression_on_standardised_ones():
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(3, 8)) * 3
    y_idx = rng.integers(0, 3, size=300)
    # features on very different scales and offsets, as pooled encoder states are
    x = (centres[y_idx] + rng.normal(size=(300, 8))) * np.linspace(0.01, 5, 8) + 7.0
    labels = [("public_security", "water_management", "other")[i] for i in y_idx]
    w, b = fit_probe(x, labels, c=0.3)
    assert w.shape == (len(LABELS), 8) and b.shape == (len(LABELS),)

    mu, sd = x.mean(0), x.std(0) + 1e-6
    ref = LogisticRegression(C=0.3, max_iter=3000, class_weight="balanced")
    ref.fit((x - mu) / sd, [LABELS.index(v) for v in labels])
    z = x @ w.T + b
    np.testing.assert_allclose(
        z[:, ref.classes_], ref.decision_function((x - mu) / sd), rtol=1e-4, atol=1e-3
    )
    # labels absent from training are never chosen
    assert set(z.argmax(1)) <= set(ref.classes_.tolist())
    assert (b[[LABELS.index("civil_affairs"), LABELS.index("agri_insurance")]] == -30).all()

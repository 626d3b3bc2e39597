"""The six domain labels, defined once, in the order of the labeling guide.

Every model saves ``id2label``/``label2id`` derived from :data:`LABELS`; nothing infers the
label set from whichever split happened to be loaded.
"""

from __future__ import annotations

LABELS: tuple[str, ...] = (
    "public_security",
    "civil_affairs",
    "water_management",
    "agri_insurance",
    "disability_employment",
    "other",
)

DISPLAY_NAMES: dict[str, str] = {
    "public_security": "公安",
    "civil_affairs": "民政",
    "water_management": "水利",
    "agri_insurance": "农业保险",
    "disability_employment": "残疾人就业",
    "other": "其他",
}

ID2LABEL: dict[int, str] = dict(enumerate(LABELS))
LABEL2ID: dict[str, int] = {label: i for i, label in ID2LABEL.items()}
RARE_LABELS: tuple[str, ...] = ("agri_insurance", "disability_employment")


def display_name(label: str) -> str:
    """Chinese display name of a label id, e.g. ``display_name("other") == "其他"``."""
    try:
        return DISPLAY_NAMES[label]
    except KeyError:
        raise ValueError(f"unknown label {label!r}; expected one of {LABELS}") from None


def check_label(label: str) -> str:
    """Return ``label`` unchanged if it is one of :data:`LABELS`, else raise ``ValueError``."""
    if label not in LABEL2ID:
        raise ValueError(f"unknown label {label!r}; expected one of {LABELS}")
    return label


def secondary_label(probs, label: str, threshold: float) -> tuple[str, float]:
    """The most probable domain other than ``label`` (never ``other``) and its probability,
    if it reaches ``threshold`` (> 0); else ``("", 0.0)``.

    >>> secondary_label([0.1, 0.3, 0.5, 0.0, 0.0, 0.1], "water_management", 0.25)
    ('civil_affairs', 0.3)
    >>> secondary_label([0.1, 0.3, 0.5, 0.0, 0.0, 0.1], "water_management", 0.0)
    ('', 0.0)
    """
    if threshold <= 0:
        return "", 0.0
    best, best_p = "", 0.0
    for lab, p in zip(LABELS, probs, strict=True):
        if lab not in (label, "other") and float(p) > best_p:
            best, best_p = lab, float(p)
    return (best, best_p) if best_p >= threshold else ("", 0.0)

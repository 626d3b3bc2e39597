"""Strict reading of saved configs: every field named, nothing unknown, no machine paths.

A model folder's JSON decides how the model runs, so a field it lacks must not be filled in by
whatever default the code has today, and a field the code does not know must not be dropped.

Example::

    from nlp.config import config_from_dict
    from nlp.summarizer import SummarizerConfig
    cfg = config_from_dict(SummarizerConfig, meta["config"], "summarizer.json")
"""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any, TypeVar

T = TypeVar("T")
_WINDOWS_ABSOLUTE = re.compile(r"^[A-Za-z]:[\\/]")


def field_names(cls: type) -> list[str]:
    """The field names of a config dataclass, in declaration order."""
    return [f.name for f in fields(cls)]


def check_keys(cls: type, data: dict, source: str, require_all: bool = True) -> None:
    """Raise ``ValueError`` naming ``source`` and the field when ``data`` does not fit ``cls``.

    Args:
        cls: a config dataclass.
        data: its fields as read from a file.
        source: the file, for the message.
        require_all: also refuse a missing field (saved configs); presets may be partial.
    """
    names = field_names(cls)
    unknown = [k for k in data if k not in names]
    if unknown:
        raise ValueError(
            f"{source}: unknown {cls.__name__} field {unknown[0]!r} (known: {', '.join(names)})"
        )
    missing = [n for n in names if n not in data]
    if require_all and missing:
        raise ValueError(f"{source}: missing {cls.__name__} field {missing[0]!r}")


def config_from_dict(cls: type[T], data: dict, source: str, require_all: bool = True) -> T:
    """``cls(**data)`` after :func:`check_keys`; the dataclass's own checks then run.

    Example::

        config_from_dict(SummarizerConfig, {"num_beams": 4}, "x.json")
        # ValueError: x.json: missing SummarizerConfig field 'max_source_tokens'
    """
    if not isinstance(data, dict):
        raise ValueError(f"{source}: a {cls.__name__} must be a JSON object, got {data!r}")
    check_keys(cls, data, source, require_all)
    return cls(**data)


def required(meta: dict, key: str, source: str) -> Any:
    """``meta[key]``, or a ``ValueError`` naming the file and the field."""
    if key not in meta:
        raise ValueError(f"{source}: required field {key!r} is missing")
    return meta[key]


def is_machine_path(value: str) -> bool:
    """True for an absolute path or one in a home folder (``/root/out``, ``~/x``, ``C:\\x``)."""
    return value.startswith(("/", "~", "\\")) or bool(_WINDOWS_ABSOLUTE.match(value))


def machine_paths(obj: Any) -> list[str]:
    """Every string in a JSON-like value that is a machine path (see :func:`is_machine_path`).

    Example:
        >>> machine_paths({"out": "/root/runs/x", "pack": [".pack", "~/cache"]})
        ['/root/runs/x', '~/cache']
    """
    if isinstance(obj, dict):
        return [s for v in obj.values() for s in machine_paths(v)]
    if isinstance(obj, list | tuple):
        return [s for v in obj for s in machine_paths(v)]
    return [obj] if isinstance(obj, str) and is_machine_path(obj) else []


def strip_machine_paths(obj: Any) -> Any:
    """A copy of ``obj`` with every absolute or home-folder path cut to its last part.

    Relative provenance (``.pack``, ``runs/classifier``) is kept as it is.

    Example::

        strip_machine_paths({"out": "/root/out/summarizer", "pack": ".pack"})
        # {'out': 'summarizer', 'pack': '.pack'}
    """
    if isinstance(obj, dict):
        return {k: strip_machine_paths(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return type(obj)(strip_machine_paths(v) for v in obj)
    if isinstance(obj, str) and is_machine_path(obj):
        win = _WINDOWS_ABSOLUTE.match(obj) or "\\" in obj
        return (PureWindowsPath(obj) if win else PurePosixPath(obj)).name
    return obj


def load_model_config(model_dir, artifact: str, cls: type[T], required_keys: tuple[str, ...]):
    """The config dataclass and the whole JSON saved in a model folder, checked strictly.

    Args:
        model_dir: the folder holding ``<artifact>.json``.
        artifact: ``"classifier"`` or ``"summarizer"``.
        cls: the config dataclass (``ClassifierConfig``, ``SummarizerConfig``).
        required_keys: entries of the JSON the model cannot run without.

    Returns:
        ``(config, meta)``.

    Raises:
        ValueError: naming the file and the missing or unknown entry or field.
    """
    import json
    from pathlib import Path

    source = Path(model_dir) / f"{artifact}.json"
    meta = json.loads(source.read_text(encoding="utf-8"))
    for key in required_keys:
        required(meta, key, str(source))
    return config_from_dict(cls, meta["config"], str(source)), meta


def artifact_version(model_dir: str | Path, files: list[str]) -> str:
    """A model's version: the folder name and the first 12 hex digits of the SHA-256 of its
    files (config and weights), so a retrained model never shares one."""
    import hashlib

    digest = hashlib.sha256()
    for name in files:
        digest.update((Path(model_dir) / name).read_bytes())
    return f"{Path(model_dir).name}-{digest.hexdigest()[:12]}"

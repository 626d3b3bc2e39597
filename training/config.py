"""One way from a config dataclass to a command line, a preset file and a saved config.

Every stage declares its settings as a dataclass whose fields carry a default and
``metadata["help"]``. :func:`parse_config` turns it into ``--flag`` options plus
``--config PRESET.json``; the values resolve as *field defaults < preset < flags given*, and
the preset's keys must be fields (a typo is a ``ValueError`` that quotes it, never ignored).
:func:`save_config` writes the resolved config next to an artifact, with machine paths cut.

Example::

    from training.config import parse_config, save_config
    cfg = parse_config(TrainConfig, ["--config", "training/configs/classifier.json", "--lr", "1e-4"])
    save_config(cfg, "runs/classifier")            # runs/classifier/train_config.json
"""

from __future__ import annotations

import argparse
import json
from dataclasses import MISSING, asdict, fields, is_dataclass
from pathlib import Path
from typing import TypeVar

from nlp.config import check_keys, strip_machine_paths

T = TypeVar("T")
CONFIGS_DIR = Path(__file__).resolve().parent / "configs"
COMMENT = "_about"  # the one non-field key a preset may hold: what run it reproduces


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def add_dataclass_arguments(parser: argparse.ArgumentParser, cls: type) -> None:
    """Add one ``--flag`` per field of ``cls`` (help and default from the field) and ``--config``.

    Flags default to *not given* (``argparse.SUPPRESS``) so that :func:`config_from_args` can
    tell a flag typed on the command line from a default; the help shows the field default.
    """
    group = parser.add_argument_group(f"{cls.__name__} (defaults < --config preset < flags)")
    group.add_argument(
        "--config",
        type=Path,
        default=None,
        help="preset JSON whose keys are fields below (training/configs/*.json)",
    )
    for f in fields(cls):
        default = f.default if f.default is not MISSING else f.default_factory()  # type: ignore[misc]
        help_text = f"{f.metadata.get('help', '')} (default: {default!r})"
        if isinstance(default, bool):
            group.add_argument(
                _flag(f.name),
                dest=f.name,
                action=argparse.BooleanOptionalAction,
                default=argparse.SUPPRESS,
                help=help_text,
            )
        elif isinstance(default, int | float | str):
            group.add_argument(
                _flag(f.name),
                dest=f.name,
                type=type(default),
                default=argparse.SUPPRESS,
                help=help_text,
            )
        else:
            raise TypeError(f"{cls.__name__}.{f.name}: no command-line form for {default!r}")


def load_preset(cls: type, path: str | Path) -> dict:
    """The fields a preset file sets; ``ValueError`` quoting any key that is not a field."""
    path = Path(path)
    if not path.is_file() and (CONFIGS_DIR / path).is_file():
        path = CONFIGS_DIR / path
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a preset must be a JSON object, got {data!r}")
    data = {k: v for k, v in data.items() if k != COMMENT}
    check_keys(cls, data, str(path), require_all=False)
    return data


def config_from_args(cls: type[T], args: argparse.Namespace) -> T:
    """The resolved ``cls``: field defaults, then the ``--config`` preset, then given flags."""
    values = load_preset(cls, args.config) if getattr(args, "config", None) else {}
    for f in fields(cls):
        if hasattr(args, f.name):
            values[f.name] = getattr(args, f.name)
    return cls(**values)


def parse_config(cls: type[T], argv: list[str] | None = None, description: str = "") -> T:
    """Parse ``argv`` into a resolved ``cls`` (see :func:`add_dataclass_arguments`).

    Example::

        parse_config(TrainConfig, ["--epochs", "2"]).epochs   # 2
    """
    parser = argparse.ArgumentParser(description=description)
    add_dataclass_arguments(parser, cls)
    return config_from_args(cls, parser.parse_args(argv))


def resolved(cfg) -> dict:
    """All fields of a config (a dataclass or a dict), with machine paths cut."""
    return strip_machine_paths(asdict(cfg) if is_dataclass(cfg) else dict(cfg))


def save_config(cfg, out_dir: str | Path, name: str = "train_config.json") -> Path:
    """Write the resolved config as ``<out_dir>/<name>`` (pretty JSON) and return its path."""
    path = Path(out_dir) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(resolved(cfg), ensure_ascii=False, indent=2) + "\n", "utf-8")
    return path

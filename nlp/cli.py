"""Command line: ``python -m nlp <command> ...`` (also installed as ``newsdesk``).

Commands:
    segment FILE... [-o OUT.jsonl]   split pasted pages into articles, one JSON object per
                                     article: source, index, title, byline, body, captions.

Inputs are TXT files (one page each), JSONL/CSV files (one page per row), folders and ZIP
archives (see :mod:`nlp.io`). A bad input (missing, empty, binary, too large) gives one line
on stderr naming the file and the problem; the other inputs still go through.

Exit status: 0 when every input was processed, 1 when at least one input failed (the others
were still processed and written), 2 for usage errors or an output that cannot be written.

Adding a command: write ``_add_X_parser(sub)`` that builds the subparser and calls
``parser.set_defaults(run=_run_X)``, and ``_run_X(args) -> int``; then list ``_add_X_parser``
in :data:`_PARSER_BUILDERS`.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterator

from nlp.io import JsonlWriter, Record, iter_records

EXIT_OK, EXIT_INPUT_ERRORS, EXIT_USAGE = 0, 1, 2
PROG = "newsdesk"


def _report(kind: str, source: str, message: str) -> None:
    """One line on stderr: ``newsdesk: error: pages/a.txt: empty text``."""
    print(f"{PROG}: {kind}: {source}: {message}", file=sys.stderr)


def _use_utf8_stdout() -> None:
    """JSON is written as UTF-8 whatever the terminal's locale."""
    try:
        sys.stdout.reconfigure(encoding="utf-8")  # type: ignore[union-attr]
    except (AttributeError, ValueError):
        pass


def _open_output(path: str | None) -> JsonlWriter | None:
    try:
        return JsonlWriter(path)
    except OSError as err:
        _report("error", str(path), f"cannot write output ({err.strerror or err})")
        return None


def _iter_good_records(paths: list[str], failed: list[str]) -> Iterator[Record]:
    """Records that can be processed; errors are reported and collected in ``failed``."""
    for rec in iter_records(paths):
        if rec.error:
            _report("error", rec.source, rec.error)
            failed.append(rec.source)
            continue
        if rec.warning:
            _report("warning", rec.source, rec.warning)
        yield rec


# ---------------------------------------------------------------------------- segment


def _add_segment_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "segment",
        help="split pasted newspaper pages into articles",
        description="Split pasted newspaper pages into articles (JSONL, one article a line).",
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="TXT/JSONL/CSV/ZIP files or folders")
    p.add_argument("-o", "--output", metavar="OUT.jsonl", help="output file (default: stdout)")
    p.set_defaults(run=_run_segment)


def _run_segment(args: argparse.Namespace) -> int:
    from nlp.segment import segment_page

    writer = _open_output(args.output)
    if writer is None:
        return EXIT_USAGE
    failed: list[str] = []
    with writer:
        for rec in _iter_good_records(args.files, failed):
            try:
                articles = segment_page(rec.text, source=rec.source)
            except Exception as err:  # noqa: BLE001 - one bad page must not stop a batch
                _report("error", rec.source, f"segmentation failed ({type(err).__name__}: {err})")
                failed.append(rec.source)
                continue
            if not articles:
                _report("warning", rec.source, "no article found")
            for art in articles:
                writer.write(art.to_dict())
    return EXIT_INPUT_ERRORS if failed else EXIT_OK


# ---------------------------------------------------------------------------- analyze


def _add_analyze_parser(sub: argparse._SubParsersAction) -> None:
    from nlp.batch import add_analyze_arguments

    p = sub.add_parser(
        "analyze",
        help="segment, classify and summarise pages or articles in bulk",
        description="Analyse pages (or articles with --no-segment) into one row per article: "
        "domain label, scores, summary, key sentences, keywords. Resumable with --resume.",
    )
    add_analyze_arguments(p)
    p.set_defaults(run=_run_analyze)


def _run_analyze(args: argparse.Namespace) -> int:
    from nlp.batch import run_analyze

    return run_analyze(args)


# ---------------------------------------------------------------------------- main

_PARSER_BUILDERS: list[Callable[[argparse._SubParsersAction], None]] = [
    _add_segment_parser,
    _add_analyze_parser,
]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Chinese news-desk NLP: segment pages, classify and summarise articles.",
        epilog="Exit status: 0 all inputs processed, 1 some inputs failed (the rest were "
        "processed), 2 usage or output error.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in _PARSER_BUILDERS:
        add(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status (see the module docstring)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    _use_utf8_stdout()
    try:
        return args.run(args)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `python -m nlp segment page.txt | head`
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # silence the flush at interpreter exit
        return EXIT_OK

"""Command line: ``python -m nlp <command> ...`` (also installed as ``newsdesk``).

Commands:
    segment FILE... [-o OUT.jsonl]   split pasted pages into articles, one JSON object per
                                     article: source, index, title, byline, body, captions.
    classify INPUT... [-o OUT.jsonl] one line per record: id, label, scores (all six labels),
                                     confidence, low_confidence (or id, error).
    summarize INPUT... [-o OUT.jsonl] one line per record: id, summary, key_sentences,
                                     keywords (or id, error).
    analyze INPUT... -o OUT.jsonl    segment + classify + summarise, resumable (nlp.batch).
    evaluate [FILE...]               classifier harness: test split, seed page, given files
                                     (see training.evaluate).

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
    add_decoding_arguments(p)
    p.set_defaults(run=_run_analyze)


def _run_analyze(args: argparse.Namespace) -> int:
    from nlp.batch import run_analyze

    return run_analyze(args)


# ---------------------------------------------------------------------- classify, summarize


def _add_model_parser(sub: argparse._SubParsersAction, name: str, help_: str, run) -> None:
    p = sub.add_parser(name, help=help_, description=help_ + " (JSONL, one line per record).")
    p.add_argument(
        "files",
        nargs="+",
        metavar="INPUT",
        help="JSONL/CSV (id optional, text or title+body), TXT files, folders, ZIP",
    )
    p.add_argument("-o", "--output", metavar="OUT.jsonl", help="output file (default: stdout)")
    p.add_argument("--batch-size", type=int, default=32, help="articles per model call")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(run=run)


def _add_classify_parser(sub: argparse._SubParsersAction) -> None:
    _add_model_parser(
        sub, "classify", "label each article's domain with a probability per label", _run_classify
    )


def add_decoding_arguments(p: argparse.ArgumentParser) -> None:
    """``--beams`` / ``--source-tokens``: summary decoding of bulk runs (summarize, analyze)."""
    p.add_argument(
        "--beams",
        type=int,
        default=None,
        metavar="N",
        help="beam width of the summaries (default: the model's bulk setting, 2; "
        "4 = the app's slower, slightly better setting)",
    )
    p.add_argument(
        "--source-tokens",
        type=int,
        default=None,
        metavar="N",
        help="article tokens the summariser reads (default: bulk setting 192; at most 320)",
    )


def _add_summarize_parser(sub: argparse._SubParsersAction) -> None:
    _add_model_parser(
        sub, "summarize", "summarise each article: summary, key sentences, keywords", _run_summarize
    )
    add_decoding_arguments(sub.choices["summarize"])


def _run_per_record(args: argparse.Namespace, predict: Callable[[list[str]], list]) -> int:
    """Run ``predict`` over every record in batches, writing rows in input order.

    A bad record (unreadable, empty, or one the model fails on) gets an ``id`` + ``error`` row
    and the run goes on; records without Chinese text also carry a ``warning``.
    """
    from tqdm import tqdm

    writer = _open_output(args.output)
    if writer is None:
        return EXIT_USAGE
    failed: list[str] = []
    batch: list[Record] = []

    def run_model(texts: list[str]) -> list:
        try:
            return predict(texts)
        except Exception:  # noqa: BLE001 - retry one by one so one bad text loses nothing else
            out = []
            for t in texts:
                try:
                    out.append(predict([t])[0])
                except Exception as err:  # noqa: BLE001
                    out.append(f"model failed ({type(err).__name__}: {err})")
            return out

    def flush() -> None:
        good = [r for r in batch if not r.error]
        results = iter(run_model([r.text for r in good]) if good else [])
        for rec in batch:
            res = rec.error or next(results)
            if isinstance(res, str):
                _report("error", rec.source, res)
                failed.append(rec.source)
                writer.write({"id": rec.id, "error": res})
            else:
                row = {"id": rec.id, **res.to_dict()}
                if rec.warning:
                    row["warning"] = rec.warning
                writer.write(row)
        bar.update(len(batch))
        batch.clear()

    with (
        writer,
        tqdm(
            desc=args.command, unit="art", disable=args.no_progress or None, file=sys.stderr
        ) as bar,
    ):
        for rec in iter_records(args.files):
            batch.append(rec)
            if len(batch) >= args.batch_size:
                flush()
        flush()
    return EXIT_INPUT_ERRORS if failed else EXIT_OK


def _run_classify(args: argparse.Namespace) -> int:
    from nlp.pipeline import default_classifier

    return _run_per_record(args, default_classifier().predict)


def _run_summarize(args: argparse.Namespace) -> int:
    from nlp.pipeline import default_summarizer

    return _run_per_record(
        args, default_summarizer().for_batch(args.beams, args.source_tokens).summarize
    )


# ---------------------------------------------------------------------------- evaluate


def _add_evaluate_parser(sub: argparse._SubParsersAction) -> None:
    from training.evaluate import add_arguments

    p = sub.add_parser(
        "evaluate",
        help="score the classifier and its baselines on the test split, the seed page and files",
        description="Score the classifier and its baselines on the date-held-out test split, "
        "the labelled seed page and any labelled JSONL/CSV files; writes metrics.json, "
        "report.md and confusion-matrix PNGs.",
    )
    add_arguments(p)
    p.set_defaults(run=_run_evaluate)


def _run_evaluate(args: argparse.Namespace) -> int:
    from training.evaluate import run

    run(args)
    return EXIT_OK


# ---------------------------------------------------------------------------- main

_PARSER_BUILDERS: list[Callable[[argparse._SubParsersAction], None]] = [
    _add_segment_parser,
    _add_classify_parser,
    _add_summarize_parser,
    _add_analyze_parser,
    _add_evaluate_parser,
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

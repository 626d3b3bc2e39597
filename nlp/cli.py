"""Command line: ``python -m nlp <command> ...`` (also installed as ``newsdesk``).

Commands:
    segment INPUT... [-o OUT]    split pages into articles: one row per article (source,
                                 index, title, byline, body, captions).
    classify INPUT... [-o OUT]   one row per record: id, label, scores (all six labels),
                                 confidence, low_confidence.
    summarize INPUT... [-o OUT]  one row per record: id, summary, key_sentences, keywords.
    analyze INPUT... -o OUT      segment + classify + summarise: one row per article.
    evaluate [FILE...]           the evaluation harness (see :mod:`nlp.evaluation`).

The first four are stages of the one runner (:func:`nlp.batch.run_batch`): the same input
formats (TXT, JSONL/CSV with ``id`` and ``text`` or ``title`` + ``body``, folders, ZIPs), the
same cleaning, ``--resume``, ``--format jsonl|csv|xlsx``, error rows and exit codes. Every row
carries ``record_id`` and ``n_articles``; ``id`` is ``<record>#<k>`` for the k-th article of
a record (``classify``/``summarize``: the record's id). A bad record gets a row with
``error`` and one line on stderr; the others still go through.

Exit status: 0 when every record was processed, 1 when at least one failed (the others were
processed and written), 2 for usage errors, missing models, or an output that cannot be used
(an input, locked by another run, unwritable, full disk).

This module only parses arguments and draws progress; everything else is in the library.
Adding a batch command: write a :class:`nlp.batch.Stage` and register it in
:data:`nlp.batch.STAGES`, then add a ``_BATCH_COMMANDS`` entry here.
"""

from __future__ import annotations

import argparse
import os
import sys

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


# ---------------------------------------------------------------------------- batch commands

# name: (help, default batch size, needs an output file, extra argument adders)
_BATCH_COMMANDS: dict[str, tuple[str, int, bool, tuple[str, ...]]] = {
    "segment": ("split pasted newspaper pages into articles", 64, False, ()),
    "classify": (
        "label each article's domain with a probability per label",
        32,
        False,
        ("evidence",),
    ),
    "summarize": (
        "summarise each article: summary, key sentences, keywords",
        32,
        False,
        ("decoding",),
    ),
    "analyze": (
        "segment, classify and summarise pages or articles in bulk",
        64,
        True,
        ("no_segment", "evidence", "decoding"),
    ),
}


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


def _add_batch_parser(sub: argparse._SubParsersAction, name: str) -> None:
    help_, batch_size, needs_output, extras = _BATCH_COMMANDS[name]
    p = sub.add_parser(name, help=help_, description=help_[0].upper() + help_[1:] + ".")
    p.add_argument(
        "inputs",
        nargs="+",
        metavar="INPUT",
        help="TXT/JSONL/CSV files (id optional, text or title+body), folders, ZIP files",
    )
    p.add_argument(
        "-o",
        "--output",
        required=needs_output,
        metavar="OUT",
        help="output file: JSONL, or CSV / Excel with --format csv|xlsx or a .csv / .xlsx name"
        + ("" if needs_output else " (default: JSONL on stdout)"),
    )
    p.add_argument(
        "--format",
        choices=("jsonl", "csv", "xlsx"),
        default=None,
        help="output format (default: by OUT's suffix; xlsx needs -o)",
    )
    p.add_argument(
        "--resume", action="store_true", help="keep the records already complete in OUT, skip them"
    )
    p.add_argument(
        "--batch-size",
        type=int,
        default=batch_size,
        metavar="N",
        help=f"articles per model call (default {batch_size})",
    )
    p.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bar")
    p.add_argument(
        "--ray",
        nargs="?",
        const="auto",
        default=None,
        metavar="ADDRESS",
        help="run on a Ray cluster: auto (this machine's cluster, the default), HOST:PORT, or "
        'local (a private one); needs pip install -e ".[cluster]"',
    )
    p.add_argument(
        "--ray-workers", type=int, default=None, metavar="N",
        help="Ray actors, each loading the models once (default: one per CPU of the cluster)",
    )  # fmt: skip
    if "no_segment" in extras:
        p.add_argument(
            "--no-segment",
            dest="segment",
            action="store_false",
            help="treat every record as one article (no page segmentation; records with a "
            "title field are single articles anyway)",
        )
    if "evidence" in extras:
        p.add_argument(
            "--evidence",
            action="store_true",
            help="also fill 'evidence', the sentences behind each label (slower)",
        )
    if "decoding" in extras:
        add_decoding_arguments(p)
    p.set_defaults(run=_run_batch)


def _run_batch(args: argparse.Namespace) -> int:
    """Run one batch command; progress on stderr, the summary line at the end (with -o)."""
    from tqdm import tqdm

    from nlp.batch import BatchConfig, run_batch
    from nlp.output import OutputError
    from nlp.types import ModelUnavailable

    show_bar = args.progress and sys.stderr.isatty()
    try:
        config = BatchConfig(
            inputs=args.inputs,
            output=args.output,
            task=args.command,
            format=args.format,
            segment=getattr(args, "segment", True),
            resume=args.resume,
            batch_size=args.batch_size,
            count_first=show_bar,
            explain=getattr(args, "evidence", False),
            beams=getattr(args, "beams", None),
            source_tokens=getattr(args, "source_tokens", None),
        )
        ray_config = None
        if args.ray is not None:
            from nlp.cluster import RayConfig

            ray_config = RayConfig(address=args.ray, workers=args.ray_workers)
    except ValueError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    bar = tqdm(
        unit="rec",
        file=sys.stderr,
        disable=not show_bar,
        dynamic_ncols=True,
        desc=args.command,
    )

    def progress(done: int, total: int | None, stats) -> None:
        if total is not None and bar.total != total:
            bar.total = total
        bar.update(done - bar.n)
        bar.set_postfix(articles=stats.articles, errors=stats.errors, refresh=False)

    def report(kind: str):
        def say(source: str, message: str) -> None:
            tqdm.write(f"{PROG}: {kind}: {source}: {message}", file=sys.stderr)

        return say

    try:
        if ray_config is not None:
            from nlp.cluster import run_batch_ray

            stats = run_batch_ray(
                config,
                ray_config,
                progress=progress,
                on_error=report("error"),
                on_warning=report("warning"),
            )
        else:
            stats = run_batch(
                config, progress=progress, on_error=report("error"), on_warning=report("warning")
            )
    except (ModelUnavailable, OutputError, RuntimeError) as exc:
        bar.close()
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    bar.close()
    print(stats.summary_line(), file=sys.stdout if args.output else sys.stderr, flush=True)
    return EXIT_INPUT_ERRORS if stats.errors else EXIT_OK


# ---------------------------------------------------------------------------- evaluate


def _add_evaluate_parser(sub: argparse._SubParsersAction) -> None:
    from pathlib import Path

    p = sub.add_parser(
        "evaluate",
        help="score the shipped classifier on the test split, the seed page or labelled files",
        description="Score the shipped classifier (and with --variants its other settings) on "
        "labelled data: by default the date-held-out test split and the labelled seed page; "
        "with FILEs only those files (add --test / --seed-page for the others). Progress goes "
        "to stderr, the table to stdout. Reports (metrics.json, report.md, confusion PNGs) are "
        "written only with --out DIR, never by default: the committed reports/classifier is "
        "written by the full harness with the baselines, python -m training.evaluate.",
        epilog="Exit status: 0 all sets scored (and above --min-macro-f1), 1 a FILE unreadable "
        "or without a usable row, a default set unavailable, or a macro-F1 below "
        "--min-macro-f1, 2 usage error or no model.",
    )
    p.add_argument("files", nargs="*", metavar="FILE", help="labelled JSONL/CSV files")
    p.add_argument(
        "--test",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="score the test split (default: only when no FILE is given)",
    )
    p.add_argument(
        "--seed-page",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="score the labelled seed page (default: only when no FILE is given)",
    )
    p.add_argument("--model-dir", type=Path, default=None, help="classifier folder to score")
    p.add_argument(
        "--variants",
        action="store_true",
        help="also score fp32/bf16/int8 and chunked reading of long articles",
    )
    p.add_argument("--out", type=Path, default=None, metavar="DIR", help="write reports here")
    p.add_argument(
        "--min-macro-f1",
        type=float,
        default=None,
        metavar="X",
        help="exit 1 when the shipped model's macro-F1 on any set is below X (0-1)",
    )
    p.add_argument("--batch-size", type=int, default=128, metavar="N", help="texts per model call")
    p.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bar")
    p.set_defaults(run=_run_evaluate)


def _run_evaluate(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from nlp.evaluation import harness
    from nlp.types import ModelUnavailable

    if args.min_macro_f1 is not None and not 0.0 <= args.min_macro_f1 <= 1.0:
        bad = f"--min-macro-f1 must be in [0, 1], got {args.min_macro_f1}"
        print(f"{PROG}: error: {bad}", file=sys.stderr)
        return EXIT_USAGE
    if args.batch_size < 1:
        print(f"{PROG}: error: --batch-size must be >= 1, got {args.batch_size}", file=sys.stderr)
        return EXIT_USAGE
    bars: dict[str, tqdm] = {}

    def log(message: str) -> None:
        tqdm.write(f"{PROG}: evaluate: {message}", file=sys.stderr)

    def progress(what: str, done: int, total: int) -> None:
        if what not in bars:
            hide = not args.progress or None  # None: no bar when stderr is not a terminal
            bars[what] = tqdm(total=total, desc=what, unit="art", file=sys.stderr, disable=hide)
        bars[what].update(done - bars[what].n)
        if done >= total:
            bars.pop(what).close()

    default_sets = not args.files
    sets, problems = harness.load_sets(
        args.files,
        test=default_sets if args.test is None else args.test,
        seed_page=default_sets if args.seed_page is None else args.seed_page,
        log=log,
    )
    for problem in problems:
        print(f"{PROG}: error: {problem}", file=sys.stderr)
    if not sets:
        print(f"{PROG}: error: nothing to evaluate", file=sys.stderr)
        return EXIT_INPUT_ERRORS
    try:
        models = harness.finetuned_models(args.model_dir, args.variants)
        results = harness.run(
            sets, models, args.out, log=log, progress=progress, batch_size=args.batch_size
        )
    except (ModelUnavailable, FileNotFoundError) as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        for bar in bars.values():
            bar.close()
    print(harness.markdown(results), flush=True)
    if args.out is not None:
        log(f"reports written to {args.out}")
    failing = []
    if args.min_macro_f1 is not None:
        failing = harness.below_threshold(results, args.min_macro_f1)
    for line in failing:
        print(f"{PROG}: error: {line} (--min-macro-f1)", file=sys.stderr)
    return EXIT_INPUT_ERRORS if problems or failing else EXIT_OK


# ---------------------------------------------------------------------------- main


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Chinese news-desk NLP: segment pages, classify and summarise articles.",
        epilog="Exit status: 0 all inputs processed, 1 some inputs failed (the rest were "
        "processed), 2 usage, model or output error.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in _BATCH_COMMANDS:
        _add_batch_parser(sub, name)
    _add_evaluate_parser(sub)
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

"""The ``dedup`` command line: a thin layer over the library, mapping errors to exit codes."""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, nullcontext
from pathlib import Path
from typing import Any, TextIO

import click

from dedup import __version__
from dedup.config import Config
from dedup.document import Document
from dedup.engines.local.engine import scan_corpus, stream
from dedup.engines.local.tables import CorpusScan
from dedup.errors import ConfigError, ConfigMismatchError, DedupError, InputError, NotEmptyError
from dedup.outputs.copies import CREDIT_CHOICES, copies_in, credit_table, csv_text, jsonl_text, parse_day
from dedup.outputs.explain import explain as explain_text
from dedup.outputs.explain import explain_rejected
from dedup.outputs.files import output_file
from dedup.outputs.html_report import DETAIL, WITH_TEXTS, build_report, read_records
from dedup.outputs.keywords import document_keywords, keywords
from dedup.outputs.records import iter_records, selected, size_histogram
from dedup.outputs.terminal import json_for_terminal, printable
from dedup.outputs.writers import ClusterWriter
from dedup.store import store_exists
from dedup.store.pg_connection import safe_url
from dedup.text.outlets import OutletTable

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_REJECTED = 0, 1, 2, 3
EXIT_INTERRUPTED, EXIT_TERMINATED = 130, 143  # 128 + SIGINT, 128 + SIGTERM, as a shell reports them

log = logging.getLogger("dedup")


def _config_options(func: Callable[..., Any]) -> Callable[..., Any]:
    defaults = Config()
    options = [
        click.option("--threshold", type=float, default=defaults.threshold, show_default=True,
                     help="Containment (share of the smaller document found in the other) that makes two documents one story."),
        click.option("--tokens", type=click.Choice(["chars", "words"]), default=defaults.tokens, show_default=True,
                     help="Shingles of characters, or of words as jieba segments the text (needs jieba: "
                          "pip install 'dedup[words]'; several times slower)."),
        click.option("--shingle-size", type=int, default=defaults.shingle_size, show_default=True,
                     help="Tokens (characters, or words with --tokens words) per shingle of the normalised text."),
        click.option("--num-perm", type=int, default=defaults.num_perm, show_default=True, help="MinHash permutations."),
        click.option("--no-t2s", is_flag=True, help="Do not convert Traditional characters to Simplified."),
        click.option("--common-share", type=float, default=defaults.common_share, show_default=True,
                     help="Shingles held by this share of the corpus's documents (copies of one story counted "
                          "once) are no evidence of copying and are left out of comparisons; 0 turns this off."),
        click.option("--passage-partners", type=int, default=defaults.passage_partners, show_default=True,
                     help="Of the documents sharing passages with a document, verify this many (those whose "
                          "passages suggest the most of one inside the other): candidates stay linear in the corpus."),
        click.option("--max-file-bytes", type=int, default=defaults.max_file_bytes, show_default=True,
                     help="Reject pages and single JSON records larger than this (JSON Lines files are streamed)."),
        click.option("--max-doc-chars", type=int, default=defaults.max_doc_chars, show_default=True,
                     help="Reject documents whose text is longer than this."),
        click.option("--outlets", "outlet_file", type=click.Path(exists=True, dir_okay=False), default=None,
                     help="JSON file of extra outlets (name, aliases, domains, kind)."),
        click.option("--workers", type=int, default=None, help="Processes for reading and cleaning (default: all cores)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _make_config(threshold: float, shingle_size: int, num_perm: int, no_t2s: bool, common_share: float,
                 max_file_bytes: int, max_doc_chars: int, tokens: str = "chars",
                 passage_partners: int = Config().passage_partners) -> Config:
    bands, rows = Config().lsh_bands, Config().lsh_rows
    if bands * rows > num_perm:
        bands = max(1, num_perm // rows)
    lead_bands = min(Config().lead_bands, num_perm // Config().lead_rows)
    return Config(threshold=threshold, shingle_size=shingle_size, num_perm=num_perm, to_simplified=not no_t2s,
                  max_file_bytes=max_file_bytes, max_doc_chars=max_doc_chars, lsh_bands=bands, lsh_rows=rows,
                  lead_bands=lead_bands, common_share=common_share, tokens=tokens, passage_partners=passage_partners)


def _outlets(outlet_file: str | None) -> OutletTable:
    table = OutletTable.default()
    if outlet_file:
        table.extend_from_file(outlet_file)
    return table


class _StageBars:
    """One progress bar per stage on stderr, only when stderr is a terminal."""

    def __init__(self) -> None:
        self.enabled = sys.stderr.isatty()
        self.stage: str | None = None
        self.bar: Any = None
        self.shown = 0

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        if stage != self.stage:
            self.close()
            self.stage, self.shown = stage, 0
            self.bar = click.progressbar(length=max(total, 1), label=stage, file=sys.stderr)
            self.bar.__enter__()
        if self.bar is not None:
            self.bar.length = max(total, done, 1)
            self.bar.update(done - self.shown)
            self.shown = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


def _report_rejects(rejects: list[InputError], rejects_path: str | None) -> None:
    shown = 0
    for error in rejects:
        if shown < 20:
            say(f"dedup: rejected {error}", err=True)
        shown += 1
    if shown > 20:
        say(f"dedup: … and {shown - 20} more rejected inputs (see --rejects)", err=True)
    if rejects_path:
        with output_file(rejects_path) as handle:
            for error in rejects:
                handle.write(json.dumps({"path": error.path, "line": error.line, "kind": error.kind, "reason": error.reason},
                                        ensure_ascii=False) + "\n")


def _summary(outcome: CorpusScan, written: int, seconds: float) -> str:
    result = outcome.result
    rejected = len(outcome.rejects)
    empty = sum(1 for e in outcome.rejects if e.kind == "empty")
    hist = ", ".join(f"{k}: {v}" for k, v in size_histogram(result).items())
    in_clusters = sum(len(c.members) for c in result.clusters if len(c.members) > 1)
    return "\n".join([
        f"dedup scan: {outcome.documents} documents from {outcome.files} files "
        f"({outcome.unsupported} unsupported files skipped; {rejected} inputs rejected, {empty} of them empty or too short after cleaning)",
        f"  {sum(1 for c in result.clusters if len(c.members) > 1)} clusters of 2+ holding {in_clusters} documents; "
        f"cluster sizes {{{hist}}}",
        f"  {_candidates_line(result.stats, outcome.documents)}; {written} lines written; {seconds:.1f} s",
    ])


def _candidates_line(stats: dict[str, float], documents: int) -> str:
    """How many pairs were verified, and which keys proposed them (the speed benchmark reads it).

    >>> _candidates_line({"candidates": 12, "verified": 5, "candidates_bands": 9, "candidates_passages": 4,
    ...                   "candidates_both": 1, "passage_pairs_scored": 40}, 10)
    '12 candidate pairs (1.20 per document; bands 9, passage partners 4, 1 of them also banded; 40 pairs sharing passages scored), 5 verified'
    """
    candidates = int(stats.get("candidates", 0))
    kinds = ""
    if "candidates_bands" in stats:
        kinds = (f"; bands {int(stats['candidates_bands'])}, passage partners {int(stats['candidates_passages'])}, "
                 f"{int(stats['candidates_both'])} of them also banded; "
                 f"{int(stats['passage_pairs_scored'])} pairs sharing passages scored")
    return (f"{candidates} candidate pairs ({candidates / max(documents, 1):.2f} per document{kinds}), "
            f"{int(stats.get('verified', 0))} verified")


def stage_line(seconds: dict[str, float]) -> str:
    """The scan's stage times on one line (``dedup scan -v``; the speed benchmark reads it).

    >>> stage_line({"lsh": 1.25, "verify": 3.0})
    'stages (s): lsh 1.2, verify 3.0'
    """
    return "stages (s): " + ", ".join(f"{name} {value:.1f}" for name, value in seconds.items())


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dedup")
@click.option("-v", "--verbose", count=True, help="More logging on stderr; -v also shows tracebacks.")
@click.pass_context
def cli(ctx: click.Context, verbose: int) -> None:
    """Find reposts of the same news story, group them, and name the original."""
    logging.basicConfig(level=logging.WARNING - 10 * min(verbose, 2), format="dedup: %(levelname)s: %(message)s")
    for handler in logging.getLogger().handlers:
        handler.setFormatter(PrintableFormatter("dedup: %(levelname)s: %(message)s"))
    ctx.obj = {"verbose": verbose}


@cli.command("scan")
@click.argument("dirs", nargs=-1, required=True)
@click.option("-o", "--output", default=None,
              help="Write clusters here as JSON Lines (default: stdout). With --engine spark, a directory, a "
                   "path ending in / or a Hadoop path gets part files.")
@click.option("--min-size", type=int, default=2, show_default=True, help="Write clusters with at least this many members.")
@click.option("--rejects", "rejects_path", type=click.Path(dir_okay=False), default=None,
              help="Write every rejected input as JSON Lines here.")
@click.option("--strict", is_flag=True, help="Stop with exit code 3 at the first rejected input.")
@click.option("--engine", type=click.Choice(["local", "spark"]), default="local", show_default=True,
              help="Run on this machine's cores, or on Spark (needs pyspark: pip install 'dedup[spark]').")
@click.option("--spark-master", default="local[2]", show_default=True,
              help="With --engine spark: the master URL ('from-spark-submit': the one spark-submit set).")
@click.option("--partitions", type=int, default=None, help="With --engine spark: partitions of the input.")
@click.option("--spark-conf", multiple=True, metavar="KEY=VALUE",
              help="With --engine spark: a Spark setting (repeatable), e.g. spark.driver.memory=4g.")
@click.option("--format", "--output-format", "output_format", type=click.Choice(["jsonl", "csv", "parquet"]),
              default="jsonl", show_default=True,
              help="JSON Lines (one cluster per line), CSV (one row per member, for spreadsheets), or with "
                   "--engine spark a directory of Parquet files.")
@click.option("--keywords", "with_keywords", is_flag=True,
              help="Add each cluster's keywords: the top words of its canonical copy (needs jieba).")
@_config_options
def scan_command(dirs: tuple[str, ...], output: str | None, min_size: int, rejects_path: str | None, strict: bool,
                 engine: str, spark_master: str, partitions: int | None, spark_conf: tuple[str, ...],
                 output_format: str, with_keywords: bool, threshold: float, tokens: str, shingle_size: int, num_perm: int, no_t2s: bool, common_share: float,
                 passage_partners: int, max_file_bytes: int, max_doc_chars: int, outlet_file: str | None, workers: int | None) -> None:
    """Cluster every supported file under DIRS and write one JSON line per cluster."""
    if min_size < 1:
        raise click.BadParameter("must be at least 1", param_hint="--min-size")
    started = time.perf_counter()
    config = _make_config(threshold, shingle_size, num_perm, no_t2s, common_share, max_file_bytes, max_doc_chars,
                          tokens, passage_partners)
    outlets = _outlets(outlet_file)
    if engine == "spark":
        if output_format == "csv" or with_keywords:
            raise click.UsageError("CSV and --keywords need the local engine; convert the Spark output with "
                                   "`dedup clusters`-style tools or scan locally")
        settings = dict(item.split("=", 1) for item in spark_conf if "=" in item)
        if len(settings) != len(spark_conf):
            raise click.BadParameter("expected KEY=VALUE", param_hint="--spark-conf")
        _spark_scan(list(dirs), output, min_size, rejects_path, config, outlets, spark_master, partitions, settings,
                    output_format, started)
        return
    if output_format == "parquet":
        raise click.BadParameter("Parquet output needs --engine spark", param_hint="--format")
    for path in dirs:
        if not os.path.exists(path):
            raise click.BadParameter(f"{path!r} does not exist (Hadoop paths need --engine spark)",
                                     param_hint="DIRS")
    if output and os.path.isdir(output):
        raise click.BadParameter(f"{output!r} is a directory (part files need --engine spark)", param_hint="-o")
    bars = _StageBars()
    try:
        outcome = scan_corpus(list(dirs), config, outlets, outlet_file, workers, progress=bars, strict=strict)
    except InputError as error:
        bars.close()
        say(f"dedup: rejected {error} (--strict: stopping)", err=True)
        sys.exit(EXIT_REJECTED)
    bars.close()
    with outcome:
        handle: TextIO
        written = 0
        try:
            with output_file(output, newline="") as handle:
                writer = ClusterWriter(handle, output_format)
                result = outcome.result
                for cluster, record in zip(selected(result, min_size), iter_records(result, min_size, outlets),
                                           strict=True):
                    written += 1
                    if with_keywords:
                        canonical = result.docs[cluster.canonical]
                        record["keywords"] = keywords(f"{canonical.title or ''}\n{outcome.body(cluster.canonical)}")
                    writer.write(record)
                handle.flush()
        except BrokenPipeError:
            # The reader of our stdout went away (`| head`): stop writing, say nothing of it.
            _silence_stdout()
        _report_rejects(outcome.rejects, rejects_path)
        say(_summary(outcome, written, time.perf_counter() - started), err=True)
        if click.get_current_context().find_root().obj.get("verbose"):
            say("  " + stage_line(outcome.seconds), err=True)
    if outcome.rejects:
        sys.exit(EXIT_REJECTED)


def _spark_scan(dirs: list[str], output: str | None, min_size: int, rejects_path: str | None, config: Config,
                outlets: OutletTable, master: str, partitions: int | None, settings: dict[str, str],
                output_format: str, started: float) -> None:
    """``dedup scan --engine spark``: the same records, written as the local engine writes them
    (one file or stdout), or as part files by the executors."""
    from dedup.engines.spark.inputs import is_hadoop_path
    from dedup.engines.spark.scan import scan_spark, writes_part_files

    try:
        import pyspark  # noqa: F401
    except ImportError as missing:  # pragma: no cover - pyspark is in the test extra
        raise click.UsageError(f"--engine spark needs pyspark: pip install 'dedup[spark]' ({missing})") from None
    if output_format == "parquet" and not output:
        raise click.BadParameter("Parquet output needs -o DIRECTORY", param_hint="--format")
    parts = bool(output) and writes_part_files(output or "", output_format)
    if parts and output and not is_hadoop_path(output) and os.path.exists(output) and os.listdir(output):
        raise click.BadParameter(f"{output!r} is a directory that is not empty; name a new one", param_hint="-o")
    try:
        with nullcontext(output) if parts or not output else output_file(output) as target:
            outcome = scan_spark(dirs, config, outlets, master=None if master == "from-spark-submit" else master,
                                 partitions=partitions, min_size=min_size, spark_conf=settings,
                                 output=target if output else sys.stdout, output_format=output_format)
    except BrokenPipeError:
        _silence_stdout()
        return
    _report_rejects(outcome.rejects, rejects_path)
    say(f"dedup scan (spark, {master}): {outcome.documents} documents, {len(outcome.rejects)} inputs rejected, "
               f"{outcome.stats.get('clusters', 0)} clusters, {outcome.stats.get('candidates', 0)} candidate pairs, "
               f"{outcome.stats.get('verified', 0)} verified; {time.perf_counter() - started:.1f} s", err=True)
    say("  " + stage_line(outcome.seconds), err=True)
    if outcome.rejects:
        sys.exit(EXIT_REJECTED)


@cli.command("extract")
@click.argument("dirs", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write one JSON line per document here (default: stdout).")
@click.option("--rejects", "rejects_path", type=click.Path(dir_okay=False), default=None,
              help="Write every rejected input as JSON Lines here.")
@click.option("--strict", is_flag=True, help="Stop with exit code 3 at the first rejected input.")
@_config_options
def extract_command(dirs: tuple[str, ...], output: str | None, rejects_path: str | None, strict: bool,
                    threshold: float, tokens: str, shingle_size: int, num_perm: int, no_t2s: bool, common_share: float,
                    passage_partners: int, max_file_bytes: int, max_doc_chars: int, outlet_file: str | None, workers: int | None) -> None:
    """Write the article text each document holds, with its metadata and what cleaning removed."""
    from dedup.io.formats import walk
    from dedup.outputs.article import Article

    config = _make_config(threshold, shingle_size, num_perm, no_t2s, common_share, max_file_bytes, max_doc_chars,
                          tokens, passage_partners)
    walked = walk(dirs)
    show = sys.stderr.isatty() and len(walked.files) > 200
    bar_context = click.progressbar(length=walked.total_bytes(), label="extracting", file=sys.stderr) if show \
        else nullcontext(None)
    rejects: list[InputError] = []
    written = 0
    on_screen = output is None and sys.stdout.isatty()
    with bar_context as bar, output_file(output) as handle:
        try:
            for item in stream(list(dirs), config, workers, _outlets(outlet_file),
                               bar.update if bar is not None else None, walked):
                if isinstance(item, InputError):
                    rejects.append(item)
                    if strict:
                        break
                    continue
                line = json.dumps(Article.of(item).record(), ensure_ascii=False)
                handle.write((json_for_terminal(line) if on_screen else line) + "\n")
                written += 1
            handle.flush()
        except BrokenPipeError:
            _silence_stdout()
    if strict and rejects:
        say(f"dedup: rejected {rejects[0]} (--strict: stopping)", err=True)
        sys.exit(EXIT_REJECTED)
    _report_rejects(rejects, rejects_path)
    say(f"dedup: {written} documents extracted from {len(walked.files)} files, {len(rejects)} inputs rejected",
               err=True)
    if rejects:
        sys.exit(EXIT_REJECTED)


@cli.command("explain")
@click.argument("dirs", nargs=-1, type=click.Path(exists=True))
@click.option("--id", "doc_ids", multiple=True, required=True, help="Document id to explain (repeatable).")
@click.option("--db", "db_path", type=str, default=None, metavar="PATH|URL",
              help="Explain documents stored in this index (a SQLite file or postgresql://...) instead of scanning DIRS.")
@_config_options
def explain_command(dirs: tuple[str, ...], doc_ids: tuple[str, ...], db_path: str | None, threshold: float,
                    tokens: str, shingle_size: int, num_perm: int, no_t2s: bool, common_share: float, passage_partners: int,
                    max_file_bytes: int, max_doc_chars: int, outlet_file: str | None, workers: int | None) -> None:
    """Show what was compared for a document, what was removed and why, its nearest matches and its cluster."""
    outlets = _outlets(outlet_file)
    if db_path is not None:
        from dedup.engines.incremental.index import Index

        if dirs:
            raise click.UsageError("give either DIRS to scan or --db, not both")
        if not store_exists(db_path):
            raise click.BadParameter(f"no index at {db_path}", param_hint="--db")
        with Index(db_path, outlets=outlets, readonly=True) as index:
            missing = [d for d in doc_ids if d not in index]
            for doc_id in doc_ids:
                if doc_id in index:
                    say(index.explain(doc_id))
        if missing:
            raise click.UsageError(f"no document with id {', '.join(map(repr, missing))} in {db_path}")
        return
    if not dirs:
        raise click.UsageError("give the directories to scan, or --db for an index")
    config = _make_config(threshold, shingle_size, num_perm, no_t2s, common_share, max_file_bytes, max_doc_chars,
                          tokens, passage_partners)
    bars = _StageBars()
    try:
        with scan_corpus(dirs, config, outlets, workers=workers, progress=bars, keep=frozenset(doc_ids)) as outcome:
            bars.close()
            result = outcome.result
            index_of = {doc.id: k for k, doc in enumerate(result.docs)}
            rejected = {error.doc_id or error.path: error for error in outcome.rejects}
            missing = [d for d in doc_ids if d not in index_of and d not in rejected]
            for doc_id in doc_ids:
                if doc_id in index_of:
                    say(explain_text(result, index_of[doc_id], outlets))
                elif doc_id in rejected:
                    say(explain_rejected(rejected[doc_id]))
    finally:
        bars.close()
    if missing:
        raise click.UsageError(f"no document with id {', '.join(map(repr, missing))} under {', '.join(dirs)}")


def _index_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option("--timeout", type=float, default=30.0, show_default=True,
                        help="Seconds to wait for another process writing to the index.")(func)
    return click.option("--db", "db_path", required=True, type=str, metavar="PATH|URL",
                        help="The index: a SQLite file, or a PostgreSQL database (postgresql://user@host:port/db) "
                             "that many processes may write at once.")(func)


@cli.command("index")
@click.argument("dirs", nargs=-1, required=True, type=click.Path(exists=True))
@_index_options
@click.option("--batch", type=int, default=500, show_default=True,
              help="Documents per transaction when adding one by one.")
@click.option("--bulk/--one-by-one", "bulk", default=None,
              help="Scan the corpus whole and load it at once (the default for an empty SQLite index; several times "
                   "faster), or add its documents one by one (the default otherwise).")
@click.option("--rejects", "rejects_path", type=click.Path(dir_okay=False), default=None,
              help="Write every rejected input as JSON Lines here.")
@click.option("--outlets", "outlet_file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="JSON file of extra outlets (name, aliases, domains, kind).")
@click.option("--workers", type=int, default=None, help="Processes for cleaning (default: all cores).")
@click.option("--tokens", type=click.Choice(["chars", "words"]), default=None,
              help="Shingles of characters (the default) or of jieba's words, for a new index; an existing index "
                   "keeps the tokens it was built with and refuses others.")
def index_command(dirs: tuple[str, ...], db_path: str, timeout: float, batch: int, bulk: bool | None,
                  rejects_path: str | None, outlet_file: str | None, workers: int | None, tokens: str | None) -> None:
    """Add every supported file under DIRS to the index at --db (resumable: stored documents are skipped)."""
    from dedup.engines.incremental.index import Index

    if batch < 1:
        raise click.BadParameter("must be at least 1", param_hint="--batch")
    started = time.perf_counter()
    config = Config(tokens=tokens) if tokens else None
    with Index(db_path, config, outlets=_outlets(outlet_file), timeout=timeout) as index:
        bars = _StageBars()
        try:
            added = index.add_corpus(list(dirs), workers=workers, bulk=bulk, batch=batch, progress=bars)
        except NotEmptyError as exc:
            raise click.BadParameter(str(exc), param_hint="--bulk") from exc
        finally:
            bars.close()
        total = len(index)
    statuses, rejects = added.statuses, added.rejects
    _report_rejects(rejects, rejects_path)
    say(f"dedup index: {statuses['new']} new, {statuses['repost']} reposts, {statuses['unchanged']} already "
               f"stored, {len(rejects)} inputs rejected{' (scanned and loaded at once)' if added.bulk else ''}; "
               f"the index holds {total} documents; {time.perf_counter() - started:.1f} s", err=True)
    if rejects:
        sys.exit(EXIT_REJECTED)


@cli.command("query")
@click.argument("source", type=click.Path(allow_dash=True))
@_index_options
def query_command(source: str, db_path: str, timeout: float) -> None:
    """Say for each document in SOURCE (a file, or - for JSON Lines on stdin) whether the index at
    --db holds its story; one JSON verdict per line, nothing stored."""
    from dedup.engines.incremental.index import Index
    from dedup.io.formats import read_file
    from dedup.io.readers import parse_record_line

    items: Iterator[Document | InputError | None]
    if source == "-":
        items = (parse_record_line(line, "<stdin>", number) for number, line in enumerate(sys.stdin.buffer, start=1))
    else:
        path = Path(source)
        if not path.is_file():
            raise click.BadParameter(f"{source} is not a file", param_hint="SOURCE")
        items = iter(read_file(path, path.name))
    rejected = 0
    with Index(db_path, readonly=True, timeout=timeout) as index:
        for item in items:
            if item is None:
                continue
            if isinstance(item, InputError):
                rejected += 1
                say(f"dedup: rejected {item}", err=True)
                continue
            say_json(json.dumps(index.query(item).to_dict(), ensure_ascii=False))
    if rejected:
        sys.exit(EXIT_REJECTED)


@cli.command("clusters")
@_index_options
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write clusters here as JSON Lines (default: stdout).")
@click.option("--min-size", type=int, default=2, show_default=True, help="Write clusters with at least this many members.")
@click.option("--format", "output_format", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True,
              help="JSON Lines (one cluster per line) or CSV (one row per member).")
@click.option("--keywords", "with_keywords", is_flag=True,
              help="Add each cluster's keywords: the top words of its canonical copy (needs jieba).")
def clusters_command(db_path: str, timeout: float, output: str | None, min_size: int, output_format: str,
                     with_keywords: bool) -> None:
    """Write the clusters of the index at --db in the format of ``dedup scan``."""
    from dedup.engines.incremental.index import Index

    if not store_exists(db_path):
        raise click.BadParameter(f"no index at {db_path}", param_hint="--db")
    written = 0
    with Index(db_path, timeout=timeout) as index, \
            output_file(output, newline="") as handle:
        writer = ClusterWriter(handle, output_format)
        try:
            for record in index.clusters(min_size):
                if with_keywords:
                    canonical = index.get(record["canonical_id"])
                    record["keywords"] = document_keywords(canonical) if canonical is not None else []
                writer.write(record)
                written += 1
            handle.flush()
        except BrokenPipeError:
            _silence_stdout()
    say(f"dedup clusters: {written} clusters written", err=True)


@cli.command("copies")
@click.argument("clusters", required=False, type=click.Path(exists=True, dir_okay=False))
@click.option("--outlet", required=True, help="The origin outlet whose stories' copies to list (a name or an alias).")
@click.option("--db", "db_path", default=None, metavar="PATH|URL", help="Read the copies from this index.")
@click.option("--since", default=None, metavar="DATE", help="Stories first published on or after this day (YYYY-MM-DD).")
@click.option("--until", default=None, metavar="DATE", help="Stories first published on or before this day.")
@click.option("--credit", "credits", multiple=True, type=click.Choice(CREDIT_CHOICES), default=("any",),
              show_default=True, help="Keep copies whose credit is of this kind (repeatable).")
@click.option("--format", "output_format", type=click.Choice(["jsonl", "csv", "html"]), default="jsonl",
              show_default=True, help="One copy per line (JSON Lines or CSV), or the report opened at the outlet's page.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write here (default: stdout; html needs a file).")
@click.option("--outlets", "outlet_file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Outlets JSON adding to the built-in table (names, aliases, domains).")
@click.option("--timeout", type=float, default=30.0, show_default=True,
              help="Seconds to wait for another process writing to the index.")
def copies_command(clusters: str | None, outlet: str, db_path: str | None, since: str | None, until: str | None,
                   credits: tuple[str, ...], output_format: str, output: str | None, outlet_file: str | None,
                   timeout: float) -> None:
    """List every copy of an outlet's stories, with its credit, delay and how much it took, from
    CLUSTERS.jsonl (dedup scan's output) or the index at --db."""
    if (clusters is None) == (db_path is None):
        raise click.UsageError("give CLUSTERS.jsonl or --db, one of them")
    if output_format == "html" and output is None:
        raise click.UsageError("--format html writes a page: give it a file with -o")
    for value, hint in ((since, "--since"), (until, "--until")):
        try:
            parse_day(value, hint)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint=hint) from None
    outlets = _outlets(outlet_file)
    started = time.perf_counter()
    rejects: list[InputError] = []
    with ExitStack() as stack:
        if db_path is not None:
            from dedup.engines.incremental.index import Index

            if not store_exists(db_path):
                raise click.BadParameter(f"no index at {db_path}", param_hint="--db")
            index = stack.enter_context(Index(db_path, timeout=timeout, outlets=outlets))
            found = list(index.copies(outlet, since, until, credits))
        else:
            assert clusters is not None
            handle = stack.enter_context(open(clusters, encoding="utf-8"))
            found = list(copies_in(read_records(handle, clusters, rejects), outlet, outlets, since, until, credits))
        with output_file(output, newline="") as out:
            if output_format == "html":
                out.write(build_report([], title=f"dedup: copies of {outlets.canonical_name(outlet)}", copies=found,
                                       open_outlet=outlets.canonical_name(outlet)))
            else:
                try:
                    for text in (csv_text(found) if output_format == "csv" else jsonl_text(found)):
                        out.write(text)
                    out.flush()
                except BrokenPipeError:
                    _silence_stdout()
    table = ", ".join(f"{kind} {count}" for kind, count in credit_table(found).items())
    say(f"dedup copies: {len(found)} copies of {outlets.canonical_name(outlet)}'s stories ({table}); "
        f"{len(rejects)} lines rejected; {time.perf_counter() - started:.1f} s", err=True)
    _exit_if_rejected(rejects)


@cli.command("stats")
@_index_options
def stats_command(db_path: str, timeout: float) -> None:
    """Print what the index at --db holds, as JSON."""
    from dedup.engines.incremental.index import Index

    if not store_exists(db_path):
        raise click.BadParameter(f"no index at {db_path}", param_hint="--db")
    with Index(db_path, readonly=True, timeout=timeout) as index:
        say_json(json.dumps(index.stats(), ensure_ascii=False, indent=1))


@cli.command("init-db")
@click.option("--db", "db_path", required=True, metavar="URL", help="The PostgreSQL database of the index.")
@click.option("--writer", "writers", multiple=True, metavar="ROLE",
              help="A role that may add to the index (repeatable).")
@click.option("--reader", "readers", multiple=True, metavar="ROLE",
              help="A role that may only read it: query, clusters, stats, explain, report (repeatable).")
@click.option("--sql", "print_sql", is_flag=True, help="Print the SQL instead of running it (for a DBA).")
def init_db_command(db_path: str, writers: tuple[str, ...], readers: tuple[str, ...], print_sql: bool) -> None:
    """Create a shared index's tables in PostgreSQL and grant roles their rights, run once by a
    role that may create tables, so that the crawlers' roles need no more than reading and
    writing rows."""
    from dedup.store.postgres import PostgresStore, grants_sql, is_postgres_url, schema_sql

    if print_sql:
        click.echo(schema_sql() + grants_sql(writers, readers), nl=False)
        return
    if not is_postgres_url(db_path):
        raise click.BadParameter("init-db is for a PostgreSQL index (postgresql://...); a SQLite index is "
                                 "created by its first writer", param_hint="--db")
    store = PostgresStore(db_path)
    try:
        if writers or readers:
            store.db.execute(grants_sql(writers, readers))
    finally:
        store.close()
    say(f"dedup init-db: the tables are ready in {safe_url(db_path)}"
        + (f"; granted {len(writers)} writer and {len(readers)} reader roles" if writers or readers else ""),
        err=True)


@cli.command("serve")
@click.option("--db", "db_path", required=True, metavar="PATH|URL", help="The index to serve (created if missing).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Where to listen; anything but loopback needs --tokens-file (and TLS in front).")
@click.option("--port", type=int, default=8000, show_default=True)
@click.option("--workers", type=int, default=1, show_default=True,
              help="Server processes (PostgreSQL only: a SQLite index has one writer process).")
@click.option("--outlets", "outlet_file", type=click.Path(exists=True, dir_okay=False), default=None)
@click.option("--tokens-file", type=click.Path(exists=True, dir_okay=False), envvar="DEDUP_TOKENS_FILE",
              default=None, help="Bearer tokens, one per line, each optionally followed by 'read' or 'write'.")
@click.option("--max-body-bytes", type=int, default=4 * 2**20, show_default=True)
@click.option("--max-batch", type=int, default=500, show_default=True, help="Documents per batch request.")
@click.option("--timeout", type=float, default=30.0, show_default=True,
              help="Seconds to wait for the store (a busy SQLite writer lock, a PostgreSQL reconnection).")
def serve_command(db_path: str, host: str, port: int, workers: int, outlet_file: str | None, tokens_file: str | None,
                  max_body_bytes: int, max_batch: int, timeout: float) -> None:
    """Serve the index at --db as a JSON HTTP API (pip install "dedup[serve]")."""
    try:
        import uvicorn

        from dedup.serve.app import SETTINGS_ENV
        from dedup.serve.settings import ServeSettings, Tokens
    except ImportError as exc:
        raise click.UsageError(f'dedup serve needs the serve extra: pip install "dedup[serve]" ({exc})') from exc
    from dedup.store.postgres import is_postgres_url

    if workers > 1 and not is_postgres_url(db_path):
        raise click.BadParameter("a SQLite index has one writer process: serve it with --workers 1, or keep "
                                 "the index in PostgreSQL for more", param_hint="--workers")
    tokens = Tokens.parse(Path(tokens_file).read_text(encoding="utf-8"), tokens_file) if tokens_file else None
    settings = ServeSettings(db=db_path, host=host, port=port, workers=workers, outlets_file=outlet_file,
                             tokens=tokens, max_body_bytes=max_body_bytes, max_batch=max_batch, timeout=timeout)
    os.environ[SETTINGS_ENV] = settings.to_json()
    if not is_postgres_url(db_path):
        say(f"dedup serve: {db_path} is a SQLite index: one writer process serves it", err=True)
    say(f"dedup serve: http://{host}:{port} ({workers} worker{'s' if workers > 1 else ''}, "
        f"{'tokens from ' + tokens_file if tokens_file else 'no authentication: loopback only'})", err=True)
    # uvicorn turns SIGTERM into a graceful shutdown (requests in flight finish, the index is
    # closed), then hands the signal back to the handler it found: a finished shutdown is success
    signal.signal(signal.SIGTERM, lambda signum, frame: None)
    uvicorn.run("dedup.serve.app:app_from_environment", factory=True, host=host, port=port, workers=workers,
                log_level="warning", timeout_graceful_shutdown=30)


@cli.command("report")
@click.argument("clusters", required=False, type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, writable=True),
              help="The HTML file to write (one file: style, script and data inside).")
@click.option("--db", "db_path", default=None, metavar="PATH|URL",
              help="Read the clusters from this index (when no CLUSTERS file is given) and the texts from it.")
@click.option("--corpus", "corpus_dirs", multiple=True, type=click.Path(exists=True),
              help="The scanned directory (repeatable): show the largest clusters' texts side by side, with what "
                   "cleaning removed (scans it again).")
@click.option("--detail", type=int, default=DETAIL, show_default=True,
              help="Hold the members of this many of the largest clusters in full.")
@click.option("--title", default="dedup: the spread of stories", show_default=True)
@click.option("--outlet", default=None, help="Open the page at this origin outlet's copies (a name or an alias).")
@click.option("--outlets", "outlet_file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Outlets JSON adding to the built-in table (names, aliases, domains).")
@click.option("--rejects", "rejects_path", type=click.Path(dir_okay=False), default=None,
              help="Write every line of CLUSTERS that is not a cluster record here, as JSON Lines.")
def report_command(clusters: str | None, output: str, db_path: str | None, corpus_dirs: tuple[str, ...],
                   detail: int, title: str, outlet: str | None, outlet_file: str | None, rejects_path: str | None) -> None:
    """Write an HTML report of CLUSTERS.jsonl (dedup scan's output) or of the index at --db."""
    from itertools import chain, islice

    from dedup.document import CleanDocument

    if clusters is None and db_path is None:
        raise click.UsageError("give CLUSTERS.jsonl, or --db for an index")
    if detail < 0:
        raise click.BadParameter("must be 0 or more", param_hint="--detail")
    started = time.perf_counter()
    rejects: list[InputError] = []
    with ExitStack() as stack:
        index = None
        if db_path is not None:
            from dedup.engines.incremental.index import Index

            if not store_exists(db_path):
                raise click.BadParameter(f"no index at {db_path}", param_hint="--db")
            index = stack.enter_context(Index(db_path, readonly=True))
        if clusters is not None:
            handle = stack.enter_context(open(clusters, encoding="utf-8"))
            records: Iterator[dict[str, Any]] = read_records(handle, clusters, rejects)
        else:
            assert index is not None
            records = iter(index.clusters())
        texts: Callable[[str], CleanDocument | None] | None = index.get if index is not None else None
        if corpus_dirs:
            # records come largest first: the first ones are the clusters whose texts the page shows
            head = list(islice(records, WITH_TEXTS))
            wanted = frozenset(member["id"] for record in head for member in record["members"])
            outcome = stack.enter_context(scan_corpus(list(corpus_dirs), keep=wanted))
            texts = outcome.whole.get
            records = chain(head, records)
        try:
            from dedup.outputs.keywords import keywords as keywords_of

            keywords_of("新闻")
        except ConfigError:
            log.warning("no jieba: clusters without keywords get none (pip install 'dedup[words]')")
            keywords_of = None  # type: ignore[assignment]
        table = _outlets(outlet_file)
        page = build_report(records, texts, title=title, detail=detail, keywords_of=keywords_of, outlets=table,
                            open_outlet=table.canonical_name(outlet) if outlet else None)
    with output_file(output) as out:
        out.write(page)
    _report_rejects(rejects, rejects_path)
    say(f"dedup report: {output} ({len(page.encode('utf-8')) / 2**20:.1f} MiB), {len(rejects)} lines rejected; "
               f"{time.perf_counter() - started:.1f} s", err=True)
    _exit_if_rejected(rejects)


def _exit_if_rejected(rejects: list[InputError]) -> None:
    """Name the first rejected lines and exit with the code that says inputs were rejected."""
    if rejects:
        for error in rejects[:5]:
            say(f"dedup: rejected {error}", err=True)
        sys.exit(EXIT_REJECTED)


def _silence_stdout() -> None:
    """Point stdout at /dev/null so that the interpreter's final flush does not fail."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def say(message: str, err: bool = False) -> None:
    """Print a message that may hold crawled text (ids, titles, texts) with its control
    characters made visible (see :mod:`dedup.outputs.terminal`)."""
    click.echo(printable(message), err=err)


def say_json(text: str) -> None:
    """Print JSON to standard output; on a terminal its raw control characters are escaped."""
    click.echo(json_for_terminal(text) if sys.stdout.isatty() else text)


class PrintableFormatter(logging.Formatter):
    """Log lines (which may quote crawled text) with their control characters made visible."""

    def format(self, record: logging.LogRecord) -> str:
        return printable(super().format(record))


class Terminated(BaseException):
    """SIGTERM, raised in the main thread so that every ``finally`` runs (scratch folders are
    removed, partial outputs deleted, transactions rolled back) before the exit."""


def _terminate(signum: int, frame: object) -> None:
    raise Terminated(signum)


def main() -> None:
    """Entry point: runs the CLI and maps dedup's errors to exit codes in this one place."""
    verbose = "-v" in sys.argv[1:] or "--verbose" in sys.argv[1:] or any(a.startswith("-vv") for a in sys.argv[1:])
    signal.signal(signal.SIGTERM, _terminate)
    try:
        cli.main(standalone_mode=False, prog_name="dedup")
    except Terminated:
        say("dedup: terminated", err=True)
        sys.exit(EXIT_TERMINATED)
    except click.exceptions.Abort as exc:
        say("dedup: aborted", err=True)
        sys.exit(EXIT_INTERRUPTED if isinstance(exc.__context__, KeyboardInterrupt) else EXIT_FAILURE)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_USAGE)
    except (ConfigError, ConfigMismatchError) as exc:
        say(f"dedup: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    except BrokenPipeError:
        # The reader of our stdout went away (e.g. `| head`): nothing more to say.
        _silence_stdout()
        sys.exit(EXIT_OK)
    except (DedupError, OSError) as exc:
        if verbose:
            raise
        where = f" ({exc.path})" if isinstance(exc, InputError) else ""
        say(f"dedup: error{where}: {exc}", err=True)
        sys.exit(EXIT_FAILURE)
    except SystemExit:
        raise
    except Exception as exc:
        if verbose:
            raise
        say(f"dedup: internal error: {exc!r} (run with -v for the traceback)", err=True)
        sys.exit(EXIT_FAILURE)
    sys.exit(EXIT_OK)


if __name__ == "__main__":
    main()

"""Speed benchmark: signature throughput against datasketch and rensa, and end-to-end scans.

    python -m benchmarks.speed [--sizes 10000,100000,1000000] [--data /tmp/dedup-bench]
                               [--baseline-up-to 100000] [--sample 2000] [--json results.json]
                               [--corpus speed|stress] [--datatrove-up-to 100000]

For each size N it generates (once, seeded, kept under ``--data``) N documents of about 1,500
characters: with ``--corpus speed`` (the default) generated text with a share of reposts
(:mod:`benchmarks.generate`); with ``--corpus stress`` sentences of the real news in
``../shared/corpora`` reused across unrelated documents, 10% partial copies
(:mod:`benchmarks.stress`: the cost stress test). Then:

* signature throughput on the same documents' compared texts: dedup's compiled path, datasketch
  ``MinHash.update_batch`` with its default hash (SHA-1 of each shingle), and rensa's ``RMinHash``;
  all three take the text and shingle it themselves; printed as docs/s and as ratios to datasketch;
* ``dedup scan`` wall time and peak resident memory (summed over the process and its workers,
  sampled every 0.1 s) and the same for the plain datasketch pipeline (``benchmarks.baseline``) up
  to ``--baseline-up-to`` documents;
* the candidate pairs ``dedup scan`` verified (per document, and which keys proposed them) and
  how many it kept;
* with ``--datatrove-up-to N``: datatrove's MinHash pipeline on the same files, same cores
  (:mod:`benchmarks.datatrove_minhash`), timed the same way; on the stress corpus both outputs
  are scored against the generator's gold (copies found with their source, pairwise precision);
* the local engine's clusters with one process against two (every stage on the workers) on the dev
  corpus when ``../shared`` is there, else on a generated labelled corpus: they must be identical.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.generate import write_speed_corpus
from benchmarks.stress import copy_recall, write_stress_corpus
from dedup.config import Config
from dedup.document import Document
from dedup.io.formats import read_file, walk
from dedup.stages.sketch import sketch
from dedup.text.clean import CleanOptions, clean
from dedup.text.outlets import OutletTable

HERE = Path(__file__).resolve().parent
DEV = HERE.parent.parent / "shared" / "bench" / "dev" / "corpus"


# --- measuring -------------------------------------------------------------------------------

def _tree_rss(root: int) -> int:
    """Resident bytes of a process and all its descendants (from /proc)."""
    return sum(_tree_rss_by_role(root).values())


def _tree_rss_by_role(root: int) -> dict[str, int]:
    """Resident bytes of a process tree by role: the root process, Java processes (Spark's driver
    JVM, which holds the executors in local mode) and the other processes (worker processes:
    the local engine's pool, Spark's Python workers)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry))
        except (OSError, IndexError, ValueError):
            continue
    roles = {"main": 0, "jvm": 0, "workers": 0}
    stack = [root]
    while stack:
        pid = stack.pop()
        stack.extend(children.get(pid, []))
        try:
            with open(f"/proc/{pid}/statm") as handle:
                rss = int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
            with open(f"/proc/{pid}/comm") as handle:
                name = handle.read().strip()
        except (OSError, IndexError, ValueError):
            continue
        roles["main" if pid == root else "jvm" if name == "java" else "workers"] += rss
    return roles


CANDIDATES_LINE = re.compile(r"(?P<candidates>\d+) candidate pairs \([\d.]+ per document(; bands (?P<bands>\d+), "
                             r"passage partners (?P<passages>\d+), \d+ of them also banded; (?P<scored>\d+) pairs "
                             r"sharing passages scored)?\), (?P<verified>\d+) verified")


def run_measured(command: list[str]) -> dict[str, Any]:
    """Run a command; return its wall time and the peak RSS of its process tree (and, for
    ``dedup -v scan``, the stage times it printed)."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    peaks = {"main": 0, "jvm": 0, "workers": 0}
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            roles = _tree_rss_by_role(process.pid)
            peak = max(peak, sum(roles.values()))
            for role, rss in roles.items():
                peaks[role] = max(peaks[role], rss)
            done.wait(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, stderr = process.communicate()
    done.set()
    sampler.join()
    wall = time.perf_counter() - started
    if process.returncode not in (0, 3):
        kept = Path(tempfile.gettempdir()) / f"dedup-failed-run-{process.pid}.log"
        kept.write_bytes(stderr)
        raise RuntimeError(f"{' '.join(command)} failed ({process.returncode}); its whole stderr is in {kept}: "
                           f"{stderr.decode(errors='replace')[-2000:]}")
    measured: dict[str, Any] = {"seconds": wall, "peak_rss_mib": peak / 2**20,
                                "peak_rss_by_role_mib": {role: rss / 2**20 for role, rss in peaks.items()}}
    for line in stderr.decode(errors="replace").splitlines():
        found = CANDIDATES_LINE.search(line)
        if found:
            measured["candidates"], measured["verified"] = int(found["candidates"]), int(found["verified"])
            if found["bands"]:
                measured.update(candidates_bands=int(found["bands"]), candidates_passages=int(found["passages"]),
                                passage_pairs_scored=int(found["scored"]))
        if line.strip().startswith("stages (s): "):
            measured["stages"] = {name: float(value) for name, value in
                                  (part.rsplit(" ", 1) for part in line.strip()[len("stages (s): "):].split(", "))}
    return measured


def _best_rate(fn: Any, count: int, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return count / best


def signature_throughput(texts: list[str], config: Config) -> dict[str, float]:
    """Documents per second from compared text to a 128-permutation signature, three ways."""
    from datasketch import MinHash

    k, num_perm = config.shingle_size, config.num_perm
    sketch(texts[0], k, num_perm, config.seed)  # compile / load the cached kernel outside the timing

    def ours() -> None:
        for text in texts:
            sketch(text, k, num_perm, config.seed)

    def datasketch() -> None:
        for text in texts:
            m = MinHash(num_perm=num_perm, seed=config.seed)
            m.update_batch([text[i : i + k].encode("utf-8") for i in range(max(1, len(text) - k + 1))])

    rates = {"dedup": _best_rate(ours, len(texts), 5), "datasketch": _best_rate(datasketch, len(texts), 2)}
    try:
        from rensa import RMinHash
    except ImportError:
        return rates

    def rensa() -> None:
        for text in texts:
            m = RMinHash(num_perm=num_perm, seed=config.seed)
            m.update([text[i : i + k] for i in range(max(1, len(text) - k + 1))])

    rates["rensa"] = _best_rate(rensa, len(texts), 3)
    return rates


def compared_texts(corpus: Path, sample: int, config: Config) -> list[str]:
    outlets, options = OutletTable.default(), CleanOptions(to_simplified=config.to_simplified)
    texts: list[str] = []
    for path, rel in walk([corpus]).files:
        for item in read_file(path, rel):
            if isinstance(item, Document):
                texts.append(clean(item, outlets, options).compared)
                if len(texts) >= sample:
                    return texts
    return texts


# --- one process against several ----------------------------------------------------------------

def engines_agree(corpus: Path) -> tuple[bool, int]:
    """Whether the local engine writes identical clusters with one process and with two (banding
    and verification on the workers too, whatever the corpus size)."""
    from dedup.engines.local import engine
    from dedup.outputs.records import records

    config, outlets = Config(), OutletTable.default()
    outputs = []
    saved = engine.MATCH_POOL_MIN_DOCS
    try:
        for workers in (1, 2):
            engine.MATCH_POOL_MIN_DOCS = 0
            with engine.scan_corpus([corpus], config, outlets, workers=workers) as outcome:
                outputs.append(records(outcome.result, 1, outlets))
    finally:
        engine.MATCH_POOL_MIN_DOCS = saved
    return outputs[0] == outputs[1], len(outputs[0])


# --- the run ---------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "dedup-bench")
    parser.add_argument("--baseline-up-to", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=2000, help="documents for the signature throughput test")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument("--corpus", choices=("speed", "stress"), default="speed",
                        help="generated text (speed) or reused real sentences (stress, needs ../shared/corpora)")
    parser.add_argument("--datatrove-up-to", type=int, default=0,
                        help="also run datatrove's MinHash pipeline up to this many documents (bench extra)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes of both dedup and datatrove")
    parser.add_argument("--stage-workers", type=lambda text: [int(v) for v in text.split(",") if v], default=[],
                        help="also scan with each of these worker counts (e.g. 1,2) and compare the stage times")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    config = Config()
    report: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d"), "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}", "runs": [],
    }
    print(f"# dedup speed benchmark, {report['date']}, {report['machine']}")
    for n in sizes:
        if args.corpus == "stress":
            folder = args.data / f"stress-{n}-seed{args.seed}"
            corpus = write_stress_corpus(folder, n, args.seed)
        else:
            folder = corpus = args.data / f"speed-{n}-seed{args.seed}"
            write_speed_corpus(corpus, n, args.seed)
        run: dict[str, Any] = {"documents": n, "corpus": args.corpus}
        texts = compared_texts(corpus, args.sample, config)
        rates = signature_throughput(texts, config)
        run["signature_docs_per_s"] = rates
        out = args.data / f"out-{args.corpus}-{n}.jsonl"
        scan = [sys.executable, "-m", "dedup.cli", "-v", "scan", str(corpus), "-o", str(out), "--workers",
                str(args.workers)]
        run["dedup_scan"] = run_measured(scan)
        for workers in args.stage_workers:
            run[f"dedup_scan_{workers}_workers"] = run_measured(scan[:-1] + [str(workers)])
        if args.corpus == "stress":
            run["dedup_scan"]["quality"] = copy_recall(folder, out)
        if n <= args.datatrove_up_to:
            work = args.data / f"datatrove-{args.corpus}-{n}"
            run["datatrove_minhash"] = run_measured([sys.executable, "-m", "benchmarks.datatrove_minhash", str(corpus),
                                                     str(work), "--workers", str(args.workers)])
            if args.corpus == "stress":
                labelled = args.data / f"datatrove-{args.corpus}-{n}.jsonl"
                subprocess.run([sys.executable, "-m", "benchmarks.datatrove_minhash", str(corpus), str(work),
                                "--workers", str(args.workers), "--labels", str(labelled)], check=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                run["datatrove_minhash"]["quality"] = copy_recall(folder, labelled)
        if n <= args.baseline_up_to:
            run["datasketch_pipeline"] = run_measured([sys.executable, "-m", "benchmarks.baseline", str(corpus),
                                                       "-o", str(args.data / f"baseline-{args.corpus}-{n}.jsonl")])
        report["runs"].append(run)
        _print_run(run)
    reference = DEV if DEV.is_dir() else None
    if reference is None:
        from benchmarks.synthetic import write_quality_corpus

        reference = args.data / "quality-seed7"
        if not (reference / "gold.jsonl").exists():
            write_quality_corpus(reference, 600, 7)
        reference = reference / "corpus"
    same, count = engines_agree(reference)
    report["fast_equals_reference"] = {"corpus": str(reference), "identical": same, "clusters": count}
    print(f"\none process vs two on {reference}: {'identical' if same else 'DIFFERENT'} ({count} clusters)")
    if len(report["runs"]) > 1:
        print("\n| N | system | wall s | peak MiB (process tree) | candidates (per document) | verified | copies found | pair precision |")
        print("|---|---|---|---|---|---|---|---|")
        for run in report["runs"]:
            for name in ("dedup_scan", "datatrove_minhash"):
                if name not in run:
                    continue
                measured, quality = run[name], run[name].get("quality", {})
                candidates = (f"{measured['candidates']:,} ({measured['candidates'] / run['documents']:.2f})"
                              if "candidates" in measured else "-")
                print(f"| {run['documents']:,} | {name} | {measured['seconds']:.1f} | {measured['peak_rss_mib']:.0f} | "
                      f"{candidates} | {measured.get('verified', '-')} | {quality.get('all', float('nan')):.4f} | "
                      f"{quality.get('precision', float('nan')):.4f} |")
        first, last = report["runs"][0], report["runs"][-1]
        growth = last["dedup_scan"]["seconds"] / first["dedup_scan"]["seconds"]
        print(f"dedup scan time grew {growth:.1f}x for {last['documents'] / first['documents']:.0f}x the documents")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2), encoding="utf-8")
    if not same:
        sys.exit(1)


def _print_run(run: dict[str, Any]) -> None:
    rates = run["signature_docs_per_s"]
    print(f"\n## N = {run['documents']:,}")
    print("| signature path | docs/s | × datasketch |")
    print("|---|---|---|")
    for name, rate in rates.items():
        print(f"| {name} | {rate:,.0f} | {rate / rates['datasketch']:.1f} |")
    if "rensa" in rates:
        print(f"dedup / rensa: {rates['dedup'] / rates['rensa']:.2f}x")
    print("| end to end | wall s | peak RSS MiB | candidates | verified |")
    print("|---|---|---|---|---|")
    for name in ("dedup_scan", "datatrove_minhash", "datasketch_pipeline"):
        if name in run:
            print(f"| {name} | {run[name]['seconds']:.1f} | {run[name]['peak_rss_mib']:.0f} | "
                  f"{run[name].get('candidates', '-')} | {run[name].get('verified', '-')} |")
    if "datatrove_minhash" in run:
        print(f"dedup scan is {run['datatrove_minhash']['seconds'] / run['dedup_scan']['seconds']:.2f}x as fast as "
              "datatrove's MinHash pipeline")
    if "datasketch_pipeline" in run:
        ratio = run["datasketch_pipeline"]["seconds"] / run["dedup_scan"]["seconds"]
        print(f"dedup scan is {ratio:.1f}x faster than the datasketch pipeline")
    scans = {name: run[name] for name in run if name.startswith("dedup_scan") and "stages" in run[name]}
    if scans:
        stages = list(next(iter(scans.values()))["stages"])
        print("| stage times (s) | " + " | ".join(stages) + " |")
        print("|---|" + "---|" * len(stages))
        for name, measured in scans.items():
            print(f"| {name} | " + " | ".join(f"{measured['stages'].get(stage, 0):.1f}" for stage in stages) + " |")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()

"""The Spark engine against the local engine on the same generated corpora.

    python -m benchmarks.spark [--sizes 100000] [--data /tmp/dedup-bench] [--master local[2]]
                               [--partitions N] [--driver-memory 6g] [--json results.json]

For each size N (the speed benchmark's corpus, generated once under ``--data``): ``dedup -v scan``
with the local engine and ``dedup scan --engine spark`` on ``--master``, each as a subprocess, with
wall time, the peak resident memory of the process tree and of its parts (the main process; the
JVM, which in local mode is both Spark's driver and its executors; the worker processes: the local
engine's pool, Spark's Python workers) and the time of each stage; then whether the two outputs
are identical, byte for byte.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from benchmarks.generate import write_speed_corpus
from benchmarks.speed import run_measured


class _PeakSize:
    """The largest total size of the files under a directory while the block runs (sampled)."""

    def __init__(self, root: Path) -> None:
        self.root, self.peak, self._done = root, 0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._done.is_set():
            total = 0
            for path in self.root.rglob("*"):
                with contextlib.suppress(OSError):
                    total += path.stat().st_size if path.is_file() else 0
            self.peak = max(self.peak, total)
            self._done.wait(1.0)

    def __enter__(self) -> _PeakSize:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()


def _spark_run(args: argparse.Namespace, corpus: Path, spark_out: Path, n: int) -> dict[str, Any]:
    """``dedup scan --engine spark`` of the corpus, measured, with the peak size of its scratch."""
    scratch = args.data / f"spark-scratch-{n}"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    command = [sys.executable, "-m", "dedup.cli", "-v", "scan", str(corpus), "-o", str(spark_out), "--engine", "spark",
               "--spark-master", args.master, "--spark-conf", f"spark.driver.memory={args.driver_memory}",
               "--spark-conf", f"spark.local.dir={scratch}"]
    if args.partitions:
        command += ["--partitions", str(args.partitions)]
    with _PeakSize(scratch) as disk:
        spark = run_measured(command)
    spark["peak_scratch_mib"] = disk.peak / 2**20
    shutil.rmtree(scratch, ignore_errors=True)
    return spark


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100000")
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "dedup-bench")
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--partitions", type=int, default=None)
    parser.add_argument("--driver-memory", default="6g")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--engines", default="local,spark",
                        help="which engines to run; with spark alone, its output is compared with the local "
                             "engine's from an earlier run, where one is under --data")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    report: dict[str, Any] = {"date": time.strftime("%Y-%m-%d"), "master": args.master, "runs": []}
    same_everywhere = True
    for n in [int(s) for s in args.sizes.split(",") if s]:
        corpus = args.data / f"speed-{n}-seed{args.seed}"
        write_speed_corpus(corpus, n, args.seed)
        local_out, spark_out = args.data / f"local-{n}.jsonl", args.data / f"spark-{n}.jsonl"
        engines = args.engines.split(",")
        local = (run_measured([sys.executable, "-m", "dedup.cli", "-v", "scan", str(corpus), "-o", str(local_out)])
                 if "local" in engines else None)
        spark = _spark_run(args, corpus, spark_out, n) if "spark" in engines else None
        same = spark is not None and local_out.exists() and local_out.read_bytes() == spark_out.read_bytes()
        same_everywhere &= same or spark is None
        run = {"documents": n, "local": local, "spark": spark, "identical": same}
        report["runs"].append(run)
        print(f"\n## N = {n:,}: identical output: {same if spark is not None else '-'}")
        print("| engine | wall s | peak RSS MiB: all (main process, JVM, workers) | stages (s) |")
        print("|---|---|---|---|")
        for name, measured in (("local", local), ("spark", spark)):
            if measured is None:
                continue
            stages = ", ".join(f"{k} {v:.1f}" for k, v in measured.get("stages", {}).items())
            roles = measured["peak_rss_by_role_mib"]
            print(f"| {name} | {measured['seconds']:.1f} | {measured['peak_rss_mib']:.0f} ({roles['main']:.0f}, "
                  f"{roles['jvm']:.0f}, {roles['workers']:.0f}) | {stages} |")
        if spark is not None:
            ratio = f"spark / local: {spark['seconds'] / local['seconds']:.2f}x; " if local else ""
            print(f"{ratio}Spark's scratch (shuffle files and spilled blocks) at its largest: "
                  f"{spark['peak_scratch_mib']:.0f} MiB, {spark['peak_scratch_mib'] * 2**20 / n / 1024:.1f} KiB per document")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2), encoding="utf-8")
    return 0 if same_everywhere else 1


if __name__ == "__main__":
    sys.exit(main())

"""The Spark engine against the local engine on the same generated corpora.

    python -m benchmarks.spark [--sizes 100000] [--data /tmp/dedup-bench] [--master local[2]]
                               [--partitions N] [--driver-memory 6g] [--json results.json]

For each size N (the speed benchmark's corpus, generated once under ``--data``): ``dedup -v scan``
with the local engine and ``dedup scan --engine spark`` on ``--master``, each as a subprocess, with
wall time, the peak resident memory of the process tree (the driver's JVM and the Python workers
included) and the time of each stage; then whether the two outputs are identical, byte for byte.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.generate import write_speed_corpus
from benchmarks.speed import run_measured


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100000")
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "dedup-bench")
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--partitions", type=int, default=None)
    parser.add_argument("--driver-memory", default="6g")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    report: dict[str, Any] = {"date": time.strftime("%Y-%m-%d"), "master": args.master, "runs": []}
    same_everywhere = True
    for n in [int(s) for s in args.sizes.split(",") if s]:
        corpus = args.data / f"speed-{n}-seed{args.seed}"
        write_speed_corpus(corpus, n, args.seed)
        local_out, spark_out = args.data / f"local-{n}.jsonl", args.data / f"spark-{n}.jsonl"
        local = run_measured([sys.executable, "-m", "dedup.cli", "-v", "scan", str(corpus), "-o", str(local_out)])
        command = [sys.executable, "-m", "dedup.cli", "scan", str(corpus), "-o", str(spark_out), "--engine", "spark",
                   "--spark-master", args.master, "--spark-conf", f"spark.driver.memory={args.driver_memory}"]
        if args.partitions:
            command += ["--partitions", str(args.partitions)]
        spark = run_measured(command)
        same = local_out.read_bytes() == spark_out.read_bytes()
        same_everywhere &= same
        run = {"documents": n, "local": local, "spark": spark, "identical": same}
        report["runs"].append(run)
        print(f"\n## N = {n:,}: identical output: {same}")
        print("| engine | wall s | peak RSS MiB | stages (s) |")
        print("|---|---|---|---|")
        for name in ("local", "spark"):
            stages = ", ".join(f"{k} {v:.1f}" for k, v in run[name].get("stages", {}).items())
            print(f"| {name} | {run[name]['seconds']:.1f} | {run[name]['peak_rss_mib']:.0f} | {stages} |")
        print(f"spark / local: {spark['seconds'] / local['seconds']:.2f}x")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2), encoding="utf-8")
    return 0 if same_everywhere else 1


if __name__ == "__main__":
    sys.exit(main())

"""`make fuzz`: run the atheris harness for a given time and keep every finding.

libFuzzer stops at its first finding (a crash, a timeout past `-timeout`, an oom past
`-rss_limit_mb`) after writing it to fuzz/findings/. This driver starts it again on the same
corpus (fuzz/corpus/) until the time is used up, then lists every finding and the executions.
It exits 1 if there was any finding, 0 for a clean run.
    .venv/bin/python fuzz/campaign.py --seconds 60 --timeout 20 --rss-mb 2048
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
HARNESS = HERE / "atheris_fuzz.py"
KINDS = ("crash-", "timeout-", "oom-", "leak-")  # past the CLI's limits, or a crash: a finding
SLOW = "slow-unit-"  # libFuzzer's report of an input over 10 s but within -timeout: kept, listed
STARTUP = 60  # seconds: less left than this is not worth a new start (instrumenting imports)


def findings(folder: Path) -> set[Path]:
    return {p for p in folder.iterdir() if p.name.startswith(KINDS)}


def executions(log: str) -> int:
    """The units one libFuzzer run executed (its final stats, else its last status line)."""
    final = re.findall(r"stat::number_of_executed_units: (\d+)", log)
    if final:
        return int(final[-1])
    status = re.findall(r"^#(\d+)\s", log, re.M)
    return int(status[-1]) if status else 0


def one_run(args, seconds: int, corpus: Path, found: Path) -> tuple[int, int, str]:
    """One libFuzzer run: its exit code, executions and output (also echoed)."""
    command = [
        sys.executable,
        str(args.harness),
        str(corpus),
        f"-artifact_prefix={found}/",
        f"-max_total_time={seconds}",
        f"-timeout={args.timeout}",
        f"-rss_limit_mb={args.rss_mb}",
        "-print_final_stats=1",
    ]
    run = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = [line for line in run.stdout.splitlines() if not line.startswith("INFO: Instrumenting")]
    sys.stdout.write("\n".join(lines) + "\n")
    return run.returncode, executions(run.stdout), run.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--timeout", type=int, default=20, help="per input, as the CLI's limit")
    parser.add_argument("--rss-mb", type=int, default=2048, help="as the CLI's memory limit")
    parser.add_argument("--corpus", type=Path, default=HERE / "corpus")
    parser.add_argument("--findings", type=Path, default=HERE / "findings")
    parser.add_argument("--harness", type=Path, default=HARNESS)
    parser.add_argument("--min-run", type=int, default=STARTUP, help="seconds worth a new start")
    args = parser.parse_args()
    args.corpus.mkdir(parents=True, exist_ok=True)
    args.findings.mkdir(parents=True, exist_ok=True)
    before = findings(args.findings)
    end = time.monotonic() + args.seconds
    total = runs = 0
    while True:
        left = int(end - time.monotonic())
        if runs and left < args.min_run:
            break
        known = findings(args.findings)
        code, done, _ = one_run(args, max(left, 1), args.corpus, args.findings)
        runs += 1
        total += done
        new = findings(args.findings) - known
        for path in sorted(new):
            print(f"FINDING kept: {path}", flush=True)
        if code != 0 and not new:  # not a finding: the harness itself failed; do not loop
            print(f"the fuzzer ended with exit code {code} and wrote no finding", flush=True)
            return 2
        if code == 0:
            break
    kept = sorted(findings(args.findings) - before)
    slow = sorted(p for p in args.findings.iterdir() if p.name.startswith(SLOW))
    print(f"\nfuzz: {total} executions in {runs} run(s), {args.seconds} s; {len(kept)} finding(s)")
    for path in kept:
        print(f"  {path}")
    if slow:  # within the CLI's own limits (it answers them): worth a look, not a failure
        print(f"{len(slow)} input(s) slower than 10 s under the fuzzer, within -timeout:")
        for path in slow:
            print(f"  {path}")
    return 1 if kept else 0


if __name__ == "__main__":
    sys.exit(main())

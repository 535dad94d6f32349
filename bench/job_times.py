"""Where a workflow run's time went, from its Snakemake log: each rule's jobs, their
summed wall seconds (job-s: two jobs at once on 2 cores count twice), and the longest.

Usage: python bench/job_times.py .snakemake/log/<run>.snakemake.log
"""

import re
import sys
from collections import defaultdict
from datetime import datetime


def job_times(lines):
    """rule -> list of (jobid, seconds) from a Snakemake log's start and finish stamps."""
    stamp, rule, started, out = None, None, {}, defaultdict(list)
    for line in lines:
        if m := re.match(r"\[(\w{3} \w{3} +\d+ [\d:]+ \d{4})\]", line):
            stamp = datetime.strptime(" ".join(m.group(1).split()), "%a %b %d %H:%M:%S %Y")
        elif m := re.match(r"(?:local)?rule (\w+):", line):
            rule = m.group(1)
        elif (m := re.match(r"\s+jobid: (\d+)", line)) and rule:
            started[m.group(1)] = (rule, stamp)
            rule = None
        elif m := re.match(r"Finished jobid: (\d+)", line):
            name, begin = started.pop(m.group(1))
            out[name].append((m.group(1), (stamp - begin).total_seconds()))
    return out


def main():
    times = job_times(open(sys.argv[1]).read().splitlines())
    total = sum(s for jobs in times.values() for _, s in jobs)
    print(f"{'rule':24} {'jobs':>4} {'job-s':>7} {'share':>6} {'longest':>8}")
    for rule, jobs in sorted(times.items(), key=lambda kv: -sum(s for _, s in kv[1])):
        seconds = sum(s for _, s in jobs)
        print(f"{rule:24} {len(jobs):4d} {seconds:7.0f} {seconds / total:6.1%} "
              f"{max(s for _, s in jobs):8.0f}")
    print(f"{'all':24} {sum(map(len, times.values())):4d} {total:7.0f}")


if __name__ == "__main__":
    main()

"""Run a workflow step with its output going to the rule's log file."""

from __future__ import annotations

import logging
import os
import sys
from contextlib import contextmanager, redirect_stderr, redirect_stdout

from .metrics import register_config_metrics


THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def limit_threads(n: int) -> None:
    """Every library's thread pool as large as the job's threads. Snakemake says so to
    shell jobs (OMP_NUM_THREADS), not to scripts, whose torch and BLAS would otherwise
    each start a thread per core: two such jobs on two cores ran an SAE three times
    slower than one thread each. Pools started already (numpy's BLAS) are resized;
    torch, if not imported yet, reads the variables when it is."""
    for var in THREAD_VARIABLES:
        os.environ[var] = str(n)
    from threadpoolctl import threadpool_limits

    threadpool_limits(n)
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(n)


@contextmanager
def logged(snakemake):
    """Send logging, prints and progress bars of the step to ``snakemake.log[0]``,
    with the metrics the config defines registered.

    Errors are logged with their traceback; the console gets one sentence naming the
    problem and the log, and the job exits non-zero, so Snakemake marks it failed.
    Warnings (what was dropped, skipped or converted) go to the console as well.
    The job's libraries use its threads (:func:`limit_threads`).
    """
    limit_threads(snakemake.threads)
    path = snakemake.log[0] if snakemake.log else None
    stream = open(path, "w", buffering=1) if path else sys.stderr
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    console = logging.StreamHandler(sys.__stderr__)
    console.setLevel(logging.WARNING)
    console.setFormatter(logging.Formatter(f"{snakemake.rule}: %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    if path:
        root.addHandler(console)
    root.setLevel(logging.INFO)
    try:
        with redirect_stdout(stream), redirect_stderr(stream):
            logging.info("rule %s, wildcards %s", snakemake.rule, dict(snakemake.wildcards))
            register_config_metrics(snakemake.config)
            if "SLURM_JOB_ID" in os.environ:
                logging.info("running as SLURM job %s on %s", os.environ["SLURM_JOB_ID"],
                             os.environ.get("SLURMD_NODENAME", "?"))
            yield
    except Exception as err:
        root.removeHandler(console)
        logging.exception("step failed")
        if not path:
            raise
        raise SystemExit(f"{snakemake.rule} failed: {err} (traceback in {path})") from None
    finally:
        root.removeHandler(handler)
        root.removeHandler(console)
        if path:
            stream.close()

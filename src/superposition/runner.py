"""Run a workflow step with its output going to the rule's log file."""

from __future__ import annotations

import logging
import os
import sys
from contextlib import contextmanager, redirect_stderr, redirect_stdout

from .metrics import register_config_metrics


@contextmanager
def logged(snakemake):
    """Send logging, prints and progress bars of the step to ``snakemake.log[0]``,
    with the metrics the config defines registered.

    Errors are logged with their traceback and re-raised, so Snakemake marks the
    job failed and names the log.
    """
    path = snakemake.log[0] if snakemake.log else None
    stream = open(path, "w", buffering=1) if path else sys.stderr
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        with redirect_stdout(stream), redirect_stderr(stream):
            logging.info("rule %s, wildcards %s", snakemake.rule, dict(snakemake.wildcards))
            register_config_metrics(snakemake.config)
            if "SLURM_JOB_ID" in os.environ:
                logging.info("running as SLURM job %s on %s", os.environ["SLURM_JOB_ID"],
                             os.environ.get("SLURMD_NODENAME", "?"))
            yield
    except BaseException:
        logging.exception("step failed")
        raise
    finally:
        root.removeHandler(handler)
        if path:
            stream.close()

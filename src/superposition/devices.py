"""Where a job's work runs: one answer gives both its ``gpu`` resource and the device its
script gets, so a job asks a cluster for a GPU exactly when it will use one."""


def job_gpus(device: str, uses_gpu: bool) -> int:
    """GPUs a job asks for: one where its work runs on a GPU and the device is not cpu."""
    return int(bool(uses_gpu) and device != "cpu")


def job_gpu_request(device: str, uses_gpu: bool, request: str = "gpus") -> dict:
    """A job's GPU as the SLURM plugin asks for it: the ``gpu`` resource (sbatch
    ``--gpus=1``) or, where ``request`` is ``gres`` (clusters whose SelectType plugin
    refuses ``--gpus``), the ``gres`` resource (``--gres=gpu:1``); the other one empty,
    since the plugin refuses both at once."""
    n = job_gpus(device, uses_gpu)
    if request == "gres":
        return {"gpu": 0, "gres": f"gpu:{n}" if n else ""}
    return {"gpu": n, "gres": ""}


def job_device(device: str, uses_gpu: bool) -> str:
    """The device a job's script runs on: the configured one for a job that asked for a
    GPU, the CPU for every other job (a cluster gives it none)."""
    return device if job_gpus(device, uses_gpu) else "cpu"


def resolve_device(device: str) -> str:
    """``auto`` -> CUDA where there is one, else the CPU; a cuda device must exist."""
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise RuntimeError(f"device {device!r} requested but CUDA is not available; "
                           f"set device: auto or cpu")
    return device

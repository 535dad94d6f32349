from superposition.devices import job_device, job_gpus


def test_a_job_asks_for_a_gpu_only_where_its_work_uses_one_and_the_device_allows():
    assert job_gpus("auto", True) == 1 and job_gpus("cuda:1", True) == 1
    assert job_gpus("cpu", True) == 0
    assert job_gpus("auto", False) == 0 and job_gpus("cuda", False) == 0


def test_a_job_without_a_gpu_runs_on_the_cpu():
    """A job the cluster gives no GPU must not be told to use one."""
    assert job_device("cuda:1", True) == "cuda:1" and job_device("auto", True) == "auto"
    assert job_device("cuda", False) == "cpu" and job_device("auto", False) == "cpu"
    assert job_device("cpu", True) == "cpu"


def test_a_gpu_job_asks_by_gpus_or_by_gres_never_both():
    from superposition.devices import job_gpu_request

    assert job_gpu_request("auto", True) == {"gpu": 1, "gres": ""}
    assert job_gpu_request("auto", True, "gres") == {"gpu": 0, "gres": "gpu:1"}
    assert job_gpu_request("cpu", True, "gres") == {"gpu": 0, "gres": ""}
    assert job_gpu_request("cuda", False, "gpus") == {"gpu": 0, "gres": ""}

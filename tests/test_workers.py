"""The batch's worker processes (autograde.grading.workers): what they start with."""

import pytest

from autograde.grading import workers


class Started(Exception):
    """Raised by the stand-in for Popen once the worker's environment is seen."""


@pytest.fixture
def started_env(tmp_path, monkeypatch):
    """``start(threads)``: the environment a Worker would give its process."""
    def start(threads):
        seen = {}

        def popen(args, env, **_kw):
            seen.update(env)
            raise Started

        with monkeypatch.context() as patched:  # (subprocess's own Popen: only while starting)
            patched.setattr(workers.subprocess, "Popen", popen)
            worker = workers.Worker(tmp_path, 0, tmp_path / "log", threads)
            with pytest.raises(Started):
                worker._start()
        worker._remove_tmp()
        return seen
    return start


def test_the_cores_are_shared_out_as_blas_threads(monkeypatch):
    monkeypatch.setattr(workers.os, "cpu_count", lambda: 4)
    assert [workers.blas_threads(n) for n in (1, 2, 3, 4, 8)] == [4, 2, 1, 1, 1]
    monkeypatch.setattr(workers.os, "cpu_count", lambda: None)
    assert workers.blas_threads(2) == 1


def test_a_worker_starts_with_its_share_of_blas_threads(started_env, monkeypatch):
    for var in workers.BLAS_VARS:
        monkeypatch.delenv(var, raising=False)
    env = started_env(2)
    assert [env[v] for v in workers.BLAS_VARS] == ["2", "2", "2"]
    assert not any(v in started_env(None) for v in workers.BLAS_VARS)


def test_the_instructors_own_blas_setting_wins(started_env, monkeypatch):
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "3")
    assert started_env(1)["OPENBLAS_NUM_THREADS"] == "3"

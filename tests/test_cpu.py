"""Torch threads follow the load other processes put on the cores (nlp.cpu)."""

import subprocess
import sys
import time

import pytest
import torch

from nlp import cpu

SPIN = "import time\nend = time.time() + 30\nwhile time.time() < end:\n    pass\n"


def test_threads_are_the_cores_others_leave_within_the_ceiling():
    assert cpu.threads_for(2, 2, 0.0) == 2
    assert cpu.threads_for(2, 2, 0.4) == 2
    assert cpu.threads_for(2, 2, 1.0) == 1
    assert cpu.threads_for(2, 2, 3.0) == 1  # never none
    assert cpu.threads_for(1, 8, 0.0) == 1  # a Ray actor's one CPU stays one
    assert cpu.threads_for(8, 8, 2.2) == 6


def test_others_busy_subtracts_this_process():
    assert cpu.others_busy(busy=500, own=300, busy0=100, own0=100, seconds=2.0, tick=100) == 1.0
    assert cpu.others_busy(busy=100, own=200, busy0=100, own0=0, seconds=1.0, tick=100) == 0.0
    assert cpu.others_busy(1, 1, 0, 0, seconds=0.0) == 0.0


def test_adapt_threads_uses_the_sampled_load(monkeypatch):
    class Fake:
        others = 0.0

    before = torch.get_num_threads()
    monkeypatch.setattr(cpu, "_sampler", Fake())
    monkeypatch.setattr(cpu, "_ceiling", 2)
    monkeypatch.setattr(cpu, "_adaptive", True)
    monkeypatch.setattr(cpu.os, "sched_getaffinity", lambda _: {0, 1})
    try:
        assert cpu.adapt_threads() == 2 and torch.get_num_threads() == 2
        Fake.others = 1.0
        assert cpu.adapt_threads() == 1 and torch.get_num_threads() == 1
        monkeypatch.setattr(cpu, "_adaptive", False)  # pinned: the load is not looked at
        assert cpu.adapt_threads() == 2
    finally:
        torch.set_num_threads(before)


@pytest.mark.skipif(cpu.busy_ticks() is None, reason="no /proc/stat here")
def test_the_sampler_sees_a_busy_neighbour_and_not_itself():
    sampler = cpu.LoadSampler(every=0.2)
    end = time.monotonic() + 1.0
    while time.monotonic() < end:  # this process busy: not counted as a neighbour
        pass
    assert sampler.others < 0.8
    spinner = subprocess.Popen([sys.executable, "-c", SPIN])
    try:
        deadline = time.monotonic() + 5.0
        while sampler.others < 0.6 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert sampler.others >= 0.6
    finally:
        spinner.kill()
        spinner.wait()

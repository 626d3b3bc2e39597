"""The models' priority lock: interactive requests go before background (batch) calls."""

from __future__ import annotations

import threading
import time

import pytest

from nlp.priority import PriorityLock, background, foreground, is_background


def _hold(lock: PriorityLock, seconds: float, started: threading.Event) -> None:
    with lock:
        started.set()
        time.sleep(seconds)


def _run(target, *args) -> threading.Thread:
    thread = threading.Thread(target=target, args=args, daemon=True)
    thread.start()
    return thread


def test_a_waiting_foreground_call_goes_before_a_waiting_background_one():
    lock, order, started = PriorityLock(), [], threading.Event()
    holder = _run(_hold, lock, 0.3, started)
    started.wait(2)

    def batch():
        with background():
            with lock:
                order.append("batch")

    def paste():
        with lock:
            order.append("paste")

    b = _run(batch)
    time.sleep(0.05)  # the batch waits first
    p = _run(paste)
    for t in (holder, b, p):
        t.join(5)
    assert order == ["paste", "batch"]


def test_background_waits_for_a_whole_foreground_request():
    lock, order = PriorityLock(), []

    def batch():
        with background(), lock:
            order.append("batch")

    with foreground():
        b = _run(batch)
        time.sleep(0.2)  # between two model calls of the request: the lock is free
        assert order == [] and not lock.locked()
    b.join(5)
    assert order == ["batch"]


def test_background_is_never_held_back_longer_than_max_defer():
    lock, done = PriorityLock(max_defer=0.2), threading.Event()

    def batch():
        with background(), lock:
            done.set()

    with foreground():
        start = time.monotonic()
        _run(batch)
        assert done.wait(3)
        assert 0.15 < time.monotonic() - start < 2


def test_marks_are_per_context_and_release_checks():
    assert not is_background()
    with background():
        assert is_background()
    assert not is_background()
    with pytest.raises(RuntimeError):
        PriorityLock().release()

"""Model locks that let interactive requests go before background work.

Each model object guards inference with one lock (a forward pass is not thread-safe and two
at once only fight over the same cores). With a plain lock a pasted page queues behind a
batch job's model calls; with :class:`PriorityLock` a thread marked as background
(:func:`background`) waits while any foreground request is in flight (:func:`foreground`) or
waiting for a model, so a paste waits at most for the one background model call already
running. Background work that has been held back for ``max_defer`` seconds goes next once,
so a steady stream of pastes slows a batch down but never stops it.

Threads are foreground unless marked; the marks are context variables, so they hold for the
thread (or task) that set them.

Example::

    lock = PriorityLock()
    with background():        # the batch tab, in its own thread
        with lock: ...        # yields to the paste below whenever it waits
    with foreground():        # a pasted page: batch model calls wait until it is done
        with lock: ...
"""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

DEFAULT_MAX_DEFER = 5.0  # seconds a background call may be held back before it goes once

_is_background = contextvars.ContextVar("newsdesk_background", default=False)
# One condition for every lock: a foreground request ending must wake background waiters of
# all models, not only of the one it last used.
_cond = threading.Condition(threading.Lock())
_foreground = 0  # foreground requests in flight or waiting for a model


@contextmanager
def background() -> Iterator[None]:
    """Mark model calls made inside as background (they yield to foreground requests)."""
    token = _is_background.set(True)
    try:
        yield
    finally:
        _is_background.reset(token)


@contextmanager
def foreground() -> Iterator[None]:
    """Hold background model calls back for the whole of one interactive request (between
    its model calls too, not only while it waits for a lock)."""
    global _foreground
    with _cond:
        _foreground += 1
    try:
        yield
    finally:
        with _cond:
            _foreground -= 1
            _cond.notify_all()


def is_background() -> bool:
    """True inside :func:`background`."""
    return _is_background.get()


class PriorityLock:
    """A non-reentrant lock (``with lock:``) on which foreground threads go first.

    Args:
        max_defer: seconds a background waiter may be passed over; then it goes next once.
    """

    def __init__(self, max_defer: float = DEFAULT_MAX_DEFER):
        self.max_defer = max_defer
        self._held = False

    def locked(self) -> bool:
        return self._held

    def acquire(self) -> None:
        """Wait for the lock: foreground as soon as it is free, background when it is free
        and no foreground request is in flight (or after ``max_defer`` seconds)."""
        global _foreground
        with _cond:
            if not is_background():
                _foreground += 1
                try:
                    while self._held:
                        _cond.wait()
                finally:
                    _foreground -= 1
                self._held = True
                return
            deadline = time.monotonic() + self.max_defer
            while True:
                overdue = time.monotonic() >= deadline
                if not self._held and (_foreground == 0 or overdue):
                    self._held = True
                    return
                _cond.wait(None if overdue else max(0.0, deadline - time.monotonic()))

    def release(self) -> None:
        with _cond:
            if not self._held:
                raise RuntimeError("release of an unlocked PriorityLock")
            self._held = False
            _cond.notify_all()

    def __enter__(self) -> PriorityLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

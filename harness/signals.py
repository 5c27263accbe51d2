"""SIGTERM handled like Ctrl-C, and sections of code that a signal must not cut in half.

``harness run`` keeps the finished epochs of a run that is stopped: Ctrl-C (SIGINT) raises
``KeyboardInterrupt``, which training catches; :func:`interrupt_on_signals` makes SIGTERM (what
``kill``, ``timeout`` and job schedulers send) take the same path. :func:`deferred_interrupts`
holds both signals while a checkpoint and its run file are written, so a stopped run never keeps
one without the other. Both are no-ops outside the main thread, where Python cannot set handlers.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def _raise_interrupt(signum: int, frame) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


def _restore(signum: int, handler) -> None:
    # getsignal() gives None for a handler set outside Python; the default is the best we can do.
    signal.signal(signum, signal.SIG_DFL if handler is None else handler)


@contextmanager
def interrupt_on_signals() -> Iterator[None]:
    """Within the block, SIGTERM raises ``KeyboardInterrupt`` in the main thread, as Ctrl-C does.

    The exception carries the signal's name (``KeyboardInterrupt("SIGTERM")``), for messages.
    """
    if not _in_main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, _raise_interrupt) for sig in _SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            _restore(sig, handler)


@contextmanager
def deferred_interrupts() -> Iterator[None]:
    """Hold SIGINT and SIGTERM until the block ends, then raise ``KeyboardInterrupt`` once.

    Use it around writes that must finish together (a checkpoint and the run file naming it).
    """
    if not _in_main_thread():
        yield
        return
    caught: list[int] = []
    previous = {sig: signal.signal(sig, lambda signum, frame: caught.append(signum))
                for sig in _SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            _restore(sig, handler)
    if caught:
        raise KeyboardInterrupt(signal.Signals(caught[0]).name)

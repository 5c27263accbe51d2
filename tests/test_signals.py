"""harness.signals: SIGTERM becomes KeyboardInterrupt; held signals wait for the block's end."""

from __future__ import annotations

import signal

import pytest

from harness.signals import deferred_interrupts, interrupt_on_signals


def test_sigterm_raises_keyboard_interrupt_and_the_old_handler_comes_back():
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(KeyboardInterrupt, match="SIGTERM"), interrupt_on_signals():
        signal.raise_signal(signal.SIGTERM)
    assert signal.getsignal(signal.SIGTERM) is before


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_waits_until_the_block_has_finished(signum):
    steps = []
    with pytest.raises(KeyboardInterrupt, match=signal.Signals(signum).name):
        with interrupt_on_signals():
            with deferred_interrupts():
                steps.append("checkpoint")
                signal.raise_signal(signum)
                steps.append("run file")  # still written: the signal is held
            steps.append("next epoch")  # not reached: the held signal is raised on the way out
    assert steps == ["checkpoint", "run file"]


def test_no_signal_no_interrupt():
    # the handler the process started with comes back (SIG_IGN when started in the background)
    before = signal.getsignal(signal.SIGINT)
    with deferred_interrupts():
        pass
    assert signal.getsignal(signal.SIGINT) is before

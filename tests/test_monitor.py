"""The progress bar of a run with a time limit says when it ends, by its steps or its time."""

from wgan.training.monitor import TimedProgress


def note(total, step, spent, limit=60.0):
    bar = TimedProgress(total, 0, limit, enabled=False)
    bar.step = step
    return bar._note(spent)


def test_the_time_limit_ends_a_run_that_has_too_many_steps():
    assert note(20_000, 100, spent=10.0) == "step 100/20000, 10.00 it/s, ends in 00:50 (time limit)"


def test_the_steps_end_a_run_that_is_fast_enough():
    assert note(200, 100, spent=10.0) == "step 100/200, 10.00 it/s, ends in 00:10 (steps)"


def test_no_step_yet():
    assert note(200, 0, spent=0.0).endswith("ends in 01:00 (time limit)")

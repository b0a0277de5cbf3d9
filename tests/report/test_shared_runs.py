"""A report of a run folder from someone else embeds only the run's own PNG files."""

import os
import signal

import pytest

from wgan.errors import WganError
from wgan.tools.report import write_report
from wgan.tools.report.collect import load_run, load_runs


def test_linked_fifo_and_fake_pictures_are_skipped_with_a_warning(two_runs, tmp_path):
    run = two_runs[0]
    secret = tmp_path / "secret.txt"
    secret.write_text("THE-SECRET-BYTES")
    samples = run / "samples"
    samples.mkdir(exist_ok=True)
    (samples / "step_0000001.png").symlink_to(secret)
    (samples / "step_0000002.png").symlink_to("/dev/zero")
    os.mkfifo(samples / "step_0000003.png")
    (samples / "step_0000004.png").write_bytes(b"not a png at all")
    signal.signal(signal.SIGALRM, lambda *_: pytest.fail("the report hung on a FIFO or a device"))
    signal.alarm(60)
    try:
        with pytest.warns(UserWarning, match="report: skipped") as caught:
            write_report(load_runs([run]), tmp_path / "r.html")
    finally:
        signal.alarm(0)
    assert len([w for w in caught if "report: skipped" in str(w.message)]) >= 4
    page = (tmp_path / "r.html").read_text()
    assert "THE-SECRET-BYTES" not in page and "VEhFLVNFQ1JFVC1CWVRFUw" not in page  # nor its base64
    assert all(step not in {1, 2, 3, 4} for step, _ in load_run(run).grids)


def test_a_linked_log_is_refused(two_runs, tmp_path):
    run = two_runs[0]
    (run / "metrics.jsonl").unlink()
    (run / "metrics.jsonl").symlink_to("/dev/zero")
    with pytest.raises(WganError, match="metrics.jsonl is a link"):
        load_run(run)


def test_a_dollar_in_a_run_name_draws(two_runs, tmp_path):
    from wgan.tools.report import write_compare_figure

    renamed = two_runs[0].rename(two_runs[0].parent / "a$b$c")
    assert write_compare_figure([load_run(renamed)], tmp_path / "c.png").is_file()

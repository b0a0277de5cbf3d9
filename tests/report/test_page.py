"""The report page: self-contained, one column per run, the config differences highlighted; opened
in headless Chromium when the test set-up could install it."""

import json
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser

import pytest
from click.testing import CliRunner

from wgan.cli import main
from wgan.tools.report import load_runs, write_compare_figure, write_report


class Page(HTMLParser):
    """The page's images, external references and tables (rows of cells)."""

    def __init__(self, text):
        super().__init__()
        self.images, self.external, self.tables, self.highlighted = [], [], {}, []
        self._table = self._row = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in ("src", "href"):
            if attrs.get(name) and not attrs[name].startswith("data:"):
                self.external.append(attrs[name])
        if tag == "img":
            self.images.append(attrs.get("src", ""))
        elif tag == "table":
            self._table = self.tables.setdefault(attrs.get("class"), [])
        elif tag == "tr" and self._table is not None:
            self._row = []
            self._table.append(self._row)
            if attrs.get("class") == "differs":
                self.highlighted.append(self._row)
        elif tag in ("td", "th") and self._row is not None:
            self._row.append("")

    def handle_endtag(self, tag):
        if tag == "table":
            self._table = self._row = None

    def handle_data(self, data):
        if self._row:
            self._row[-1] += data


def test_a_report_of_two_runs(two_runs, tmp_path):
    page = Page(write_report(load_runs(two_runs), tmp_path / "report.html").read_text())
    assert page.external == [] and len(page.images) >= 6
    assert all(src.startswith("data:image/png;base64,") for src in page.images)
    header, *rows = page.tables["metrics"]
    assert header[1:] == [p.name for p in two_runs]
    assert any(row[0].startswith("eval: w1_ratio") for row in rows)
    assert sorted(row[0] for row in page.highlighted) == ["optim.lr_c", "optim.lr_g"]
    assert page.tables["config"][1][0] in ("optim.lr_c", "optim.lr_g")  # differences first


def test_report_and_compare_commands(two_runs, tmp_path):
    result = CliRunner().invoke(main, ["report", *map(str, two_runs), "--out", str(tmp_path / "r.html")])
    assert result.exit_code == 0 and (tmp_path / "r.html").stat().st_size > 0, result.output
    result = CliRunner().invoke(main, ["compare", *map(str, two_runs), "--out", str(tmp_path / "c.png")])
    assert result.exit_code == 0, result.output
    from PIL import Image

    with Image.open(tmp_path / "c.png") as figure:
        assert figure.format == "PNG" and figure.width > figure.height


@pytest.mark.parametrize("args,message", [(["report", "{tmp}", "--out", "{tmp}/r.html"], "not a run folder"),
                                          (["report", "{run}", "--out", "{tmp}/r.pdf"], "expected a .html"),
                                          (["compare", "{run}", "--out", "{tmp}/c.jpg"], "expected a .png"),
                                          (["report", "--out", "{tmp}/r.html"], "one or more run folders")])
def test_bad_input(two_runs, tmp_path, args, message):
    args = [a.format(tmp=tmp_path, run=two_runs[0]) for a in args]
    result = CliRunner().invoke(main, args)
    lines = result.output.strip().splitlines()
    assert result.exit_code == 2 and len(lines) == 1 and message in lines[0], result.output
    assert not list(tmp_path.glob("r.*")) and not list(tmp_path.glob("c.*"))


def test_compare_figure_without_grids_draws_curves(two_runs, tmp_path):
    for run in two_runs:
        for view in (run / "plots").glob("*.png"):
            view.unlink()
    path = write_compare_figure(load_runs(two_runs), tmp_path / "c.png")
    assert path.stat().st_size > 0


# ---- in a real browser -------------------------------------------------------------------------------
def chromium() -> str | None:
    return next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)


# Put first in <head>: records every error (scripts, resources that fail to load, console.error), then at
# load writes what the test checks into the page, where --dump-dom shows it.
PROBE = """<script>
window.__errors = [];
addEventListener("error", e => __errors.push(e.message || ("failed to load " + (e.target.src || e.target.href))), true);
const consoleError = console.error;
console.error = (...args) => { __errors.push(args.join(" ")); consoleError(...args); };
addEventListener("load", () => {
  const images = [...document.images];
  const table = document.querySelector("table.metrics");
  const probe = document.createElement("pre");
  probe.id = "probe";
  probe.textContent = JSON.stringify({
    errors: __errors, images: images.length,
    broken: images.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.alt),
    columns: table ? table.rows[0].cells.length - 1 : -1});
  document.body.appendChild(probe);
});
</script>"""

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--enable-logging=stderr", "--v=0"]


@pytest.mark.skipif(chromium() is None, reason="no chromium here: `make test` installs Debian's chromium where "
                    "it runs as root with apt; elsewhere run `apt-get install chromium` to include this test")
@pytest.mark.slow
def test_the_report_in_headless_chromium(two_runs, tmp_path):
    report = write_report(load_runs(two_runs), tmp_path / "report.html")
    probed = tmp_path / "probed.html"
    probed.write_text(report.read_text().replace("<head>", "<head>" + PROBE, 1))

    def browse(*args):
        profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
        return subprocess.run([chromium(), *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True,
                              text=True, timeout=120, env={**os.environ, "HOME": str(tmp_path)})

    dom = browse("--virtual-time-budget=10000", "--dump-dom", probed.as_uri())
    found = re.search(r'<pre id="probe">(.*?)</pre>', dom.stdout, re.S)
    assert found, dom.stderr[-2000:]
    probe = json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    assert probe["errors"] == [] and probe["broken"] == [] and probe["images"] >= 6
    assert probe["columns"] == 2  # one per run
    console = [line for line in dom.stderr.splitlines() if ":CONSOLE" in line]  # the page itself logs nothing
    assert console == []
    shot = tmp_path / "report.png"
    browse("--window-size=1280,2400", f"--screenshot={shot}", report.as_uri())
    assert shot.stat().st_size > 10_000

"""The report as one self-contained HTML page: images embedded as data URIs, CSS inline,
no script and nothing fetched from a network, so it can be mailed or archived as one file."""

from __future__ import annotations

import base64
import html
import math
import os
import time
from pathlib import Path

from ... import __version__
from ...files import write_text
from .collect import RunSummary, differing_keys
from .figures import curve_keys, curve_png

STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 1200px; color: #222; padding: 0 16px; }
h1 { font-size: 22px; } h2 { font-size: 18px; margin-top: 32px; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: 8px 0; } td, th { padding: 3px 10px; border-bottom: 1px solid #eee;
  text-align: left; vertical-align: top; } th { background: #f6f6f6; } td.num { text-align: right;
  font-variant-numeric: tabular-nums; } tr.differs td, tr.differs th { background: #fff3c4; }
.row { display: flex; flex-wrap: wrap; gap: 12px; } figure { margin: 0; } figcaption { font-size: 12px; color: #555; }
img { max-width: 100%; image-rendering: pixelated; } img.curve { image-rendering: auto; width: 440px; }
.note { color: #555; font-size: 13px; }
"""

# Training numbers of the results table: (record key, label).
FINAL_ROWS = (("step", "generator steps"), ("train_seconds", "training time (s)"),
              ("it_per_s", "generator it/s (last log)"), ("loss_critic", "critic loss (last log)"),
              ("loss_generator", "generator loss (last log)"), ("wasserstein", "Wasserstein estimate (last log)"),
              ("penalty", "penalty (last log)"), ("grad_norm", "critic gradient norm (last log)"))
# Evaluation entries that describe the measurement rather than the result.
NOT_RESULTS = ("step", "kid_std")


def data_uri(data: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _img(data: bytes, alt: str, css: str = "") -> str:
    cls = f' class="{css}"' if css else ""
    return f'<img{cls} alt="{html.escape(alt)}" src="{data_uri(data)}">'


def _figure(path: Path, caption: str) -> str:
    return f"<figure>{_img(path.read_bytes(), caption)}<figcaption>{html.escape(caption)}</figcaption></figure>"


def format_value(value) -> str:
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        return f"{value:.4g}" if abs(value) < 1e6 else f"{value:.3e}"
    if isinstance(value, (list, tuple)):
        return ", ".join(map(format_value, value))
    return str(value)


def _table(css: str, header: list[str], rows: list[tuple[str, list, bool]]) -> str:
    """``rows`` of (label, a value per column, highlighted)."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = []
    for label, values, highlight in rows:
        cells = "".join(
            f'<td class="num">{html.escape(format_value(v))}</td>' if isinstance(v, (int, float)) and
            not isinstance(v, bool) else f"<td>{html.escape(format_value(v))}</td>" for v in values)
        body.append(f'<tr{" class=differs" if highlight else ""}><th>{html.escape(label)}</th>{cells}</tr>')
    return f'<table class="{css}"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def metrics_table(runs: list[RunSummary]) -> str:
    """Final training numbers, the latest evaluation and the best checkpoint: a column per run."""
    rows = [(label, [r.final.get(key, "") for r in runs], False) for key, label in FINAL_ROWS
            if any(key in r.final for r in runs)]
    keys = dict.fromkeys(k for r in runs for k, v in r.results.items()
                         if isinstance(v, (int, float)) and not k.startswith(NOT_RESULTS))
    rows += [(f"eval: {k}", [r.results.get(k, "") for r in runs], False) for k in keys]
    if any(r.best for r in runs):
        rows.append(("best checkpoint", [f"{b['metric']} {format_value(b['value'])} at step {b['step']}"
                                         if (b := r.best) else "" for r in runs], False))
    return _table("metrics", ["", *(r.name for r in runs)], rows)


def config_table(runs: list[RunSummary], differ: list[str]) -> str:
    """The resolved config; for several runs a column each, the settings in ``differ`` first and highlighted."""
    keys = differ + [k for k in dict.fromkeys(k for r in runs for k in r.config) if k not in differ]
    rows = [(k, [r.config.get(k, "(absent)") for r in runs], k in differ) for k in keys]
    return _table("config", ["setting", *(r.name for r in runs)], rows)


def render(runs: list[RunSummary]) -> str:
    names = ", ".join(r.name for r in runs)
    parts = [f"<h1>wgan report: {html.escape(names)}</h1>",
             f'<p class="note">{len(runs)} run(s); written {time.strftime("%Y-%m-%d %H:%M")} by wgan '
             f"{__version__} from the files in each run folder.</p>",
             "<h2>Results</h2>", metrics_table(runs)]
    keys = curve_keys(runs)
    if keys:
        parts += ["<h2>Curves</h2>", '<div class="row">',
                  *(_img(curve_png(runs, k), k, "curve") for k in keys), "</div>"]
    finals = [(r, r.final_samples) for r in runs]
    if any(p for _, p in finals):
        parts += ["<h2>Final samples</h2>", '<div class="row">',
                  *(_figure(p, f"{r.name}, step {r.step}") for r, p in finals if p), "</div>"]
    for run in runs:
        if run.grids or run.views:
            parts.append(f"<h2>{html.escape(run.name)}</h2>")
        if run.grids:
            parts += ['<p class="note">Fixed-noise samples over training.</p>', '<div class="row">',
                      *(_figure(p, f"step {s}") for s, p in run.grids), "</div>"]
        if run.views:
            parts += ['<div class="row">', *(_figure(p, p.stem) for p in run.views), "</div>"]
    differ = differing_keys(runs) if len(runs) > 1 else []
    parts += ["<h2>Config</h2>",
              f'<p class="note">{len(differ)} setting(s) differ between the runs (highlighted, listed first).</p>'
              if len(runs) > 1 else "", config_table(runs, differ),
              '<p class="note">Run folders: ' + ", ".join(html.escape(str(r.path)) for r in runs) + "</p>"]
    body = "\n".join(p for p in parts if p)
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>wgan report: '
            f"{html.escape(names)}</title><style>{STYLE}</style></head>\n<body>\n{body}\n</body></html>\n")


def write_report(runs: list[RunSummary], out: str | os.PathLike) -> Path:
    return write_text(Path(out), render(runs))

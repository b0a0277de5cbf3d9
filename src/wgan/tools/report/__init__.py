"""Showing runs: a self-contained HTML report (``wgan report``) and a compare figure (``wgan compare``).

:mod:`.runs` reads what a run folder holds, :mod:`.figures` draws curves and
the compare figure, :mod:`.page` writes the HTML.
"""

from .collect import RunSummary, load_run, load_runs
from .figures import write_compare_figure
from .page import write_report

__all__ = ["RunSummary", "load_run", "load_runs", "write_compare_figure", "write_report"]

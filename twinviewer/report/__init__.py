"""The twin's report: a PDF of what the .twin file holds, built above explanation.

This layer may simulate, compare scenarios and explain (it sits above ``explain`` and
``interventions``); ``io`` below it only reads and writes files.

>>> from twinviewer.report import write_report  # doctest: +SKIP
"""

from twinviewer.report.pdf import ReportInfo, write_report

__all__ = ["ReportInfo", "write_report"]

"""Errors of the report builder: a kind, format or subject the reports do not know."""

from __future__ import annotations

from zhengai.errors import DataError

__all__ = [
    "MissingReportDependency",
    "UnknownReportFormat",
    "UnknownReportKind",
    "UnknownReportSubject",
]


class UnknownReportKind(DataError):
    """A report kind other than ``self`` (自我诊改报告) or ``annual`` (质量年度报告)."""

    code = "data.unknown_report_kind"


class UnknownReportFormat(DataError):
    """A report format other than md, html, docx, xlsx or json."""

    code = "data.unknown_report_format"


class UnknownReportSubject(DataError):
    """The subject a report is about is not among the report data's subjects."""

    code = "data.unknown_report_subject"


class MissingReportDependency(DataError):
    """An optional library a format needs (python-docx, openpyxl, matplotlib) is not installed."""

    code = "data.missing_report_dependency"

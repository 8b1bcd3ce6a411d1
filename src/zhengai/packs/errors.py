"""Errors raised while locating, loading and validating rule packs.

Every one names the pack file, the line and the field path it is about, e.g.
``rules/student.yaml:14 rules[2].when: unknown indicator '到课律', did you mean '到课率'?``.
"""

from __future__ import annotations

from zhengai.errors import ExpressionError, PackError, Where

__all__ = [
    "BadExpression",
    "BadTemplate",
    "DanglingReference",
    "DuplicateId",
    "DuplicateKey",
    "ExtendsCycle",
    "LevelMismatch",
    "PackNotFound",
    "PackSchemaError",
    "PackSelfTestError",
    "UnknownSeverity",
    "YamlSyntaxError",
]


class PackNotFound(PackError):
    """No folder, built-in pack or installed plugin of that name."""

    code = "pack.not_found"


class YamlSyntaxError(PackError):
    """A pack file that is not valid YAML."""

    code = "pack.yaml_syntax"


class DuplicateKey(PackError):
    """The same key twice in one YAML mapping (YAML would silently keep the last)."""

    code = "pack.duplicate_key"


class PackSchemaError(PackError):
    """A field that is missing, unknown or of the wrong type (from pydantic validation)."""

    code = "pack.schema"


class DuplicateId(PackError):
    """Two rules, indicators, severities or catalog entries with the same id in one pack."""

    code = "pack.duplicate_id"


class ExtendsCycle(PackError):
    """Packs that extend each other in a circle."""

    code = "pack.extends_cycle"


class LevelMismatch(PackError):
    """A rule reads an indicator that its catalog defines only for other levels."""

    code = "pack.level_mismatch"


class UnknownSeverity(PackError):
    """A rule uses a severity the pack does not declare."""

    code = "pack.unknown_severity"


class DanglingReference(PackError):
    """A reference to a rule, indicator or attribute that does not exist (``disable:``…)."""

    code = "pack.dangling_reference"


class BadExpression(PackError):
    """An expression in the pack that does not compile; ``cause`` is the ExpressionError."""

    code = "pack.bad_expression"

    def __init__(self, cause: ExpressionError, *, where: Where) -> None:
        self.cause = cause
        super().__init__(cause.message, where=where, hint=cause.hint)


class BadTemplate(PackError):
    """A message template with an unknown placeholder, a bad format or attribute access."""

    code = "pack.bad_template"


class PackSelfTestError(PackError):
    """A self-test case that cannot run (not one whose expectation fails: that is a result)."""

    code = "pack.self_test"

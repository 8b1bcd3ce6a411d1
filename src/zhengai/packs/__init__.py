"""Rule packs: the YAML format, loading with ``extends:``, validation and self-tests.

>>> pack = load_pack("examples/packs/minimal")      # doctest: +SKIP
>>> print(test(pack))                                # doctest: +SKIP
"""

from zhengai.packs.errors import (
    BadExpression,
    BadTemplate,
    DanglingReference,
    DuplicateId,
    DuplicateKey,
    ExtendsCycle,
    LevelMismatch,
    PackNotFound,
    PackSchemaError,
    PackSelfTestError,
    UnknownSeverity,
    YamlSyntaxError,
)
from zhengai.packs.loader import ENTRY_POINT_GROUP, builtin_packs, load_pack, locate
from zhengai.packs.pack import CompiledRule, CompiledStep, Pack, RuleOrigin, Template
from zhengai.packs.sections import register_section
from zhengai.packs.selftest import CaseResult, SelfTestReport, register_checker, self_test, test

__all__ = [
    "ENTRY_POINT_GROUP",
    "BadExpression",
    "BadTemplate",
    "CaseResult",
    "CompiledRule",
    "CompiledStep",
    "DanglingReference",
    "DuplicateId",
    "DuplicateKey",
    "ExtendsCycle",
    "LevelMismatch",
    "Pack",
    "PackNotFound",
    "PackSchemaError",
    "PackSelfTestError",
    "RuleOrigin",
    "SelfTestReport",
    "Template",
    "UnknownSeverity",
    "YamlSyntaxError",
    "builtin_packs",
    "load_pack",
    "locate",
    "register_checker",
    "register_section",
    "self_test",
    "test",
]

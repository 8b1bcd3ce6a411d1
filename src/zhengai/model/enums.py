"""Enumerations of the domain: levels, systems, tiers, directions, aggregators."""

from __future__ import annotations

from enum import StrEnum

from zhengai.errors import DataError, did_you_mean

__all__ = ["Aggregator", "Direction", "Level", "System", "Tier", "UnknownChoice", "UnknownLevel"]


class UnknownChoice(DataError):
    """A system or tier name that is neither an English id nor a Chinese label."""

    code = "data.unknown_choice"


class UnknownLevel(UnknownChoice):
    """A level name that is neither an English id nor a Chinese label."""

    code = "data.unknown_level"


class _Labelled(StrEnum):
    """A string enum whose members also carry a Chinese label."""

    @property
    def label(self) -> str:
        """The Chinese label of this member."""
        return _LABELS[type(self).__name__][self.value]

    @classmethod
    def parse(cls, text: str) -> _Labelled:
        """Accept the English id (``major``) or the Chinese label (``专业``)."""
        key = text.strip()
        for member in cls:
            if key in (member.value, member.label, member.name.lower()):
                return member
        names = [m.value for m in cls] + [m.label for m in cls]
        error = UnknownLevel if cls.__name__ == "Level" else UnknownChoice
        raise error(f"unknown {cls.__name__.lower()} {text!r}", hint=did_you_mean(key, names))


class Level(_Labelled):
    """The level of a diagnosis subject (横向五层面, plus the tiers that own them)."""

    SCHOOL = "school"
    DEPARTMENT = "department"
    MAJOR_GROUP = "major_group"
    MAJOR = "major"
    COURSE = "course"
    TEACHER = "teacher"
    CLASS = "class"
    STUDENT = "student"

    @classmethod
    def parse(cls, text: str) -> Level:
        """Accept ``major`` or ``专业``; raise :class:`UnknownLevel` otherwise."""
        member = super().parse(text)
        assert isinstance(member, Level)
        return member

    @property
    def rank(self) -> int:
        """Position from the top (school = 0); used to check that goals decompose downward."""
        return _LEVEL_RANK[self]


class System(_Labelled):
    """The five vertical systems (纵向五系统); every department belongs to one."""

    DECISION = "decision"
    QUALITY = "quality"
    RESOURCE = "resource"
    SUPPORT = "support"
    SUPERVISION = "supervision"


class Tier(_Labelled):
    """The three tiers that own and report (三层级)."""

    SCHOOL = "school"
    DEPARTMENT = "department"
    OFFICE = "office"


class Direction(StrEnum):
    """Whether a higher or a lower value of an indicator is better."""

    HIGHER_BETTER = "higher_better"
    LOWER_BETTER = "lower_better"


class Aggregator(StrEnum):
    """How children's values of an indicator combine into the parent's."""

    SUM = "sum"
    MEAN = "mean"
    MIN = "min"
    MAX = "max"


_LABELS: dict[str, dict[str, str]] = {
    "Level": {
        "school": "学校",
        "department": "部门",
        "major_group": "专业群",
        "major": "专业",
        "course": "课程",
        "teacher": "教师",
        "class": "班级",
        "student": "学生",
    },
    "System": {
        "decision": "决策指挥",
        "quality": "质量生成",
        "resource": "资源建设",
        "support": "支持服务",
        "supervision": "监督控制",
    },
    "Tier": {"school": "学校", "department": "部门", "office": "教研室"},
}

# Teachers and courses both sit below a major (a course belongs to a major, a teacher
# to a 教研室 of a college); they share a rank so neither "decomposes" the other.
_LEVEL_RANK: dict[Level, int] = {
    Level.SCHOOL: 0,
    Level.DEPARTMENT: 1,
    Level.MAJOR_GROUP: 2,
    Level.MAJOR: 3,
    Level.COURSE: 4,
    Level.TEACHER: 4,
    Level.CLASS: 4,
    Level.STUDENT: 5,
}

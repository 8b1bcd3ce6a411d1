"""Level, Indicator, IndicatorCatalog, Subject and Observation."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from zhengai.model import (
    Aggregator,
    Direction,
    DuplicateIndicator,
    Indicator,
    IndicatorCatalog,
    Level,
    Observation,
    Period,
    Subject,
    System,
    Tier,
    UnknownChoice,
    UnknownIndicator,
    UnknownLevel,
)


# -- Level ----------------------------------------------------------------------------------
@pytest.mark.parametrize("level", list(Level))
def test_level_parses_its_id_label_and_name(level: Level) -> None:
    assert Level.parse(level.value) is level
    assert Level.parse(f" {level.label} ") is level
    assert Level.parse(level.name.lower()) is level
    assert Level(level.value).label == level.label


def test_level_labels_and_ranks() -> None:
    assert [lv.label for lv in Level] == [
        "学校",
        "部门",
        "专业群",
        "专业",
        "课程",
        "教师",
        "班级",
        "学生",
    ]
    assert Level.SCHOOL.rank < Level.DEPARTMENT.rank < Level.MAJOR.rank < Level.STUDENT.rank
    assert Level.COURSE.rank == Level.TEACHER.rank  # neither decomposes the other
    assert System.parse("质量生成") is System.QUALITY
    assert Tier.parse("教研室") is Tier.OFFICE


def test_unknown_level_suggests() -> None:
    with pytest.raises(UnknownLevel) as info:
        Level.parse("专业们")
    assert info.value.code == "data.unknown_level"
    assert info.value.message == "unknown level '专业们'"
    assert info.value.hint == "did you mean '专业'?"
    with pytest.raises(UnknownLevel) as english:
        Level.parse("studnet")
    assert english.value.hint == "did you mean 'student'?"


# -- Indicator -----------------------------------------------------------------------------
def test_indicator_fields_are_coerced() -> None:
    indicator = Indicator(
        id="attendance_rate",
        name="到课率",
        aliases="出勤率",
        levels="学生",
        valid_range=(0, 1),
        source="7.2",
    )
    assert indicator.aliases == ("出勤率",)
    assert indicator.levels == (Level.STUDENT,)
    assert indicator.direction is Direction.HIGHER_BETTER
    assert indicator.aggregator is Aggregator.MEAN
    assert indicator.is_rate
    assert indicator.names() == ("attendance_rate", "到课率", "出勤率")
    assert Indicator(id="x", name="x", levels=["专业", "course"]).levels == (
        Level.MAJOR,
        Level.COURSE,
    )


@pytest.mark.parametrize("bad_id", ["到课率", "1rate", "a-b", ""])
def test_indicator_id_must_be_an_identifier(bad_id: str) -> None:
    with pytest.raises(ValidationError):
        Indicator(id=bad_id, name="到课率")


@settings(max_examples=100, deadline=None)
@given(
    low=st.one_of(st.none(), st.floats(-100, 100)),
    high=st.one_of(st.none(), st.floats(-100, 100)),
    value=st.floats(-200, 200),
)
def test_in_range_respects_open_bounds(low: float | None, high: float | None, value: float) -> None:
    assume(low is None or high is None or low <= high)
    indicator = Indicator(id="x", name="x", valid_range=(low, high))
    expected = (low is None or value >= low) and (high is None or value <= high)
    assert indicator.in_range(value) is expected
    assert Indicator(id="x", name="x").in_range(value)


def test_inverted_range_is_refused() -> None:
    with pytest.raises(
        ValidationError, match=r"valid_range \(1\.0, 0\.0\) has its bounds inverted"
    ):
        Indicator(id="x", name="x", valid_range=(1, 0))


def test_system_and_tier_have_their_own_error() -> None:
    with pytest.raises(UnknownChoice) as info:
        System.parse("教学系统")
    assert type(info.value) is UnknownChoice
    assert info.value.code == "data.unknown_choice"
    assert str(info.value) == "unknown system '教学系统'"
    assert Tier.parse("教研室") is Tier.OFFICE


def test_is_rate_only_for_zero_to_one() -> None:
    assert Indicator(id="r", name="r", valid_range=(0.0, 1.0)).is_rate
    assert not Indicator(id="p", name="p", valid_range=(0, 100)).is_rate
    assert not Indicator(id="n", name="n").is_rate


# -- IndicatorCatalog ------------------------------------------------------------------------
@pytest.fixture
def catalog() -> IndicatorCatalog:
    return IndicatorCatalog(
        [
            Indicator(id="attendance_rate", name="到课率", aliases=("出勤率",)),
            Indicator(id="satisfaction", name="评教满意度"),
        ]
    )


def test_catalog_is_a_mapping_resolving_every_name(catalog: IndicatorCatalog) -> None:
    assert list(catalog) == ["attendance_rate", "satisfaction"]
    assert len(catalog) == 2
    assert catalog["satisfaction"].name == "评教满意度"
    for name in ("attendance_rate", "到课率", "出勤率"):
        assert catalog.resolve(name).id == "attendance_rate"
        assert catalog.get_by_name(name) is catalog["attendance_rate"]
    assert catalog.get_by_name("nope") is None
    assert sorted(catalog.all_names()) == sorted(
        ["attendance_rate", "到课率", "出勤率", "satisfaction", "评教满意度"]
    )
    assert repr(catalog) == "IndicatorCatalog(2 indicators)"


def test_catalog_unknown_name_suggests(catalog: IndicatorCatalog) -> None:
    with pytest.raises(UnknownIndicator) as info:
        catalog.resolve("评教满意率")
    assert info.value.code == "data.unknown_indicator"
    assert info.value.message == "unknown indicator '评教满意率'"
    assert info.value.hint == "did you mean '评教满意度'?"
    with pytest.raises(UnknownIndicator) as far:
        catalog.resolve("完全不同")
    assert far.value.hint is None


def test_catalog_refuses_ambiguous_names(catalog: IndicatorCatalog) -> None:
    with pytest.raises(DuplicateIndicator, match="duplicate indicator id 'satisfaction'") as info:
        catalog.add(Indicator(id="satisfaction", name="满意度"))
    assert info.value.code == "data.duplicate_indicator"
    with pytest.raises(
        DuplicateIndicator, match="indicator name '到课率' of 'other' already names"
    ):
        catalog.add(Indicator(id="other", name="其他", aliases=("到课率",)))
    assert "other" not in catalog  # a refused indicator leaves nothing behind
    assert catalog.get_by_name("其他") is None


def test_catalog_coerce(catalog: IndicatorCatalog) -> None:
    assert IndicatorCatalog.coerce(catalog) is catalog
    assert len(IndicatorCatalog.coerce(None)) == 0
    assert list(IndicatorCatalog.coerce(catalog.values())) == list(catalog)


# -- Subject and Observation ---------------------------------------------------------------
def test_subject_and_observation() -> None:
    subject = Subject(id="s1", level="学生", attributes={"class": "软件1班"})
    assert subject.level is Level.STUDENT
    assert subject.parent_id is None
    with pytest.raises(UnknownLevel):
        Subject(id="s1", level="学生们")
    with pytest.raises(ValidationError):
        Subject(id="", level="student")
    obs = Observation(
        subject_id="s1",
        indicator="attendance_rate",
        period="2025-2026-1",
        value=None,
        recorded_at=datetime(2025, 10, 1),
    )
    assert obs.period == Period.parse("2025-2026-1")
    assert obs.value is None
    assert obs.model_dump(mode="json")["period"] == "2025-2026-1"
    assert Observation.model_validate_json(obs.model_dump_json()) == obs

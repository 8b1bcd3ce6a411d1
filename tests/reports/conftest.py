"""Report data from the small example college: alerts, goal chain, scores, spirals, actions."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from zhengai.alerts import evaluate
from zhengai.chain import GoalChain, actuals_from_observations
from zhengai.examples import college
from zhengai.model import Action, ActionStatus, Scorecard
from zhengai.packs import load_pack
from zhengai.reports import ReportData
from zhengai.scoring import score
from zhengai.spiral import AuditRecord, Spiral, SubjectState, shipped_loop

#: A course scorecard on the example college's course indicators (four first-level nodes,
#: so the radar has a shape); bands reward the top 15 % and hold the bottom 10 % to account.
COURSE_CARD = {
    "id": "course_quality",
    "name": "课程质量考核",
    "level": "course",
    "missing": "exclude",
    "rank_bands": [{"label": "奖励", "top": 0.15}, {"label": "问责", "bottom": 0.1}],
    "grades": [
        {"label": "优秀", "min": 90},
        {"label": "良好", "min": 80},
        {"label": "合格", "min": 60},
        {"label": "不合格", "min": 0},
    ],
    "indicators": [
        {
            "id": "到课",
            "weight": 0.3,
            "indicator": "到课率",
            "scoring": {"kind": "linear", "floor": 0.8, "target": 0.98},
        },
        {
            "id": "听课",
            "weight": 0.2,
            "indicator": "听课率",
            "scoring": {"kind": "linear", "floor": 0.8, "target": 0.98},
        },
        {
            "id": "评教",
            "weight": 0.25,
            "indicator": "学生评教满意度",
            "scoring": {"kind": "linear", "floor": 0.6, "target": 0.95},
        },
        {
            "id": "合格",
            "weight": 0.25,
            "indicator": "课程合格率",
            "scoring": {"kind": "linear", "floor": 0.7, "target": 0.98},
        },
    ],
}

#: The course whose 到课率 falls two terms running (a planted problem).
COURSE = "K00015"


def build_data() -> ReportData:
    """Everything a run produces, for the small college's last term."""
    c = college(seed=0, size="small")
    pack = load_pack("academic-warning")
    subjects = c.to_subjects()
    term, prior, before = c.periods.terms[-1], c.periods.terms[-2], c.periods.terms[-3]
    first = evaluate(pack, subjects, c.observations, before)
    previous = evaluate(pack, subjects, c.observations, prior, previous=first)
    alerts = evaluate(pack, subjects, c.observations, term, previous=previous)
    chain = GoalChain.from_records(c.goals, c.edges, catalog=c.catalog)
    year = c.periods.years[-1]
    rollup = chain.rollup(actuals_from_observations(chain, c.observations, year))
    findings = chain.check(rollup=rollup)
    card = Scorecard.model_validate(COURSE_CARD)
    courses = c.subjects_at("课程")
    scores = score(card, courses, c.observations, term, catalog=c.catalog)
    spiral = Spiral(shipped_loop("five_step"))
    ids = [s.id for s in courses]
    cycle = ["running", "diagnosed", "improved", "targeted", "standardized"]
    at = datetime(2026, 3, 1, tzinfo=UTC)
    states = spiral.states_of(
        [SubjectState(sid, cycle[i % len(cycle)], None, 1 + i % 2, at) for i, sid in enumerate(ids)]
    )
    history = [
        AuditRecord(COURSE, "loop", 1, trig, src, dst, "质管办", datetime(2025, m, 1, tzinfo=UTC))
        for m, (trig, src, dst) in zip(
            (9, 10, 11),
            [
                ("set_targets", "draft", "targeted"),
                ("set_standards", "targeted", "standardized"),
                ("start", "standardized", "running"),
            ],
            strict=True,
        )
    ]
    actions = [
        Action(
            id="A-1",
            subject_id=COURSE,
            title="到课率整改：实行课前签到与辅导员联动",
            owner="教务处",
            due=date(2026, 6, 30),
            status=ActionStatus.IN_PROGRESS,
            source_alert="attendance",
        ),
        Action(
            id="A-2",
            subject_id="2023000032",
            title="学业红色预警：制定学业帮扶计划",
            owner="学工处",
            due=date(2026, 4, 30),
        ),
    ]
    return ReportData(
        school=c.name,
        period=term,
        pack=pack,
        subjects=subjects,
        observations=c.observations,
        catalog=c.catalog,
        alerts=alerts,
        scores=[scores],
        chain=chain,
        rollup=rollup,
        findings=findings,
        spiral=spiral,
        spiral_states=states,
        spiral_history=history,
        actions=actions,
        history=[first, previous],
    )


@pytest.fixture(scope="session")
def data() -> ReportData:
    """The shared report data (built once: the college takes about a second)."""
    return build_data()

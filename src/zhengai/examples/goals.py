"""The example college's goal chain (目标链) as plain records.

总规划 → the 8 子规划 of 001 §四(二)1 → 二级学院建设规划 and 职能部门年度工作计划 →
专业建设方案 → 课程建设方案 → 教师自我发展规划 (004 规划层级表).  Goals are dicts with the
fields of :class:`zhengai.model.goal.Goal` (``id, title, owner, level, start, end,
indicators[{indicator, target, baseline, weight}], task_class, responsible, status,
progress, own_weight, attributes``); edges are dicts ``parent, child, kind, weight``
with ``kind`` ``decomposes`` (weight = the child's share of the parent) or ``supports``
(左右呼应, no weight).  A parent's ``own_weight`` plus its children's weights is 1.

Targets are consistent down the chain (children's targets reach the parent's under
the indicator's aggregator) except in one planted place: the 社会服务规划's
技术服务到款额 target exceeds the sum of the 二级学院' targets.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from zhengai.examples.names import SCHOOL_NAME, SPECIAL_PLANS
from zhengai.examples.statedata import CollegePeriods, PlantedProblem, StateData
from zhengai.examples.structure import SCHOOL_ID, Structure
from zhengai.model import Level

__all__ = ["GoalRecords", "build_goals"]

GoalRecords = tuple[list[dict[str, Any]], list[dict[str, Any]], PlantedProblem]

#: Targets of the school-wide plans; the seeds' numbers where they give one
#: (规划目标完成度 ≥ 90%, 投诉处理率 100%: 001 附件2 3.1.1, 5.2.1), defaults otherwise.
PLAN_TARGETS: dict[str, float] = {
    "initial_employment_rate": 0.92,
    "enterprise_satisfaction": 0.93,
    "course_pass_rate": 0.93,
    "student_evaluation": 0.85,
    "dual_qualified_ratio": 0.65,
    "plan_completion_rate": 0.9,
    "fitness_pass_rate": 0.9,
    "complaint_handling_rate": 1.0,
}

#: How far the 社会服务规划's 技术服务到款额 target overshoots its colleges' sum (planted).
INCOME_OVERSHOOT = 1.2

# Weights of the 8 子规划 in the 总规划 (before scaling by 1 − own weight): 专业 and 课程
# carry the most, as the seeds put 人才培养 first.
_PLAN_WEIGHTS = (0.2, 0.15, 0.15, 0.1, 0.1, 0.1, 0.1, 0.1)

# Own weight (the share of a goal's own indicators when it has children).
_OWN = {"master": 0.2, "plan": 0.3, "college": 0.3, "major": 0.4, "course": 0.7}

# The 职能部门 that carry a 年度工作计划 under each 子规划 without 二级学院 children,
# with the task class (C = 临时开放性 for the one-off smart-campus project).
_ANNUAL_TASKS: dict[str, tuple[tuple[str, str, tuple[str, ...]], ...]] = {
    "师资队伍建设规划": (("组织人事处", "B", ("plan_completion_rate",)),),
    "校园建设规划": (("基建与资产管理处", "B", ("plan_completion_rate",)),),
    "校园文化建设规划": (("学生工作处", "B", ("plan_completion_rate",)),),
    "智能校园建设规划": (("信息化建设与管理中心", "C", ("plan_completion_rate",)),),
    "质量保证体系建设规划": (
        ("质量管理办公室", "B", ("complaint_handling_rate", "plan_completion_rate")),
        ("教学督导室", "B", ("plan_completion_rate",)),
    ),
}

# 子规划 whose goals the 二级学院建设规划 decompose, with the indicators they share.
_COLLEGE_PARENTS = ("专业建设规划", "课程建设规划", "师资队伍建设规划", "社会服务规划")

# 左右呼应 links between 子规划 (supporter → supported).
_SUPPORTS = (
    ("课程建设规划", "专业建设规划"),
    ("师资队伍建设规划", "专业建设规划"),
    ("智能校园建设规划", "质量保证体系建设规划"),
    ("社会服务规划", "专业建设规划"),
)


def _indicator(
    indicator: str, target: float, baseline: float | None, weight: float = 1.0
) -> dict[str, Any]:
    return {
        "indicator": indicator,
        "target": round(float(target), 4),
        "baseline": None if baseline is None else round(float(baseline), 4),
        "weight": weight,
    }


def _goal(
    ident: str,
    title: str,
    owner: str,
    level: Level,
    span: tuple[str, str],
    indicators: list[dict[str, Any]],
    task_class: str,
    responsible: str,
    plan: str,
    own_weight: float,
) -> dict[str, Any]:
    return {
        "id": ident,
        "title": title,
        "owner": owner,
        "level": level.value,
        "start": span[0],
        "end": span[1],
        "indicators": indicators,
        "task_class": task_class,
        "responsible": responsible,
        "status": "approved",
        "progress": "auto",
        "own_weight": own_weight,
        "attributes": {"plan": plan},
    }


def _edge(parent: str, child: str, weight: float | None) -> dict[str, Any]:
    kind = "decomposes" if weight is not None else "supports"
    return {
        "parent": parent,
        "child": child,
        "kind": kind,
        "weight": None if weight is None else round(float(weight), 6),
    }


def _shares(values: np.ndarray[Any, np.dtype[np.float64]], total: float) -> list[float]:
    """``values`` scaled to sum to ``total``, rounded so that the rounded shares still do."""
    if len(values) == 0:
        return []
    raw = values / values.sum() * total
    rounded = np.round(raw, 6)
    rounded[-1] = round(total - float(rounded[:-1].sum()), 6)
    return [float(x) for x in rounded]


def build_goals(s: Structure, data: StateData, periods: CollegePeriods) -> GoalRecords:
    """The goal and edge records of the example college, and the planted inconsistency."""
    first_year = periods.years[0].year
    last = str(periods.latest_year)
    plan_span = (f"{first_year - 2}-{first_year - 1}", last)
    span = (str(periods.years[0]), last)
    annual = (last, last)
    first, latest = data.first, data.latest
    dept_id = dict(zip(s.functional_names, s.functional_ids, strict=True))
    goals: list[dict[str, Any]] = []
    edges: list[dict[str, Any]] = []

    # 二级学院 targets first: the 社会服务规划 target is planted against their sum.
    college_goal: dict[str, dict[str, Any]] = {}
    income_targets: list[float] = []
    for cid in s.college_ids:
        income_targets.append(round(latest[(cid, "tech_service_income")] * 1.08, 1))
        college_goal[cid] = {
            "initial_employment_rate": max(
                PLAN_TARGETS["initial_employment_rate"],
                _raise(latest.get((cid, "initial_employment_rate")), 0.01),
            ),
            "enterprise_satisfaction": max(
                PLAN_TARGETS["enterprise_satisfaction"],
                _raise(latest.get((cid, "enterprise_satisfaction")), 0.005),
            ),
            "course_pass_rate": PLAN_TARGETS["course_pass_rate"],
            "student_evaluation": 0.86,
            "dual_qualified_ratio": max(
                PLAN_TARGETS["dual_qualified_ratio"],
                _raise(latest.get((cid, "dual_qualified_ratio")), 0.02),
            ),
            "tech_service_income": income_targets[-1],
        }
    colleges_income = round(sum(income_targets), 1)
    plan_income = round(colleges_income * INCOME_OVERSHOOT, 0)

    # 总规划.
    master = "G-SCH"
    goals.append(
        _goal(
            master,
            f"{SCHOOL_NAME}“十四五”事业发展总规划",
            SCHOOL_ID,
            Level.SCHOOL,
            plan_span,
            [
                _indicator(
                    "initial_employment_rate",
                    PLAN_TARGETS["initial_employment_rate"],
                    first.get((SCHOOL_ID, "initial_employment_rate")),
                ),
                _indicator(
                    "dual_qualified_ratio",
                    PLAN_TARGETS["dual_qualified_ratio"],
                    first.get((SCHOOL_ID, "dual_qualified_ratio")),
                ),
                _indicator(
                    "fitness_pass_rate",
                    PLAN_TARGETS["fitness_pass_rate"],
                    first.get((SCHOOL_ID, "fitness_pass_rate")),
                ),
                _indicator(
                    "tech_service_income",
                    plan_income,
                    first.get((SCHOOL_ID, "tech_service_income")),
                ),
                _indicator(
                    "plan_completion_rate",
                    PLAN_TARGETS["plan_completion_rate"],
                    first.get((SCHOOL_ID, "plan_completion_rate")),
                ),
            ],
            "A",
            dept_id["发展规划处"],
            "总规划",
            _OWN["master"],
        )
    )

    # The 8 子规划: owned by the school (their indicators are school-wide), each the
    # responsibility of one 职能部门.
    plan_goal: dict[str, str] = {}
    plan_shares = _shares(np.array(_PLAN_WEIGHTS), 1.0 - _OWN["master"])
    for i, (spec, share) in enumerate(zip(SPECIAL_PLANS, plan_shares, strict=True), start=1):
        gid = f"G-P{i}"
        plan_goal[spec.name] = gid
        indicators = [
            _indicator(
                ind,
                plan_income if ind == "tech_service_income" else PLAN_TARGETS[ind],
                first.get((SCHOOL_ID, ind)),
            )
            for ind in spec.indicators
        ]
        goals.append(
            _goal(
                gid,
                f"{spec.name}（“十四五”）",
                SCHOOL_ID,
                Level.SCHOOL,
                plan_span,
                indicators,
                "A",
                dept_id[spec.owner],
                "专项规划",
                _OWN["plan"],
            )
        )
        edges.append(_edge(master, gid, share))

    # 职能部门年度工作计划 under the 子规划 that 二级学院 do not carry.
    annual_children: dict[str, list[str]] = {}
    for plan_name, tasks in _ANNUAL_TASKS.items():
        for dept_name, task_class, task_indicators in tasks:
            did = dept_id[dept_name]
            gid = f"G-{did}-{periods.latest_year.year}"
            annual_children.setdefault(plan_name, []).append(gid)
            goals.append(
                _goal(
                    gid,
                    f"{last}学年{dept_name}年度工作计划",
                    did,
                    Level.DEPARTMENT,
                    annual,
                    [
                        _indicator(ind, PLAN_TARGETS[ind], first.get((did, ind)))
                        for ind in task_indicators
                    ],
                    task_class,
                    did,
                    "年度工作计划",
                    0.0,
                )
            )

    # Children of each 子规划: the 二级学院建设规划 (for four of them), weighted by each
    # college's share of what the plan measures (students, teachers, income), and the
    # 年度工作计划 (equal shares of what is left).
    students = np.bincount(
        s.major_college,
        weights=data.major_students.astype(np.float64),
        minlength=len(s.college_ids),
    )
    basis_of = {
        "师资队伍建设规划": data.college_teachers.astype(np.float64),
        "社会服务规划": np.array(income_targets),
    }
    free = 1.0 - _OWN["plan"]
    for plan_name, pid in plan_goal.items():
        annual_goals = annual_children.get(plan_name, [])
        college_total = 0.0
        if plan_name in _COLLEGE_PARENTS:
            college_total = free * (0.7 if annual_goals else 1.0)
            basis = basis_of.get(plan_name, students)
            for cid, share in zip(s.college_ids, _shares(basis, college_total), strict=True):
                edges.append(_edge(pid, f"G-{cid}", share))
        annual_shares = _shares(np.ones(len(annual_goals)), free - college_total)
        for gid, share in zip(annual_goals, annual_shares, strict=True):
            edges.append(_edge(pid, gid, share))

    for ci, cid in enumerate(s.college_ids):
        targets = college_goal[cid]
        goals.append(
            _goal(
                f"G-{cid}",
                f"{s.college_names[ci]}建设规划",
                cid,
                Level.DEPARTMENT,
                plan_span,
                [_indicator(ind, t, first.get((cid, ind))) for ind, t in targets.items()],
                "A",
                cid,
                "二级学院规划",
                _OWN["college"],
            )
        )

    # 专业建设方案 under their 二级学院.
    n_courses = len(s.course_ids) // len(s.major_ids)
    for ci, cid in enumerate(s.college_ids):
        majors = np.flatnonzero(s.major_college == ci)
        shares = _shares(data.major_students[majors].astype(np.float64), 1.0 - _OWN["college"])
        for m, share in zip(majors.tolist(), shares, strict=True):
            mid = str(s.major_ids[m])
            ctarget = college_goal[cid]
            goals.append(
                _goal(
                    f"G-{mid}",
                    f"{s.major_names[m]}专业建设方案",
                    mid,
                    Level.MAJOR,
                    span,
                    [
                        _indicator(
                            "initial_employment_rate",
                            min(
                                0.98,
                                max(
                                    ctarget["initial_employment_rate"],
                                    _raise(first.get((mid, "initial_employment_rate")), 0.02),
                                ),
                            ),
                            first.get((mid, "initial_employment_rate")),
                        ),
                        _indicator(
                            "enterprise_satisfaction",
                            ctarget["enterprise_satisfaction"],
                            first.get((mid, "enterprise_satisfaction")),
                        ),
                        _indicator(
                            "course_pass_rate",
                            ctarget["course_pass_rate"],
                            first.get((mid, "course_pass_rate")),
                        ),
                        _indicator(
                            "fitness_pass_rate", 0.88, first.get((mid, "fitness_pass_rate"))
                        ),
                    ],
                    "A" if s.major_leading[m] else "B",
                    cid,
                    "专业建设方案",
                    _OWN["major"],
                )
            )
            edges.append(_edge(f"G-{cid}", f"G-{mid}", share))

    # 课程建设方案 under their major; 教师自我发展规划 under the courses each teacher leads.
    course_shares = _shares(np.ones(n_courses), 1.0 - _OWN["major"])
    for k, kid in enumerate(s.course_ids.tolist()):
        m = int(s.course_major[k])
        mid = str(s.major_ids[m])
        cid = s.college_ids[int(s.major_college[m])]
        goals.append(
            _goal(
                f"G-{kid}",
                f"《{s.course_names[k]}》课程建设方案（{s.major_names[m]}）",
                kid,
                Level.COURSE,
                span,
                [
                    _indicator(
                        "course_pass_rate",
                        college_goal[cid]["course_pass_rate"],
                        first.get((kid, "course_pass_rate")),
                    ),
                    _indicator("attendance_rate", 0.9, first.get((kid, "attendance_rate"))),
                    _indicator(
                        "student_evaluation",
                        PLAN_TARGETS["student_evaluation"],
                        first.get((kid, "student_evaluation")),
                    ),
                ],
                "B",
                cid,
                "课程建设方案",
                _OWN["course"],
            )
        )
        edges.append(_edge(f"G-{mid}", f"G-{kid}", course_shares[k % n_courses]))
        tid = str(s.teacher_ids[int(s.course_teacher[k])])
        edges.append(_edge(f"G-{kid}", f"G-{tid}", 1.0 - _OWN["course"]))
    for t, tid in enumerate(s.teacher_ids.tolist()):
        cid = s.college_ids[int(s.major_college[int(s.teacher_major[t])])]
        baseline = first.get((tid, "student_evaluation"))
        goals.append(
            _goal(
                f"G-{tid}",
                f"{s.teacher_names[t]}教师自我发展规划",
                tid,
                Level.TEACHER,
                span,
                [
                    _indicator(
                        "student_evaluation",
                        max(PLAN_TARGETS["student_evaluation"], _raise(baseline, 0.01)),
                        baseline,
                    )
                ],
                "B",
                cid,
                "教师自我发展规划",
                0.0,
            )
        )

    for supporter, supported in _SUPPORTS:
        edges.append(_edge(plan_goal[supporter], plan_goal[supported], None))

    social = plan_goal["社会服务规划"]
    planted = PlantedProblem(
        kind="targets_not_adding_up",
        description=(
            f"社会服务规划 {social} 的技术服务到款额目标 {plan_income:.0f} 万元，"
            f"但各二级学院建设规划的目标合计只有 {colleges_income:.1f} 万元"
        ),
        subject_ids=(SCHOOL_ID, *s.college_ids),
        indicator="tech_service_income",
        periods=(last,),
        goal_ids=(social, *(f"G-{cid}" for cid in s.college_ids)),
        expected={"parent_target": plan_income, "children_sum": colleges_income},
    )
    return goals, edges, planted


def _raise(value: float | None, step: float) -> float:
    """A target a little above ``value`` (0 when there is no value), rounded to 0.01."""
    if value is None or value != value:
        return 0.0
    return round(min(value + step, 0.99), 2)

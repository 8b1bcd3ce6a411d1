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

__all__ = ["MASTER", "GoalRecords", "build_goals"]

#: What ``build_goals`` returns: goal records, edge records and the planted inconsistency.
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

#: The id of the 总规划 goal.
MASTER = "G-SCH"

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


def _raise(value: float | None, step: float) -> float:
    """A target a little above ``value`` (0 when there is no value), rounded to 0.01."""
    if value is None or value != value:
        return 0.0
    return round(min(value + step, 0.99), 2)


class _ChainBuilder:
    """Builds the chain from the top down; each tier's targets reach its parent's."""

    def __init__(self, s: Structure, data: StateData, periods: CollegePeriods) -> None:
        self.s = s
        self.data = data
        first_year = periods.years[0].year
        self.last_year = periods.latest_year
        last = str(periods.latest_year)
        # The 十四五 plans run from two years before the data; the 方案 span the data.
        self.plan_span = (f"{first_year - 2}-{first_year - 1}", last)
        self.span = (str(periods.years[0]), last)
        self.dept_id = dict(zip(s.functional_names, s.functional_ids, strict=True))
        self.goals: list[dict[str, Any]] = []
        self.edges: list[dict[str, Any]] = []
        self.plan_goal: dict[str, str] = {}
        self.annual_children: dict[str, list[str]] = {}
        self.college_targets: dict[str, dict[str, float]] = {}

    def goal(
        self,
        ident: str,
        title: str,
        owner: str,
        *,
        level: Level,
        span: tuple[str, str],
        indicators: dict[str, float],
        task_class: str,
        responsible: str,
        plan: str,
        own_weight: float = 0.0,
    ) -> None:
        """Add one goal record; baselines are the owner's first-year values."""
        first = self.data.first
        self.goals.append(
            {
                "id": ident,
                "title": title,
                "owner": owner,
                "level": level.value,
                "start": span[0],
                "end": span[1],
                "indicators": [
                    _indicator(ind, target, first.get((owner, ind)))
                    for ind, target in indicators.items()
                ],
                "task_class": task_class,
                "responsible": responsible,
                "status": "approved",
                "progress": "auto",
                "own_weight": own_weight,
                "attributes": {"plan": plan},
            }
        )

    def set_college_targets(self) -> tuple[float, float]:
        """Each 二级学院's targets; returns their 技术服务到款额 sum and the planted plan target."""
        latest = self.data.latest
        for cid in self.s.college_ids:
            self.college_targets[cid] = {
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
                "tech_service_income": round(latest[(cid, "tech_service_income")] * 1.08, 1),
            }
        colleges_income = round(
            sum(t["tech_service_income"] for t in self.college_targets.values()), 1
        )
        return colleges_income, round(colleges_income * INCOME_OVERSHOOT, 0)

    def plans(self, plan_income: float) -> None:
        """总规划 and the 8 子规划: owned by the school (their indicators are school-wide),
        each the responsibility of one 职能部门."""
        targets = {**PLAN_TARGETS, "tech_service_income": plan_income}
        master_indicators = (
            "initial_employment_rate",
            "dual_qualified_ratio",
            "fitness_pass_rate",
            "tech_service_income",
            "plan_completion_rate",
        )
        self.goal(
            MASTER,
            f"{SCHOOL_NAME}“十四五”事业发展总规划",
            SCHOOL_ID,
            level=Level.SCHOOL,
            span=self.plan_span,
            indicators={ind: targets[ind] for ind in master_indicators},
            task_class="A",
            responsible=self.dept_id["发展规划处"],
            plan="总规划",
            own_weight=_OWN["master"],
        )
        shares = _shares(np.array(_PLAN_WEIGHTS), 1.0 - _OWN["master"])
        for i, (spec, share) in enumerate(zip(SPECIAL_PLANS, shares, strict=True), start=1):
            gid = f"G-P{i}"
            self.plan_goal[spec.name] = gid
            self.goal(
                gid,
                f"{spec.name}（“十四五”）",
                SCHOOL_ID,
                level=Level.SCHOOL,
                span=self.plan_span,
                indicators={ind: targets[ind] for ind in spec.indicators},
                task_class="A",
                responsible=self.dept_id[spec.owner],
                plan="专项规划",
                own_weight=_OWN["plan"],
            )
            self.edges.append(_edge(MASTER, gid, share))
        for supporter, supported in _SUPPORTS:
            self.edges.append(_edge(self.plan_goal[supporter], self.plan_goal[supported], None))

    def annual_plans(self) -> None:
        """职能部门年度工作计划 under the 子规划 that 二级学院 do not carry."""
        last = str(self.last_year)
        for plan_name, tasks in _ANNUAL_TASKS.items():
            for dept_name, task_class, indicators in tasks:
                did = self.dept_id[dept_name]
                gid = f"G-{did}-{self.last_year.year}"
                self.annual_children.setdefault(plan_name, []).append(gid)
                self.goal(
                    gid,
                    f"{last}学年{dept_name}年度工作计划",
                    did,
                    level=Level.DEPARTMENT,
                    span=(last, last),
                    indicators={ind: PLAN_TARGETS[ind] for ind in indicators},
                    task_class=task_class,
                    responsible=did,
                    plan="年度工作计划",
                )

    def colleges(self) -> None:
        """二级学院建设规划, each decomposing four 子规划.

        A college's weight in a 子规划 is its share of what the plan measures (students,
        teachers, income); 年度工作计划 of the same 子规划 share what is left equally.
        """
        s = self.s
        for ci, cid in enumerate(s.college_ids):
            self.goal(
                f"G-{cid}",
                f"{s.college_names[ci]}建设规划",
                cid,
                level=Level.DEPARTMENT,
                span=self.plan_span,
                indicators=self.college_targets[cid],
                task_class="A",
                responsible=cid,
                plan="二级学院规划",
                own_weight=_OWN["college"],
            )
        students = np.bincount(
            s.major_college,
            weights=self.data.major_students.astype(np.float64),
            minlength=len(s.college_ids),
        )
        basis_of = {
            "师资队伍建设规划": self.data.college_teachers.astype(np.float64),
            "社会服务规划": np.array(
                [self.college_targets[c]["tech_service_income"] for c in s.college_ids]
            ),
        }
        free = 1.0 - _OWN["plan"]
        for plan_name, pid in self.plan_goal.items():
            annual = self.annual_children.get(plan_name, [])
            college_total = 0.0
            if plan_name in _COLLEGE_PARENTS:
                college_total = free * (0.7 if annual else 1.0)
                basis = basis_of.get(plan_name, students)
                for cid, share in zip(s.college_ids, _shares(basis, college_total), strict=True):
                    self.edges.append(_edge(pid, f"G-{cid}", share))
            for gid, share in zip(
                annual, _shares(np.ones(len(annual)), free - college_total), strict=True
            ):
                self.edges.append(_edge(pid, gid, share))

    def majors(self) -> None:
        """专业建设方案 under their 二级学院, weighted by headcount."""
        s, first = self.s, self.data.first
        for ci, cid in enumerate(s.college_ids):
            college = self.college_targets[cid]
            majors = np.flatnonzero(s.major_college == ci)
            students = self.data.major_students[majors].astype(np.float64)
            for m, share in zip(
                majors.tolist(), _shares(students, 1.0 - _OWN["college"]), strict=True
            ):
                mid = str(s.major_ids[m])
                employment = max(
                    college["initial_employment_rate"],
                    _raise(first.get((mid, "initial_employment_rate")), 0.02),
                )
                self.goal(
                    f"G-{mid}",
                    f"{s.major_names[m]}专业建设方案",
                    mid,
                    level=Level.MAJOR,
                    span=self.span,
                    indicators={
                        "initial_employment_rate": min(0.98, employment),
                        "enterprise_satisfaction": college["enterprise_satisfaction"],
                        "course_pass_rate": college["course_pass_rate"],
                        "fitness_pass_rate": 0.88,
                    },
                    task_class="A" if s.major_leading[m] else "B",
                    responsible=cid,
                    plan="专业建设方案",
                    own_weight=_OWN["major"],
                )
                self.edges.append(_edge(f"G-{cid}", f"G-{mid}", share))

    def courses_and_teachers(self) -> None:
        """课程建设方案 under their major; 教师自我发展规划 under the courses a teacher leads."""
        s, first = self.s, self.data.first
        per_major = len(s.course_ids) // len(s.major_ids)
        shares = _shares(np.ones(per_major), 1.0 - _OWN["major"])
        for k, kid in enumerate(s.course_ids.tolist()):
            m = int(s.course_major[k])
            mid = str(s.major_ids[m])
            cid = s.college_ids[int(s.major_college[m])]
            self.goal(
                f"G-{kid}",
                f"《{s.course_names[k]}》课程建设方案（{s.major_names[m]}）",
                kid,
                level=Level.COURSE,
                span=self.span,
                indicators={
                    "course_pass_rate": self.college_targets[cid]["course_pass_rate"],
                    "attendance_rate": 0.9,
                    "student_evaluation": PLAN_TARGETS["student_evaluation"],
                },
                task_class="B",
                responsible=cid,
                plan="课程建设方案",
                own_weight=_OWN["course"],
            )
            self.edges.append(_edge(f"G-{mid}", f"G-{kid}", shares[k % per_major]))
            tid = str(s.teacher_ids[int(s.course_teacher[k])])
            self.edges.append(_edge(f"G-{kid}", f"G-{tid}", 1.0 - _OWN["course"]))
        for t, tid in enumerate(s.teacher_ids.tolist()):
            baseline = first.get((tid, "student_evaluation"))
            self.goal(
                f"G-{tid}",
                f"{s.teacher_names[t]}教师自我发展规划",
                tid,
                level=Level.TEACHER,
                span=self.span,
                indicators={
                    "student_evaluation": max(
                        PLAN_TARGETS["student_evaluation"], _raise(baseline, 0.01)
                    )
                },
                task_class="B",
                responsible=s.college_ids[int(s.major_college[int(s.teacher_major[t])])],
                plan="教师自我发展规划",
            )


def build_goals(s: Structure, data: StateData, periods: CollegePeriods) -> GoalRecords:
    """The goal and edge records of the example college, and the planted inconsistency."""
    builder = _ChainBuilder(s, data, periods)
    colleges_income, plan_income = builder.set_college_targets()
    builder.plans(plan_income)
    builder.annual_plans()
    builder.colleges()
    builder.majors()
    builder.courses_and_teachers()
    social = builder.plan_goal["社会服务规划"]
    planted = PlantedProblem(
        kind="targets_not_adding_up",
        description=(
            f"社会服务规划 {social} 的技术服务到款额目标 {plan_income:.0f} 万元，"
            f"但各二级学院建设规划的目标合计只有 {colleges_income:.1f} 万元"
        ),
        subject_ids=(SCHOOL_ID, *s.college_ids),
        indicator="tech_service_income",
        periods=(str(periods.latest_year),),
        goal_ids=(social, *(f"G-{cid}" for cid in s.college_ids)),
        expected={"parent_target": plan_income, "children_sum": colleges_income},
    )
    return builder.goals, builder.edges, planted

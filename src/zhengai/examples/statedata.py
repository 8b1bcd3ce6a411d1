"""Three academic years of state data (状态数据) for the example college, with planted problems.

Distributions are chosen to look like a 高职 college's data platform:

* a student's engagement is a persistent latent score; each term it drives 到课率
  (up), 不及格门数 (down, Poisson), 平均学分绩点 (up), so attendance and failed credits
  correlate negatively;
* a teacher's 学生评教满意度 is a persistent level per teacher plus term noise;
* majors' 初次就业率 sit around 0.9 and drift slightly upward;
* aggregates (class, major, 二级学院, school) are computed from their members with the
  indicator's aggregator: 到课率 and the majors' rates weighted by headcount, 课程合格率 the
  mean over courses, 技术服务到款额 summed, 投诉处理率 the minimum.

About 3% of the member-level values are reported missing (NaN), never zero; a student's
values go missing a record at a time (a term's 考勤, or a term's grades), the way a
failed upload loses them.  The planted problems overwrite a few series after the draw
and are protected from the missing-value mask, so they are always present; each is
recorded as a :class:`PlantedProblem`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from zhengai.data import Observations
from zhengai.examples.structure import SCHOOL_ID, Structure
from zhengai.model import Period, PeriodKind

__all__ = [
    "MISSING_SHARE",
    "WARNING_LADDER",
    "CollegePeriods",
    "PlantedProblem",
    "StateData",
    "generate_state_data",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
ObjectArray = npt.NDArray[np.object_]

#: How many academic years the example covers (a 高职 programme's length).
YEARS = 3

#: Share of member-level values (student, course, teacher, major, department) reported
#: missing.
MISSING_SHARE = 0.03

#: The 学业预警 ladder the planted students are built against: a combination of the
#: practice in domain.md §5.2 (蓝 = 累计 1–2 门, 山东信息职院; 黄/橙/红 by term failed
#: courses 1/2/3, cumulative failed courses ≥3/≥5/≥8, term earned credits <15/<12/<10 and
#: GPA <2.0 for 红, 南京信息工程大学; cumulative failed credits 5/10/15, 郑州航院).  Each
#: level is an OR of its predicates; a school's pack may differ, and the planted
#: students sit well inside their band on every predicate so the usual ladders agree.
WARNING_LADDER: dict[str, dict[str, float]] = {
    "blue": {"cum_failed_courses_min": 1},
    "yellow": {
        "failed_courses_min": 1,
        "cum_failed_courses_min": 3,
        "cum_failed_credits_min": 5,
        "earned_credits_below": 15,
    },
    "orange": {
        "failed_courses_min": 2,
        "cum_failed_courses_min": 5,
        "cum_failed_credits_min": 10,
        "earned_credits_below": 12,
    },
    "red": {
        "failed_courses_min": 3,
        "cum_failed_courses_min": 8,
        "cum_failed_credits_min": 15,
        "earned_credits_below": 10,
        "gpa_below": 2.0,
    },
}

_WARNING_LABELS = {"blue": "蓝", "yellow": "黄", "orange": "橙", "red": "红"}

# Per-term series of the planted students over their six terms (cohort 2023):
# failed courses, failed credits, earned credits, GPA, attendance.  The last term is the
# one the ladder is read at; the earlier terms make the cumulative values.
_PLANTED_STUDENTS: dict[str, tuple[tuple[float, ...], ...]] = {
    "blue": (
        (0, 1, 0, 0, 0, 0),
        (0, 3, 0, 0, 0, 0),
        (25, 22, 26, 25, 24, 20),
        (3.05, 2.6, 2.85, 2.9, 2.8, 2.85),
        (0.96, 0.93, 0.95, 0.95, 0.94, 0.93),
    ),
    "yellow": (
        (0, 1, 0, 1, 0, 1),
        (0, 2, 0, 2, 0, 3),
        (25, 23, 26, 23, 25, 18),
        (2.8, 2.5, 2.7, 2.45, 2.6, 2.4),
        (0.94, 0.92, 0.93, 0.9, 0.91, 0.89),
    ),
    "orange": (
        (0, 1, 1, 0, 1, 2),
        (0, 2, 2, 0, 2, 6),
        (25, 23, 24, 26, 23, 16),
        (2.6, 2.4, 2.35, 2.5, 2.3, 2.15),
        (0.93, 0.9, 0.88, 0.9, 0.86, 0.84),
    ),
    "red": (
        (1, 1, 1, 0, 2, 3),
        (2, 2, 2, 0, 4, 7),
        (23, 23, 22, 25, 19, 8),
        (2.3, 2.2, 2.1, 2.3, 1.9, 1.6),
        (0.9, 0.87, 0.85, 0.86, 0.8, 0.74),
    ),
}


@dataclass(frozen=True, slots=True)
class CollegePeriods:
    """The generated periods: six terms and the three academic years holding them."""

    terms: tuple[Period, ...]
    years: tuple[Period, ...]

    @classmethod
    def starting(cls, first_year: int) -> CollegePeriods:
        """Three academic years from ``first_year`` (2023 → 2023-2024 … 2025-2026), six terms."""
        ys = tuple(Period(PeriodKind.YEAR, first_year + i) for i in range(YEARS))
        ts = tuple(Period(PeriodKind.TERM, y.year, term=t) for y in ys for t in (1, 2))
        return cls(terms=ts, years=ys)

    @property
    def latest_term(self) -> Period:
        """The last generated term."""
        return self.terms[-1]

    @property
    def latest_year(self) -> Period:
        """The last generated academic year."""
        return self.years[-1]

    def all(self) -> list[Period]:
        """Every generated period, in period order (a year precedes its terms)."""
        return sorted((*self.years, *self.terms))


@dataclass(frozen=True, slots=True)
class PlantedProblem:
    """A problem deliberately put into the example data, for tests and the demo to find.

    ``kind`` names the problem (``attendance_falling``, ``academic_warning_red``…);
    ``subject_ids`` and ``goal_ids`` say where it is, ``indicator`` and ``periods`` when;
    ``expected`` holds the values that make it a problem; ``description`` says it in
    Chinese.
    """

    kind: str
    description: str
    subject_ids: tuple[str, ...] = ()
    indicator: str | None = None
    periods: tuple[str, ...] = ()
    goal_ids: tuple[str, ...] = ()
    expected: dict[str, object] = field(default_factory=dict)


@dataclass(slots=True)
class StateData:
    """The generated observations, the planted problems and a few facts the goals reuse."""

    observations: Observations
    planted: list[PlantedProblem]
    #: Latest-year values the goal chain bases its targets on, by (subject id, indicator).
    latest: dict[tuple[str, str], float]
    #: First-year values (the goals' baselines), by (subject id, indicator).
    first: dict[tuple[str, str], float]
    #: Students per major (position) and teachers per college (position).
    major_students: IntArray
    college_teachers: IntArray


def _r(values: npt.ArrayLike, decimals: int) -> FloatArray:
    """``values`` as float64, rounded (values are stored as a data platform exports them)."""
    out: FloatArray = np.asarray(values, dtype=np.float64).round(decimals)
    return out


def _clip(values: npt.ArrayLike, low: float, high: float) -> FloatArray:
    out: FloatArray = np.clip(np.asarray(values, dtype=np.float64), low, high)
    return out


def _sigmoid(x: FloatArray) -> FloatArray:
    out: FloatArray = 1.0 / (1.0 + np.exp(-x))
    return out


def _grid(ids: ObjectArray, labels: ObjectArray) -> tuple[ObjectArray, ObjectArray]:
    """Every (subject, period) pair in subject-major order: the id and period columns."""
    n, p = len(ids), len(labels)
    return np.repeat(ids, p), labels[np.tile(np.arange(p), n)]


def _group_mean(groups: IntArray, values: FloatArray, n_groups: int) -> FloatArray:
    """Column means of ``values`` (members × periods) per group of members."""
    sums = np.zeros((n_groups, values.shape[1]))
    np.add.at(sums, groups, values)
    return _r(sums / np.bincount(groups, minlength=n_groups)[:, None], 4)


def _weighted(
    groups: IntArray, values: FloatArray, weights: FloatArray, n_groups: int
) -> FloatArray:
    """Weighted column means of ``values`` (members × periods) per group of members."""
    sums = np.zeros((n_groups, values.shape[1]))
    np.add.at(sums, groups, values * weights[:, None])
    return _r(sums / np.bincount(groups, weights=weights, minlength=n_groups)[:, None], 4)


class _Generator:
    """Draws one college's state data population by population, in a fixed order."""

    def __init__(self, rng: np.random.Generator, s: Structure, periods: CollegePeriods) -> None:
        self.rng = rng
        self.s = s
        self.terms = np.array([str(t) for t in periods.terms], dtype=object)
        self.years = np.array([str(y) for y in periods.years], dtype=object)
        self.first_year = periods.years[0].year
        self.parts: list[tuple[ObjectArray, str, ObjectArray, FloatArray]] = []
        self.planted: list[PlantedProblem] = []
        self.latest: dict[tuple[str, str], float] = {}
        self.first: dict[tuple[str, str], float] = {}
        self.colleges = np.array(s.college_ids, dtype=object)
        self.school = np.array([SCHOOL_ID], dtype=object)

    # -- output -------------------------------------------------------------------------
    def add(
        self,
        subject_ids: ObjectArray,
        indicator: str,
        periods: ObjectArray,
        values: FloatArray,
        *,
        missing: float = 0.0,
        protect: BoolArray | None = None,
    ) -> None:
        """Append one indicator's rows; a ``missing`` share of unprotected values become NaN."""
        values = self.lose(np.asarray(values, dtype=np.float64).ravel(), missing, protect)
        self.parts.append((subject_ids, indicator, periods, values))

    def lose(self, values: FloatArray, missing: float, protect: BoolArray | None) -> FloatArray:
        """A copy of ``values`` with a ``missing`` share of the unprotected ones set to NaN."""
        out = values.copy()
        if missing > 0:
            drop = self.rng.random(out.shape) < missing
            if protect is not None:
                drop &= ~protect.reshape(out.shape)
            out[drop] = np.nan
        return out

    def observations(self) -> Observations:
        """Every row added so far, in order, as :class:`~zhengai.data.Observations`."""
        return Observations(
            np.concatenate([part[0] for part in self.parts]),
            np.concatenate([np.full(len(part[3]), part[1], dtype=object) for part in self.parts]),
            np.concatenate([part[2] for part in self.parts]),
            np.concatenate([part[3] for part in self.parts]),
        )

    def add_matrix(
        self,
        ids: ObjectArray,
        labels: ObjectArray,
        indicator: str,
        matrix: FloatArray,
        *,
        missing: float = 0.0,
        protect: BoolArray | None = None,
    ) -> None:
        """Append a subjects × periods matrix of one indicator."""
        subject_ids, periods = _grid(ids, labels)
        self.add(subject_ids, indicator, periods, matrix, missing=missing, protect=protect)

    def add_terms_and_years(
        self,
        ids: ObjectArray,
        indicator: str,
        terms: FloatArray,
        *,
        missing: float = 0.0,
        protect: BoolArray | None = None,
    ) -> None:
        """Append a subjects × terms matrix and its academic-year figures.

        A year's figure is the mean of its two terms as reported, so a year whose term
        is missing is missing too.  The year figures are what the goals (whose spans are
        academic years) are measured by, and the goals' baselines and targets read them.
        """
        observed = self.lose(terms, missing, protect)
        self.add_matrix(ids, self.terms, indicator, observed)
        years = _r((observed[:, 0::2] + observed[:, 1::2]) / 2, 4)
        self.add_matrix(ids, self.years, indicator, years)
        self.remember(
            [str(i) for i in ids], indicator, _r((terms[:, 0::2] + terms[:, 1::2]) / 2, 4)
        )

    def remember(self, ids: list[str], indicator: str, matrix: FloatArray) -> None:
        """Keep first- and last-period values for the goal chain's baselines and targets."""
        for i, ident in enumerate(ids):
            self.first[(ident, indicator)] = float(matrix[i, 0])
            self.latest[(ident, indicator)] = float(matrix[i, -1])

    # -- students ---------------------------------------------------------------------------
    def students(self) -> None:
        """Per term 到课率, 不及格门数/学分 (term, cumulative), 获得学分, GPA; groups' 到课率."""
        rng, s = self.rng, self.s
        n_terms, n_students = len(self.terms), len(s.student_ids)
        # A cohort enters in term 1 of its first year and stays to the last generated term.
        start_term = 2 * (s.student_cohort - self.first_year)
        terms_in_school = n_terms - start_term
        stu = np.repeat(np.arange(n_students), terms_in_school)
        first_row = np.cumsum(terms_in_school) - terms_in_school
        term = start_term[stu] + np.arange(len(stu)) - first_row[stu]
        semester = term - start_term[stu]  # 0 = the student's first term
        n = len(stu)
        engagement = rng.standard_normal(n_students)
        # Ability is separate from engagement: a diligent student may still score low.
        ability = rng.standard_normal(n_students)[stu]
        engaged = 0.85 * engagement[stu] + 0.527 * rng.standard_normal(n)
        major_effect = rng.normal(0.0, 0.15, size=len(s.major_ids))[s.student_major[stu]]
        attendance = _r(
            _sigmoid(3.1 + 0.75 * engaged + major_effect + 0.2 * rng.standard_normal(n)), 4
        )
        failed_int = np.minimum(rng.poisson(np.exp(-2.9 - 0.7 * engaged - 0.5 * ability)), 8)
        failed = failed_int.astype(np.float64)
        failed_credits = (
            2 * failed + rng.binomial(failed_int, 0.5) + rng.binomial(failed_int, 0.2)
        ).astype(np.float64)
        # The sixth term is mostly 岗位实习, with fewer credits.
        enrolled = np.rint(np.where(semester == 5, rng.normal(20, 1.5, n), rng.normal(25, 1.5, n)))
        earned = np.maximum(enrolled - failed_credits, 0.0)
        gpa = _r(
            _clip(
                2.95 + 0.22 * engaged + 0.3 * ability + -0.12 * failed + rng.normal(0, 0.12, n),
                0.0,
                4.0,
            ),
            2,
        )

        protect = np.zeros(n, dtype=bool)
        senior = np.flatnonzero(s.student_cohort == self.first_year)
        picked = _pick_spread(rng, senior, s.student_major, len(_PLANTED_STUDENTS))
        for student, series in zip(picked, _PLANTED_STUDENTS.values(), strict=True):
            at = first_row[student] + np.arange(n_terms)
            for column, planted in zip(
                (failed, failed_credits, earned, gpa, attendance), series, strict=True
            ):
                column[at] = planted
            protect[at] = True
        cum_failed = _segment_cumsum(failed, first_row, stu)
        cum_failed_credits = _segment_cumsum(failed_credits, first_row, stu)

        for level, student in zip(_PLANTED_STUDENTS, picked, strict=True):
            last = first_row[student] + n_terms - 1
            columns = {
                "failed_courses": failed,
                "failed_credits": failed_credits,
                "cum_failed_courses": cum_failed,
                "cum_failed_credits": cum_failed_credits,
                "earned_credits": earned,
                "gpa": gpa,
            }
            self.planted.append(
                PlantedProblem(
                    kind=f"academic_warning_{level}",
                    description=(
                        f"学生 {s.student_ids[student]} 在 {self.terms[-1]} 达到学业预警"
                        f"{_WARNING_LABELS[level]}色等级"
                    ),
                    subject_ids=(str(s.student_ids[student]),),
                    indicator="cum_failed_courses",
                    periods=(str(self.terms[-1]),),
                    expected={
                        "level": level,
                        "label": _WARNING_LABELS[level],
                        **{k: float(v[last]) for k, v in columns.items()},
                    },
                )
            )

        # Values go missing a record at a time, as an upload from one system fails: a
        # student-term's 考勤 from the attendance system, its grades from the 教务 system.
        ids, periods = s.student_ids[stu], self.terms[term]
        no_attendance = (rng.random(n) < MISSING_SHARE) & ~protect
        no_grades = (rng.random(n) < MISSING_SHARE) & ~protect
        for indicator, column, lost in (
            ("attendance_rate", attendance, no_attendance),
            ("failed_courses", failed, no_grades),
            ("failed_credits", failed_credits, no_grades),
            ("cum_failed_courses", cum_failed, no_grades),
            ("cum_failed_credits", cum_failed_credits, no_grades),
            ("earned_credits", earned, no_grades),
            ("gpa", gpa, no_grades),
        ):
            self.add(ids, indicator, periods, np.where(lost, np.nan, column))

        # Class, major, college and school 到课率 from their students, before any value
        # went missing: the platform computes them from the full 考勤 records.
        for group_ids, group, n_groups in (
            (s.class_ids, s.student_class[stu], len(s.class_ids)),
            (s.major_ids, s.student_major[stu], len(s.major_ids)),
            (self.colleges, s.student_college[stu], len(self.colleges)),
            (self.school, np.zeros(n, dtype=np.int64), 1),
        ):
            key = group * n_terms + term
            total = np.bincount(key, weights=attendance, minlength=n_groups * n_terms)
            count = np.bincount(key, minlength=n_groups * n_terms)
            have = np.flatnonzero(count > 0)
            self.add(
                group_ids[have // n_terms],
                "attendance_rate",
                self.terms[have % n_terms],
                _r(total[have] / count[have], 4),
            )

    # -- teachers ---------------------------------------------------------------------------
    def teachers(self) -> tuple[FloatArray, int]:
        """学生评教满意度 per term and year: a persistent level per teacher plus noise; one low."""
        rng, s = self.rng, self.s
        n_teachers, n_terms = len(s.teacher_ids), len(self.terms)
        level = _clip(rng.normal(0.905, 0.03, n_teachers), 0.78, 0.98)
        drift = 0.003 * np.arange(n_terms)
        noise = rng.normal(0, 0.012, (n_teachers, n_terms))
        evaluation = _r(_clip(level[:, None] + drift[None, :] + noise, 0.5, 0.995), 4)
        low = int(rng.integers(0, n_teachers))
        evaluation[low] = [0.74, 0.73, 0.72, 0.71, 0.69, 0.67]
        protect = np.zeros((n_teachers, n_terms), dtype=bool)
        protect[low] = True
        self.add_terms_and_years(
            s.teacher_ids, "student_evaluation", evaluation, missing=MISSING_SHARE, protect=protect
        )
        # 二级学院 and the school: the mean over their teachers.
        teacher_college = s.major_college[s.teacher_major]
        colleges = _group_mean(teacher_college, evaluation, len(self.colleges))
        school = _group_mean(np.zeros(n_teachers, dtype=np.int64), evaluation, 1)
        self.add_terms_and_years(self.colleges, "student_evaluation", colleges)
        self.add_terms_and_years(self.school, "student_evaluation", school)
        self.planted.append(
            PlantedProblem(
                kind="low_evaluation",
                description=(
                    f"教师 {s.teacher_ids[low]}（{s.teacher_names[low]}）学生评教满意度连续下降，"
                    f"{self.terms[-1]} 为 {evaluation[low, -1]:.2f}，低于 70%，位于全校后 10%"
                ),
                subject_ids=(str(s.teacher_ids[low]),),
                indicator="student_evaluation",
                periods=tuple(str(t) for t in self.terms),
                expected={
                    "values": evaluation[low].tolist(),
                    "bottom_10_percent_cut": float(np.quantile(evaluation[:, -1], 0.1)),
                    "threshold": 0.7,
                },
            )
        )
        return evaluation, low

    def research(self) -> None:
        """教学改革论文数 per teacher and year, summed for 二级学院 and the school.

        Senior 职称 publish more, and output grows year on year as 001 附件2 3.2 asks
        (逐年增加).
        """
        rng, s = self.rng, self.s
        n_years = len(self.years)
        growth = np.array([1.0, 1.1, 1.2])[None, :n_years]
        rate = np.array([0.2, 0.5, 0.9, 1.3])[s.teacher_title][:, None] * growth
        papers = rng.poisson(rate).astype(np.float64)
        self.add_matrix(s.teacher_ids, self.years, "reform_papers", papers, missing=MISSING_SHARE)
        colleges = np.zeros((len(self.colleges), n_years))
        np.add.at(colleges, s.major_college[s.teacher_major], papers)
        self.add_matrix(self.colleges, self.years, "reform_papers", colleges)
        self.add_matrix(
            self.school, self.years, "reform_papers", colleges.sum(axis=0, keepdims=True)
        )

    # -- courses ----------------------------------------------------------------------------
    def courses(self, evaluation: FloatArray, low_teacher: int) -> None:
        """到课率, 听课率, 课程合格率, 学生评教满意度 per term and year; groups' 课程合格率."""
        rng, s = self.rng, self.s
        n_courses, n_terms = len(s.course_ids), len(self.terms)
        shape = (n_courses, n_terms)
        course_college = s.major_college[s.course_major]
        college_effect = rng.normal(0.0, 0.005, len(s.college_ids))[course_college]
        level = rng.normal(0.947, 0.011, n_courses) + college_effect
        attendance = _r(_clip(level[:, None] + rng.normal(0, 0.006, shape), 0.8, 0.995), 4)
        listening = _r(_clip(attendance - 0.012 + rng.normal(0, 0.008, shape), 0.75, 0.99), 4)
        pass_level = _clip(rng.normal(0.94, 0.02, n_courses), 0.85, 0.99)
        passed = _r(_clip(pass_level[:, None] + rng.normal(0, 0.01, shape), 0.75, 1.0), 4)
        rated = _r(_clip(evaluation[s.course_teacher] + rng.normal(0, 0.008, shape), 0, 1), 4)

        # Planted: neither 岗位实习 (the last course of each major) nor the low teacher's.
        per_major = n_courses // len(s.major_ids)
        candidates = np.flatnonzero(
            (np.arange(n_courses) % per_major != per_major - 1) & (s.course_teacher != low_teacher)
        )
        falling, gap = (int(c) for c in rng.choice(candidates, size=2, replace=False))
        attendance[falling] = [0.951, 0.946, 0.94, 0.932, 0.884, 0.853]
        protect = np.zeros(shape, dtype=bool)
        protect[[falling, gap]] = True
        self.planted.append(
            PlantedProblem(
                kind="attendance_falling",
                description=(
                    f"课程 {s.course_ids[falling]}（{s.course_names[falling]}）到课率连续两个学期"
                    f"下降且低于 90%：{attendance[falling, -2]:.3f}、{attendance[falling, -1]:.3f}"
                ),
                subject_ids=(str(s.course_ids[falling]),),
                indicator="attendance_rate",
                periods=(str(self.terms[-2]), str(self.terms[-1])),
                expected={"values": attendance[falling].tolist(), "threshold": 0.9},
            )
        )
        self.planted.append(
            PlantedProblem(
                kind="data_gap",
                description=(
                    f"课程 {s.course_ids[gap]}（{s.course_names[gap]}）{self.terms[-1]} "
                    "的到课率缺失（数据缺失，不是 0）"
                ),
                subject_ids=(str(s.course_ids[gap]),),
                indicator="attendance_rate",
                periods=(str(self.terms[-1]),),
                expected={"value": None},
            )
        )
        reported = attendance.copy()
        reported[gap, -1] = np.nan
        for indicator, matrix in (
            ("attendance_rate", reported),
            ("listening_rate", listening),
            ("course_pass_rate", passed),
            ("student_evaluation", rated),
        ):
            self.add_terms_and_years(
                s.course_ids, indicator, matrix, missing=MISSING_SHARE, protect=protect
            )
        # 课程合格率 of majors, colleges and the school: the mean over their courses.
        for group_ids, group, n_groups in (
            (s.major_ids, s.course_major, len(s.major_ids)),
            (self.colleges, course_college, len(self.colleges)),
            (self.school, np.zeros(n_courses, dtype=np.int64), 1),
        ):
            self.add_terms_and_years(
                group_ids, "course_pass_rate", _group_mean(group, passed, n_groups)
            )

    # -- majors, 二级学院 and the school ------------------------------------------------------
    def majors(self) -> None:
        """Per year 就业率, 毕业率, 企业满意度, 体质健康合格率 (by headcount) and 诊断次数."""
        rng, s = self.rng, self.s
        n_majors, n_years = len(s.major_ids), len(self.years)

        def yearly(
            mean: float, spread: float, trend: float, noise: float, low: float
        ) -> FloatArray:
            # A persistent level per major, a small yearly trend and noise.
            level = rng.normal(mean, spread, n_majors)
            drift = trend * np.arange(n_years)
            values = level[:, None] + drift[None, :] + rng.normal(0, noise, (n_majors, n_years))
            return _r(_clip(values, low, 0.995), 4)

        matrices = {
            "initial_employment_rate": yearly(0.915, 0.018, 0.005, 0.006, 0.8),
            "relevant_employment_rate": yearly(0.74, 0.05, 0.005, 0.01, 0.4),
            "graduation_rate": yearly(0.965, 0.01, 0.0, 0.005, 0.85),
            "enterprise_satisfaction": yearly(0.93, 0.015, 0.003, 0.008, 0.8),
            "fitness_pass_rate": yearly(0.915, 0.012, 0.002, 0.006, 0.86),
        }
        falling, unfit = _pick_spread(rng, np.arange(n_majors), s.major_college, 2)
        matrices["initial_employment_rate"][falling] = [0.93, 0.89, 0.85]
        matrices["fitness_pass_rate"][unfit] = [0.9, 0.87, 0.82]
        protect = np.zeros((n_majors, n_years), dtype=bool)
        protect[[falling, unfit]] = True
        self.planted.append(
            PlantedProblem(
                kind="employment_falling",
                description=(
                    f"专业 {s.major_ids[falling]}（{s.major_names[falling]}）初次就业率"
                    "连续三年下降：0.93、0.89、0.85"
                ),
                subject_ids=(str(s.major_ids[falling]),),
                indicator="initial_employment_rate",
                periods=tuple(str(y) for y in self.years),
                expected={"values": [0.93, 0.89, 0.85]},
            )
        )
        self.planted.append(
            PlantedProblem(
                kind="fitness_below_standard",
                description=(
                    f"专业 {s.major_ids[unfit]}（{s.major_names[unfit]}）{self.years[-1]} "
                    "体质健康合格率 0.82，低于 85%"
                ),
                subject_ids=(str(s.major_ids[unfit]),),
                indicator="fitness_pass_rate",
                periods=(str(self.years[-1]),),
                expected={"value": 0.82, "threshold": 0.85},
            )
        )
        headcount = np.bincount(s.student_major, minlength=n_majors).astype(np.float64)
        everyone = np.zeros(n_majors, dtype=np.int64)
        for indicator, matrix in matrices.items():
            self.add_matrix(
                s.major_ids, self.years, indicator, matrix, missing=MISSING_SHARE, protect=protect
            )
            self.remember(s.major_ids.tolist(), indicator, matrix)
            # Rates of 二级学院 and the school are headcount-weighted, as a platform computes
            # them from student records.
            colleges = _weighted(s.major_college, matrix, headcount, len(self.colleges))
            school = _weighted(everyone, matrix, headcount, 1)
            self.add_matrix(self.colleges, self.years, indicator, colleges, missing=MISSING_SHARE)
            self.add_matrix(self.school, self.years, indicator, school)
            self.remember(s.college_ids, indicator, colleges)
            self.remember([SCHOOL_ID], indicator, school)
        # 专业考核性诊断次数 (003 §五(二)2(2): once a year): every major holds its yearly
        # diagnosis, one in ten twice.  Drawn from a child generator, so that adding the
        # indicator left every other figure of a seed as it was.
        own = np.random.default_rng(self.rng.bit_generator.seed_seq.spawn(1)[0])  # type: ignore[attr-defined]
        diagnoses = np.where(own.random((n_majors, n_years)) < 0.1, 2.0, 1.0)
        self.add_matrix(s.major_ids, self.years, "major_diagnoses", diagnoses)

    def staff(self) -> None:
        """Per year 双师素质教师比例, 生师比 and 技术服务到款额 of 二级学院 and the school."""
        rng, s = self.rng, self.s
        n_colleges, n_years = len(self.colleges), len(self.years)
        teacher_college = s.major_college[s.teacher_major]
        year_first = np.array([self.first_year + i for i in range(n_years)])
        dual = (s.teacher_dual_since[:, None] <= year_first[None, :]).astype(np.float64)
        teachers = np.bincount(teacher_college, minlength=n_colleges).astype(np.float64)
        students = np.bincount(s.student_college, minlength=n_colleges).astype(np.float64)
        # Headcounts grew with intake; staff grew a little more slowly.
        student_growth = np.array([0.94, 0.97, 1.0])
        staff_growth = np.array([0.96, 0.98, 1.0])
        majors = np.bincount(s.major_college, minlength=n_colleges)
        income = _r(
            rng.lognormal(np.log(12.0 * majors), 0.4)[:, None]
            * np.array([1.0, 1.1, 1.22])[None, :]
            * rng.lognormal(0.0, 0.08, (n_colleges, n_years)),
            1,
        )
        college = {
            "dual_qualified_ratio": _group_mean(teacher_college, dual, n_colleges),
            "student_teacher_ratio": _r(
                students[:, None] * student_growth / (teachers[:, None] * staff_growth), 2
            ),
            "tech_service_income": income,
        }
        school = {
            "dual_qualified_ratio": _r(dual.mean(axis=0, keepdims=True), 4),
            "student_teacher_ratio": _r(
                (students.sum() * student_growth) / (teachers.sum() * staff_growth), 2
            )[None, :],
            "tech_service_income": _r(income.sum(axis=0, keepdims=True), 1),
        }
        for indicator, matrix in college.items():
            self.add_matrix(self.colleges, self.years, indicator, matrix, missing=MISSING_SHARE)
            self.remember(s.college_ids, indicator, matrix)
        for indicator, matrix in school.items():
            self.add_matrix(self.school, self.years, indicator, matrix)
            self.remember([SCHOOL_ID], indicator, matrix)

    def departments(self) -> None:
        """Per year 规划目标完成度 and 投诉处理率 of every department and the school."""
        rng, s = self.rng, self.s
        n_functional, n_years = len(s.functional_ids), len(self.years)
        n = n_functional + len(self.colleges)
        completion = _r(_clip(rng.normal(0.955, 0.02, (n, n_years)), 0.9, 1.0), 3)
        complaints = np.ones((n, n_years))
        # Earlier years saw a few complaints handled late (resolved since); the latest
        # year is clean except for the planted 二级学院.
        late = rng.random((n, n_years)) < 0.15
        late[:, -1] = False
        complaints[late] = _r(rng.uniform(0.95, 0.99, int(late.sum())), 3)
        hr = s.functional_names.index("组织人事处")
        completion[hr, -1] = 0.84
        unhandled = int(rng.integers(0, len(self.colleges)))
        complaints[n_functional + unhandled, -1] = 0.92
        protect = np.zeros((n, n_years), dtype=bool)
        protect[[hr, n_functional + unhandled], -1] = True
        ids = np.concatenate([np.array(s.functional_ids, dtype=object), self.colleges])
        self.add_matrix(
            ids,
            self.years,
            "plan_completion_rate",
            completion,
            missing=MISSING_SHARE,
            protect=protect,
        )
        self.add_matrix(ids, self.years, "complaint_handling_rate", complaints)
        school = {
            "plan_completion_rate": _r(completion.mean(axis=0, keepdims=True), 3),
            # Every unit must handle every complaint: the school's rate is the lowest.
            "complaint_handling_rate": complaints.min(axis=0, keepdims=True),
        }
        for indicator, matrix in school.items():
            self.add_matrix(self.school, self.years, indicator, matrix)
            self.remember([SCHOOL_ID], indicator, matrix)
        self.remember(ids.tolist(), "plan_completion_rate", completion)
        self.remember(ids.tolist(), "complaint_handling_rate", complaints)
        cid = s.college_ids[unhandled]
        self.planted.append(
            PlantedProblem(
                kind="plan_completion_low",
                description=(
                    f"职能部门 {s.functional_ids[hr]}（组织人事处）{self.years[-1]} "
                    "规划目标完成度 0.84，低于 90%"
                ),
                subject_ids=(s.functional_ids[hr],),
                indicator="plan_completion_rate",
                periods=(str(self.years[-1]),),
                expected={"value": 0.84, "threshold": 0.9},
            )
        )
        self.planted.append(
            PlantedProblem(
                kind="complaints_unhandled",
                description=(
                    f"二级学院 {cid}（{s.college_names[unhandled]}）{self.years[-1]} "
                    "投诉处理率 0.92，未达 100%；学校的投诉处理率因此也是 0.92"
                ),
                subject_ids=(cid, SCHOOL_ID),
                indicator="complaint_handling_rate",
                periods=(str(self.years[-1]),),
                expected={"value": 0.92, "threshold": 1.0},
            )
        )


def generate_state_data(
    rng: np.random.Generator, s: Structure, periods: CollegePeriods
) -> StateData:
    """Draw every observation of the example college and plant the problems."""
    gen = _Generator(rng, s, periods)
    gen.students()
    evaluation, low_teacher = gen.teachers()
    gen.research()
    gen.courses(evaluation, low_teacher)
    gen.majors()
    gen.staff()
    gen.departments()
    return StateData(
        observations=gen.observations(),
        planted=gen.planted,
        latest=gen.latest,
        first=gen.first,
        major_students=np.bincount(s.student_major, minlength=len(s.major_ids)).astype(np.int64),
        college_teachers=np.bincount(
            s.major_college[s.teacher_major], minlength=len(s.college_ids)
        ).astype(np.int64),
    )


def _segment_cumsum(values: FloatArray, first_row: IntArray, owner: IntArray) -> FloatArray:
    """Running totals of ``values`` that restart at each owner's first row."""
    total = np.cumsum(values)
    before = np.where(first_row > 0, total[np.maximum(first_row - 1, 0)], 0.0)
    out: FloatArray = total - before[owner]
    return out


def _pick_spread(
    rng: np.random.Generator, candidates: IntArray, group: IntArray, k: int
) -> list[int]:
    """``k`` of ``candidates`` at random, from distinct groups while there are enough groups."""
    groups = len(np.unique(group[candidates]))
    picked: list[int] = []
    used: set[int] = set()
    for c in rng.permutation(candidates).tolist():
        if int(group[c]) not in used or len(used) >= groups:
            picked.append(int(c))
            used.add(int(group[c]))
        if len(picked) == k:
            break
    return picked

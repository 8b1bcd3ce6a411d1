"""The organisation of the example college: who exists and who belongs to whom.

Parents make the tiers of DESIGN.md §4: student → class → major → 专业群 → 二级学院 →
school; course → major; teacher → 教研室 → 二级学院; 职能部门 → school.  Everything a
population has (students, teachers, courses) is drawn as numpy arrays first; the
:class:`~zhengai.model.Subject` objects are made from them at the end.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from zhengai.examples.names import (
    COLLEGES,
    FUNCTIONAL_DEPARTMENTS,
    GIVEN_NAME_CHARS,
    SCHOOL_NAME,
    SURNAMES,
)
from zhengai.model import AttributeValue, Level, Subject, System, Tier

__all__ = ["SCHOOL_ID", "TITLES", "SizeSpec", "Structure", "build_structure"]

IntArray = npt.NDArray[np.int64]
ObjectArray = npt.NDArray[np.object_]

#: The subject id of the school.
SCHOOL_ID = "SCH"

#: Students per class at most (行政班).
CLASS_SIZE = 48

# Share of women by 二级学院, in COLLEGES order: nursing is mostly women, machinery
# mostly men; the numbers are the usual proportions of such colleges, not data.
_FEMALE_SHARE = (0.12, 0.3, 0.25, 0.62, 0.1, 0.85, 0.6, 0.7, 0.2, 0.45, 0.4, 0.45)

#: 职称 of full-time teachers, junior first.
TITLES = ("助教", "讲师", "副教授", "教授")
_TITLE_SHARE = (0.15, 0.45, 0.3, 0.1)


@dataclass(frozen=True, slots=True)
class SizeSpec:
    """How big a college to generate."""

    majors_per_college: tuple[int, ...]
    students: int
    courses_per_major: int
    student_teacher_ratio: float


@dataclass(slots=True)
class Structure:
    """The subjects plus the arrays the state-data generator needs.

    Index arrays map each member of a population to its major, college, teacher…
    (positions, not ids); ``*_ids`` hold the subject ids in the same order.
    """

    subjects: list[Subject]
    functional_ids: list[str]
    functional_names: list[str]
    college_ids: list[str]
    college_names: list[str]
    major_ids: ObjectArray
    major_names: list[str]
    major_college: IntArray
    major_leading: npt.NDArray[np.bool_]
    course_ids: ObjectArray
    course_names: list[str]
    course_major: IntArray
    course_teacher: IntArray
    teacher_ids: ObjectArray
    teacher_names: ObjectArray
    teacher_major: IntArray
    teacher_dual_since: IntArray
    #: 职称 as positions in ``TITLES`` (助教 0 … 教授 3).
    teacher_title: IntArray
    class_ids: ObjectArray
    class_major: IntArray
    student_ids: ObjectArray
    student_class: IntArray
    student_major: IntArray
    student_cohort: IntArray

    @property
    def student_college(self) -> IntArray:
        """The college (position) of each student."""
        return self.major_college[self.student_major]


def _people_names(rng: np.random.Generator, n: int) -> ObjectArray:
    """``n`` Chinese personal names: a surname and one or two given-name characters."""
    surnames = np.array(list(SURNAMES), dtype=object)
    chars = np.array(list(GIVEN_NAME_CHARS), dtype=object)
    # Surnames are far from uniform; a Zipf-like weight keeps 王/李/张 the most common.
    weights = 1.0 / (np.arange(len(surnames)) + 4.0)
    surname = surnames[rng.choice(len(surnames), size=n, p=weights / weights.sum())]
    first = chars[rng.integers(0, len(chars), size=n)]
    second = chars[rng.integers(0, len(chars), size=n)]
    two = rng.random(n) < 0.7
    names: ObjectArray = surname + first + np.where(two, second, "")
    return names


def _ids(prefix: str, count: int, width: int, start: int = 1) -> ObjectArray:
    """``count`` ids ``prefix`` + zero-padded sequence numbers, as an object array."""
    numbers = np.char.zfill(np.arange(start, start + count).astype(str), width)
    ids: ObjectArray = np.char.add(prefix, numbers).astype(object)
    return ids


class _Builder:
    """Draws the organisation population by population; ``subjects`` grows parents first."""

    def __init__(self, rng: np.random.Generator, size: SizeSpec, first_year: int) -> None:
        self.rng = rng
        self.size = size
        self.first_year = first_year
        self.cohorts = (first_year, first_year + 1, first_year + 2)
        self.subjects: list[Subject] = []

    def _add(
        self,
        ident: str,
        level: Level,
        name: str,
        parent: str | None,
        attributes: dict[str, AttributeValue],
    ) -> None:
        # The generator's subjects are valid by construction; skipping validation keeps
        # 30k students cheap.
        self.subjects.append(
            Subject.model_construct(
                id=ident, level=level, name=name, parent_id=parent, attributes=attributes
            )
        )

    def organisation(self) -> None:
        """The school, 职能部门, 二级学院, 专业群, majors and one 教研室 per major."""
        self._add(SCHOOL_ID, Level.SCHOOL, SCHOOL_NAME, None, {"tier": Tier.SCHOOL.value})
        self.functional_ids = [f"D{i:02d}" for i in range(1, len(FUNCTIONAL_DEPARTMENTS) + 1)]
        self.functional_names = [name for name, _ in FUNCTIONAL_DEPARTMENTS]
        for ident, (name, system) in zip(self.functional_ids, FUNCTIONAL_DEPARTMENTS, strict=True):
            self.subjects.append(_department(ident, name, SCHOOL_ID, system, "职能部门"))

        colleges = COLLEGES[: len(self.size.majors_per_college)]
        self.college_ids = [f"C{i:02d}" for i in range(1, len(colleges) + 1)]
        self.college_names = [c.name for c in colleges]
        self.major_names: list[str] = []
        college_of: list[int] = []
        group_of: list[str] = []
        leading: list[bool] = []
        for ci, (spec, count) in enumerate(
            zip(colleges, self.size.majors_per_college, strict=True)
        ):
            cid = self.college_ids[ci]
            self.subjects.append(_department(cid, spec.name, SCHOOL_ID, System.QUALITY, "二级学院"))
            remaining = count
            for gi, group in enumerate(spec.groups, start=1):
                take = group.majors[:remaining]
                if not take:
                    break
                remaining -= len(take)
                gid = f"{cid}G{gi}"
                self._add(gid, Level.MAJOR_GROUP, group.name, cid, {"department": cid})
                self.major_names += take
                college_of += [ci] * len(take)
                group_of += [gid] * len(take)
                leading += [mi == 0 for mi in range(len(take))]

        n_majors = len(self.major_names)
        self.major_ids = _ids("M", n_majors, 3)
        self.office_ids = _ids("R", n_majors, 3)
        self.major_college = np.array(college_of, dtype=np.int64)
        self.major_leading = np.array(leading, dtype=bool)
        for m, (mid, office) in enumerate(
            zip(self.major_ids.tolist(), self.office_ids.tolist(), strict=True)
        ):
            cid = self.college_ids[college_of[m]]
            attributes: dict[str, AttributeValue] = {
                "department": cid,
                "major_group": group_of[m],
                "leading": leading[m],
            }
            self._add(mid, Level.MAJOR, self.major_names[m], group_of[m], attributes)
            self.subjects.append(
                _department(
                    office,
                    f"{self.major_names[m]}教研室",
                    cid,
                    System.QUALITY,
                    "教研室",
                    {"major": mid},
                )
            )

    def enrolment(self) -> IntArray:
        """Students per major (rows) and cohort (columns)."""
        # Majors differ in popularity (lognormal weights); intake grows a little year on
        # year, as it has in most 高职 colleges.
        popularity = self.rng.lognormal(0.0, 0.35, size=len(self.major_ids))
        intake = np.array([0.96, 1.0, 1.04])
        per_cohort = self.size.students / len(self.cohorts) * popularity / popularity.sum()
        counts: IntArray = np.maximum(8, np.rint(per_cohort[:, None] * intake[None, :])).astype(
            np.int64
        )
        return counts

    def teachers(self, counts: IntArray) -> IntArray:
        """Teachers of each major's 教研室 (gender, 职称, 双师); returns how many per major."""
        rng, last_year = self.rng, self.cohorts[-1]
        # Teachers per major follow its students; at most one per course so that every
        # teacher teaches at least one course.
        per_major: IntArray = np.clip(
            np.rint(counts.sum(axis=1) / self.size.student_teacher_ratio),
            2,
            self.size.courses_per_major,
        ).astype(np.int64)
        n = int(per_major.sum())
        self.teacher_major = np.repeat(np.arange(len(self.major_ids)), per_major)
        self.teacher_ids = _ids("T", n, 5)
        self.teacher_names = _people_names(rng, n)
        female = rng.random(n) < 0.55
        self.teacher_title = rng.choice(len(TITLES), size=n, p=_TITLE_SHARE).astype(np.int64)
        hire_year = last_year - np.minimum(rng.geometric(0.08, size=n), 35)
        # The year each teacher became 双师素质 (9999 = not yet): the share rises each year.
        draw = rng.random(n)
        self.teacher_dual_since = np.select(
            [draw < 0.52, draw < 0.58, draw < 0.64],
            [self.first_year - 3, self.first_year + 1, self.first_year + 2],
            9999,
        ).astype(np.int64)
        for t, tid in enumerate(self.teacher_ids.tolist()):
            m = int(self.teacher_major[t])
            office = str(self.office_ids[m])
            self._add(
                tid,
                Level.TEACHER,
                str(self.teacher_names[t]),
                office,
                {
                    "department": self.college_ids[int(self.major_college[m])],
                    "office": office,
                    "major": str(self.major_ids[m]),
                    "gender": "女" if female[t] else "男",
                    "title": TITLES[int(self.teacher_title[t])],
                    "dual_qualified": bool(self.teacher_dual_since[t] <= last_year),
                    "hire_year": int(hire_year[t]),
                },
            )
        return per_major

    def courses(self, teachers_per_major: IntArray) -> None:
        """Each major's courses with their main teacher, credits and type."""
        names, major, teacher, credits, kinds = _courses(
            self.rng,
            self.size.courses_per_major,
            self.major_names,
            self.major_college,
            teachers_per_major,
        )
        self.course_names, self.course_major, self.course_teacher = names, major, teacher
        self.course_ids = _ids("K", len(names), 5)
        for k, kid in enumerate(self.course_ids.tolist()):
            m = int(major[k])
            self._add(
                kid,
                Level.COURSE,
                names[k],
                str(self.major_ids[m]),
                {
                    "department": self.college_ids[int(self.major_college[m])],
                    "major": str(self.major_ids[m]),
                    "teacher": str(self.teacher_ids[teacher[k]]),
                    "credits": int(credits[k]),
                    "course_type": kinds[k],
                },
            )

    def classes(self, counts: IntArray) -> IntArray:
        """行政班 of at most CLASS_SIZE students per major and cohort; returns class sizes."""
        n_majors, n_cohorts = counts.shape
        per = np.ceil(counts / CLASS_SIZE).astype(np.int64)
        self.class_major = np.repeat(np.arange(n_majors), per.sum(axis=1))
        cohort_index = np.repeat(np.tile(np.arange(n_cohorts), n_majors), per.ravel())
        seq = np.concatenate([np.arange(1, k + 1) for k in per.ravel()])
        self.class_cohort = np.array(self.cohorts, dtype=np.int64)[cohort_index]
        self.class_ids = np.char.add(
            np.char.add(self.major_ids[self.class_major].astype(str), "-"),
            np.char.add(np.char.add(self.class_cohort.astype(str), "-"), seq.astype(str)),
        ).astype(object)
        # Split each (major, cohort) evenly over its classes: the first classes take the
        # remainder, one student each.
        group = np.repeat(np.arange(per.size), per.ravel())
        k, n = per.ravel()[group], counts.ravel()[group]
        sizes: IntArray = n // k + (seq - 1 < n % k)
        for i, cid in enumerate(self.class_ids.tolist()):
            m, cohort = int(self.class_major[i]), int(self.class_cohort[i])
            self._add(
                cid,
                Level.CLASS,
                f"{self.major_names[m]}{cohort % 100:02d}{int(seq[i]):02d}班",
                str(self.major_ids[m]),
                {
                    "department": self.college_ids[int(self.major_college[m])],
                    "major": str(self.major_ids[m]),
                    "cohort": cohort,
                    "grade": f"{cohort}级",
                },
            )
        return sizes

    def students(self, class_sizes: IntArray) -> None:
        """Students with 学号, name, gender and their class, major, college and cohort."""
        self.student_class = np.repeat(np.arange(len(self.class_ids)), class_sizes)
        self.student_major = self.class_major[self.student_class]
        self.student_cohort = self.class_cohort[self.student_class]
        n = len(self.student_class)
        # 学号: cohort year + a six-digit sequence number within the cohort.
        seq = np.zeros(n, dtype=np.int64)
        for cohort in self.cohorts:
            mask = self.student_cohort == cohort
            seq[mask] = np.arange(1, int(mask.sum()) + 1)
        self.student_ids = np.char.add(
            self.student_cohort.astype(str), np.char.zfill(seq.astype(str), 6)
        ).astype(object)
        college = self.major_college[self.student_major]
        names = _people_names(self.rng, n)
        female = self.rng.random(n) < np.array(_FEMALE_SHARE)[college]
        self.subjects.extend(
            Subject.model_construct(
                id=sid,
                level=Level.STUDENT,
                name=name,
                parent_id=cls,
                attributes={
                    "department": self.college_ids[ci],
                    "major": major,
                    "class": cls,
                    "cohort": cohort,
                    "grade": f"{cohort}级",
                    "gender": "女" if is_female else "男",
                },
            )
            for sid, name, cls, ci, major, cohort, is_female in zip(
                self.student_ids.tolist(),
                names.tolist(),
                self.class_ids[self.student_class].tolist(),
                college.tolist(),
                self.major_ids[self.student_major].tolist(),
                self.student_cohort.tolist(),
                female.tolist(),
                strict=True,
            )
        )

    def structure(self) -> Structure:
        """Everything drawn, as a :class:`Structure`."""
        return Structure(
            subjects=self.subjects,
            functional_ids=self.functional_ids,
            functional_names=self.functional_names,
            college_ids=self.college_ids,
            college_names=self.college_names,
            major_ids=self.major_ids,
            major_names=self.major_names,
            major_college=self.major_college,
            major_leading=self.major_leading,
            course_ids=self.course_ids,
            course_names=self.course_names,
            course_major=self.course_major,
            course_teacher=self.course_teacher,
            teacher_ids=self.teacher_ids,
            teacher_names=self.teacher_names,
            teacher_major=self.teacher_major,
            teacher_dual_since=self.teacher_dual_since,
            teacher_title=self.teacher_title,
            class_ids=self.class_ids,
            class_major=self.class_major,
            student_ids=self.student_ids,
            student_class=self.student_class,
            student_major=self.student_major,
            student_cohort=self.student_cohort,
        )


def build_structure(rng: np.random.Generator, size: SizeSpec, first_year: int) -> Structure:
    """Draw the school, its departments, majors, courses, teachers, classes and students.

    The students are the three cohorts (入学年级) ``first_year`` … ``first_year + 2``: a
    高职 programme lasts three years, so they are exactly the students of the last
    generated academic year.
    """
    builder = _Builder(rng, size, first_year)
    builder.organisation()
    counts = builder.enrolment()
    teachers_per_major = builder.teachers(counts)
    builder.courses(teachers_per_major)
    builder.students(builder.classes(counts))
    return builder.structure()


def _department(
    ident: str,
    name: str,
    parent: str,
    system: System,
    kind: str,
    extra: dict[str, AttributeValue] | None = None,
) -> Subject:
    """A department subject: 职能部门 and 二级学院 under the school, 教研室 under a college."""
    tier = Tier.OFFICE if kind == "教研室" else Tier.DEPARTMENT
    attributes: dict[str, AttributeValue] = {
        "system": system.value,
        "tier": tier.value,
        "kind": kind,
        **(extra or {}),
    }
    if tier is Tier.OFFICE:
        attributes["department"] = parent
    return Subject.model_construct(
        id=ident, level=Level.DEPARTMENT, name=name, parent_id=parent, attributes=attributes
    )


def _courses(
    rng: np.random.Generator,
    per_major: int,
    major_names: list[str],
    major_college: IntArray,
    teachers_per_major: IntArray,
) -> tuple[list[str], IntArray, IntArray, IntArray, list[str]]:
    """Each major's courses, with a main teacher from its 教研室, credits and type."""
    names: list[str] = []
    types: list[str] = []
    credits: list[int] = []
    teacher: list[int] = []
    first_teacher = np.concatenate([[0], np.cumsum(teachers_per_major)[:-1]])
    for m, major in enumerate(major_names):
        pool = COLLEGES[int(major_college[m])].courses
        drawn = rng.choice(len(pool), size=per_major - 3, replace=False)
        core = [pool[i] for i in drawn.tolist()]
        split = max(1, len(core) * 2 // 5)
        names += [f"{major}导论", *core, f"{major}综合实训", "岗位实习"]
        types += ["专业基础课"] + ["专业基础课"] * split + ["专业核心课"] * (len(core) - split)
        types += ["实践课", "实践课"]
        credits += [2, *rng.integers(2, 5, size=len(core)).tolist(), 4, 6]
        # Round-robin over a shuffled 教研室, so teaching load is spread and every
        # teacher of the major has at least one course.
        staff = first_teacher[m] + rng.permutation(int(teachers_per_major[m]))
        teacher += [int(staff[j % len(staff)]) for j in range(per_major)]
    course_major = np.repeat(np.arange(len(major_names)), per_major).astype(np.int64)
    return (
        names,
        course_major,
        np.array(teacher, dtype=np.int64),
        np.array(credits, dtype=np.int64),
        types,
    )

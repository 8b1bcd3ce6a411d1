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

__all__ = ["SCHOOL_ID", "SizeSpec", "Structure", "build_structure"]

IntArray = npt.NDArray[np.int64]
ObjectArray = npt.NDArray[np.object_]

#: The subject id of the school.
SCHOOL_ID = "SCH"

#: Students per class at most (行政班).
CLASS_SIZE = 48

# Share of women by 二级学院, in COLLEGES order: nursing is mostly women, machinery
# mostly men; the numbers are the usual proportions of such colleges, not data.
_FEMALE_SHARE = (0.12, 0.3, 0.25, 0.62, 0.1, 0.85, 0.6, 0.7, 0.2, 0.45, 0.4, 0.45)

# 职称 of full-time teachers: 助教, 讲师, 副教授, 教授.
_TITLES = ("助教", "讲师", "副教授", "教授")
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


def build_structure(rng: np.random.Generator, size: SizeSpec, first_year: int) -> Structure:
    """Draw the school, its departments, majors, courses, teachers, classes and students.

    The students are the three cohorts (入学年级) ``first_year`` … ``first_year + 2``: a
    高职 programme lasts three years, so they are exactly the students of the last
    generated academic year.
    """
    cohorts = (first_year, first_year + 1, first_year + 2)
    last_year = cohorts[-1]
    subjects: list[Subject] = [
        Subject.model_construct(
            id=SCHOOL_ID,
            level=Level.SCHOOL,
            name=SCHOOL_NAME,
            parent_id=None,
            attributes={"tier": Tier.SCHOOL.value},
        )
    ]
    functional_ids: list[str] = []
    functional_names: list[str] = []
    for i, (name, system) in enumerate(FUNCTIONAL_DEPARTMENTS, start=1):
        ident = f"D{i:02d}"
        functional_ids.append(ident)
        functional_names.append(name)
        subjects.append(
            _department(ident, name, SCHOOL_ID, system, "职能部门", Tier.DEPARTMENT, {})
        )

    colleges = COLLEGES[: len(size.majors_per_college)]
    college_ids = [f"C{i:02d}" for i in range(1, len(colleges) + 1)]
    college_names = [c.name for c in colleges]
    major_names: list[str] = []
    major_college: list[int] = []
    major_group: list[str] = []
    major_leading: list[bool] = []
    for ci, (spec, count) in enumerate(zip(colleges, size.majors_per_college, strict=True)):
        cid = college_ids[ci]
        subjects.append(
            _department(cid, spec.name, SCHOOL_ID, System.QUALITY, "二级学院", Tier.DEPARTMENT, {})
        )
        remaining = count
        for gi, group in enumerate(spec.groups, start=1):
            take = group.majors[:remaining]
            if not take:
                break
            remaining -= len(take)
            gid = f"{cid}G{gi}"
            subjects.append(
                Subject.model_construct(
                    id=gid,
                    level=Level.MAJOR_GROUP,
                    name=group.name,
                    parent_id=cid,
                    attributes={"department": cid},
                )
            )
            for mi, major in enumerate(take):
                major_names.append(major)
                major_college.append(ci)
                major_group.append(gid)
                major_leading.append(mi == 0)

    n_majors = len(major_names)
    major_ids = _ids("M", n_majors, 3)
    office_ids = _ids("R", n_majors, 3)
    mcol = np.array(major_college, dtype=np.int64)
    for m in range(n_majors):
        cid = college_ids[major_college[m]]
        subjects.append(
            Subject.model_construct(
                id=str(major_ids[m]),
                level=Level.MAJOR,
                name=major_names[m],
                parent_id=major_group[m],
                attributes={
                    "department": cid,
                    "major_group": major_group[m],
                    "leading": major_leading[m],
                },
            )
        )
        subjects.append(
            _department(
                str(office_ids[m]),
                f"{major_names[m]}教研室",
                cid,
                System.QUALITY,
                "教研室",
                Tier.OFFICE,
                {"major": str(major_ids[m])},
            )
        )

    # Students per major and cohort: majors differ in popularity (lognormal weights);
    # intake grows a little year on year, as it has in most 高职 colleges.
    popularity = rng.lognormal(0.0, 0.35, size=n_majors)
    intake = np.array([0.96, 1.0, 1.04])
    per_cohort = size.students / len(cohorts) * popularity / popularity.sum()
    counts = np.maximum(8, np.rint(per_cohort[:, None] * intake[None, :])).astype(np.int64)

    # Teachers per major follow its students; at most one per course so that
    # every teacher teaches at least one course.
    teachers_per_major = np.clip(
        np.rint(counts.sum(axis=1) / size.student_teacher_ratio),
        2,
        size.courses_per_major,
    ).astype(np.int64)
    n_teachers = int(teachers_per_major.sum())
    teacher_major = np.repeat(np.arange(n_majors), teachers_per_major)
    teacher_ids = _ids("T", n_teachers, 5)
    teacher_names = _people_names(rng, n_teachers)
    teacher_female = rng.random(n_teachers) < 0.55
    teacher_title = rng.choice(len(_TITLES), size=n_teachers, p=_TITLE_SHARE)
    hire_year = last_year - np.minimum(rng.geometric(0.08, size=n_teachers), 35)
    # The year each teacher became 双师素质 (9999 = not yet): the share rises each year.
    dual_draw = rng.random(n_teachers)
    dual_since = np.select(
        [dual_draw < 0.52, dual_draw < 0.58, dual_draw < 0.64],
        [first_year - 3, first_year + 1, first_year + 2],
        9999,
    ).astype(np.int64)
    for t in range(n_teachers):
        m = int(teacher_major[t])
        subjects.append(
            Subject.model_construct(
                id=str(teacher_ids[t]),
                level=Level.TEACHER,
                name=str(teacher_names[t]),
                parent_id=str(office_ids[m]),
                attributes={
                    "department": college_ids[major_college[m]],
                    "office": str(office_ids[m]),
                    "major": str(major_ids[m]),
                    "gender": "女" if teacher_female[t] else "男",
                    "title": _TITLES[int(teacher_title[t])],
                    "dual_qualified": bool(dual_since[t] <= last_year),
                    "hire_year": int(hire_year[t]),
                },
            )
        )

    course_names, course_major, course_teacher, course_credits, course_type = _courses(
        rng, size.courses_per_major, major_names, mcol, teachers_per_major
    )
    course_ids = _ids("K", len(course_names), 5)
    for k in range(len(course_names)):
        m = int(course_major[k])
        subjects.append(
            Subject.model_construct(
                id=str(course_ids[k]),
                level=Level.COURSE,
                name=course_names[k],
                parent_id=str(major_ids[m]),
                attributes={
                    "department": college_ids[major_college[m]],
                    "major": str(major_ids[m]),
                    "teacher": str(teacher_ids[course_teacher[k]]),
                    "credits": int(course_credits[k]),
                    "course_type": course_type[k],
                },
            )
        )

    # Classes (行政班) of at most CLASS_SIZE students per major and cohort.
    classes_per = np.ceil(counts / CLASS_SIZE).astype(np.int64)
    class_major = np.repeat(np.arange(n_majors), classes_per.sum(axis=1))
    class_cohort_index = np.concatenate(
        [np.repeat(np.arange(len(cohorts)), classes_per[m]) for m in range(n_majors)]
    )
    class_seq = np.concatenate([np.arange(1, n + 1) for n in classes_per.ravel()])
    class_cohort = np.array(cohorts, dtype=np.int64)[class_cohort_index]
    class_ids = np.char.add(
        np.char.add(np.char.add(major_ids[class_major].astype(str), "-"), class_cohort.astype(str)),
        np.char.add("-", class_seq.astype(str)),
    ).astype(object)
    # Split each (major, cohort) evenly over its classes.
    class_size = np.empty(len(class_ids), dtype=np.int64)
    pos = 0
    for m in range(n_majors):
        for c in range(len(cohorts)):
            k = int(classes_per[m, c])
            n = int(counts[m, c])
            class_size[pos : pos + k] = n // k + (np.arange(k) < n % k)
            pos += k
    for i in range(len(class_ids)):
        m = int(class_major[i])
        cohort = int(class_cohort[i])
        subjects.append(
            Subject.model_construct(
                id=str(class_ids[i]),
                level=Level.CLASS,
                name=f"{major_names[m]}{cohort % 100:02d}{int(class_seq[i]):02d}班",
                parent_id=str(major_ids[m]),
                attributes={
                    "department": college_ids[major_college[m]],
                    "major": str(major_ids[m]),
                    "cohort": cohort,
                    "grade": f"{cohort}级",
                },
            )
        )

    student_class = np.repeat(np.arange(len(class_ids)), class_size)
    student_major = class_major[student_class]
    student_cohort = class_cohort[student_class]
    n_students = len(student_class)
    # 学号: cohort year + a six-digit sequence number within the cohort.
    student_seq = np.zeros(n_students, dtype=np.int64)
    for cohort in cohorts:
        mask = student_cohort == cohort
        student_seq[mask] = np.arange(1, int(mask.sum()) + 1)
    student_ids = np.char.add(
        student_cohort.astype(str), np.char.zfill(student_seq.astype(str), 6)
    ).astype(object)
    student_names = _people_names(rng, n_students)
    female_share = np.array(_FEMALE_SHARE)[np.array(major_college)[student_major]]
    student_female = rng.random(n_students) < female_share
    college_of_student = [college_ids[c] for c in mcol[student_major].tolist()]
    subjects.extend(
        Subject.model_construct(
            id=sid,
            level=Level.STUDENT,
            name=name,
            parent_id=cls,
            attributes={
                "department": college,
                "major": major,
                "class": cls,
                "cohort": cohort,
                "grade": f"{cohort}级",
                "gender": "女" if female else "男",
            },
        )
        for sid, name, cls, college, major, cohort, female in zip(
            student_ids.tolist(),
            student_names.tolist(),
            class_ids[student_class].tolist(),
            college_of_student,
            major_ids[student_major].tolist(),
            student_cohort.tolist(),
            student_female.tolist(),
            strict=True,
        )
    )

    return Structure(
        subjects=subjects,
        functional_ids=functional_ids,
        functional_names=functional_names,
        college_ids=college_ids,
        college_names=college_names,
        major_ids=major_ids,
        major_names=major_names,
        major_college=mcol,
        major_leading=np.array(major_leading, dtype=bool),
        course_ids=course_ids,
        course_names=course_names,
        course_major=course_major,
        course_teacher=course_teacher,
        teacher_ids=teacher_ids,
        teacher_names=teacher_names,
        teacher_major=teacher_major,
        teacher_dual_since=dual_since,
        class_ids=class_ids,
        class_major=class_major,
        student_ids=student_ids,
        student_class=student_class,
        student_major=student_major,
        student_cohort=student_cohort,
    )


def _department(
    ident: str,
    name: str,
    parent: str,
    system: System,
    kind: str,
    tier: Tier,
    extra: dict[str, AttributeValue],
) -> Subject:
    attributes: dict[str, AttributeValue] = {
        "system": system.value,
        "tier": tier.value,
        "kind": kind,
        **extra,
    }
    if kind == "教研室":
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

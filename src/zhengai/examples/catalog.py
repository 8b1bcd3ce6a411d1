"""The indicators the example college reports, named as the seeds name them.

``source`` is the 数据管理平台相应编号 of the 001 附件2 diagnosis point that names the
indicator (the seed's full-width "／" written as "/"); indicators the seeds give no
number for have none.  Rates are fractions in 0–1, never percents.
"""

from __future__ import annotations

from zhengai.model import Aggregator, Direction, Indicator, IndicatorCatalog, Level

__all__ = ["RATE_INDICATORS", "example_catalog"]

_RATE = (0.0, 1.0)
_COUNT = (0.0, None)
_HIGHER = Direction.HIGHER_BETTER
_LOWER = Direction.LOWER_BETTER
_ORG = (Level.SCHOOL, Level.DEPARTMENT)
_MAJOR_UP = (Level.SCHOOL, Level.DEPARTMENT, Level.MAJOR)

# (id, name, aliases, levels, unit, direction, valid_range, aggregator, source, description)
_SPECS: tuple[
    tuple[
        str,
        str,
        tuple[str, ...],
        tuple[Level, ...],
        str,
        Direction,
        tuple[float | None, float | None],
        Aggregator,
        str | None,
        str,
    ],
    ...,
] = (
    (
        "attendance_rate",
        "到课率",
        ("学生到课率",),
        (
            Level.STUDENT,
            Level.CLASS,
            Level.COURSE,
            Level.MAJOR,
            Level.DEPARTMENT,
            Level.SCHOOL,
        ),
        "比率",
        _HIGHER,
        _RATE,
        Aggregator.MEAN,
        "2.2/8",
        "每学期（课程另有学年值：两学期的平均）；"
        "001 附件2 1.1 质量文化建设：学生到课率、听课率达 90%以上",
    ),
    (
        "listening_rate",
        "听课率",
        ("学生听课率",),
        (Level.COURSE,),
        "比率",
        _HIGHER,
        _RATE,
        Aggregator.MEAN,
        "2.2/8",
        "每学期及学年，督导听课记录；001 附件2 1.1 质量文化建设",
    ),
    (
        "student_evaluation",
        "学生评教满意度",
        ("评教满意度", "学生评教"),
        (Level.TEACHER, Level.COURSE, Level.DEPARTMENT, Level.SCHOOL),
        "比率",
        _HIGHER,
        _RATE,
        Aggregator.MEAN,
        "6.1/6.2/6.3/6.4/8",
        "每学期期终评教（学年值为两学期的平均）；"
        "001 附件2 3.2 师资建设 实施效果：达到 70%以上，并逐年提升"
        "（编号栏在原文分页处截断为“8.”）",
    ),
    (
        "course_pass_rate",
        "课程合格率",
        ("课程考核合格率",),
        (Level.COURSE, Level.MAJOR, Level.DEPARTMENT, Level.SCHOOL),
        "比率",
        _HIGHER,
        _RATE,
        Aggregator.MEAN,
        "2.2/3/7.2/9.2",
        "每学期，补考后（学年值为两学期的平均）；"
        "001 附件2 4.1 育人体系 实施与效果：课程合格率、毕业率不断提高",
    ),
    (
        "graduation_rate",
        "毕业率",
        (),
        _MAJOR_UP,
        "比率",
        _HIGHER,
        _RATE,
        Aggregator.MEAN,
        "2.2/3/7.2/9.2",
        "每学年；001 附件2 4.1 育人体系 实施与效果",
    ),
    (
        "initial_employment_rate",
        "初次就业率",
        ("应届毕业生初次就业率",),
        _MAJOR_UP,
        "比率",
        _HIGHER,
        _RATE,
        Aggregator.MEAN,
        "2.2/3/7.2/9.2",
        "每学年；001 附件2 4.1 实施与效果：初次就业率、对口就业率不断提高；"
        "004 四(四)5：达到本市高校平均水平以上",
    ),
    (
        "relevant_employment_rate",
        "对口就业率",
        ("专业对口就业率",),
        _MAJOR_UP,
        "比率",
        _HIGHER,
        _RATE,
        Aggregator.MEAN,
        "2.2/3/7.2/9.2",
        "每学年；001 附件2 4.1 育人体系 实施与效果",
    ),
    (
        "fitness_pass_rate",
        "体质健康合格率",
        ("《国家学生体质健康标准》合格率", "国家学生体质健康标准合格率"),
        _MAJOR_UP,
        "比率",
        _HIGHER,
        _RATE,
        Aggregator.MEAN,
        None,
        "每学年；004 四(四)4(2)：《国家大学生体质健康标准》合格率达 85%及以上",
    ),
    (
        "complaint_handling_rate",
        "投诉处理率",
        (),
        _ORG,
        "比率",
        _HIGHER,
        _RATE,
        Aggregator.MIN,
        "8.1",
        "每学年；001 附件2 5.2 质量事故管控：投诉处理率 100%（每个单位都须达到，故取最小值）",
    ),
    (
        "plan_completion_rate",
        "规划目标完成度",
        ("规划目标完成率", "目标完成度"),
        _ORG,
        "比率",
        _HIGHER,
        _RATE,
        Aggregator.MEAN,
        "6.1/6.2/6.3/6.4",
        "每学年；001 附件2 3.1 师资规划：各规划目标完成度达到 90%以上",
    ),
    (
        "dual_qualified_ratio",
        "双师素质教师比例",
        ("“双师”素质教师比例", "双师型教师比例"),
        _ORG,
        "比率",
        _HIGHER,
        _RATE,
        Aggregator.MEAN,
        "6.1/6.2/6.3/6.4/8",
        "每学年，专任教师中双师素质教师的比例；001 附件2 3.2：达到教育部和省教育厅标准并逐年优化",
    ),
    (
        "student_teacher_ratio",
        "生师比",
        (),
        _ORG,
        "学生数/教师数",
        _LOWER,
        _COUNT,
        Aggregator.MEAN,
        "6.1/6.2/6.3/6.4/8",
        "每学年，折合在校生数与专任教师数之比；001 附件2 3.2",
    ),
    (
        "tech_service_income",
        "技术服务到款额",
        ("技术服务款",),
        _ORG,
        "万元",
        _HIGHER,
        _COUNT,
        Aggregator.SUM,
        "6.1/6.2/6.3/6.4/8",
        "每学年，横向技术服务到账经费；001 附件2 3.2：技术服务款逐年增加",
    ),
    (
        "enterprise_satisfaction",
        "企业满意度",
        ("用人单位满意度",),
        _MAJOR_UP,
        "比率",
        _HIGHER,
        _RATE,
        Aggregator.MEAN,
        "4/5/6/7/9",
        "每学年，毕业生跟踪调查；001 附件2 2.2 专业诊改 实施效果：企业满意度明显提升",
    ),
    (
        "failed_credits",
        "不及格学分",
        ("学期不及格学分",),
        (Level.STUDENT,),
        "学分",
        _LOWER,
        _COUNT,
        Aggregator.SUM,
        None,
        "每学期，补考后仍不及格课程的学分之和（学业预警，domain.md §5.2）",
    ),
    (
        "failed_courses",
        "不及格门数",
        ("学期不及格门数",),
        (Level.STUDENT,),
        "门",
        _LOWER,
        _COUNT,
        Aggregator.SUM,
        None,
        "每学期，补考后仍不及格的课程门数（学业预警）",
    ),
    (
        "cum_failed_credits",
        "累计不及格学分",
        (),
        (Level.STUDENT,),
        "学分",
        _LOWER,
        _COUNT,
        Aggregator.SUM,
        None,
        "截至本学期，入学以来补考后仍不及格的学分之和（学业预警）",
    ),
    (
        "cum_failed_courses",
        "累计不及格门数",
        (),
        (Level.STUDENT,),
        "门",
        _LOWER,
        _COUNT,
        Aggregator.SUM,
        None,
        "截至本学期，入学以来补考后仍不及格的课程门数（学业预警）",
    ),
    (
        "earned_credits",
        "获得学分",
        ("学期获得学分",),
        (Level.STUDENT,),
        "学分",
        _HIGHER,
        _COUNT,
        Aggregator.SUM,
        None,
        "每学期获得的学分（学业预警）",
    ),
    (
        "gpa",
        "平均学分绩点",
        ("GPA", "绩点"),
        (Level.STUDENT,),
        "绩点",
        _HIGHER,
        (0.0, 4.0),
        Aggregator.MEAN,
        None,
        "每学期，4 分制（学业预警）",
    ),
)

#: Ids of the indicators whose values are fractions in 0–1.
RATE_INDICATORS: frozenset[str] = frozenset(spec[0] for spec in _SPECS if spec[6] == _RATE)


def example_catalog() -> IndicatorCatalog:
    """The catalog of every indicator the example college reports."""
    return IndicatorCatalog(
        Indicator(
            id=ident,
            name=name,
            aliases=aliases,
            levels=levels,
            unit=unit,
            direction=direction,
            valid_range=valid_range,
            aggregator=aggregator,
            source=source,
            description=description,
        )
        for (
            ident,
            name,
            aliases,
            levels,
            unit,
            direction,
            valid_range,
            aggregator,
            source,
            description,
        ) in _SPECS
    )

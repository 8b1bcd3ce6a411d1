"""A deterministic example college to try, test and demonstrate zhengai on.

``zhengai.examples.college(seed=0, size="medium")`` builds a believable vocational
college (示例职业技术学院): 职能部门 in the five systems, 二级学院 with 教研室, 专业群,
majors, courses, teachers, classes and students; three academic years of state data
(six terms) with realistic distributions, correlations and ~3% missing values; its
goal chain (总规划 → 8 子规划 → 二级学院建设规划 / 部门年度工作计划 → 专业建设方案 →
课程建设方案 → 教师自我发展规划); and the problems planted in it on purpose:

==========================  ==============================================================
``PlantedProblem.kind``     what is in the data
==========================  ==============================================================
attendance_falling          a course whose 到课率 falls two terms in a row, both below 0.9
low_evaluation              a teacher whose 学生评教满意度 falls every term to 0.67: below
                            70% and the lowest (so in the bottom 10%) in the last term
employment_falling          a major whose 初次就业率 falls three years running (.93 .89 .85)
academic_warning_blue …     four seniors at 学业预警 蓝/黄/橙/红 in the last term, on the
academic_warning_red        ladder :data:`WARNING_LADDER` (domain.md §5.2)
targets_not_adding_up       the 社会服务规划's 技术服务到款额 target is 1.2× the sum of its
                            二级学院' targets (a ``sum`` indicator)
fitness_below_standard      a major's 体质健康合格率 0.82 < 85% in the last year
plan_completion_low         组织人事处's 规划目标完成度 0.84 < 90% in the last year
complaints_unhandled        a 二级学院's (and so the school's) 投诉处理率 0.92 < 100%
data_gap                    a course's 到课率 for the last term is missing (NaN, not 0)
==========================  ==============================================================

Everything else is drawn from the seed with numpy's PCG64, so the same arguments give
the same college; rates are fractions in 0–1 throughout.
"""

from zhengai.examples.catalog import RATE_INDICATORS, example_catalog
from zhengai.examples.college import SIZES, BadExampleOption, College, Size, college
from zhengai.examples.statedata import (
    MISSING_SHARE,
    WARNING_LADDER,
    CollegePeriods,
    PlantedProblem,
)

__all__ = [
    "MISSING_SHARE",
    "RATE_INDICATORS",
    "SIZES",
    "WARNING_LADDER",
    "BadExampleOption",
    "College",
    "CollegePeriods",
    "PlantedProblem",
    "Size",
    "college",
    "example_catalog",
]

"""A deterministic example college to try, test and demonstrate zhengai on.

``zhengai.examples.college(seed=0, size="medium")`` builds a believable vocational
college (departments in the five systems, 二级学院, 专业群, majors, courses, teachers,
classes and students), three academic years of state data with realistic
distributions, correlations and missing values, its goal chain (总规划 → 8 子规划 →
二级学院 → 专业 → 课程 → 教师), and a documented list of planted problems that the
built-in packs should find.
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

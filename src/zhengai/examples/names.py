"""Names of the example college: departments, 二级学院, 专业群, majors, courses, people.

Department and plan names follow the seeds (001 §四(一)(二), 003 §四(一)2); majors use
the names of the 2021 高等职业教育专科专业目录 so the college reads like a real one.
Everything here is plain data; :mod:`zhengai.examples.college` decides how much of it a
size uses.
"""

from __future__ import annotations

from dataclasses import dataclass

from zhengai.model import System

__all__ = [
    "COLLEGES",
    "FUNCTIONAL_DEPARTMENTS",
    "GIVEN_NAME_CHARS",
    "SCHOOL_NAME",
    "SPECIAL_PLANS",
    "SURNAMES",
    "CollegeSpec",
    "GroupSpec",
    "SpecialPlanSpec",
]

#: The example college's name; made up, so no real college is misdescribed.
SCHOOL_NAME = "示例职业技术学院"


@dataclass(frozen=True, slots=True)
class GroupSpec:
    """A 专业群 and its majors, the leading major (专业群龙头) first."""

    name: str
    majors: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CollegeSpec:
    """A 二级学院: its 专业群 and the pool of professional courses its majors draw from."""

    name: str
    groups: tuple[GroupSpec, ...]
    courses: tuple[str, ...]


#: 职能部门 with the system (纵向五系统) each belongs to (001 §四(一)2, 003 图2).
FUNCTIONAL_DEPARTMENTS: tuple[tuple[str, System], ...] = (
    ("党委办公室", System.DECISION),
    ("院长办公室", System.DECISION),
    ("发展规划处", System.DECISION),
    ("教务处", System.QUALITY),
    ("学生工作处", System.QUALITY),
    ("党委宣传部", System.QUALITY),
    ("团委", System.QUALITY),
    ("组织人事处", System.RESOURCE),
    ("财务处", System.RESOURCE),
    ("基建与资产管理处", System.RESOURCE),
    ("图书馆", System.RESOURCE),
    ("后勤管理处", System.SUPPORT),
    ("信息化建设与管理中心", System.SUPPORT),
    ("招生就业处", System.SUPPORT),
    ("科研与社会服务处", System.SUPPORT),
    ("保卫处", System.SUPPORT),
    ("国际交流与合作处", System.SUPPORT),
    ("质量管理办公室", System.SUPERVISION),
    ("教学督导室", System.SUPERVISION),
    ("审计处", System.SUPERVISION),
)


@dataclass(frozen=True, slots=True)
class SpecialPlanSpec:
    """One of the 8 子规划 of 001 §四(二)1, the department that owns it, its indicators."""

    name: str
    owner: str
    indicators: tuple[str, ...]


#: The 8 子规划 of 001 §四(二)1, in the seed's order, with the owning 职能部门.
SPECIAL_PLANS: tuple[SpecialPlanSpec, ...] = (
    SpecialPlanSpec(
        "专业建设规划", "教务处", ("initial_employment_rate", "enterprise_satisfaction")
    ),
    SpecialPlanSpec("课程建设规划", "教务处", ("course_pass_rate", "student_evaluation")),
    SpecialPlanSpec(
        "师资队伍建设规划", "组织人事处", ("dual_qualified_ratio", "plan_completion_rate")
    ),
    SpecialPlanSpec("校园建设规划", "基建与资产管理处", ("plan_completion_rate",)),
    SpecialPlanSpec("校园文化建设规划", "党委宣传部", ("fitness_pass_rate",)),
    SpecialPlanSpec("社会服务规划", "科研与社会服务处", ("tech_service_income",)),
    SpecialPlanSpec("智能校园建设规划", "信息化建设与管理中心", ("plan_completion_rate",)),
    SpecialPlanSpec(
        "质量保证体系建设规划",
        "质量管理办公室",
        ("complaint_handling_rate", "plan_completion_rate"),
    ),
)

_MFG = (
    "机械制图",
    "工程力学",
    "机械设计基础",
    "电工电子技术",
    "液压与气动技术",
    "PLC应用技术",
    "传感器与检测技术",
    "数控编程与加工",
    "工业机器人编程",
    "CAD/CAM应用",
    "公差配合与测量",
    "机电设备维修",
    "单片机应用技术",
    "电机与电气控制",
    "智能制造概论",
    "金工实训",
    "工业网络与组态",
    "机械制造工艺",
    "模具设计",
    "三维建模",
    "运动控制技术",
    "产品质量检验",
)
_IT = (
    "程序设计基础",
    "Python程序设计",
    "Java程序设计",
    "数据库技术",
    "Web前端开发",
    "计算机网络基础",
    "Linux操作系统",
    "数据结构",
    "软件测试",
    "移动应用开发",
    "大数据技术导论",
    "数据采集与预处理",
    "机器学习应用",
    "云计算技术",
    "网络安全技术",
    "物联网技术应用",
    "软件工程",
    "UI设计",
    "数据可视化",
    "项目管理",
    "信息技术基础",
    "服务器配置与管理",
)
_BUILD = (
    "建筑制图与识图",
    "建筑材料",
    "建筑构造",
    "建筑力学",
    "建筑结构",
    "建筑施工技术",
    "工程测量",
    "建筑工程计量与计价",
    "工程招投标与合同管理",
    "建设工程监理",
    "BIM技术应用",
    "土力学与地基基础",
    "施工组织设计",
    "建筑CAD",
    "安装工程计量与计价",
    "道路工程",
    "桥梁工程",
    "建筑设备",
    "装饰施工工艺",
    "工程经济",
    "建设法规",
    "质量与安全管理",
)
_BUSINESS = (
    "管理学基础",
    "经济学基础",
    "基础会计",
    "财务会计",
    "成本会计",
    "税费计算与申报",
    "财务管理",
    "统计基础",
    "市场营销",
    "电子商务基础",
    "网店运营",
    "直播电商",
    "跨境电商实务",
    "物流管理基础",
    "供应链管理",
    "商务数据分析",
    "客户关系管理",
    "经济法",
    "金融基础",
    "审计基础",
    "管理会计",
    "国际贸易实务",
)
_AUTO = (
    "汽车构造",
    "汽车电工电子",
    "汽车发动机检修",
    "汽车底盘检修",
    "汽车电气设备检修",
    "新能源汽车概论",
    "动力电池技术",
    "驱动电机技术",
    "汽车故障诊断",
    "汽车营销",
    "智能网联汽车技术",
    "汽车维修企业管理",
    "汽车检测技术",
    "汽车车身修复",
    "机械基础",
    "汽车保险与理赔",
    "车载网络技术",
    "汽车试验技术",
    "汽车制造工艺",
    "汽车专业英语",
    "电控发动机",
    "汽车空调",
)
_HEALTH = (
    "人体解剖学",
    "生理学",
    "病理学",
    "药理学",
    "基础护理",
    "内科护理",
    "外科护理",
    "妇产科护理",
    "儿科护理",
    "急救护理",
    "社区护理",
    "健康评估",
    "医学检验基础",
    "药物化学",
    "药剂学",
    "药事管理",
    "康复评定",
    "运动治疗技术",
    "老年护理",
    "医学伦理",
    "生物化学",
    "微生物与免疫",
)
_ART = (
    "设计素描",
    "设计色彩",
    "构成设计",
    "图形创意",
    "字体设计",
    "版式设计",
    "摄影基础",
    "三维动画",
    "影视后期",
    "交互设计",
    "室内设计原理",
    "展示设计",
    "景观设计",
    "手绘表现",
    "设计史",
    "品牌设计",
    "包装设计",
    "动画运动规律",
    "短视频制作",
    "家具设计",
    "效果图表现",
    "材料与工艺",
)
_TOURISM = (
    "旅游概论",
    "导游业务",
    "酒店管理概论",
    "前厅服务与管理",
    "餐饮服务与管理",
    "会展策划",
    "旅游市场营销",
    "烹饪原料学",
    "中式烹调工艺",
    "营养与配餐",
    "学前儿童发展心理学",
    "幼儿园活动设计",
    "学前教育学",
    "综合英语",
    "商务英语写作",
    "英语视听说",
    "跨文化交际",
    "韩语精读",
    "礼仪与沟通",
    "文化旅游策划",
    "研学旅行",
    "服务心理学",
)
_ELECTRONICS = (
    "电路分析",
    "模拟电子技术",
    "数字电子技术",
    "C语言程序设计",
    "单片机技术",
    "嵌入式系统",
    "电子产品设计",
    "PCB设计",
    "集成电路基础",
    "通信原理",
    "移动通信技术",
    "光纤通信",
    "光伏发电技术",
    "电子测量",
    "传感器应用",
    "智能硬件开发",
    "电子工艺",
    "高频电子线路",
    "信号与系统",
    "半导体器件",
    "EDA技术",
    "电子产品检验",
)
_TRANSPORT = (
    "城市轨道交通概论",
    "行车组织",
    "客运组织",
    "车站设备",
    "列车运行控制",
    "轨道交通信号基础",
    "供电系统",
    "车辆构造",
    "运输安全管理",
    "票务管理",
    "应急处理",
    "铁路运输组织",
    "通信系统",
    "机电设备检修",
    "调度指挥",
    "服务礼仪",
    "航空物流",
    "交通运输经济",
    "线路与站场",
    "运营管理",
    "轨道交通英语",
    "综合实训",
)
_CHEM = (
    "无机化学",
    "有机化学",
    "分析化学",
    "物理化学",
    "化工原理",
    "化工制图",
    "化工安全技术",
    "化学反应过程",
    "精细化学品生产",
    "化工仪表与自动化",
    "环境监测",
    "水污染控制",
    "大气污染控制",
    "材料科学基础",
    "材料性能检测",
    "食品分析",
    "食品微生物检验",
    "仪器分析",
    "化工设备",
    "质量管理体系",
    "实验室管理",
    "清洁生产",
)
_AGRI = (
    "植物学",
    "植物生理",
    "土壤肥料",
    "园林植物栽培",
    "园林规划设计",
    "作物栽培",
    "植物保护",
    "动物解剖生理",
    "动物营养与饲料",
    "兽医临床诊疗",
    "畜禽生产",
    "食品加工工艺",
    "农产品质量安全",
    "农业经济管理",
    "休闲农业规划",
    "设施农业",
    "智慧农业",
    "农业物联网",
    "花卉生产",
    "园林工程",
    "测量基础",
    "农村电商",
)

#: 二级学院 in the order sizes take them: medium takes the first 7, large all 12.
COLLEGES: tuple[CollegeSpec, ...] = (
    CollegeSpec(
        "智能制造学院",
        (
            GroupSpec(
                "智能制造专业群",
                ("机电一体化技术", "工业机器人技术", "智能控制技术", "电气自动化技术"),
            ),
            GroupSpec(
                "数控与模具专业群",
                ("数控技术", "模具设计与制造", "机械制造及自动化", "工业设计"),
            ),
        ),
        _MFG,
    ),
    CollegeSpec(
        "信息工程学院",
        (
            GroupSpec(
                "软件技术专业群",
                ("软件技术", "计算机应用技术", "移动应用开发", "数字媒体技术"),
            ),
            GroupSpec(
                "大数据与人工智能专业群",
                (
                    "大数据技术",
                    "人工智能技术应用",
                    "云计算技术应用",
                    "计算机网络技术",
                    "物联网应用技术",
                ),
            ),
        ),
        _IT,
    ),
    CollegeSpec(
        "建筑工程学院",
        (
            GroupSpec(
                "建筑工程专业群",
                ("建筑工程技术", "工程造价", "建设工程管理", "建筑装饰工程技术"),
            ),
            GroupSpec(
                "市政与路桥专业群",
                ("道路与桥梁工程技术", "市政工程技术", "建筑设备工程技术"),
            ),
        ),
        _BUILD,
    ),
    CollegeSpec(
        "经济管理学院",
        (
            GroupSpec(
                "数字商贸专业群",
                ("电子商务", "跨境电子商务", "市场营销", "现代物流管理"),
            ),
            GroupSpec(
                "财经专业群",
                ("大数据与会计", "金融服务与管理", "工商企业管理", "大数据与财务管理"),
            ),
        ),
        _BUSINESS,
    ),
    CollegeSpec(
        "汽车工程学院",
        (
            GroupSpec(
                "新能源汽车专业群",
                (
                    "新能源汽车技术",
                    "汽车检测与维修技术",
                    "汽车电子技术",
                    "智能网联汽车技术",
                    "汽车制造与试验技术",
                ),
            ),
        ),
        _AUTO,
    ),
    CollegeSpec(
        "医药卫生学院",
        (
            GroupSpec("护理专业群", ("护理", "助产", "康复治疗技术", "老年保健与管理")),
            GroupSpec("药学专业群", ("药学", "医学检验技术", "药品经营与管理")),
        ),
        _HEALTH,
    ),
    CollegeSpec(
        "艺术设计学院",
        (
            GroupSpec("视觉艺术专业群", ("视觉传达设计", "数字媒体艺术设计", "动漫制作技术")),
            GroupSpec("环境艺术专业群", ("环境艺术设计", "室内艺术设计", "建筑室内设计")),
        ),
        _ART,
    ),
    CollegeSpec(
        "旅游与文化学院",
        (
            GroupSpec(
                "文旅服务专业群",
                ("旅游管理", "酒店管理与数字化运营", "烹饪工艺与营养", "会展策划与管理"),
            ),
            GroupSpec("教育与语言专业群", ("学前教育", "商务英语", "应用韩语")),
        ),
        _TOURISM,
    ),
    CollegeSpec(
        "电子信息学院",
        (
            GroupSpec(
                "电子信息专业群",
                ("电子信息工程技术", "应用电子技术", "集成电路技术", "现代通信技术"),
            ),
            GroupSpec("新能源电子专业群", ("光伏工程技术", "智能产品开发与应用")),
        ),
        _ELECTRONICS,
    ),
    CollegeSpec(
        "交通运输学院",
        (
            GroupSpec(
                "轨道交通专业群",
                (
                    "城市轨道交通运营管理",
                    "城市轨道交通机电技术",
                    "城市轨道交通通信信号技术",
                    "铁道交通运营管理",
                    "航空物流管理",
                ),
            ),
        ),
        _TRANSPORT,
    ),
    CollegeSpec(
        "化工与材料学院",
        (
            GroupSpec("化工专业群", ("应用化工技术", "精细化工技术", "化工装备技术")),
            GroupSpec(
                "环境与材料专业群",
                ("环境工程技术", "材料工程技术", "食品检验检测技术"),
            ),
        ),
        _CHEM,
    ),
    CollegeSpec(
        "现代农业学院",
        (
            GroupSpec("现代农业专业群", ("现代农业技术", "园林技术", "畜牧兽医")),
            GroupSpec("农产品加工专业群", ("食品智能加工技术", "休闲农业经营与管理")),
        ),
        _AGRI,
    ),
)

#: Common surnames, most frequent first (the generator draws them with Zipf-like weights).
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏"
    "魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵"
)

#: Characters common in given names; one or two are drawn per person.
GIVEN_NAME_CHARS = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红燕鹏辉玲梅飞鑫波宇浩凯健俊帆帅旭宁"
    "婷雪琳晨欣怡佳悦涵轩泽睿博文思雨子诗嘉一梓晓宏志海峰建国庆春兰云龙凤天翔瑞颖蕾倩璐晶昊然"
)

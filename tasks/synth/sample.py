"""The bundled sample landing zone (``data/sample``): one real department, two synthetic ones.

广州市荔湾区科技工业和信息化局's records are reconstructed: the published 2022 report gives
only aggregates, so the records here are invented to add up to exactly those aggregates
(12103.34 / 12103.27 万元, 74 专精特新 applicants, 63 first-time 高企 applicants, ...).
The two other departments are wholly synthetic and are named "（模拟）".

2023 is an open year, as a district's warehouse holds one in July: budget lines and the payment ledger to
30 June, no 决算总表, no 绩效目标, no narrative. The 文广旅体局 (模拟) lags behind 序时进度 by design: its
项目支出 payments stop at 31 March.

Rebuild with ``python -m tasks.synth.sample data/sample`` (deterministic: seed 20221231; each open year
draws from a generator of its own, so adding one changes no other file).
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from tasks.domain import FUND_SOURCE_NAMES
from tasks.synth.generator import (
    DepartmentProfile,
    FinanceTarget,
    Investment,
    PerformanceTarget,
    ProjectAssessment,
    ProjectIndicator,
    RegistryTarget,
    StatisticsTarget,
    build_landing_zone,
    write_landing_zone,
)

SEED = 20221231
GPB, GFB, SOC, OTH = FUND_SOURCE_NAMES
# The open year's data date: the ledger as exported at the end of June.
OPEN_THROUGH = dt.date(2023, 6, 30)


def yuan(text: str) -> int:
    """元 with up to two decimals, as 分."""
    whole, _, frac = text.partition(".")
    return int(whole) * 100 + int((frac + "00")[:2])


LIWAN_PROJECTS = [
    ("科技创新专项资金", "subsidy"),
    ("高新技术企业培育奖励", "subsidy"),
    ("专精特新企业培育扶持资金", "subsidy"),
    ("新三板华南基地运营服务经费", "service"),
    ("春运道路运输安全保障经费", "service"),
    ("交通行业安全生产监管经费", "service"),
    ("村级工业园整治提升工作经费", "service"),
    ("清洁生产审核补助资金", "subsidy"),
    ("“散乱污”场所整治工作经费", "service"),
    ("信息基础设施建设协调经费", "service"),
    ("智慧城区建设运维经费", "service"),
    ("核酸检测点视频监控建设经费", "service"),
    ("无线电管理工作经费", "service"),
    ("信息动员和科技装备动员工作经费", "service"),
    ("工业投资和技术改造扶持资金", "subsidy"),
    ("招商引资工作经费", "service"),
    ("岭南V谷科技园提质发展经费", "service"),
    ("西塱123工业园“工改工”项目经费", "service"),
    ("优化营商环境工作经费", "service"),
    ("科普工作经费", "service"),
    ("科技人才和外国专家工作经费", "service"),
    ("金融法人企业扶持奖励资金", "subsidy"),
    ("汽车充电设施和加油站安全生产检查经费", "service"),
    ("机关信息化运维经费", "service"),
    ("经济运行监测分析经费", "service"),
]

SWJ_PROJECTS = [
    ("促进外贸稳增长专项资金", "subsidy"), ("商贸流通业发展资金", "subsidy"), ("老字号保护传承经费", "service"),
    ("消费促进活动经费", "service"), ("招商推介活动经费", "service"), ("会展业扶持资金", "subsidy"),
    ("电子商务发展资金", "subsidy"), ("商务执法工作经费", "service"), ("市场监测与统计经费", "service"),
    ("粤港澳合作交流经费", "service"),
]

WTJ_PROJECTS = [
    ("公共文化服务体系建设经费", "service"), ("非物质文化遗产保护经费", "service"), ("全民健身活动经费", "service"),
    ("体育彩票公益金项目", "subsidy"), ("文物保护修缮经费", "service"), ("旅游推广经费", "service"),
    ("图书馆运行保障经费", "service"), ("文化馆运行保障经费", "service"), ("广播电视公共服务经费", "service"),
    ("粤剧传承发展资金", "subsidy"), ("文旅企业纾困扶持资金", "subsidy"), ("体育场馆免费低收费开放补助", "subsidy"),
]

LIWAN = DepartmentProfile(
    code="440103-KGXJ",
    name="广州市荔湾区科技工业和信息化局",
    region_code="440103",
    region_name="荔湾区",
    synthetic=False,
    finance={
        # 2022: the published figures. 2624.03 + 9479.24 = 12103.27 万元 executed of 12103.34 budgeted.
        2022: FinanceTarget(
            budget=yuan("121033412.00"),
            basic_executed=yuan("26240312.45"),
            project_executed=yuan("94792387.10"),
            carryover=0,
            projects=LIWAN_PROJECTS,
            payments=4000,
        ),
        # 2023, open: budget lines and the ledger to 30 June (synthetic).
        2023: FinanceTarget(
            budget=yuan("126480000.00"),
            basic_executed=yuan("27105000.00"),
            project_executed=yuan("96230000.00"),
            projects=LIWAN_PROJECTS,
            payments=4000,
            through=OPEN_THROUGH,
            even_months=True,
        ),
        # 2021 is not published with the reference; its figures are synthetic.
        2021: FinanceTarget(
            budget=yuan("108621530.00"),
            basic_executed=yuan("25128840.37"),
            project_executed=yuan("82041725.90"),
            carryover=yuan("1235000.00"),
            projects=LIWAN_PROJECTS[:22],
            payments=3600,
        ),
    },
    registry=RegistryTarget(
        srdi={2021: 58, 2022: 74},
        hitech_first={2013: 22, 2014: 25, 2015: 28, 2016: 30, 2017: 34, 2018: 38, 2019: 40, 2020: 42,
                      2021: 45, 2022: 63},
        hitech_repeat={2016: 12, 2017: 14, 2018: 15, 2019: 17, 2020: 19, 2021: 21, 2022: 24},
        investments=[
            Investment(2021, 2021, "12600.00", "18550.00", "荔湾数字创意产业园项目"),
            Investment(2021, 2021, "8450.00", "11230.00", "花地河智能制造中试基地项目"),
            Investment(2021, 2022, "15320.00", "20100.00", "白鹅潭生物医药研发中心项目"),
            Investment(2021, 2022, "9870.00", "13460.00", "芳村跨境电商供应链总部项目"),
            Investment(2021, 2022, "6540.00", "9120.00", "西关文化科技融合示范项目"),
            Investment(2021, 2022, "11200.00", "15870.00", "岭南V谷工业软件研发项目"),
            Investment(2021, 2022, "7310.00", "10040.00", "东沙新能源汽车零部件研发项目"),
            Investment(2022, 2022, "51830.00", "72450.00", "白鹅潭湾区芯片设计总部项目"),
            Investment(2022, 2022, "38260.00", "55980.00", "荔湾智能网联汽车研发中心项目"),
            Investment(2022, 2022, "31475.00", "44120.00", "广佛同城先进材料产业项目"),
            Investment(2022, 2022, "26940.00", "37860.00", "西塱工业互联网平台项目"),
            Investment(2022, 2022, "22610.00", "31940.00", "岭南V谷数字健康产业项目"),
            Investment(2022, 2022, "18325.00", "26150.00", "花地湾精密仪器研发项目"),
            Investment(2022, None, "14870.00", "21230.00", "海龙围智慧物流科技项目"),
            Investment(2022, None, "9740.00", "14370.00", "荔湾检验检测认证服务项目"),
        ],
        firms=1200,
    ),
    # 2022 年度绩效目标 (reconstructed: the published report gives the outcomes, not the target table).
    targets={2022: [
        PerformanceTarget("产出指标", "数量指标", "省级“专精特新”申报企业数", "≥", "60", "家", "10", "srdi_applicants"),
        PerformanceTarget("产出指标", "数量指标", "首次申报高新技术企业认定企业数", "≥", "50", "家", "10",
                          "hitech_first"),
        PerformanceTarget("产出指标", "数量指标", "新签约招商项目数", "≥", "8", "个", "10", "signed_projects"),
        PerformanceTarget("产出指标", "数量指标", "新注册招商项目数", "≥", "10", "个", "10", "registered_projects"),
        PerformanceTarget("产出指标", "时效指标", "四季度末支付进度", "≥", "95", "%", "10", "paid_q4"),
        PerformanceTarget("效益指标", "经济效益指标", "招商项目协议投资金额", "≥", "20", "亿元", "15",
                          "agreed_investment"),
        PerformanceTarget("效益指标", "经济效益指标", "招商项目协议达产年产值或营收", "≥", "25", "亿元", "15",
                          "agreed_output"),
        PerformanceTarget("满意度指标", "服务对象满意度指标", "企业服务满意度", "≥", "90", "%", "10", "reported",
                          actual="96", evidence="2022年企业服务满意度问卷调查汇总表"),
    ]},
)

SWJ = DepartmentProfile(
    code="440103-SWJ",
    name="广州市荔湾区商务局（模拟）",
    region_code="440103",
    region_name="荔湾区",
    synthetic=True,
    finance={
        2022: FinanceTarget(
            budget=yuan("58236400.00"),
            basic_executed=yuan("14826517.32"),
            project_executed=yuan("40125883.15"),
            carryover=yuan("2108000.00"),
            fund_sources={GPB: 0.85, OTH: 0.15},
            projects=SWJ_PROJECTS,
            payments=1800,
        ),
        2023: FinanceTarget(
            budget=yuan("60150000.00"),
            basic_executed=yuan("15210000.00"),
            project_executed=yuan("42880000.00"),
            fund_sources={GPB: 0.85, OTH: 0.15},
            projects=SWJ_PROJECTS,
            payments=1800,
            through=OPEN_THROUGH,
            even_months=True,
        ),
        2021: FinanceTarget(
            budget=yuan("54110000.00"),
            basic_executed=yuan("14100250.00"),
            project_executed=yuan("37455120.48"),
            carryover=yuan("1520000.00"),
            fund_sources={GPB: 0.9, OTH: 0.1},
            projects=[
                ("促进外贸稳增长专项资金", "subsidy"), ("商贸流通业发展资金", "subsidy"),
                ("老字号保护传承经费", "service"), ("消费促进活动经费", "service"),
                ("招商推介活动经费", "service"), ("会展业扶持资金", "subsidy"),
                ("商务执法工作经费", "service"), ("市场监测与统计经费", "service"),
            ],
            payments=1600,
        ),
    },
    registry=RegistryTarget(
        investments=[
            Investment(2021, 2021, "8800.00", "12600.00", "荔湾商贸综合体项目（模拟）"),
            Investment(2022, 2022, "23500.00", "41800.00", "白鹅潭国际商务中心项目（模拟）"),
            Investment(2022, 2022, "12750.50", "20330.00", "西关美食文化街区项目（模拟）"),
            Investment(2022, None, "6200.00", "9800.00", "跨境消费体验中心项目（模拟）"),
        ],
        firms=300,
        programs={"电子商务示范企业认定": {2021: 18, 2022: 24}},
    ),
    targets={2022: [
        PerformanceTarget("产出指标", "数量指标", "电子商务示范企业申报数", "≥", "20", "家", "20",
                          "ecommerce_applicants"),
        PerformanceTarget("产出指标", "数量指标", "新签约招商项目数", "≥", "2", "个", "15", "signed_projects"),
        PerformanceTarget("产出指标", "时效指标", "四季度末支付进度", "≥", "95", "%", "15", "paid_q4",
                          deviation="部分会展扶持资金待活动结算后拨付；下一步按月跟踪项目支付进度。"),
        PerformanceTarget("效益指标", "经济效益指标", "社会消费品零售总额增长率", "≥", "5", "%", "30", "retail_growth"),
        PerformanceTarget("满意度指标", "服务对象满意度指标", "商贸企业满意度", "≥", "90", "%", "10", "reported",
                          actual="92", evidence="荔湾区商贸企业满意度调查报告（模拟）"),
    ]},
    # 2022 项目支出绩效自评 of three projects (synthetic). XM22003 is the hand-worked project of
    # tests/unit/test_project_score.py: 执行率 66.45 % with no reason, a 反向 indicator missed, a 定性 one
    # scored within its band, and one far above its target. XM22001 has no 满意度 indicator; XM22010 and the other
    # seven have their 绩效目标 but their 自评 has not come in.
    projects={2022: [
        ProjectAssessment("XM22001", [
            ProjectIndicator("产出指标", "数量指标", "外贸企业扶持家数", "≥", "30", "家", "30", actual="34"),
            ProjectIndicator("产出指标", "时效指标", "资金拨付及时率", "≥", "95", "%", "25", actual="100"),
            ProjectIndicator("效益指标", "经济效益指标", "辖区进出口总额增长率", "≥", "3", "%", "35", actual="2.1",
                             deviation="受外需收缩影响，增速低于预期；下一步加大对新业态企业的扶持。"),
        ], implementer="荔湾区商务局（模拟）", manager="外贸科", goal="扶持外贸企业稳订单、拓市场，稳住外贸基本盘。",
            achieved="扶持外贸企业 34 家，资金按时拨付；进出口总额增长 2.1%。", conclusion="项目总体完成年度目标。",
            problems="进出口增速低于预期。", measures="加大对跨境电商等新业态的扶持。"),
        ProjectAssessment("XM22003", [
            ProjectIndicator("产出指标", "数量指标", "老字号企业传承扶持户数", "≥", "20", "家", "20", actual="18",
                             deviation="两家企业未按期提交验收材料；下一步督促补交后拨付。"),
            ProjectIndicator("产出指标", "质量指标", "修缮项目验收合格率", "=", "100", "%", "15", actual="100"),
            ProjectIndicator("产出指标", "时效指标", "扶持申请平均办理时长", "≤", "30", "天", "15", actual="36"),
            ProjectIndicator("效益指标", "社会效益指标", "老字号品牌影响力", "定性", "明显提升", "", "15",
                             actual="部分达成", score="10.5"),
            ProjectIndicator("效益指标", "经济效益指标", "老字号企业营业收入增长率", "≥", "5", "%", "15", actual="12"),
            ProjectIndicator("满意度指标", "服务对象满意度指标", "老字号企业满意度", "≥", "90", "%", "10", actual="93"),
        ], implementer="荔湾区商务局（模拟）", manager="商贸流通科", goal="扶持老字号企业传承发展，修缮老字号门店。",
            achieved="扶持老字号企业 18 户，修缮门店全部验收合格。", conclusion="项目基本完成年度目标，资金执行偏慢。",
            problems="部分扶持资金未按期拨付。", measures="按月跟踪资金拨付进度。"),
        ProjectAssessment("XM22010", [
            ProjectIndicator("产出指标", "数量指标", "粤港澳交流活动场次", "≥", "6", "场", "50"),
            ProjectIndicator("效益指标", "社会效益指标", "合作项目落地数", "≥", "2", "个", "30"),
            ProjectIndicator("满意度指标", "服务对象满意度指标", "参与企业满意度", "≥", "90", "%", "10"),
        ], assessed=False),
        # the other projects' 绩效目标 (every 项目支出 project has one: PRJ-006 stays quiet), their 自评 not in yet
        *(ProjectAssessment(f"XM220{n:02d}", [
            ProjectIndicator("产出指标", "数量指标", "服务企业数", "≥", "10", "家", "80"),
            ProjectIndicator("满意度指标", "服务对象满意度指标", "服务对象满意度", "≥", "90", "%", "10"),
        ], assessed=False) for n in (2, 4, 5, 6, 7, 8, 9)),
    ],
        # 2023, the open year: every project's 绩效目标 (its 自评 comes after the year), for the 双监控
        2023: [
            ProjectAssessment("XM23001", [
                ProjectIndicator("产出指标", "数量指标", "外贸企业扶持家数", "≥", "30", "家", "50"),
                ProjectIndicator("效益指标", "经济效益指标", "辖区进出口总额增长率", "≥", "3", "%", "30"),
                ProjectIndicator("满意度指标", "服务对象满意度指标", "外贸企业满意度", "≥", "90", "%", "10"),
            ], assessed=False),
            ProjectAssessment("XM23004", [
                ProjectIndicator("产出指标", "数量指标", "消费促进活动场次", "≥", "20", "场", "50"),
                ProjectIndicator("效益指标", "经济效益指标", "活动带动消费额", "≥", "5", "亿元", "30"),
                ProjectIndicator("满意度指标", "服务对象满意度指标", "参与商户满意度", "≥", "90", "%", "10"),
            ], assessed=False),
            ProjectAssessment("XM23007", [
                ProjectIndicator("产出指标", "数量指标", "电商示范企业培育数", "≥", "10", "家", "50"),
                ProjectIndicator("效益指标", "社会效益指标", "直播电商基地建成", "定性", "建成投运", "", "30"),
                ProjectIndicator("满意度指标", "服务对象满意度指标", "电商企业满意度", "≥", "90", "%", "10"),
            ], assessed=False),
            *(ProjectAssessment(f"XM230{n:02d}", [
                ProjectIndicator("产出指标", "数量指标", "服务企业数", "≥", "10", "家", "80"),
                ProjectIndicator("满意度指标", "服务对象满意度指标", "服务对象满意度", "≥", "90", "%", "10"),
            ], assessed=False) for n in (2, 3, 5, 6, 8, 9, 10)),
        ]},
    # The 2023 双监控 submission, as of 30 June (synthetic): tests/unit/test_lights.py works each light by hand.
    # XM23001 is red on spending (24.44 % paid against 50 % of the year); XM23004 is yellow, its activities ahead
    # of its spending by more than 10 points; XM23007 says 不可能 and gives no reason.
    monitoring={2023: [{**row, "period_end": "2023-06-30"} for row in [
        {"project_code": "XM23001", "indicator": "外贸企业扶持家数", "to_date": "14", "forecast": "30",
         "likelihood": "有可能", "reason_category": "经费保障", "reason": "扶持资金待第三季度集中拨付",
         "measures": "7月底前完成拨付", "forecast_spend": "4363835.31"},
        {"project_code": "XM23001", "indicator": "辖区进出口总额增长率", "to_date": "1.5", "forecast": "3",
         "likelihood": "确定能"},
        {"project_code": "XM23001", "indicator": "外贸企业满意度", "to_date": "91", "forecast": "92",
         "likelihood": "确定能"},
        {"project_code": "XM23004", "indicator": "消费促进活动场次", "to_date": "13", "forecast": "22",
         "likelihood": "确定能"},
        {"project_code": "XM23004", "indicator": "活动带动消费额", "to_date": "2.6", "forecast": "5.2",
         "likelihood": "确定能"},
        {"project_code": "XM23004", "indicator": "参与商户满意度", "to_date": "93", "forecast": "93",
         "likelihood": "确定能"},
        {"project_code": "XM23007", "indicator": "电商示范企业培育数", "to_date": "5", "forecast": "9",
         "likelihood": "不可能"},
        {"project_code": "XM23007", "indicator": "直播电商基地建成", "to_date": "部分达成", "forecast": "达成",
         "likelihood": "确定能"},
        {"project_code": "XM23007", "indicator": "电商企业满意度", "to_date": "90", "forecast": "91",
         "likelihood": "确定能"},
    ]]},
    # The bureau's follow-up (synthetic). 2022: XM22003 was lit red at the end of June (执行率 behind 序时进度); the
    # 整改要求 of 15 July was met on 20 September, so its year-end 自评表 shows the history. 2023: XM23001's red
    # spending got a 整改要求 on 10 July, due 31 August, still open; XM23007's missing reason one on 12 July,
    # answered on 20 July.
    rectification={
        2022: [
            {"project_code": "XM22003", "indicator": "", "requested_on": "2022-07-15",
             "requirement": "加快项目资金支付进度，8月底前执行率达到序时进度", "deadline": "2022-08-31",
             "outcome": "已于9月集中支付第二期资金，执行率回升至60.2%", "done_on": "2022-09-20"},
        ],
        2023: [
            {"project_code": "XM23001", "indicator": "", "requested_on": "2023-07-10",
             "requirement": "7月底前完成扶持资金拨付，8月底前执行率不低于序时进度的80%", "deadline": "2023-08-31"},
            {"project_code": "XM23007", "indicator": "电商示范企业培育数", "requested_on": "2023-07-12",
             "requirement": "补充填报偏差原因及整改措施", "deadline": "2023-07-20",
             "outcome": "已补报：受企业申报进度影响，第四季度集中认定", "done_on": "2023-07-20"},
        ],
    },
)

WTJ = DepartmentProfile(
    code="440103-WTJ",
    name="广州市荔湾区文化广电旅游体育局（模拟）",
    region_code="440103",
    region_name="荔湾区",
    synthetic=True,
    finance={
        2022: FinanceTarget(
            budget=yuan("83450000.00"),
            basic_executed=yuan("21365480.66"),
            project_executed=yuan("58803122.41"),
            carryover=yuan("2650000.00"),
            fund_sources={GPB: 0.7, GFB: 0.2, SOC: 0.05, OTH: 0.05},
            projects=WTJ_PROJECTS,
            payments=2200,
            initial_share=0.9,
            carried_projects=2,
        ),
        # 2023, open and lagging by design: 项目支出 payments stop at 31 March.
        2023: FinanceTarget(
            budget=yuan("86120000.00"),
            basic_executed=yuan("22010000.00"),
            project_executed=yuan("61500000.00"),
            fund_sources={GPB: 0.7, GFB: 0.2, SOC: 0.05, OTH: 0.05},
            projects=WTJ_PROJECTS,
            payments=2200,
            through=OPEN_THROUGH,
            projects_through=dt.date(2023, 3, 31),
            even_months=True,
        ),
        2021: FinanceTarget(
            budget=yuan("79820000.00"),
            basic_executed=yuan("20510330.00"),
            project_executed=yuan("55280144.26"),
            carryover=yuan("3100000.00"),
            fund_sources={GPB: 0.75, GFB: 0.2, OTH: 0.05},
            projects=WTJ_PROJECTS[:8],
            payments=2000,
        ),
    },
    registry=RegistryTarget(firms=0, programs={"文化和旅游企业纾困扶持": {2022: 46}}),
    targets={2022: [
        PerformanceTarget("产出指标", "数量指标", "文旅企业纾困扶持申报企业数", "≥", "40", "家", "20",
                          "culture_support_applicants"),
        PerformanceTarget("产出指标", "质量指标", "文物保护修缮项目验收合格率", "=", "100", "%", "15", "reported",
                          actual="100", evidence="文物保护修缮项目验收意见书（模拟）"),
        PerformanceTarget("产出指标", "时效指标", "四季度末支付进度", "≥", "95", "%", "15", "paid_q4"),
        PerformanceTarget("效益指标", "社会效益指标", "接待游客人次增长率", "≥", "10", "%", "15", "tourist_growth"),
        PerformanceTarget("效益指标", "可持续影响指标", "非遗传承项目持续开展", "定性", "持续开展", "", "15",
                          "reported",
                          actual="达成", evidence="非遗传承项目年度工作总结（模拟）"),
        PerformanceTarget("满意度指标", "服务对象满意度指标", "群众文化活动满意度", "≥", "90", "%", "10", "reported",
                          actual="88", deviation="部分场馆受疫情影响暂停开放；下一步增加线上文化服务供给。",
                          evidence="群众文化活动满意度调查（模拟）"),
    ]},
)

# 荔湾区 R&D by industry (万元): 建筑业 and 服务业 grow by more than half in 2022, 工业 by a tenth.
STATISTICS = StatisticsTarget(
    rd={
        "440103": {
            2019: {"工业": "15210.44", "建筑业": "2650.18", "服务业": "7920.36"},
            2020: {"工业": "16830.92", "建筑业": "2904.55", "服务业": "8810.07"},
            2021: {"工业": "18640.35", "建筑业": "3215.60", "服务业": "9870.12"},
            2022: {"工业": "20522.18", "建筑业": "5062.44", "服务业": "15102.77"},
        }
    },
    # The 商务局's and 文广旅体局's outcomes, as the 统计局 publishes them for 荔湾区.
    extra={
        ("RETAIL", "社会消费品零售总额", "亿元", "440103"): {2019: "562.31", 2020: "521.86", 2021: "578.44",
                                                          2022: "612.07"},
        ("TOURISTS", "接待游客人次", "万人次", "440103"): {2019: "1820.50", 2020: "1102.36", 2021: "1288.72",
                                                         2022: "1435.18"},
    },
)

PROFILES = [LIWAN, SWJ, WTJ]


def build_sample(root: Path) -> None:
    write_landing_zone(build_landing_zone(PROFILES, STATISTICS, SEED), root)


if __name__ == "__main__":
    build_sample(Path(sys.argv[1] if len(sys.argv) > 1 else "data/sample"))

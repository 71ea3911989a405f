"""Exact building blocks for synthetic records: money splits in 分, dates, names, codes.

Every split is exact to the 分 so that generated ledgers sum to the totals they were
built from; a generator that drifted by a cent would plant faults nobody asked for.
"""

from __future__ import annotations

import numpy as np

from tasks.uscc import make_uscc

ORG_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def allocate(total: int, weights: np.ndarray | list[float], minimum: int = 0) -> np.ndarray:
    """Split integer ``total`` into parts proportional to ``weights`` that sum exactly to it.

    Largest-remainder rounding; every part is at least ``minimum`` when the total allows it.
    """
    w = np.asarray(weights, dtype="float64")
    n = len(w)
    if n == 0:
        return np.zeros(0, dtype="int64")
    floor_total = minimum * n
    if total < floor_total:
        raise ValueError(f"cannot split {total} into {n} parts of at least {minimum}")
    rest = total - floor_total
    shares = rest * (w / w.sum())
    parts = np.floor(shares).astype("int64")
    short = rest - int(parts.sum())
    if short:
        order = np.argsort(-(shares - parts), kind="stable")
        parts[order[:short]] += 1
    return parts + minimum


def random_weights(rng: np.random.Generator, n: int, sigma: float = 0.8) -> np.ndarray:
    return rng.lognormal(mean=0.0, sigma=sigma, size=n)


# Spending concentrates towards the year's end, as treasury ledgers do.
MONTH_WEIGHTS = np.array([5, 6, 8, 8, 8, 9, 8, 8, 9, 9, 10, 12], dtype="float64")


def random_dates(rng: np.random.Generator, year: int, n: int, weights: np.ndarray = MONTH_WEIGHTS) -> np.ndarray:
    """``n`` weekday dates in ``year`` (numpy datetime64[D]), by month as ``weights`` say (by default
    heavier towards December)."""
    months = rng.choice(12, size=n, p=weights / weights.sum()) + 1
    days = rng.integers(1, 29, size=n)
    dates = (
        np.array([f"{year}-{m:02d}-01" for m in range(1, 13)], dtype="datetime64[D]")[months - 1]
        + (days - 1)
    )
    return next_weekday(dates)


def next_weekday(dates: np.ndarray) -> np.ndarray:
    """Each date, or the Monday after it when it falls on a weekend (treasuries pay on weekdays).

    Callers draw days 1-28 of a month, so the shift never leaves the year.
    """
    weekday = (dates.astype("int64") + 3) % 7  # 1970-01-01 was a Thursday; 0 = Monday
    shift = np.where(weekday == 5, 2, np.where(weekday == 6, 1, 0))
    return dates + shift


def random_usccs(rng: np.random.Generator, area_code: str, n: int, taken: set[str]) -> list[str]:
    """``n`` distinct valid 统一社会信用代码 for enterprises (registration type 91)."""
    out: list[str] = []
    alphabet = np.array(list(ORG_ALPHABET))
    while len(out) < n:
        body = "".join(rng.choice(alphabet, size=8))
        code = make_uscc("91", area_code, body)
        if code not in taken:
            taken.add(code)
            out.append(code)
    return out


# Characters for invented company names: a head and a tail give 1,600 distinct brand names
# (64,000 with a second tail).
_NAME_HEADS = "华穗荔粤珠越南新恒信诚联创智汇达通源博康嘉盛泰鸿锦宏瑞和丰安远明星海天龙凯骏维晟"
_NAME_TAILS = "科技芯微数云光电能材医药装造创联讯网图链谷湾港峰泽航晖展信智研德美辰立拓宇铭捷雅"
INDUSTRY_WORDS = {
    "制造业": ["精密制造", "新材料", "智能装备", "电子科技", "生物医药", "食品"],
    "建筑业": ["建设工程", "建筑科技", "装饰工程", "市政工程"],
    "信息传输、软件和信息技术服务业": ["信息技术", "软件", "网络科技", "数据科技"],
    "科学研究和技术服务业": ["检测技术", "科技服务", "设计研究", "工程技术"],
    "批发和零售业": ["商贸", "供应链管理", "贸易"],
    "租赁和商务服务业": ["商务服务", "咨询", "文化传播"],
}
INDUSTRIES = tuple(INDUSTRY_WORDS)


def company_names(rng: np.random.Generator, city: str, industries: list[str], taken: set[str]) -> list[str]:
    """Plausible, distinct Chinese company names, one per requested industry."""
    names = []
    for industry in industries:
        words = INDUSTRY_WORDS[industry]
        # Two-character brands give ~37,000 names in all, three ~1.5 million: a registry grows its brands
        # by a character as it fills, so that drawing a free name stays quick (a full name space would
        # loop for ever). The thresholds keep smaller registries' names as they were.
        extra = 0 if len(taken) < 20_000 else 1 if len(taken) < 600_000 else 2
        while True:
            head = _NAME_HEADS[rng.integers(len(_NAME_HEADS))] + _NAME_TAILS[rng.integers(len(_NAME_TAILS))]
            for _ in range(extra):
                head += _NAME_TAILS[rng.integers(len(_NAME_TAILS))]
            name = f"{city}{head}{words[rng.integers(len(words))]}有限公司"
            if name not in taken:
                taken.add(name)
                names.append(name)
                break
    return names

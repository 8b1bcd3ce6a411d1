"""Expression speed (issue 4, "Speed"): zhengai's backends against the usual peers.

A fixed pack of 10 realistic warning rules (and/or, a ratio, a membership test,
``min``, a weighted sum, a period-on-period drop, ``not``) over N synthetic
students with 25 indicators and 5% missing values.  Every engine's match count
is checked against zhengai's before its time is quoted.  Throughput is
record×rule evaluations per second.

Row engines (simpleeval, rule-engine, zen-engine, Python lambdas, zhengai's row
backend) are timed on the first ``ROW_SAMPLE`` records; whole-population engines
(zhengai columns, hand-written numpy, SQL) on all N.  Peers that are not
installed are skipped, saying so; rule-engine and zen-engine are benchmark-only
dependencies (``pip install rule-engine zen-engine``).

Competitor rules are written the way each engine needs: missing values guarded
explicitly (``x is not None and …``; rule-engine and zen-engine raise on
``null < 1``), and — for the float engines (simpleeval, lambdas, numpy) —
``round(…, 9)`` around the two arithmetic comparisons, or their counts differ
from the decimal-faithful answer (2.3 − 1.8 ≥ 0.5).
"""

from __future__ import annotations

import math
import os
import platform
import time
import tracemalloc
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from zhengai.expr import Expression, Frame

Columns = dict[str, np.ndarray[Any, Any]]


@dataclass(frozen=True)
class Rule:
    """One warning rule, written for each engine."""

    name: str
    ours: str
    python: str  # guarded Python (simpleeval, lambdas)
    rule_engine: str
    zen: str
    numpy: Callable[[Columns], np.ndarray[Any, Any]]


def _nn(*names: str) -> str:
    return " and ".join(f"{n} is not None" for n in names)


def _nz(*names: str) -> str:
    return " and ".join(f"{n} != null" for n in names)


def _ok(c: Columns, *names: str) -> np.ndarray[Any, Any]:
    out = np.ones(len(c[names[0]]), dtype=bool)
    for n in names:
        out &= ~np.isnan(c[n])
    return out


def _ratio(c: Columns) -> np.ndarray[Any, Any]:
    a, s = c["absent_days"], c["school_days"]
    with np.errstate(all="ignore"):
        return _ok(c, "absent_days", "school_days") & (s != 0) & (np.round(a / s, 9) > 0.1)


RULES = [
    Rule(
        "低到课低作业",
        "attendance_rate < 0.9 and homework_rate < 0.8",
        f"{_nn('attendance_rate')} and attendance_rate < 0.9 and "
        f"{_nn('homework_rate')} and homework_rate < 0.8",
        f"{_nz('attendance_rate')} and attendance_rate < 0.9 and "
        f"{_nz('homework_rate')} and homework_rate < 0.8",
        f"{_nz('attendance_rate')} and attendance_rate < 0.9 and "
        f"{_nz('homework_rate')} and homework_rate < 0.8",
        lambda c: (c["attendance_rate"] < 0.9) & (c["homework_rate"] < 0.8),
    ),
    Rule(
        "学业预警",
        "gpa < 2.0 or failed_credits >= 10",
        f"({_nn('gpa')} and gpa < 2.0) or ({_nn('failed_credits')} and failed_credits >= 10)",
        f"({_nz('gpa')} and gpa < 2.0) or ({_nz('failed_credits')} and failed_credits >= 10)",
        f"({_nz('gpa')} and gpa < 2.0) or ({_nz('failed_credits')} and failed_credits >= 10)",
        lambda c: (c["gpa"] < 2.0) | (c["failed_credits"] >= 10),
    ),
    Rule(
        "缺勤率",
        "ratio(absent_days, school_days) > 0.1",
        f"{_nn('absent_days', 'school_days')} and school_days != 0 and "
        "round(absent_days / school_days, 9) > 0.1",
        f"{_nz('absent_days', 'school_days')} and school_days != 0 and "
        "absent_days / school_days > 0.1",
        f"{_nz('absent_days', 'school_days')} and school_days != 0 and "
        "absent_days / school_days > 0.1",
        _ratio,
    ),
    Rule(
        "重点专业低绩点",
        "major in (3, 7, 11) and gpa < 2.5",
        f"{_nn('major')} and major in (3, 7, 11) and {_nn('gpa')} and gpa < 2.5",
        f"{_nz('major')} and major in [3, 7, 11] and {_nz('gpa')} and gpa < 2.5",
        f"{_nz('major')} and major in [3, 7, 11] and {_nz('gpa')} and gpa < 2.5",
        lambda c: np.isin(c["major"], [3, 7, 11]) & (c["gpa"] < 2.5),
    ),
    Rule(
        "单科不及格",
        "min(exam1, exam2, exam3) < 60",
        f"{_nn('exam1', 'exam2', 'exam3')} and min(exam1, exam2, exam3) < 60",
        f"{_nz('exam1', 'exam2', 'exam3')} and $min([exam1, exam2, exam3]) < 60",
        f"{_nz('exam1', 'exam2', 'exam3')} and min([exam1, exam2, exam3]) < 60",
        lambda c: np.minimum(np.minimum(c["exam1"], c["exam2"]), c["exam3"]) < 60,
    ),
    Rule(
        "加权成绩",
        "0.3 * exam1 + 0.3 * exam2 + 0.4 * exam3 < 65",
        f"{_nn('exam1', 'exam2', 'exam3')} and "
        "round(0.3 * exam1 + 0.3 * exam2 + 0.4 * exam3 - 65, 9) < 0",
        f"{_nz('exam1', 'exam2', 'exam3')} and 0.3 * exam1 + 0.3 * exam2 + 0.4 * exam3 < 65",
        f"{_nz('exam1', 'exam2', 'exam3')} and 0.3 * exam1 + 0.3 * exam2 + 0.4 * exam3 < 65",
        lambda c: np.round(0.3 * c["exam1"] + 0.3 * c["exam2"] + 0.4 * c["exam3"] - 65, 9) < 0,
    ),
    Rule(
        "绩点下滑",
        "gpa_prev - gpa >= 0.5",
        f"{_nn('gpa_prev', 'gpa')} and round(gpa_prev - gpa, 9) >= 0.5",
        f"{_nz('gpa_prev', 'gpa')} and gpa_prev - gpa >= 0.5",
        f"{_nz('gpa_prev', 'gpa')} and gpa_prev - gpa >= 0.5",
        lambda c: np.round(c["gpa_prev"] - c["gpa"], 9) >= 0.5,
    ),
    Rule(
        "学习投入不足",
        "not library_visits > 5 and credits_earned < 20",
        f"{_nn('library_visits')} and not library_visits > 5 and "
        f"{_nn('credits_earned')} and credits_earned < 20",
        f"{_nz('library_visits')} and not (library_visits > 5) and "
        f"{_nz('credits_earned')} and credits_earned < 20",
        f"{_nz('library_visits')} and not (library_visits > 5) and "
        f"{_nz('credits_earned')} and credits_earned < 20",
        lambda c: (
            _ok(c, "library_visits") & ~(c["library_visits"] > 5) & (c["credits_earned"] < 20)
        ),
    ),
    Rule(
        "日常管理",
        "dorm_violations >= 2 or (late_returns > 3 and attendance_rate < 0.95)",
        f"({_nn('dorm_violations')} and dorm_violations >= 2) or ({_nn('late_returns')} and "
        f"late_returns > 3 and {_nn('attendance_rate')} and attendance_rate < 0.95)",
        f"({_nz('dorm_violations')} and dorm_violations >= 2) or ({_nz('late_returns')} and "
        f"late_returns > 3 and {_nz('attendance_rate')} and attendance_rate < 0.95)",
        f"({_nz('dorm_violations')} and dorm_violations >= 2) or ({_nz('late_returns')} and "
        f"late_returns > 3 and {_nz('attendance_rate')} and attendance_rate < 0.95)",
        lambda c: (
            (c["dorm_violations"] >= 2) | ((c["late_returns"] > 3) & (c["attendance_rate"] < 0.95))
        ),
    ),
    Rule(
        "心理关注",
        "psych_score > 70 and sleep_hours < 6",
        f"{_nn('psych_score')} and psych_score > 70 and {_nn('sleep_hours')} and sleep_hours < 6",
        f"{_nz('psych_score')} and psych_score > 70 and {_nz('sleep_hours')} and sleep_hours < 6",
        f"{_nz('psych_score')} and psych_score > 70 and {_nz('sleep_hours')} and sleep_hours < 6",
        lambda c: (c["psych_score"] > 70) & (c["sleep_hours"] < 6),
    ),
]

INDICATORS = [
    "attendance_rate",
    "homework_rate",
    "gpa",
    "gpa_prev",
    "failed_credits",
    "absent_days",
    "school_days",
    "major",
    "exam1",
    "exam2",
    "exam3",
    "library_visits",
    "credits_earned",
    "dorm_violations",
    "late_returns",
    "psych_score",
    "sleep_hours",
    "club_hours",
    "volunteer_hours",
    "competition_awards",
    "certificates",
    "internship_days",
    "scholarship_amount",
    "counselling_visits",
    "sports_score",
]
assert len(INDICATORS) == 25


def make_columns(n: int, seed: int = 4) -> Columns:
    """N synthetic students, 25 indicators, 5% missing in every column."""
    rng = np.random.default_rng(seed)

    def dec(low: float, high: float, places: int) -> np.ndarray[Any, Any]:
        return np.round(rng.uniform(low, high, n), places)

    def ints(low: int, high: int) -> np.ndarray[Any, Any]:
        return rng.integers(low, high, n).astype(np.float64)

    c: Columns = {
        "attendance_rate": dec(0.6, 1.0, 2),
        "homework_rate": dec(0.5, 1.0, 2),
        "gpa": dec(1.0, 4.0, 1),  # one decimal: 2.3 − 1.8 style differences are common
        "gpa_prev": dec(1.0, 4.0, 1),
        "failed_credits": ints(0, 16),
        "absent_days": ints(0, 30),
        "school_days": ints(0, 120),
        "major": ints(1, 16),
        "exam1": ints(30, 100),
        "exam2": ints(30, 100),
        "exam3": ints(30, 100),
        "library_visits": ints(0, 20),
        "credits_earned": ints(5, 40),
        "dorm_violations": ints(0, 4),
        "late_returns": ints(0, 8),
        "psych_score": ints(20, 100),
        "sleep_hours": dec(4.0, 9.0, 1),
    }
    for name in INDICATORS[len(c) :]:
        c[name] = dec(0, 100, 1)
    for name in INDICATORS:
        c[name][rng.random(n) < 0.05] = np.nan
    return c


def to_rows(c: Columns, n: int) -> list[dict[str, Any]]:
    """The first n records as dicts, None for missing, ints where the data is integral."""
    rows: list[dict[str, Any]] = [{} for _ in range(n)]
    for name, values in c.items():
        integral = bool(np.all(np.isnan(values[:n]) | (values[:n] == np.round(values[:n]))))
        for row, v in zip(rows, values[:n].tolist(), strict=True):
            row[name] = None if v != v else (int(v) if integral else v)
    return rows


def _best(run: Callable[[], int], repeat: int) -> tuple[float, int]:
    best, count = math.inf, -1
    for _ in range(repeat):
        started = time.perf_counter()
        count = run()
        best = min(best, time.perf_counter() - started)
    return best, count


@dataclass
class Result:
    engine: str
    mode: str
    records: int
    seconds: float
    counts: list[int]
    expected: list[int]
    note: str = ""

    @property
    def rate(self) -> float:
        return self.records * len(RULES) / self.seconds

    @property
    def agrees(self) -> bool:
        return self.counts == self.expected


def _row_engine(
    name: str,
    mode: str,
    rows: list[dict[str, Any]],
    evaluators: list[Callable[[dict[str, Any]], Any]],
    expected: list[int],
    repeat: int,
) -> Result:
    counts: list[int] = []

    def run() -> int:
        counts.clear()
        for evaluate in evaluators:
            counts.append(sum(1 for row in rows if evaluate(row) is True))
        return 0

    seconds, _ = _best(run, repeat)
    return Result(name, mode, len(rows), seconds, list(counts), expected)


def _lambda(text: str) -> Callable[[dict[str, Any]], Any]:
    names = [n for n in INDICATORS if n in text]
    body = "".join(f"    {n} = r.get({n!r})\n" for n in names)
    namespace: dict[str, Any] = {}
    exec(f"def f(r):\n{body}    return bool({text})\n", namespace)  # benchmark-only: our text
    function: Callable[[dict[str, Any]], Any] = namespace["f"]
    return function


def row_engines(c: Columns, sample: int, repeat: int) -> tuple[list[Result], list[str]]:
    """Every row-at-a-time engine over the first ``sample`` records."""
    rows = to_rows(c, sample)
    head = {k: v[:sample] for k, v in c.items()}
    ours = [Expression(rule.ours) for rule in RULES]
    expected = [int(np.sum(e.evaluate_columns(head).filled(False))) for e in ours]
    results, skipped = [], []

    results.append(
        _row_engine(
            "zhengai",
            "row backend (`evaluate`)",
            rows,
            [e.evaluate for e in ours],
            expected,
            repeat,
        )
    )
    results.append(
        _row_engine("Python lambdas", "compiled from the rule text", rows,
                    [_lambda(r.python) for r in RULES], expected, repeat)
    )  # fmt: skip
    try:
        import simpleeval
    except ImportError:  # pragma: no cover
        skipped.append("simpleeval (not installed)")
    else:
        functions = {"min": min, "round": round}

        def reparse(text: str) -> Callable[[dict[str, Any]], Any]:
            # simple_eval() itself, with the evaluator that knows tuples (for `in (…)`)
            return lambda row: simpleeval.EvalWithCompoundTypes(
                names=row, functions=functions
            ).eval(text)

        def cached(text: str) -> Callable[[dict[str, Any]], Any]:
            evaluator = simpleeval.EvalWithCompoundTypes(functions=functions)
            parsed = evaluator.parse(text)

            def run(row: dict[str, Any]) -> Any:
                evaluator.names = row
                return evaluator.eval(text, previously_parsed=parsed)

            return run

        small = rows[: max(1, len(rows) // 4)]
        small_expected = [
            int(
                np.sum(e.evaluate_columns({k: v[: len(small)] for k, v in c.items()}).filled(False))
            )
            for e in ours
        ]
        results.append(
            _row_engine("simpleeval", "`simple_eval` re-parsing per record", small,
                        [reparse(r.python) for r in RULES], small_expected, 1)
        )  # fmt: skip
        results.append(
            _row_engine("simpleeval", "parsed tree cached (`previously_parsed`)", rows,
                        [cached(r.python) for r in RULES], expected, repeat)
        )  # fmt: skip
    try:
        import rule_engine
    except ImportError:
        skipped.append("rule-engine (not installed: `pip install rule-engine`)")
    else:
        compiled = [rule_engine.Rule(r.rule_engine) for r in RULES]
        results.append(
            _row_engine("rule-engine", "`Rule.matches` per record", rows,
                        [rule.matches for rule in compiled], expected, 1)
        )  # fmt: skip
    try:
        import zen
    except ImportError:
        skipped.append("zen-engine (not installed: `pip install zen-engine`)")
    else:
        zen_rules = [zen.compile_expression(r.zen) for r in RULES]
        results.append(
            _row_engine("zen-engine", "compiled expression, one call per record", rows,
                        [z.evaluate for z in zen_rules], expected, 1)
        )  # fmt: skip
        results.append(_zen_batch(rows, expected))
    return results, skipped


def _zen_batch(rows: list[dict[str, Any]], expected: list[int]) -> Result:
    import zen

    expressions = [{"id": f"e{i}", "key": f"r{i}", "value": r.zen} for i, r in enumerate(RULES)]
    graph = {
        "nodes": [
            {"id": "in", "type": "inputNode", "name": "Request", "position": {"x": 0, "y": 0}},
            {
                "id": "ex",
                "type": "expressionNode",
                "name": "rules",
                "position": {"x": 1, "y": 0},
                "content": {"expressions": expressions},
            },
            {"id": "out", "type": "outputNode", "name": "Response", "position": {"x": 2, "y": 0}},
        ],
        "edges": [
            {"id": "a", "sourceId": "in", "targetId": "ex", "type": "edge"},
            {"id": "b", "sourceId": "ex", "targetId": "out", "type": "edge"},
        ],
    }
    engine = zen.ZenEngine({"loader": {"type": "static", "content": {"rules": graph}}})
    requests = [{"key": "rules", "context": row} for row in rows]
    started = time.perf_counter()
    answers = engine.evaluate_batch(requests)
    seconds = time.perf_counter() - started
    counts = [0] * len(RULES)
    for answer in answers:
        result = answer.get("data", {}).get("result", {}) if answer.get("success") else {}
        for i in range(len(RULES)):
            counts[i] += result.get(f"r{i}") is True
    return Result("zen-engine", "`ZenEngine.evaluate_batch` (all 10 rules per request)",
                  len(rows), seconds, counts, expected)  # fmt: skip


def column_engines(c: Columns, repeat: int) -> list[Result]:
    """zhengai's column backend and hand-written numpy over the whole population."""
    n = len(c["gpa"])
    ours = [Expression(rule.ours) for rule in RULES]
    frame = Frame(columns=c)
    expected = [int(np.sum(e.evaluate_columns(frame).filled(False))) for e in ours]

    def run_ours() -> int:
        return sum(int(np.sum(e.evaluate_columns(frame).filled(False))) for e in ours)

    def run_numpy() -> int:
        with np.errstate(invalid="ignore"):
            return sum(int(np.sum(rule.numpy(c))) for rule in RULES)

    numpy_counts = [int(np.sum(rule.numpy(c))) for rule in RULES]
    seconds, _ = _best(run_ours, repeat)
    numpy_seconds, _ = _best(run_numpy, repeat)
    return [
        Result("zhengai", "column backend (`evaluate_columns`)", n, seconds, expected, expected),
        Result("hand-written numpy", "same columns", n, numpy_seconds, numpy_counts, expected),
    ]


def sql_engines(c: Columns, n: int) -> tuple[list[Result], list[str]]:
    """The rules compiled to SQL, one SELECT of 10 sums, on SQLite and PostgreSQL."""
    from sqlalchemy import (
        Column,
        Double,
        MetaData,
        Table,
        case,
        create_engine,
        func,
        insert,
        select,
    )

    urls = {"SQLite": "sqlite://"}
    # The same default as the other benchmarks: this machine's PostgreSQL.
    postgres = os.environ.get(
        "ZHENGAI_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    skipped = []
    if postgres:
        urls["PostgreSQL"] = postgres
    else:
        skipped.append("PostgreSQL (set ZHENGAI_BENCH_POSTGRES_URL)")
    head = {k: v[:n] for k, v in c.items()}
    expected = [int(np.sum(Expression(r.ours).evaluate_columns(head).filled(False))) for r in RULES]
    rows = [
        {k: (None if v != v else v) for k, v in zip(head, values, strict=True)}
        for values in zip(*(a.tolist() for a in head.values()), strict=True)
    ]
    results = []
    for label, url in urls.items():
        engine = create_engine(url)
        table = Table(f"bench_{uuid.uuid4().hex[:8]}", MetaData(),
                      *(Column(name, Double) for name in INDICATORS))  # fmt: skip
        try:
            table.create(engine)
            with engine.begin() as conn:
                for start in range(0, len(rows), 20_000):
                    conn.execute(insert(table), rows[start : start + 20_000])
            columns = {name: table.c[name] for name in INDICATORS}
            sums = [func.sum(case((Expression(r.ours).to_sql(columns), 1), else_=0)) for r in RULES]
            query = select(*sums)
            with engine.connect() as conn:
                started = time.perf_counter()
                counts = [int(v or 0) for v in conn.execute(query).one()]
                seconds = time.perf_counter() - started
            results.append(Result(f"SQL ({label})", "`to_sql`, one SELECT of 10 sums", n,
                                  seconds, counts, expected))  # fmt: skip
        except Exception as exc:  # a database that is down must not stop the benchmark
            skipped.append(f"{label} ({type(exc).__name__}: {str(exc)[:80]})")
        finally:
            table.drop(engine, checkfirst=True)
            engine.dispose()
    return results, skipped


def memory_1m(n: int) -> tuple[float, float]:
    """Peak traced memory (MB) of building n students and evaluating the 10 rules on columns."""
    tracemalloc.start()
    c = make_columns(n)
    frame = Frame(columns=c)
    data = tracemalloc.get_traced_memory()[0]
    for rule in RULES:
        Expression(rule.ours).evaluate_columns(frame)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return data / 1e6, peak / 1e6


def pivot(n: int, repeat: int) -> tuple[int, float, float | None, float | None]:
    """Long-form observations to columns: Frame.from_long against pandas."""
    c = make_columns(n)
    subjects = np.array([f"S{i:07d}" for i in range(n)], dtype=object)
    ids, names, values = [], [], []
    for name in INDICATORS:
        keep = ~np.isnan(c[name])
        ids.append(subjects[keep])
        names.append(np.full(int(keep.sum()), name, dtype=object))
        values.append(c[name][keep])
    sid, ind, val = np.concatenate(ids), np.concatenate(names), np.concatenate(values)
    ours, _ = _best(lambda: len(Frame.from_long(sid, ind, val)), repeat)
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover
        return len(sid), ours, None, None
    df = pd.DataFrame({"subject_id": sid, "indicator": ind, "value": val})
    table, _ = _best(
        lambda: len(df.pivot_table(index="subject_id", columns="indicator", values="value")),
        repeat,
    )
    plain, _ = _best(
        lambda: len(df.pivot(index="subject_id", columns="indicator", values="value")), repeat
    )
    return len(sid), ours, table, plain


def _fmt_rate(rate: float) -> str:
    if rate >= 1e6:
        return f"{rate / 1e6:,.2f} M/s"
    return f"{rate / 1e3:,.0f} k/s"


def main(quick: bool = False) -> str:
    """Run the measurements and return the Markdown section."""
    sizes = [20_000] if quick else [200_000, 1_000_000]
    sample = 5_000 if quick else 20_000
    repeat = 2 if quick else 3
    lines = [
        "## Expressions (`zhengai.expr`)",
        "",
        f"{time.strftime('%Y-%m-%d %H:%M %Z')}, {platform.node()}, "
        f"{platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, numpy {np.__version__}. "
        f"10 rules × N students, 25 indicators, 5% missing. Row engines on the first "
        f"{sample:,} records (simpleeval re-parsing on a quarter of them); throughput is "
        "record×rule evaluations per second, best of "
        f"{repeat}. ✔ = the engine's match counts equal zhengai's for all 10 rules.",
        "",
    ]
    big = make_columns(sizes[0])
    rows, skipped = row_engines(big, sample, repeat)
    by = {(r.engine, r.mode.split()[0]): r for r in rows}
    columns_by_size = {n: column_engines(make_columns(n) if n != sizes[0] else big, repeat)
                       for n in sizes}  # fmt: skip
    sql, sql_skipped = sql_engines(big, min(sizes[0], 200_000))
    skipped += sql_skipped

    lines += ["| engine | mode | N | record×rule/s | counts |", "| --- | --- | ---: | ---: | :-: |"]
    for r in rows:
        lines.append(
            f"| {r.engine} | {r.mode} | {r.records:,} | {_fmt_rate(r.rate)} | "
            f"{'✔' if r.agrees else '✘ ' + str(r.counts)} |"
        )
    for n, results in columns_by_size.items():
        for r in results:
            lines.append(
                f"| {r.engine} | {r.mode} | {n:,} | {_fmt_rate(r.rate)} | "
                f"{'✔' if r.agrees else '✘ ' + str(r.counts)} |"
            )
    for r in sql:
        lines.append(
            f"| {r.engine} | {r.mode} | {r.records:,} | {_fmt_rate(r.rate)} | "
            f"{'✔' if r.agrees else '✘ ' + str(r.counts)} |"
        )
    if skipped:
        lines += ["", "Skipped: " + "; ".join(skipped) + "."]

    ours_row = by[("zhengai", "row")]
    ours_col, numpy_col = columns_by_size[sizes[0]]
    lines += ["", "### Targets (ratios measured in this run)", ""]
    targets: list[tuple[str, float, str, bool]] = []
    zen_modes = [r for r in rows if r.engine == "zen-engine"]
    if zen_modes:
        best_zen = max(zen_modes, key=lambda r: r.rate)
        ratio = ours_col.rate / best_zen.rate
        targets.append(("columns vs zen-engine's best mode", ratio, "≥ 100×", ratio >= 100))
    ratio = numpy_col.seconds / ours_col.seconds
    targets.append(("columns vs hand-written numpy (speed ratio)", ratio, "≥ 1/3 (within 3×)",
                    ratio >= 1 / 3))  # fmt: skip
    cached = by.get(("simpleeval", "parsed"))
    if cached:
        ratio = ours_row.rate / cached.rate
        targets.append(("row vs cached simpleeval", ratio, "≥ 5×", ratio >= 5))
    lambdas = by[("Python lambdas", "compiled")]
    ratio = ours_row.rate / lambdas.rate
    targets.append(("row vs Python lambdas (speed ratio)", ratio, "≥ 1/4 (within 4×)",
                    ratio >= 0.25))  # fmt: skip
    lines += ["| target | measured | wanted | met |", "| --- | ---: | --- | :-: |"]
    for label, value, wanted, met in targets:
        lines.append(f"| {label} | {value:,.2f}× | {wanted} | {'yes' if met else '**no**'} |")

    n_mem = sizes[-1]
    data_mb, peak_mb = memory_1m(n_mem)
    lines += [
        "",
        f"Memory, columnar path, {n_mem:,} students × 10 rules: data {data_mb:,.0f} MB, "
        f"peak {peak_mb:,.0f} MB (tracemalloc: numpy buffers included) — target < 1,000 MB: "
        f"{'met' if peak_mb < 1000 else '**missed**'}.",
    ]
    n_pivot = min(sizes[0], 200_000)
    count, ours_s, table_s, plain_s = pivot(n_pivot, repeat)
    if table_s is not None and plain_s is not None:
        lines += [
            "",
            f"Pivot of {count:,} long-form observations ({n_pivot:,} students) to columns: "
            f"`Frame.from_long` {ours_s:.2f} s, pandas `pivot_table` {table_s:.2f} s "
            f"({table_s / ours_s:.1f}× slower), pandas `pivot` {plain_s:.2f} s. "
            f"Evaluating the 10 rules on those columns takes {ours_col.seconds:.2f} s.",
        ]
    lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    print(main(quick=True))

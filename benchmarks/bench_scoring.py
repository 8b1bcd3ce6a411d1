"""Scorecard scoring: 100k subjects on a 3-level, 30-leaf scorecard (issue 6).

The scorecard has the seeds' five first-level indicators (目标任务, 项目建设,
质量控制, 工作业绩, 创新贡献), two second-level groups under each and three
leaves under each group: 30 leaves, each reading a value expression over two
of 40 synthetic indicators (5 % missing), scored by a mix of linear,
threshold, bands and rank functions, aggregated under the ``exclude`` missing
policy, then ranked, banded (奖励前15%、问责后10%) and graded.

The baseline is evaluating the same 30 leaf expressions alone with
``Expression.evaluate_columns`` over the same frame; the target is a ratio of
at most 3.  Both are timed as the best of several runs in one process.
"""

from __future__ import annotations

import platform
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from zhengai.expr import Expression, Frame
from zhengai.model.scorecard import Scorecard
from zhengai.scoring import compile_scorecard, score

FIRST = ["目标任务", "项目建设", "质量控制", "工作业绩", "创新贡献"]
N_INDICATORS = 40
MISSING = 0.05


def leaf_expressions() -> list[str]:
    """30 value expressions, each over two indicators (ratios, differences, weighted sums)."""
    shapes = [
        "ratio(x{a}, x{b} + 1)",
        "x{a} * 0.7 + x{b} * 0.3",
        "max(x{a}, x{b})",
        "x{a} - x{b} / 2",
        "clamp(x{a}, 0, 1) * 100 - x{b}",
        "coalesce(x{a}, x{b})",
    ]
    return [
        shapes[i % len(shapes)].format(a=i % N_INDICATORS, b=(i * 7 + 3) % N_INDICATORS)
        for i in range(30)
    ]


def scorecard_definition(expressions: list[str], *, rank: bool) -> Scorecard:
    """The 3-level scorecard over ``expressions``; with ``rank`` every fifth leaf
    scores by ``rank`` (percentile in the population) instead of linear."""
    kinds: list[dict[str, Any]] = [
        {"kind": "linear", "floor": 0.0, "target": 1.0},
        {"kind": "threshold", "value": 0.5},
        {
            "kind": "bands",
            "bands": [
                {"label": "优", "min": 0.8, "points": 100},
                {"label": "良", "min": 0.6, "max": 0.8, "points": 85},
                {"label": "中", "min": 0.4, "max": 0.6, "points": 70},
            ],
        },
        {"kind": "linear", "floor": 1.0, "target": 0.0},
        {"kind": "rank"} if rank else {"kind": "linear", "floor": 0.2, "target": 0.8},
    ]
    first = []
    k = 0
    for i, name in enumerate(FIRST):
        groups = []
        for g in range(2):
            leaves = []
            for _ in range(3):
                leaves.append(
                    {
                        "id": f"leaf{k}",
                        "weight": [0.5, 0.3, 0.2][len(leaves)],
                        "value": expressions[k],
                        "scoring": kinds[k % len(kinds)],
                    }
                )
                k += 1
            groups.append({"id": f"g{i}_{g}", "weight": 0.5, "children": leaves})
        first.append({"id": f"f{i}", "name": name, "weight": 0.2, "children": groups})
    return Scorecard.model_validate(
        {
            "id": "bench",
            "name": "部门绩效考核",
            "level": "department",
            "indicators": first,
            "rank_bands": [{"label": "奖励", "top": 0.15}, {"label": "问责", "bottom": 0.10}],
            "grades": [
                {"label": "优秀", "min": 90},
                {"label": "良好", "min": 80},
                {"label": "合格", "min": 60},
                {"label": "不合格", "min": 0},
            ],
        }
    )


def synthetic_columns(n: int, seed: int = 6) -> dict[str, np.ndarray[Any, Any]]:
    """40 indicators in 0–1 with 5 % missing values."""
    rng = np.random.default_rng(seed)
    columns = {}
    for j in range(N_INDICATORS):
        values = rng.random(n)
        values[rng.random(n) < MISSING] = np.nan
        columns[f"x{j}"] = values
    return columns


def best_of(fn: Callable[[], object], repeat: int) -> float:
    """The fastest of ``repeat`` runs, in seconds."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def best_of_pair(
    first: Callable[[], object], second: Callable[[], object], repeat: int
) -> tuple[float, float]:
    """The fastest of ``repeat`` alternating runs of ``first`` and ``second``, in seconds."""
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeat):
        for fn, bucket in ((first, times[0]), (second, times[1])):
            started = time.perf_counter()
            fn()
            bucket.append(time.perf_counter() - started)
    return min(times[0]), min(times[1])


def measure(n: int, repeat: int, *, rank: bool) -> dict[str, float]:
    """Time the 30 leaf expressions alone and the full scoring for one variant.

    With ``rank`` the baseline evaluates ``pct_rank(<expression>)`` for the rank
    leaves, the same population work the ``rank`` function does.
    """
    expressions = leaf_expressions()
    card = scorecard_definition(expressions, rank=rank)
    columns = synthetic_columns(n)
    ids = np.array([f"d{i}" for i in range(n)], dtype=object)
    baseline = [
        f"pct_rank({text})" if rank and k % 5 == 4 else text for k, text in enumerate(expressions)
    ]
    compiled_exprs = [Expression(text) for text in baseline]
    frame = Frame(columns)
    plan = compile_scorecard(card)

    def expressions_alone() -> list[object]:
        # The results are kept, as any consumer of 30 leaf values keeps them: discarding each
        # one lets the allocator hand the same memory back and flatters the baseline.
        return [expr.evaluate_columns(frame) for expr in compiled_exprs]

    def scorecard() -> None:
        score(plan, ids, values=columns)

    result = score(plan, ids, values=columns)
    # Sanity: the scorecard really used the leaves (every leaf scored somebody).
    assert all(not np.isnan(result.node_scores[f"leaf{k}"]).all() for k in range(30))
    # Interleaved, so that a burst of load on a shared machine hits both sides alike.
    base, full = best_of_pair(expressions_alone, scorecard, repeat)
    return {
        "base": base,
        "full": full,
        "compile": best_of(lambda: compile_scorecard(card), 3),
        "scored": float((~np.isnan(result.total)).sum()),
        "partial": float(result.partial.sum()),
        "rewarded": float((result.band == "奖励").sum()),
        "accountable": float((result.band == "问责").sum()),
    }


def main(quick: bool) -> str:
    """Run both variants and return the Markdown section."""
    n = 10_000 if quick else 100_000
    repeat = 3 if quick else 15
    plain = measure(n, repeat, rank=False)
    ranked = measure(n, repeat, rank=True)
    rows = []
    for label, m in (("arithmetic leaves only", plain), ("6 of 30 leaves scored by rank", ranked)):
        ratio = m["full"] / m["base"]
        verdict = "meets" if ratio <= 3 else "misses"
        rows.append(
            f"| {label} | {m['base'] * 1e3:.1f} ms | {m['full'] * 1e3:.1f} ms | "
            f"**{ratio:.2f}×** ({verdict} ≤ 3×) | {m['compile'] * 1e3:.1f} ms |"
        )
    lines = [
        "## Scorecard scoring (zhengai.scoring)",
        "",
        f"{time.strftime('%Y-%m-%d')}, {platform.machine()}, Python {platform.python_version()}, "
        f"numpy {np.__version__}; {n:,} subjects, 3-level scorecard (5 first-level indicators × "
        f"2 groups × 3 leaves) with 30 value-expression leaves over 40 indicators with "
        f"{MISSING:.0%} missing, policy `exclude`, then rank, 奖励前15% / 问责后10% bands and "
        f"grades; best of {repeat}.  The baseline evaluates the same 30 leaf expressions with "
        "`Expression.evaluate_columns`, keeping the 30 results (for rank leaves, "
        "`pct_rank(<expression>)`).",
        "",
        "| variant | 30 expressions alone | full `score()` | ratio | compile (once) |",
        "| --- | ---: | ---: | ---: | ---: |",
        *rows,
        "",
        f"Per run: {int(plain['scored']):,} scored ({int(plain['partial']):,} partial: with 5% "
        f"missing per indicator most subjects miss some leaf), {int(plain['rewarded']):,} 奖励, "
        f"{int(plain['accountable']):,} 问责.  The fixed part of `score()` is one argsort of the "
        "totals for ranks and bands (≈ 15 ms at 100k here); every leaf and node is a few "
        "whole-array numpy passes.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(main(quick=False))

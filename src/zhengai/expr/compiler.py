"""Parse and check an expression into the checked tree of :mod:`zhengai.expr.ir`.

Order matters for safety: the source length is checked before parsing, the
parser's own recursion is caught, and depth, node count and the allow-list of
node types are checked by an *iterative* walk before anything recursive sees
the tree.  Names are checked on the AST (Python has already NFKC-normalised
them), never on the source text.  simpleeval's allow-list of node types and its
forbidden name prefixes are a second wall behind ours.
"""

from __future__ import annotations

import ast
import math
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import NoReturn

import simpleeval

from zhengai.errors import ExpressionError, Where, did_you_mean
from zhengai.expr import ir
from zhengai.expr.errors import (
    BadArguments,
    BadExponent,
    BadLiteral,
    ExpressionSyntaxError,
    ExpressionTypeError,
    ForbiddenConstruct,
    ListTooLong,
    NestedWindow,
    StringTooLong,
    TooDeep,
    TooLong,
    TooManyNodes,
    UnknownFunction,
    UnknownName,
)
from zhengai.expr.functions import FUNCTIONS, Expansion, Function, Param
from zhengai.expr.limits import (
    MAX_DEPTH,
    MAX_EXPONENT,
    MAX_LIST_LENGTH,
    MAX_NODES,
    MAX_SOURCE_LENGTH,
    MAX_STRING_LENGTH,
)

__all__ = ["Names", "compile_expression"]

_ALLOWED: tuple[type[ast.AST], ...] = (
    ast.Expression,
    ast.BinOp,
    ast.UnaryOp,
    ast.BoolOp,
    ast.Compare,
    ast.IfExp,
    ast.Call,
    ast.keyword,
    ast.Name,
    ast.Constant,
    ast.Tuple,
    ast.List,
)
# The second wall: every node kind we evaluate must also be one simpleeval evaluates.
_SIMPLEEVAL_NODES = set(simpleeval.EvalWithCompoundTypes().nodes) | {ast.Expression}
assert all(kind in _SIMPLEEVAL_NODES for kind in _ALLOWED)

_FORBIDDEN_NAMES: dict[type[ast.AST], str] = {
    ast.Attribute: "attribute access (属性访问) `a.b`",
    ast.Subscript: "subscript (下标) `a[i]`",
    ast.Slice: "slice (切片)",
    ast.Lambda: "lambda",
    ast.ListComp: "comprehension (推导式)",
    ast.SetComp: "comprehension (推导式)",
    ast.DictComp: "comprehension (推导式)",
    ast.GeneratorExp: "generator expression (生成器)",
    ast.JoinedStr: "f-string (格式化字符串)",
    ast.FormattedValue: "f-string (格式化字符串)",
    ast.NamedExpr: "walrus `:=` (赋值表达式)",
    ast.Starred: "starred argument `*a`",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
    ast.Dict: "dict literal (字典)",
    ast.Set: "set literal (集合)",
}
_BINOPS = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.Pow: "**",
}
_CMPOPS = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!="}
_TYPE_ZH = {"number": "数值", "bool": "布尔", "string": "字符串", "any": "任意", "null": "None"}


@dataclass(frozen=True)
class Names:
    """How names resolve: constants first, then attributes, then indicators.

    ``indicator`` maps any indicator name (id, Chinese name, alias) to
    ``(id, label)``, or is None for free numeric names; ``direction`` gives an
    indicator's direction for ``attainment``.
    """

    constants: Mapping[str, float | int | str | bool]
    attributes: Mapping[str, ir.Type]
    indicator: Callable[[str], tuple[str, str] | None] | None
    candidates: tuple[str, ...]
    direction: Callable[[str], str]


class _Source:
    """Maps AST positions (UTF-8 byte offsets) to 1-based character columns."""

    def __init__(self, text: str, indent: int) -> None:
        self.text = text
        self.lines = text.split("\n")
        self.indent = indent

    def where(self, node: ast.AST) -> Where:
        lineno = getattr(node, "lineno", 1)
        offset = getattr(node, "col_offset", 0)
        return self.at(lineno, offset)

    def at(self, lineno: int, byte_offset: int) -> Where:
        line = self.lines[lineno - 1] if 0 < lineno <= len(self.lines) else ""
        column = len(line.encode("utf-8")[:byte_offset].decode("utf-8", errors="ignore")) + 1
        if lineno == 1:
            return Where(column=column + self.indent)
        return Where(line=lineno, column=column)

    def segment(self, node: ast.AST) -> str:
        return ast.get_source_segment(self.text, node) or ""


def _parse(text: str) -> tuple[ast.Expression, _Source]:
    if not isinstance(text, str):
        raise ExpressionSyntaxError(f"表达式必须是文本 (expression must be str, got {type(text)})")
    if len(text) > MAX_SOURCE_LENGTH:
        raise TooLong(
            f"表达式过长 (expression longer than {MAX_SOURCE_LENGTH} characters: {len(text)})",
            where=Where(column=MAX_SOURCE_LENGTH + 1),
        )
    if "\x00" in text:
        raise ForbiddenConstruct(
            "表达式含 NUL 字符 (NUL byte)", where=Where(column=text.index("\x00") + 1)
        )
    body = text.lstrip()
    source = _Source(body, len(text) - len(body))
    if not body.strip():
        raise ExpressionSyntaxError("表达式为空 (empty expression)", where=Where(column=1))
    try:
        # Python only warns about `1and x` or `x is 1`; an expression language should refuse.
        with warnings.catch_warnings():
            warnings.simplefilter("error", SyntaxWarning)
            tree = ast.parse(body, mode="eval")
    except SyntaxError as exc:
        column = (exc.offset or 1) + (source.indent if (exc.lineno or 1) == 1 else 0)
        where = (
            Where(column=column)
            if (exc.lineno or 1) == 1
            else Where(line=exc.lineno, column=column)
        )
        raise ExpressionSyntaxError(f"语法错误 (syntax error): {exc.msg}", where=where) from None
    except (RecursionError, MemoryError):
        raise TooDeep(
            f"表达式嵌套过深 (nesting deeper than {MAX_DEPTH})", where=Where(column=1)
        ) from None
    except ValueError as exc:  # e.g. an integer literal with too many digits
        raise BadLiteral(f"无效字面量 (bad literal): {exc}", where=Where(column=1)) from None
    _check_shape(tree, source)
    return tree, source


def _check_shape(tree: ast.Expression, source: _Source) -> None:
    """Allow-list, depth and node count, iteratively (no recursion on untrusted trees)."""
    stack: list[tuple[ast.AST, int]] = [(tree.body, 1)]
    count = 0
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise TooManyNodes(
                f"表达式节点过多 (more than {MAX_NODES} nodes)", where=source.where(node)
            )
        if depth > MAX_DEPTH:
            raise TooDeep(
                f"表达式嵌套过深 (nesting deeper than {MAX_DEPTH})", where=source.where(node)
            )
        if not isinstance(node, _ALLOWED):
            what = _FORBIDDEN_NAMES.get(type(node), type(node).__name__)
            raise ForbiddenConstruct(
                f"不允许的语法 (forbidden construct): {what}", where=source.where(node)
            )
        if isinstance(node, ast.keyword) and node.arg is None:
            raise ForbiddenConstruct(
                "不允许的语法 (forbidden construct): double-starred argument `**a`",
                where=source.where(node),
            )
        if isinstance(node, ast.Name):
            _check_identifier(node, source)
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr | ast.keyword):
                stack.append((child, depth + 1))


def _check_identifier(node: ast.Name, source: _Source) -> None:
    if node.id.startswith("__") or any(node.id.startswith(p) for p in simpleeval.DISALLOW_PREFIXES):
        raise ForbiddenConstruct(
            f"不允许的名称 (forbidden name {node.id!r}: reserved prefix)", where=source.where(node)
        )


class _Checker:
    """Turns a shape-checked AST into checked nodes (recursion bounded by MAX_DEPTH)."""

    def __init__(self, source: _Source, names: Names) -> None:
        self.source = source
        self.names = names

    def fail(
        self, cls: type[ExpressionError], message: str, node: ast.AST, hint: str | None = None
    ) -> NoReturn:
        raise cls(message, where=self.source.where(node), hint=hint)

    def node(self, cls: type[ir.Node], type_: ir.Type, at: ast.AST, **fields: object) -> ir.Node:
        where = self.source.where(at)
        return cls(type_, int(where.column or 1), self.source.segment(at), **fields)

    def expect(self, node: ir.Node, wanted: ir.Type, at: ast.AST, role: str) -> None:
        if wanted == "any" or node.type in (wanted, "any") or node.type == "null":
            return
        self.fail(
            ExpressionTypeError,
            f"类型错误 (type error): {role} 需要{_TYPE_ZH[wanted]} ({wanted}), "
            f"得到{_TYPE_ZH[node.type]} ({node.type}) `{node.text}`",
            at,
        )

    def visit(self, node: ast.AST) -> ir.Node:
        method = getattr(self, f"visit_{type(node).__name__.lower()}")
        result: ir.Node = method(node)
        return result

    def visit_constant(self, node: ast.Constant) -> ir.Node:
        value = node.value
        if isinstance(value, bool) or value is None:
            return self.node(ir.Lit, "bool" if value is not None else "null", node, value=value)
        if isinstance(value, int | float):
            if isinstance(value, int) and abs(value) >= 2**53:
                try:
                    value = float(value)
                except OverflowError:
                    value = math.inf
            if not math.isfinite(value):
                self.fail(BadLiteral, "数值字面量超出范围 (number literal out of range)", node)
            return self.node(ir.Lit, "number", node, value=value)
        if isinstance(value, str):
            if len(value) > MAX_STRING_LENGTH:
                self.fail(
                    StringTooLong,
                    f"字符串过长 (string literal longer than {MAX_STRING_LENGTH})",
                    node,
                )
            return self.node(ir.Lit, "string", node, value=value)
        self.fail(
            BadLiteral, f"不允许的字面量 (forbidden literal of type {type(value).__name__})", node
        )
        raise AssertionError  # unreachable

    def visit_name(self, node: ast.Name) -> ir.Node:
        name, names = node.id, self.names
        if name in names.constants:
            value = names.constants[name]
            kind: ir.Type = (
                "bool"
                if isinstance(value, bool)
                else "string"
                if isinstance(value, str)
                else "number"
            )
            return self.node(ir.Lit, kind, node, value=value)
        if name in names.attributes:
            return self.node(
                ir.Ref, names.attributes[name], node, name=name, kind="attribute", label=name
            )
        if names.indicator is None:
            return self.node(ir.Ref, "number", node, name=name, kind="free", label=name)
        found = names.indicator(name)
        if found is None:
            self.fail(
                UnknownName,
                f"未知名称 (unknown name {name!r})",
                node,
                did_you_mean(name, names.candidates),
            )
        assert found is not None
        return self.node(ir.Ref, "number", node, name=found[0], kind="indicator", label=found[1])

    def visit_unaryop(self, node: ast.UnaryOp) -> ir.Node:
        operand = self.visit(node.operand)
        if isinstance(node.op, ast.Not):
            self.expect(operand, "bool", node.operand, "not 的操作数")
            return self.node(ir.Not, "bool", node, operand=operand)
        if isinstance(node.op, ast.Invert):
            self.fail(ForbiddenConstruct, "不允许的语法 (forbidden construct): bitwise `~`", node)
        self.expect(operand, "number", node.operand, "正负号的操作数")
        if isinstance(operand, ir.Lit) and isinstance(operand.value, int | float):
            value = -operand.value if isinstance(node.op, ast.USub) else operand.value
            return self.node(ir.Lit, "number", node, value=value)
        op = "-" if isinstance(node.op, ast.USub) else "+"
        return self.node(ir.Unary, "number", node, op=op, operand=operand)

    def visit_binop(self, node: ast.BinOp) -> ir.Node:
        op = _BINOPS.get(type(node.op))
        if op is None:
            self.fail(
                ForbiddenConstruct,
                f"不允许的运算符 (forbidden operator {type(node.op).__name__})",
                node,
            )
        left = self.visit(node.left)
        self.expect(left, "number", node.left, f"`{op}` 的左操作数")
        if op == "**":
            return self.power(node, left)
        right = self.visit(node.right)
        self.expect(right, "number", node.right, f"`{op}` 的右操作数")
        return self.node(ir.Arith, "number", node, op=op or "+", left=left, right=right)

    def power(self, node: ast.BinOp, base: ir.Node) -> ir.Node:
        exponent = node.right
        if isinstance(exponent, ast.UnaryOp) and isinstance(exponent.op, ast.USub):
            inner = exponent.operand
            literal = inner.value if isinstance(inner, ast.Constant) else None
            value = -literal if isinstance(literal, int) and not isinstance(literal, bool) else None
        else:
            literal = exponent.value if isinstance(exponent, ast.Constant) else None
            value = literal if isinstance(literal, int) and not isinstance(literal, bool) else None
        if value is None or abs(value) > MAX_EXPONENT:
            self.fail(
                BadExponent,
                f"`**` 的指数必须是绝对值不超过 {MAX_EXPONENT} 的整数字面量 "
                f"(exponent must be an integer literal within ±{MAX_EXPONENT})",
                exponent,
            )
        assert value is not None
        return self.node(ir.Pow, "number", node, base=base, exponent=value)

    def visit_boolop(self, node: ast.BoolOp) -> ir.Node:
        op = "and" if isinstance(node.op, ast.And) else "or"
        values = [self.visit(v) for v in node.values]
        for value, raw in zip(values, node.values, strict=True):
            self.expect(value, "bool", raw, f"`{op}` 的操作数")
        return self.node(ir.BoolOp, "bool", node, op=op, values=values)

    def visit_compare(self, node: ast.Compare) -> ir.Node:
        operands = [node.left, *node.comparators]
        # The list on the right of `in` is not a value: member() checks it element by element.
        checked = [
            self.visit(o) if i == 0 or not isinstance(node.ops[i - 1], ast.In | ast.NotIn) else o
            for i, o in enumerate(operands)
        ]
        parts: list[ir.Node] = []
        for i, op_node in enumerate(node.ops):
            left, right, raw = checked[i], checked[i + 1], operands[i + 1]
            assert isinstance(left, ir.Node)
            if isinstance(op_node, ast.In | ast.NotIn):
                parts.append(self.member(node, left, raw, isinstance(op_node, ast.NotIn)))
                continue
            assert isinstance(right, ir.Node)
            op = _CMPOPS.get(type(op_node))
            if op is None:
                self.fail(
                    ForbiddenConstruct,
                    f"不允许的比较 (forbidden comparison {type(op_node).__name__}); "
                    "use is_missing(x) / has(x)",
                    node,
                )
            assert op is not None
            self.compare_types(op, left, right, raw)
            parts.append(self.node(ir.Cmp, "bool", node, op=op, left=left, right=right))
        if len(parts) == 1:
            return parts[0]
        return self.node(ir.BoolOp, "bool", node, op="and", values=parts)

    def compare_types(self, op: str, left: ir.Node, right: ir.Node, at: ast.AST) -> None:
        if "null" in (left.type, right.type):
            self.fail(ExpressionTypeError, "类型错误: 与 None 比较总是缺失, 请用 is_missing(x)", at)
        if op in ("<", "<=", ">", ">="):
            self.expect(left, "number", at, f"`{op}` 的左操作数")
            self.expect(right, "number", at, f"`{op}` 的右操作数")
        elif "any" not in (left.type, right.type) and left.type != right.type:
            self.fail(
                ExpressionTypeError,
                f"类型错误 (type error): 不能比较{_TYPE_ZH[left.type]}与{_TYPE_ZH[right.type]} "
                f"(cannot compare {left.type} with {right.type})",
                at,
            )

    def member(self, node: ast.Compare, left: ir.Node, raw: ast.AST, negate: bool) -> ir.Node:
        if not isinstance(raw, ast.Tuple | ast.List):
            self.fail(
                ExpressionTypeError, "类型错误: `in` 的右边必须是字面量列表 (literal list)", raw
            )
        assert isinstance(raw, ast.Tuple | ast.List)
        if not raw.elts:
            self.fail(ExpressionTypeError, "类型错误: `in` 的列表为空 (empty list)", raw)
        if len(raw.elts) > MAX_LIST_LENGTH:
            self.fail(ListTooLong, f"列表过长 (list longer than {MAX_LIST_LENGTH})", raw)
        values: list[ir.LitValue] = []
        kinds: set[ir.Type] = set()
        for element in raw.elts:
            item = self.visit(element)
            if not isinstance(item, ir.Lit) or item.type == "null":
                self.fail(ExpressionTypeError, "类型错误: 列表元素必须是字面量 (literal)", element)
            assert isinstance(item, ir.Lit)
            values.append(item.value)
            kinds.add(item.type)
        if len(kinds) > 1:
            self.fail(ExpressionTypeError, "类型错误: 列表元素类型不一致 (mixed types)", raw)
        kind = kinds.pop()
        if left.type not in (kind, "any"):
            self.compare_types("==", left, self.node(ir.Lit, kind, raw), raw)
        return self.node(ir.Member, "bool", node, operand=left, values=tuple(values), negate=negate)

    def visit_ifexp(self, node: ast.IfExp) -> ir.Node:
        test, body, orelse = self.visit(node.test), self.visit(node.body), self.visit(node.orelse)
        self.expect(test, "bool", node.test, "条件")
        kinds = {body.type, orelse.type} - {"null", "any"}
        if len(kinds) > 1:
            self.fail(
                ExpressionTypeError,
                f"类型错误: 两个分支类型不同 ({body.type} / {orelse.type})",
                node,
            )
        kind: ir.Type = (
            kinds.pop() if kinds else ("any" if "any" in (body.type, orelse.type) else "null")
        )
        return self.node(ir.Cond, kind, node, test=test, body=body, orelse=orelse)

    def visit_tuple(self, node: ast.Tuple) -> ir.Node:
        self.fail(ExpressionTypeError, "类型错误: 列表只能出现在 `in` 的右边", node)
        raise AssertionError  # unreachable

    visit_list = visit_tuple

    def visit_call(self, node: ast.Call) -> ir.Node:
        if not isinstance(node.func, ast.Name):
            self.fail(
                ForbiddenConstruct, "不允许的语法: 只能调用函数名 (only named functions)", node
            )
        assert isinstance(node.func, ast.Name)
        function = FUNCTIONS.get(node.func.id)
        if function is None:
            self.fail(
                UnknownFunction,
                f"未知函数 (unknown function {node.func.id!r})",
                node.func,
                did_you_mean(node.func.id, FUNCTIONS),
            )
        assert function is not None
        raw = self.bind(function, node)
        args: list[ir.Node] = []
        static: dict[str, int] = {}
        for param, value in raw:
            if param.type == "int":
                static[param.name] = self.static_int(function, param, value)
                continue
            if param.type == "indicator":
                args.append(self.indicator_arg(function, value))
                continue
            checked = self.visit(value)
            self.expect(checked, param.type, value, f"{function.name}() 的参数 {param.name}")
            args.append(checked)
        if function.kind == "population":
            self.no_nested_population(function, args[0], node)
        at = Expansion(
            int(self.source.where(node).column or 1),
            self.source.segment(node),
            self.names.direction,
        )
        if function.expand is not None:
            return function.expand(args, static, at)
        returns = function.returns
        try:
            kind = returns([a.type for a in args]) if callable(returns) else returns
        except ValueError as exc:
            self.fail(ExpressionTypeError, f"类型错误 (type error): {function.name}(): {exc}", node)
        return self.node(ir.Call, kind, node, function=function, args=args, static=static)

    def bind(self, function: Function, node: ast.Call) -> list[tuple[Param, ast.expr]]:
        params = list(function.params)
        given: dict[str, ast.expr] = {}
        extra: list[ast.expr] = []
        for i, arg in enumerate(node.args):
            if i < len(params):
                given[params[i].name] = arg
            elif function.variadic:
                extra.append(arg)
            else:
                self.fail(
                    BadArguments,
                    f"{function.name}() 参数过多 (takes at most {len(params)} arguments)",
                    arg,
                )
        for keyword in node.keywords:
            name = keyword.arg or ""
            if name not in {p.name for p in params}:
                self.fail(
                    BadArguments,
                    f"{function.name}() 没有参数 {name!r} (unknown keyword)",
                    keyword,
                    did_you_mean(name, [p.name for p in params]),
                )
            if name in given:
                self.fail(
                    BadArguments, f"{function.name}() 参数 {name!r} 重复 (given twice)", keyword
                )
            given[name] = keyword.value
        bound: list[tuple[Param, ast.expr]] = []
        for param in params:
            if param.name in given:
                bound.append((param, given[param.name]))
            elif param.type == "int" and param.default is not None:
                bound.append((param, ast.Constant(param.default)))
            else:
                self.fail(
                    BadArguments,
                    f"{function.name}() 缺少参数 {param.name!r} (missing argument)",
                    node,
                )
        bound.extend((params[-1], arg) for arg in extra)
        return bound

    def static_int(self, function: Function, param: Param, value: ast.expr) -> int:
        literal = value.value if isinstance(value, ast.Constant) else None
        if isinstance(value, ast.Name) and value.id in self.names.constants:
            # A named pack constant is a literal once compiled, so a school can override
            # the window of increasing()/mean_last()… like any other threshold.
            literal = self.names.constants[value.id]
        if (
            not isinstance(literal, int)
            or isinstance(literal, bool)
            or not param.low <= literal <= param.high
        ):
            self.fail(
                BadArguments,
                f"{function.name}() 的参数 {param.name} 必须是 "
                f"{param.low}–{param.high} 的整数字面量或整数常量 "
                f"(must be an integer literal or constant in {param.low}..{param.high})",
                value,
            )
        assert isinstance(literal, int)
        return literal

    def indicator_arg(self, function: Function, value: ast.expr) -> ir.Node:
        checked = self.visit(value) if isinstance(value, ast.Name) else None
        if not isinstance(checked, ir.Ref) or checked.kind == "attribute":
            self.fail(
                BadArguments, f"{function.name}() 的参数必须是指标名 (an indicator name)", value
            )
        assert checked is not None
        return checked

    def no_nested_population(self, function: Function, arg: ir.Node, at: ast.AST) -> None:
        stack = [arg]
        while stack:
            item = stack.pop()
            if isinstance(item, ir.Call) and item.function and item.function.kind == "population":
                self.fail(
                    NestedWindow,
                    f"{function.name}() 内不能再用群体函数 {item.function.name}() "
                    "(population functions do not nest)",
                    at,
                )
            stack.extend(ir.children(item))


def compile_expression(text: str, names: Names) -> ir.Node:
    """Parse ``text``, run every static check and return the checked tree."""
    tree, source = _parse(text)
    return _Checker(source, names).visit(tree.body)

"""A CJK font for charts: Chinese labels must not turn into tofu boxes (□□□).

Matplotlib ships no CJK glyphs.  We look, in order, for the Noto Sans CJK SC font
that the PyPI package ``mplfonts`` ships (installed with the ``reports`` extra, so
an offline campus intranet needs nothing from the internet at run time), then for
a CJK font installed on the system (Debian's ``fonts-noto-cjk``, Windows' 微软雅黑
or 黑体, macOS' 苹方).  The font is registered with matplotlib once per process.
"""

from __future__ import annotations

import warnings
from functools import lru_cache
from importlib import resources
from pathlib import Path

__all__ = ["SYSTEM_CJK_FAMILIES", "NoCJKFont", "cjk_family", "cjk_font_file"]

#: Family names of common CJK fonts on Linux, Windows and macOS, most preferred first.
SYSTEM_CJK_FAMILIES: tuple[str, ...] = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "Heiti SC",
)

# File names inside the mplfonts package, most preferred first.
_MPLFONTS_FILES = ("NotoSansCJKsc-Regular.otf", "SimHei.ttf")


class NoCJKFont(UserWarning):
    """No CJK font was found: Chinese text in charts would render as empty boxes."""


def cjk_font_file() -> Path | None:
    """The path of the CJK font file shipped by ``mplfonts``, or None without it."""
    try:
        folder = resources.files("mplfonts") / "fonts"
    except ModuleNotFoundError:
        return None
    for name in _MPLFONTS_FILES:
        candidate = Path(str(folder / name))
        if candidate.is_file():
            return candidate
    return None


@lru_cache(maxsize=1)
def cjk_family() -> str | None:
    """Register a CJK font with matplotlib and return its family name (None: none found).

    Warns :class:`NoCJKFont` once when there is none.
    """
    from matplotlib import font_manager

    shipped = cjk_font_file()
    if shipped is not None:
        font_manager.fontManager.addfont(str(shipped))
        return str(font_manager.FontProperties(fname=str(shipped)).get_name())
    installed = {f.name for f in font_manager.fontManager.ttflist}
    for family in SYSTEM_CJK_FAMILIES:
        if family in installed:
            return family
    warnings.warn(
        "no CJK font found: Chinese text in charts will not render; "
        "install the mplfonts package (pip install 'zhengai[reports]') or fonts-noto-cjk",
        NoCJKFont,
        stacklevel=2,
    )
    return None

"""Display formatting shared by the pages: numbers to a sensible precision, chemical formulae and charges
with sub- and superscripts."""

from __future__ import annotations

import re

_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
_SUP = str.maketrans("0123456789+-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻")


def number(value) -> str:
    """Integers (also integral floats) with thousands separators, other floats to 4 significant digits, NaN
    as n/a."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if value != value:
        return "n/a"
    if isinstance(value, int) or float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:.4g}"


def formula(text: str) -> str:
    """'C2H16DyO7' -> 'C₂H₁₆DyO₇' (element counts as subscripts)."""
    return re.sub(r"(?<=[A-Za-z\)])(\d+)", lambda m: m.group(1).translate(_SUB), text or "")


def charge(q: int) -> str:
    """Charge as a superscript: 1 -> '⁺', 2 -> '²⁺', -1 -> '⁻', 0 -> ''."""
    if not q:
        return ""
    return ((str(abs(q)) if abs(q) != 1 else "") + ("+" if q > 0 else "-")).translate(_SUP)


COMPLEX = "[Dy(H₂O)₅L₂]"


def label_training_sources(labels: list[str], label_sources: dict[str, str], files: str) -> list[str]:
    """Model card: where each head label was trained from; a label trained on another column than its own name
    (the donor charge on the LoProp-calibrated column) names that column."""
    return [files + (f"; column {label_sources[lb]}" if lb in label_sources else "") for lb in labels]

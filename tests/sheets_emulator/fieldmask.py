"""Field masks: `fields=` on reads and the `fields` of update requests.

Google accepts `a.b`, `a/b` and `a(b,c)` spellings (all three are recorded); a mask is parsed
into a tree where an empty dict means "this whole field".
"""

from __future__ import annotations

import copy
import math
import struct
from typing import Any

Mask = dict[str, "Mask"]

# Sheets answers every colour twice, as a plain Color and as a ColorStyle: write one, read both.
COLOR_TWINS = {
    "tabColor": "tabColorStyle",
    "backgroundColor": "backgroundColorStyle",
    "foregroundColor": "foregroundColorStyle",
    "color": "colorStyle",
}
COLOR_TWINS.update({style: plain for plain, style in list(COLOR_TWINS.items())})


def parse(text: str) -> Mask:
    tree: Mask = {}
    _parse_into(text.replace(" ", ""), 0, tree, closing=False)
    return tree


def _parse_into(text: str, i: int, tree: Mask, closing: bool) -> int:
    """Parse a comma-separated list of paths into `tree`; returns the index after it."""
    while i < len(text):
        start = i
        while i < len(text) and text[i] not in ",()":
            i += 1
        node = tree
        for name in filter(None, text[start:i].replace("/", ".").split(".")):
            node = node.setdefault(name, {})
        if i < len(text) and text[i] == "(":
            i = _parse_into(text, i + 1, node, closing=True)
        if i < len(text) and text[i] == ")":
            if closing:
                return i + 1
            i += 1
        elif i < len(text) and text[i] == ",":
            i += 1
    return i


def select(value: Any, mask: Mask) -> Any:
    """The parts of a response a read mask asks for. A message kept by the mask stays even if
    nothing under it survives (recorded: `{"sheets": [{"properties": {}}]}`)."""
    if not mask or "*" in mask:
        return value
    if isinstance(value, list):
        return [select(item, mask) for item in value]
    if not isinstance(value, dict):
        return value
    return {key: select(value[key], sub) for key, sub in mask.items() if key in value}


def wants(mask: Mask | None, *path: str) -> bool:
    """Whether a read mask reaches `path` (so the server must build that part)."""
    if mask is None:
        return True
    node = mask
    for name in path:
        if not node or "*" in node:
            return True
        if name not in node:
            return False
        node = node[name]
    return True


def with_color_twins(mask: Mask) -> Mask:
    """A write mask that also covers the twin of every colour it names."""
    out = {key: with_color_twins(sub) for key, sub in mask.items()}
    for key in list(out):
        if key in COLOR_TWINS:
            out.setdefault(COLOR_TWINS[key], {})
    return out


def add_color_twins(value: Any) -> Any:
    """Fill in each colour's twin (a Color and its `...Style: {rgbColor}`), quantised the way
    Sheets stores colours: 8 bits a channel, zero channels left out (recorded:
    blue 0.5 is read back as 0.49803922)."""
    if isinstance(value, list):
        return [add_color_twins(item) for item in value]
    if not isinstance(value, dict):
        return value
    out = {key: add_color_twins(item) for key, item in value.items() if item is not None}
    for key in list(out):
        twin = COLOR_TWINS.get(key)
        if not twin or twin in value:
            continue
        if key.endswith("Style"):
            if isinstance(out[key], dict) and "rgbColor" in out[key]:
                out[twin] = copy.deepcopy(out[key]["rgbColor"])
        else:
            out[twin] = {"rgbColor": copy.deepcopy(out[key])}
    for key in list(out):
        if key in COLOR_TWINS and out[key] == {} and key.endswith("Style"):
            del out[key]  # an empty ColorStyle clears the colour (recorded for tabColorStyle)
            out.pop(COLOR_TWINS[key], None)
    if _is_color(out):
        out = quantise(out)
    return out


def _is_color(value: dict) -> bool:
    return (
        bool(value)
        and set(value) <= {"red", "green", "blue", "alpha"}
        and all(isinstance(v, (int, float)) for v in value.values())
    )


def quantise(color: dict) -> dict:
    out = {}
    for channel in ("red", "green", "blue"):
        # Truncated, not rounded (recorded: 0.5 comes back as 127/255); the epsilon keeps
        # k/255 itself, which a float may hold a hair below, on k.
        level = math.floor(max(0.0, min(1.0, float(color.get(channel, 0)))) * 255 + 1e-7)
        if level:
            out[channel] = 1 if level == 255 else float32_text(level / 255)
    if "alpha" in color:
        out["alpha"] = color["alpha"]
    return out


def float32_text(x: float) -> float:
    """The shortest decimal that reads back as the same 32-bit float, as Google prints it."""
    single = struct.unpack("f", struct.pack("f", x))[0]
    for digits in range(1, 10):
        candidate = float(f"{single:.{digits}g}")
        if struct.unpack("f", struct.pack("f", candidate))[0] == single:
            return candidate
    return single


def apply(target: dict, source: dict | None, mask: Mask) -> dict:
    """A copy of `target` with each masked field taken from `source` (absent there: cleared)."""
    source = source or {}
    if not mask or "*" in mask:
        return copy.deepcopy(source)
    out = dict(target)
    for key, sub in mask.items():
        if not sub:
            if source.get(key) is None:
                out.pop(key, None)
            else:
                out[key] = copy.deepcopy(source[key])
            continue
        child = apply(out.get(key) or {}, source.get(key) if isinstance(source.get(key), dict) else {}, sub)
        if child:
            out[key] = child
        else:
            out.pop(key, None)
    return out

"""Accessible horizontal bar charts drawn as plain SVG on the server (no chart library, no
JavaScript): each chart comes with a data table holding the same figures.

    bar_chart("bases", "Notices par base", [("Mérimée", 312000), ...])
    -> {"id": "bases", "title": ..., "width": 640, "height": 244,
        "bars": [{"label", "value", "y", "width", "pct", "label_y"}], "rows": [(label, value, pct)]}
"""
from __future__ import annotations

WIDTH = 640
LABEL_W = 200
BAR_H = 22
GAP = 8
MAX_BARS = 20


def bar_chart(key: str, title: str, pairs: list[tuple[str, int]], total: int | None = None) -> dict:
    pairs = [(str(label), int(n)) for label, n in pairs if n is not None][:MAX_BARS]
    top = max((n for _, n in pairs), default=0) or 1
    total = total if total is not None else sum(n for _, n in pairs)
    usable = WIDTH - LABEL_W - 90
    bars = []
    for i, (label, n) in enumerate(pairs):
        y = i * (BAR_H + GAP)
        w = round(usable * n / top, 1)
        bars.append({"label": label if len(label) <= 30 else label[:29] + "…", "full_label": label, "value": n,
                     "y": y, "width": max(w, 1 if n else 0), "text_y": y + BAR_H * 0.7, "value_x": LABEL_W + w + 6})
    rows = [(label, n, round(100 * n / total, 1) if total else 0) for label, n in pairs]
    return {"id": key, "title": title, "width": WIDTH, "height": max(len(pairs), 1) * (BAR_H + GAP),
            "label_w": LABEL_W, "bar_h": BAR_H, "bars": bars, "rows": rows, "total": total}

"""Plotly figures (as the JSON plotly.js draws) of the dashboards' numbers. Only layout here: every
value comes from the dicts of dashboards.selectors, which the API serves as they are."""
from __future__ import annotations

from typing import Any

BLUE, GREEN, AMBER, RED, GRAY = "#2f5fb3", "#1a7f37", "#9a6700", "#b42318", "#8c959f"
PALETTE = ("#2f5fb3", "#d9822b", "#1a7f37", "#8250df", "#b42318", "#0e8a8a", "#9a6700", "#5f6b7a")


def _short(text: str, limit: int = 32) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _figure(traces: list[dict], *, title: str, y: str = "", x: str = "", **layout: Any) -> dict[str, Any]:
    return {"data": traces, "layout": {
        "title": {"text": title, "font": {"size": 14}}, "height": 300, "margin": {"l": 56, "r": 16, "t": 40, "b": 80},
        "xaxis": {"title": {"text": x}, "automargin": True}, "yaxis": {"title": {"text": y}, "automargin": True},
        "legend": {"orientation": "h", "y": -0.3}, "paper_bgcolor": "#fff", "plot_bgcolor": "#fff", **layout}}


def _percent(value: float | None) -> float | None:
    return None if value is None else round(100 * value, 1)


def portfolio_charts(data: dict[str, Any]) -> dict[str, dict]:
    rows = data["benchmarks"]
    names = [f"{_short(r['name'])} v{r['version']}" for r in rows]
    return {
        "size": _figure([{"type": "bar", "x": names, "y": [r["size"] for r in rows], "name": "samples",
                          "marker": {"color": BLUE}},
                         {"type": "scatter", "mode": "markers", "x": names, "y": [r["target_size"] for r in rows],
                          "name": "target", "marker": {"color": GRAY, "symbol": "line-ew-open", "size": 18}}],
                        title="Samples per benchmark", y="samples"),
        "quality": _figure([{"type": "bar", "x": names, "y": [_percent(r["acceptance_rate"]) for r in rows],
                             "name": "acceptance %", "marker": {"color": GREEN}},
                            {"type": "scatter", "mode": "markers", "x": names, "y": [r["intent_mean"] for r in rows],
                             "name": "intent alignment (1-5)", "yaxis": "y2", "marker": {"color": AMBER, "size": 10}}],
                           title="Human acceptance and intent alignment",
                           yaxis={"title": {"text": "acceptance %"}, "range": [0, 100], "automargin": True},
                           yaxis2={"title": {"text": "intent 1-5"}, "overlaying": "y", "side": "right", "range": [0, 5],
                                   "tickmode": "linear", "dtick": 1, "showgrid": False}),
        "cost": _figure([{"type": "bar", "x": names, "y": [r["money_usd"] for r in rows], "name": "USD",
                          "marker": {"color": AMBER}}], title="Agent cost per benchmark", y="USD"),
    }


def quality_charts(data: dict[str, Any]) -> dict[str, dict]:
    subtasks, datasets = data["by_subtask"], data["by_dataset"]
    reasons = data["reject_reasons"]
    pairs = data["agreement"]["pairs"]
    return {
        "subtasks": _figure([{"type": "bar", "x": [r["key"] for r in subtasks],
                              "y": [_percent(r["acceptance_rate"]) for r in subtasks],
                              "text": [f"{r['accepted']}/{r['reviews']}" for r in subtasks], "name": "acceptance %",
                              "marker": {"color": GREEN}}], title="Acceptance by subtask", y="acceptance %",
                            yaxis={"range": [0, 100], "title": {"text": "acceptance %"}}),
        "datasets": _figure([{"type": "bar", "x": [r["key"] for r in datasets],
                              "y": [_percent(r["acceptance_rate"]) for r in datasets],
                              "text": [f"{r['accepted']}/{r['reviews']}" for r in datasets], "name": "acceptance %",
                              "marker": {"color": BLUE}}], title="Acceptance by source dataset", y="acceptance %",
                            yaxis={"range": [0, 100], "title": {"text": "acceptance %"}}),
        "intent": _figure([{"type": "bar", "x": list(data["intent_distribution"]),
                            "y": list(data["intent_distribution"].values()), "name": "reviews",
                            "marker": {"color": AMBER}}], title="Intent alignment (1-5)", y="reviews", x="rating"),
        "reasons": _figure([{"type": "bar", "orientation": "h", "y": [r["label"] for r in reasons],
                             "x": [r["count"] for r in reasons], "name": "rejections", "marker": {"color": RED}}],
                           title="Reject reasons", x="reviews", yaxis={"autorange": "reversed", "automargin": True}),
        "agreement": _figure([{"type": "bar", "x": [f"{_short(p['a'], 20)} × {_short(p['b'], 20)}" for p in pairs],
                               "y": [p["kappa"] for p in pairs], "name": "Cohen's kappa",
                               "text": [f"{p['shared']} shared" for p in pairs], "marker": {"color": BLUE}}],
                             title="Agreement per annotator pair (Cohen's kappa on verdicts)", y="kappa",
                             yaxis={"range": [-1, 1], "title": {"text": "kappa"}}),
        "judge": _figure([{"type": "bar", "name": judge["judge"], "x": list(judge["dimensions"]),
                           "y": [d["mean"] for d in judge["dimensions"].values()],
                           "marker": {"color": PALETTE[i % len(PALETTE)]}} for i, judge in enumerate(data["judges"])],
                         title="Judge scores by dimension (mean, 0-100; a gap: not scored)", y="score",
                         barmode="group", yaxis={"range": [0, 100], "title": {"text": "score"}}),
        "minutes": _figure([{"type": "bar", "x": ["agent", "human"], "texttemplate": "%{y}", "textposition": "outside",
                             "y": [data["agent_minutes_per_sample"], data["human_minutes_per_sample"]],
                             "marker": {"color": [BLUE, AMBER]}, "name": "minutes per sample"}],
                           title="Minutes per sample: agent vs human", y="minutes"),
    }


def cost_charts(data: dict[str, Any]) -> dict[str, dict]:
    roles = sorted({r["role"] for r in data["by_role_model"]})
    models = sorted({r["model"] for r in data["by_role_model"]})
    cell = {(r["role"], r["model"]): r for r in data["by_role_model"]}

    def stacked(field: str, opacity: float = 1.0) -> list[dict]:
        return [{"type": "bar", "name": model, "x": roles, "opacity": opacity,
                 "marker": {"color": PALETTE[i % len(PALETTE)]},
                 "y": [cell.get((role, model), {}).get(field, 0) for role in roles]} for i, model in enumerate(models)]

    per_sample = data["minutes_per_sample"]
    names = [f"{_short(r['name'])} v{r['version']}" for r in per_sample]
    days = data["by_day"]
    return {
        "money": _figure(stacked("money_usd"), title="Money by agent role and model", y="USD", barmode="stack"),
        "tokens": _figure([{**trace, "name": f"{trace['name']} (in)"} for trace in stacked("prompt_tokens")]
                          + [{**trace, "name": f"{trace['name']} (out)"} for trace in stacked("completion_tokens", 0.55)],
                          title="Tokens by agent role and model", y="tokens", barmode="stack"),
        "minutes": _figure([{"type": "bar", "name": "agent", "x": names, "marker": {"color": BLUE},
                             "y": [r["agent_minutes_per_sample"] for r in per_sample], "texttemplate": "%{y}",
                             "textposition": "outside"},
                            {"type": "bar", "name": "human", "x": names, "marker": {"color": AMBER},
                             "y": [r["human_minutes_per_sample"] for r in per_sample], "texttemplate": "%{y}",
                             "textposition": "outside"}],
                           title="Minutes per sample: agent vs human", y="minutes", barmode="group"),
        "over_time": _figure([{"type": "scatter", "mode": "lines+markers", "name": "money (USD)",
                               "x": [d["day"] for d in days], "y": [d["money_usd"] for d in days],
                               "line": {"color": AMBER}},
                              {"type": "scatter", "mode": "lines+markers", "name": "agent minutes", "yaxis": "y2",
                               "x": [d["day"] for d in days], "y": [d["agent_minutes"] for d in days],
                               "line": {"color": BLUE}},
                              {"type": "scatter", "mode": "lines+markers", "name": "human minutes", "yaxis": "y2",
                               "x": [d["day"] for d in days], "y": [d["human_minutes"] for d in days],
                               "line": {"color": GREEN}}],
                             title="Spending over time (per day, UTC)", y="USD",
                             xaxis={"type": "category", "automargin": True},
                             yaxis={"title": {"text": "USD"}, "rangemode": "tozero", "automargin": True},
                             yaxis2={"title": {"text": "minutes"}, "overlaying": "y", "side": "right",
                                     "rangemode": "tozero"}),
    }


def leaderboard_charts(data: dict[str, Any]) -> dict[str, dict]:
    rows = [r for r in data["models"] if r["accuracy"] is not None]
    names = [r["model"] for r in rows]
    accuracy = [_percent(r["accuracy"]) for r in rows]
    return {
        "accuracy": _figure([
            {"type": "bar", "x": names, "y": accuracy, "name": "accuracy %", "marker": {"color": BLUE},
             "error_y": {"type": "data", "symmetric": False,
                         "array": [_percent(r["ci95"][1] - r["accuracy"]) if r["ci95"] else 0 for r in rows],
                         "arrayminus": [_percent(r["accuracy"] - r["ci95"][0]) if r["ci95"] else 0 for r in rows]}},
            {"type": "scatter", "mode": "markers", "x": names, "y": [_percent(r["chance"]) for r in rows],
             "name": "chance", "marker": {"color": RED, "symbol": "line-ew-open", "size": 24}}],
            title="Accuracy with 95% bootstrap intervals", y="accuracy %",
            yaxis={"range": [0, 100], "title": {"text": "accuracy %"}}),
        "subtasks": _figure([
            {"type": "bar", "name": r["model"], "x": list(r["subtasks"]),
             "y": [_percent(v["accuracy"]) for v in r["subtasks"].values()],
             "marker": {"color": PALETTE[i % len(PALETTE)]}} for i, r in enumerate(rows)],
            title="Accuracy by subtask", y="accuracy %", barmode="group",
            yaxis={"range": [0, 100], "title": {"text": "accuracy %"}}),
    }


def version_charts(data: dict[str, Any]) -> dict[str, dict]:
    rows = data["versions"]
    names = [f"v{r['version']}" for r in rows]
    models = sorted({m for r in rows for m in r["models"]})
    return {
        "size": _figure([{"type": "bar", "x": names, "y": [r["size"] for r in rows], "name": "samples",
                          "marker": {"color": BLUE}}], title="Samples per version", y="samples"),
        "models": _figure([{"type": "scatter", "mode": "lines+markers", "name": model, "x": names,
                            "y": [_percent(r["models"].get(model)) for r in rows],
                            "line": {"color": PALETTE[i % len(PALETTE)]}} for i, model in enumerate(models)],
                          title="Model accuracy per version", y="accuracy %",
                          xaxis={"type": "category"}, yaxis={"range": [0, 100], "title": {"text": "accuracy %"}}),
    }

"""``verify --plot out.png``: the runs as a picture, as written beside fixed (matplotlib).

One column per run.  For the first ``tape.gradient`` site with eager calls,
one row per source (each trainable parameter over the steps) and one for the
loss; the last row plots the tape's gradient against the finite-difference
one for every check made at recorded inputs (the flagged functions'
directional checks and the replayed losses): correct gradients lie on the
diagonal, a cut lies on the axis ``tape = 0`` (drawn with a cross when the tape
returned None).  Imported only when ``--plot`` is given.
"""

from __future__ import annotations

from .report import Verification
from .runner import OK

SIDES = (("as written", "before"), ("fixed", "after"))


def _site(verification: Verification) -> dict | None:
    for side in ("before", "after"):
        run = getattr(verification, side)
        for site in run.record.get("gradients", []) if run.status == OK else ():
            if site["trace"]["loss"]:
                return site
    return None


def _same_site(run, site: dict | None) -> dict | None:
    if site is None or run.status != OK:
        return None
    return next((s for s in run.record["gradients"] if (s["file"], s["line"]) == (site["file"], site["line"])), None)


def _pairs(run) -> list[tuple[str, float | None, float]]:
    """(label, tape, numeric) of every gradient check the run made."""
    if run.status != OK:
        return []
    pairs = [
        (key.rsplit(":", 1)[-1], check["tape"], check["numeric"])
        for key, entry in run.record["functions"].items() for check in entry["checks"] if "numeric" in check
    ]
    for site in run.record["gradients"]:
        pairs += [(f"d {site['target']}/d {site['sources'][r['source']]}", r["tape"], r["numeric"])
                  for r in site.get("reference", []) if "numeric" in r]
    return pairs


def plot(verification: Verification, path: str) -> str | None:
    """Write the PNG; the problem, if it cannot be drawn."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "--plot needs matplotlib: pip install 'tflint-grad[verify]'"
    site = _site(verification)
    series = [] if site is None else [*site["sources"], site["target"]]
    rows = len(series) + 1
    figure, axes = plt.subplots(rows, 2, figsize=(8, 1.9 * rows), squeeze=False, sharex="row")
    for column, (title, side) in enumerate(SIDES):
        run = getattr(verification, side)
        found = _same_site(run, site)
        for row, name in enumerate(series):
            ax = axes[row][column]
            values = [] if found is None else (found["trace"]["loss"] if row == len(series) - 1
                                               else found["trace"]["sources"][row])
            ax.plot([v for v in values if v is not None], color="C0" if column == 0 else "C2")
            ax.set_ylabel(name if row == len(series) - 1 else f"{name}", fontsize=8)
            ax.set_title(f"{title}: {name}" + (" (loss)" if row == len(series) - 1 else ""), fontsize=9)
            if row == len(series) - 1:
                ax.set_xlabel("tape.gradient call", fontsize=8)
        _gradients(axes[-1][column], _pairs(run), title, run.status)
    for ax in axes.ravel():
        ax.tick_params(labelsize=7)
    figure.suptitle(f"tflint-grad verify {verification.plan.source.path}", fontsize=10)
    figure.tight_layout()
    figure.savefig(path, dpi=72)
    plt.close(figure)
    return None


def _gradients(ax, pairs, title: str, status: str) -> None:
    ax.set_title(f"{title}: tape vs numeric gradient", fontsize=9)
    if not pairs:
        ax.text(0.5, 0.5, "no checks" if status == OK else status, ha="center", va="center", transform=ax.transAxes)
        return
    numeric = [n for _, _, n in pairs]
    low, high = min(numeric + [0.0]), max(numeric + [0.0])
    ax.plot([low, high], [low, high], color="0.7", linewidth=1, label="tape = numeric")
    labels = list(dict.fromkeys(label for label, _, _ in pairs))  # one colour and legend entry per check target
    for label, tape, value in pairs:
        index = labels.index(label)
        first = next(p for p in pairs if p[0] == label)[1:] == (tape, value)
        ax.scatter([value], [tape or 0.0], marker="x" if tape is None else "o", color=f"C{index % 10}",
                   label=label if first else None, zorder=3)
    ax.axhline(0.0, color="0.85", linewidth=0.8)
    ax.set_xlabel("numeric (central differences)", fontsize=8)
    ax.set_ylabel("tape", fontsize=8)
    ax.legend(fontsize=6, loc="upper left", frameon=False)

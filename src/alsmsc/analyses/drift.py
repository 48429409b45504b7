"""Which pooled estimates moved between two versions of the data: what makes a release a "material update"."""

from __future__ import annotations

from pathlib import Path

from alsmsc import dataset
from alsmsc.analyses import synthesis
from alsmsc.stats.measures import measure


def drift(old_dir: Path, new_dir: Path, threshold: float) -> list[dict]:
    """Pooled estimates that moved by more than ``threshold`` (relative, on the analysis scale) or whose 95% CI now
    crosses, or no longer crosses, the null. These make a release a 'material update'."""
    reads = ["clinical_outcomes", "clinical_arms", "trials", "preclinical_studies"]
    after = synthesis.build_all(dataset.load(new_dir, reads))
    try:
        before = synthesis.build_all(dataset.load(old_dir, reads))
    except (KeyError, ValueError):  # the previous version has another data model (a major version)
        return [
            {
                "comparison": "all",
                "reason": "the previous version has another data model; every comparison was rebuilt "
                "from re-verified data, so compare the conclusions, not the numbers",
            }
        ]
    flags = []
    for key, new in after.items():
        old = before.get(key)
        if not new.pooled and not (old and old.pooled):
            continue
        if not (old and old.pooled) or not new.pooled:
            flags.append({"comparison": key, "reason": "now pooled" if new.pooled else "no longer pooled"})
            continue
        a, b = old.result, new.result
        moved = abs(b.estimate - a.estimate) / max(abs(a.estimate), 1e-12)
        if moved > threshold:
            flags.append({"comparison": key, "reason": f"estimate moved {moved:.0%} ({a.estimate:.3g} -> {b.estimate:.3g}, analysis scale)"})
        null = measure(new.measure).analysis_null
        if null is not None:
            crossed_before, crossed_after = a.ci_lb <= null <= a.ci_ub, b.ci_lb <= null <= b.ci_ub
            if crossed_before != crossed_after:
                flags.append({"comparison": key, "reason": "95% CI now " + ("includes" if crossed_after else "excludes") + " no effect"})
    return flags

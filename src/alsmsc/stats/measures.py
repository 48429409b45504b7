"""Effect measures, defined once: how each is analysed, shown to readers, formatted and drawn.

Every place that reports an effect (summaries, captions, forest plots, GRADE text, release drift checks) asks this
table, so a ratio can never again be printed on its log scale (a pooled log ratio of mean survival of 0.114 is shown
as 1.12, the ratio it stands for).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Measure:
    code: str  # metafor's measure name
    name: str
    scale: str  # "log" ratios are analysed as logs; "logit" proportions as logits; "identity" as they are

    @property
    def ratio(self) -> bool:
        return self.scale == "log"

    @property
    def proportion(self) -> bool:
        return self.scale == "logit"

    @property
    def null(self) -> float | None:
        """No effect on the readers' scale (None for a proportion, which has no null)."""
        return 1.0 if self.ratio else None if self.proportion else 0.0

    @property
    def analysis_null(self) -> float | None:
        """No effect on the analysis scale."""
        return None if self.proportion else 0.0

    @property
    def axis(self) -> str:
        """How a chart draws this measure: 'log' for ratios, 'linear' otherwise."""
        return "log" if self.ratio else "linear"

    def to_reader(self, values):
        """Analysis scale -> readers' scale: exp for log ratios, expit for logit proportions."""
        x = np.asarray(values, dtype=float)
        if self.ratio:
            return np.exp(x)
        if self.proportion:
            with np.errstate(over="ignore"):
                return 1 / (1 + np.exp(-x))
        return x


MEASURES = {
    m.code: m
    for m in (
        Measure("MD", "mean difference", "identity"),
        Measure("SMD", "standardised mean difference", "identity"),
        Measure("RD", "risk difference", "identity"),
        Measure("RR", "risk ratio", "log"),
        Measure("OR", "odds ratio", "log"),
        Measure("ROM", "ratio of means", "log"),
        Measure("PLO", "proportion", "logit"),
    )
}


def measure(code: str) -> Measure:
    try:
        return MEASURES[code]
    except KeyError:
        raise KeyError(f"unknown effect measure {code!r}; known: {', '.join(MEASURES)}") from None

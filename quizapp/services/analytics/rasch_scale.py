"""Where an ability sits on the Rasch scale, for the draw: pure Python, so the web workers that
draw forms never load numpy (about 17 MB each; the fit in ``rasch`` needs it, the draw does not).

P(right) = 1 / (1 + exp(b - theta)) for an item of difficulty b and a person of ability theta.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def expected_score(theta: float, difficulties: Sequence[float]) -> float:
    """The expected proportion right at ability ``theta`` on items of these difficulties."""
    return math.fsum(1 / (1 + math.exp(b - theta)) for b in difficulties) / len(difficulties)


def ability_at(proportion: float, difficulties: Sequence[float]) -> float:
    """The ability whose expected proportion right on these items is ``proportion`` (bisection)."""
    low, high = -10.0, 10.0
    for _ in range(60):
        middle = (low + high) / 2
        if expected_score(middle, difficulties) < proportion:
            low = middle
        else:
            high = middle
    return (low + high) / 2

"""ReconnectPolicy: the backoff arithmetic, without sockets or waiting."""

from __future__ import annotations

import pytest

from realtime_sdk import ReconnectPolicy


def test_exponential_backoff_with_jitter_and_cap() -> None:
    exact = ReconnectPolicy(base_delay=0.5, max_delay=4.0, random=lambda: 0.5)
    assert [exact.delay(n) for n in range(1, 7)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    low = ReconnectPolicy(base_delay=1.0, jitter=0.5, random=lambda: 0.0)
    high = ReconnectPolicy(base_delay=1.0, jitter=0.5, random=lambda: 1.0, max_delay=100)
    assert low.delay(3) == 2.0 and high.delay(3) == 6.0
    none = ReconnectPolicy(base_delay=1.0, jitter=0.0, random=lambda: 1.0)
    assert none.delay(2) == 2.0


@pytest.mark.parametrize(
    "kwargs",
    [{"max_attempts": 0}, {"base_delay": -1}, {"jitter": 1.5}, {"rollover_margin": -1}],
)
def test_invalid_policies_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        ReconnectPolicy(**kwargs)  # type: ignore[arg-type]

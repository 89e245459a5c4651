"""The latency probe works (the 50-request figure comes from `python -m tests.bot.latency`)."""

from __future__ import annotations

from tests.bot.latency import measure


async def test_latency_probe(maker, tmp_path):
    latency = await measure(3, "bars=1", maker=maker, folder=tmp_path)

    assert latency.n == 3
    assert 0 < latency.engine_p50 <= latency.bot_p50 <= latency.wall_p50
    assert "p50" in str(latency)

"""The load benchmark's accounting, scaled down: every request answered once and logged once.

The full run (50 users, 500 requests, 8-bar beats) is `beatbot bench --load`; this one is
5 users sending 20 one-bar requests in bursts of 10, enough to fill the queue and the
one-beat-per-user rule, so there are beats and busy answers, and (with one beat a minute per
user) cooldowns when the first beats are done before the next burst.
"""

from __future__ import annotations

from bench.load import measure_load


async def test_scaled_down_load_answers_and_logs_every_request(maker):
    figures = await measure_load(users=5, requests=20, bars=1, burst_size=10, burst_gap_s=0.5,
                                 maker=maker, cooldown_rate=1, cooldown_s=60)

    assert figures["sent"] == figures["answered"] == figures["logged"] == 20
    assert figures["answered_twice"] == 0 and figures["answers_other"] == 0
    kinds = {kind: figures[f"answers_{kind}"] for kind in ("beat", "busy", "cooldown")}
    assert sum(kinds.values()) == 20 and kinds["beat"] and kinds["busy"], kinds
    assert (figures["outcome_ok"], figures["outcome_busy"], figures["outcome_cooldown"]) == (
        kinds["beat"], kinds["busy"], kinds["cooldown"])
    assert figures["outcome_failed"] == figures["outcome_user_error"] == 0
    assert 0 < figures["latency_ms_p50"] <= figures["latency_ms_p99"]
    assert figures["beats_per_s"] > 0 and figures["lag_ticks"] > 0

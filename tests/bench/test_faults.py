"""The faults benchmark, short: real Redis, PostgreSQL, two `beatbot worker`s and the bot
through simcord; a worker killed, Redis restarted with jobs waiting, PostgreSQL down for
2 s, and the bot killed with jobs in flight. Every request is answered and logged once,
none twice, each within 10 s of the fault's end, and the workers live on by themselves."""

from __future__ import annotations

from bench.faults import run_faults
from tests.bench.test_distributed import needs_servers

SHORT = ("worker_sigkill", "redis_restart_waiting", "postgres_down", "bot_sigkill")


@needs_servers
def test_every_fault_is_answered_and_logged_once():
    result = run_faults(faults=SHORT, redis_down_s=3.0, postgres_down_s=2.0, lead_s=1.5,
                        tail_s=1.5)

    for name, figures in result["faults"].items():
        assert figures["sent"] > 5, name
        assert figures["answered"] == figures["sent"] == figures["logged"], (name, figures)
        assert figures["doubled"] == 0 and figures["late"] == 0, (name, figures)
        assert figures["workers_alive"] == figures["workers"], (name, figures)
    assert result["faults"]["bot_sigkill"]["answers"].get("beat")
    assert result["all_answered_logged_once"]

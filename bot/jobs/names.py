"""The names the bots and the workers share on Redis: the queue, the keys, the job, and the
times both sides count on."""

QUEUE_NAME = "beatbot:queue"
"""The arq queue (a Redis sorted set of job ids, oldest first)."""
MAKE_JOB = "make_beat"
WORKERS_KEY = "beatbot:workers"
"""Sorted set of live workers: member `name|slots`, score the Unix second it expires."""
WORKER_TTL_S = 4
"""A worker that has not said it is alive for this long is taken for dead."""
LEASE_S = 3.0
"""How long a job stays claimed by a worker that stops renewing it (one that died)."""
JOB_TIMEOUT_S = 60.0
"""The longest one beat may take (64 bars at 40 bpm take a few seconds)."""
MAX_TRIES = 2
"""A job whose worker died is tried once more; after that the user is told it failed."""
KEEP_RESULT_S = 60
"""Longest a finished beat waits in Redis for the bot that asked (which drops it once read)."""
DONE_PREFIX = "beatbot:done:"
"""Pub/sub channels on which a bot hears that its jobs ended (one channel per bot process)."""
BOTS_KEY = "beatbot:bots"
"""Sorted set of live bot processes: member the bot's id, score the Unix second (Redis's
clock) it expires. A bot's in-flight marks and cards outlive it only until then."""
BOT_TTL_S = 4
"""A bot that has not said it is alive for this long is taken for dead (it says so every
2 s): another bot then adopts its jobs, and its users' in-flight marks count for nothing."""
CARDS_PREFIX = "beatbot:cards:"
"""Hash per bot (`beatbot:cards:<bot id>`): job id -> the job's Card (msgpack)."""

# BeatBot: the Discord bot and `beatbot worker`, without the training extra (no TensorFlow).
# Two stages: the dependencies are installed into /venv from pyproject.toml alone, so a change
# to the code rebuilds only the last layers (a second or two); the final image gets /venv and
# one copy of the code in /app, and runs as uid 10001. See docs/container.md.

FROM python:3.11-slim AS deps
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
COPY pyproject.toml /tmp/pyproject.toml
# The run-time dependencies only (no build of the project itself); then what the bot never
# reads (numpy's tests, headers and f2py), and the bytecode compiled once.
RUN python -c "import tomllib; print(*tomllib.load(open('/tmp/pyproject.toml', 'rb'))['project']['dependencies'], sep='\n')" > /tmp/requirements.txt \
    && python -m venv --without-pip /venv \
    && pip --python /venv/bin/python install --no-compile -r /tmp/requirements.txt \
    && site=/venv/lib/python3.11/site-packages \
    && rm -rf "$site"/numpy/*/tests "$site"/numpy/tests "$site"/numpy/_core/include \
        "$site"/numpy/f2py \
    && /venv/bin/python -m compileall -q -j 0 "$site" \
    && echo /app > "$site"/beatbot.pth \
    && printf '#!/venv/bin/python\nimport sys\nfrom cli.main import main\nsys.exit(main())\n' \
        > /venv/bin/beatbot && chmod 755 /venv/bin/beatbot

FROM python:3.11-slim
# FluidSynth renders the beats; libopus encodes Ogg (both from Debian, no FFmpeg).
RUN apt-get update \
    && apt-get install -y --no-install-recommends libfluidsynth3=2.* libopus0=1.* \
    && rm -rf /var/lib/apt/lists/* /var/cache/debconf/*-old /var/log/* \
    && useradd --no-create-home --home-dir /data --uid 10001 beatbot \
    && mkdir -p /data && chown beatbot:beatbot /data

ENV PATH=/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    BEATBOT_DATABASE=/data/beatbot.db \
    BEATBOT_SOUNDFONT_DIR=/app/soundfonts \
    BEATBOT_METRICS_PORT=9464
COPY --from=deps /venv /venv
COPY soundfonts /app/soundfonts
COPY engine /app/engine
COPY bench /app/bench
COPY bot /app/bot
COPY cli /app/cli
RUN python -m compileall -q /app

# /data is the bot's folder: its SQLite log (and, with PostgreSQL, the rows that wait for
# it) live there, so a relative BEATBOT_DATABASE lands on the volume too. No VOLUME here:
# name one (`-v beatbot-data:/data`), or the log lives and dies with the container.
WORKDIR /data
USER 10001
# `beatbot health` without the other subcommands' imports: healthy while the process's own
# metrics endpoint (BEATBOT_METRICS_PORT, inside the container) says beatbot_up 1.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-m", "cli.health"]
CMD ["beatbot", "run"]

# BeatBot: the Discord bot, without the training extra (no TensorFlow at run time).
FROM python:3.11-slim

RUN apt-get update \
    && apt-get install -y --no-install-recommends libfluidsynth3=2.* \
    && rm -rf /var/lib/apt/lists/*

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    BEATBOT_DATABASE=/data/beatbot.db \
    BEATBOT_SOUNDFONT_DIR=/app/soundfonts

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY engine ./engine
COPY bench ./bench
COPY cli ./cli
COPY soundfonts ./soundfonts
RUN pip install --no-cache-dir . \
    && useradd --create-home --uid 10001 beatbot \
    && mkdir -p /data \
    && chown beatbot:beatbot /data

USER 10001
VOLUME ["/data"]
CMD ["beatbot", "run"]

"""BeatBot's engine: drum data, the model, generation, MIDI, rendering. Never imports discord."""

import os

# Tiny matrix-vector products run faster on one BLAS thread than on several, and the
# bot already runs jobs side by side in worker threads.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

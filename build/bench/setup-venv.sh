#!/bin/sh
# npm run bench:setup: the Python venv bench:engine times Hugging Face against (.venv-bench/,
# gitignored). PyTorch's CPU wheel links MKL and oneDNN, the configuration a user gets from pip.
# Another venv can be used instead with SIGHTLINE_BENCH_PYTHON=/path/to/python.
set -eu
cd "$(dirname "$0")/../.."
VENV=${SIGHTLINE_BENCH_VENV:-.venv-bench}
PYTHON=${PYTHON:-python3}
if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/pip" install "torch==2.13.0+cpu" "transformers==5.18.0" regex pillow threadpoolctl safetensors numpy
"$VENV/bin/python" -c "import torch, transformers; print('bench venv ready:', '$VENV', 'torch', torch.__version__, 'transformers', transformers.__version__)"

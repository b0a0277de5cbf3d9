#!/usr/bin/env bash
# The GPU check on a machine without registries: the carried wheels (.gpu/wheels, from
# `make gpu-bundle`) go to a folder of their own beside the machine's packages, the toolkit is
# read from src/, and the report is written to $OUT (default gpu-report). Extra arguments go to
# benchmarks/gpu_check.py (e.g. --sections speed).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${OUT:-gpu-report}"
# Device time is scarce: a missing bundle is said in one line before anything is spent on it.
for need in .gpu/fashion-mnist .gpu/emoji64.npz; do
    if [ ! -e "$need" ]; then
        echo "gpu_check.sh: $need is missing: run 'make gpu-bundle' here first and carry .gpu (the device tool's carry: [\".gpu\"])" >&2
        exit 2
    fi
done
if compgen -G ".gpu/wheels/*.whl" >/dev/null; then
    python3 -m pip install -q --no-index --no-deps --no-compile --upgrade --target /tmp/wgan-site .gpu/wheels/*.whl
    export PYTHONPATH="/tmp/wgan-site${PYTHONPATH:+:$PYTHONPATH}"
fi
export PYTHONPATH="$PWD/src:${PYTHONPATH:-}" PYTHONUNBUFFERED=1
python3 benchmarks/gpu_check.py --out "$OUT" --fashion .gpu/fashion-mnist --emoji .gpu/emoji64.npz "$@"

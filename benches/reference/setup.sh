#!/usr/bin/env bash
# Creates the Python environment the reference peers run in (numpy/OpenBLAS, FAISS,
# safetensors, h5py to write ann-benchmarks HDF5 files; PyTorch with --torch). Idempotent. Peers only: the product never
# needs Python.
#   bash benches/reference/setup.sh [--torch]      -> prints the venv's python path
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
venv=${SIGAH_VENV:-$root/.venv-ref}
want_torch=0
[ "${1:-}" = "--torch" ] && want_torch=1
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv" >&2
fi
py="$venv/bin/python"
need=()
"$py" -c 'import numpy' 2>/dev/null || need+=(numpy)
"$py" -c 'import safetensors' 2>/dev/null || need+=(safetensors)
"$py" -c 'import faiss' 2>/dev/null || need+=(faiss-cpu)
"$py" -c 'import h5py' 2>/dev/null || need+=(h5py)
if [ "$want_torch" = 1 ]; then "$py" -c 'import torch' 2>/dev/null || need+=(torch); fi
if [ ${#need[@]} -gt 0 ]; then
  "$py" -m pip install --quiet --disable-pip-version-check "${need[@]}" >&2
fi
echo "$py"

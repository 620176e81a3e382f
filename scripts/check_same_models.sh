#!/usr/bin/env bash
# Behaviour check for refactors (docs/ARCHITECTURE.md, "Checks"): trains the same models
# with two sigah binaries, then compares the model tensors byte for byte, the
# codes both encode, and the search results both return. The model file's JSON
# metadata is compared too, the config key by key whatever its layout (flat or
# in sections); a difference in it is printed, not hidden: only
# `format_version` may differ (when the file layout changes).
#
#   scripts/check_same_models.sh REF_BIN NEW_BIN [DATA_DIR]
#
# DATA_DIR holds base.bvecs and query.bvecs (default: the repository's data/mnist5k).
# Exits 1 on any difference in tensors, codes or search results.
set -euo pipefail
ref=$(realpath "$1"); new=$(realpath "$2")
data=${3:-$(cd "$(dirname "$0")/.." && pwd)/data/mnist5k}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

# Flat-key config files, as users wrote them before the config had sections:
# the new binary must read them (non-default values, so they change the model).
cat > flat.json <<'JSON'
{"decoder": "linear", "hidden": [128], "input_pca": 64, "lambda_list": 0.0,
 "relax_beta": 0.0, "pair_one_sided": false, "sim_knn_target": 0.7,
 "skip_lr_scale": 0.2, "lr_g": 0.002}
JSON
cat > flat.toml <<'TOML'
adversarial = false
skip = false
itq_init = false
rank_neg = 300
rank_pos = 20
margin = 3.0
lambda_bal = 0.2
knn_pairs = 5
TOML
cat > lista.json <<'JSON'
{"latent": 48, "lista_steps": 2, "disc_hidden": 64, "d_steps": 2, "list_k": 30, "list_temp": 0.1}
JSON
# The same values as flat.toml and lista.json together, in the sections of the
# current layout: a case whose flags name SECTIONED gives the reference binary
# the flat files' values through FLAT (it may predate sections), the new binary
# this file.
cat > sectioned.toml <<'TOML'
[architecture]
skip = false
latent = 48
lista_steps = 2
disc_hidden = 64
[loss]
adversarial = false
margin = 3.0
lambda_bal = 0.2
[neighbours]
rank_neg = 300
rank_pos = 20
knn_pairs = 5
list_k = 30
list_temp = 0.1
[training]
itq_init = false
d_steps = 2
TOML
cat > flat_both.json <<'JSON'
{"adversarial": false, "skip": false, "itq_init": false, "rank_neg": 300, "rank_pos": 20,
 "margin": 3.0, "lambda_bal": 0.2, "knn_pairs": 5,
 "latent": 48, "lista_steps": 2, "disc_hidden": 64, "d_steps": 2, "list_k": 30, "list_temp": 0.1}
JSON

# name | train flags
cases=(
  "d16|--bits 16 --seed 3 --threads 1"
  "j32|--bits 32 --seed 7 --threads 2 --config flat.json"
  "t64|--bits 64 --seed 42 --threads 2 --config flat.toml"
  "l24|--bits 24 --seed 11 --threads 1 --config lista.json --batch-size 100"
  "s40|--bits 40 --seed 13 --threads 2 --config SECTIONED"
)
common="--data $data/base.bvecs --train-size 1500 --steps 0 -q"

fail=0
tensors() { # the safetensors header's tensor entries and the data bytes, metadata aside
  python3 - "$1" <<'PY'
import hashlib, json, struct, sys
b = open(sys.argv[1], 'rb').read()
n = struct.unpack('<Q', b[:8])[0]
h = json.loads(b[8:8 + n])
h.pop('__metadata__', None)
print(json.dumps(h, sort_keys=True), hashlib.sha256(b[8 + n:]).hexdigest())
PY
}
metadata() { # one line per metadata key; `config` parsed, its sections flattened, one line per key
  python3 - "$1" <<'PY'
import json, struct, sys
b = open(sys.argv[1], 'rb').read()
n = struct.unpack('<Q', b[:8])[0]
m = json.loads(b[8:8 + n]).get('__metadata__', {})
for k in sorted(m):
    if k == 'config':
        # Flat (format version 2) or in sections (3): the same key = value lines.
        flat = {}
        for key, v in json.loads(m[k]).items():
            flat.update(v if isinstance(v, dict) else {key: v})
        for key in sorted(flat):
            print(f"config.{key} = {json.dumps(flat[key])}")
    else:
        print(f"{k}: {m[k]}")
PY
}
same() { # label file1 file2
  if cmp -s "$2" "$3"; then echo "  same: $1"; else echo "  DIFFERENT: $1"; fail=1; fi
}

for case in "${cases[@]}"; do
  name=${case%%|*}; flags=${case#*|}
  echo "== $name: train $flags"
  for who in ref new; do
    bin=${!who}
    if [ "$who" = ref ]; then these=${flags//SECTIONED/flat_both.json}; else these=${flags//SECTIONED/sectioned.toml}; fi
    # shellcheck disable=SC2086
    "$bin" train $common --epochs 2 $these --out "$who.$name.safetensors"
    "$bin" encode --model "$who.$name.safetensors" --data "$data/base.bvecs" --out "$who.$name.base.npy" -q
    "$bin" encode --model "$who.$name.safetensors" --data "$data/query.bvecs" --out "$who.$name.query.npy" -q
    "$bin" search --index "$who.$name.base.npy" --queries "$who.$name.query.npy" --k 10 --out "$who.$name.knn" -q
    "$bin" search --index "$who.$name.base.npy" --queries "$who.$name.query.npy" --radius 2 --out "$who.$name.r2.tsv" -q
    tensors "$who.$name.safetensors" > "$who.$name.tensors"
    metadata "$who.$name.safetensors" > "$who.$name.meta"
  done
  same "model tensors" "ref.$name.tensors" "new.$name.tensors"
  same "base codes" "ref.$name.base.npy" "new.$name.base.npy"
  same "query codes" "ref.$name.query.npy" "new.$name.query.npy"
  same "k=10 ids" "ref.$name.knn.ids.npy" "new.$name.knn.ids.npy"
  same "k=10 distances" "ref.$name.knn.dist.npy" "new.$name.knn.dist.npy"
  same "radius-2 results" "ref.$name.r2.tsv" "new.$name.r2.tsv"
  # The new binary reads the old binary's model file and encodes the same codes.
  "$new" encode --model "ref.$name.safetensors" --data "$data/query.bvecs" --out "cross.$name.query.npy" -q
  same "new binary on the old model file: query codes" "ref.$name.query.npy" "cross.$name.query.npy"
  if cmp -s "ref.$name.meta" "new.$name.meta"; then
    echo "  same: model file metadata"
  else
    echo "  metadata differs (tensors above decide; the lines that differ):"
    diff "ref.$name.meta" "new.$name.meta" | sed 's/^/    /' || true
  fi
done

echo "== checkpoint and resume: 1 epoch with a checkpoint, resumed to 2"
for who in ref new; do
  bin=${!who}
  # shellcheck disable=SC2086
  "$bin" train $common --epochs 1 --bits 16 --seed 5 --threads 2 --checkpoint-every 1 \
    --checkpoint "$who.ckpt.safetensors" --out "$who.first.safetensors"
  # shellcheck disable=SC2086
  "$bin" train $common --epochs 2 --bits 16 --seed 5 --threads 2 --resume "$who.ckpt.safetensors" --out "$who.resumed.safetensors"
  tensors "$who.resumed.safetensors" > "$who.resumed.tensors"
done
same "resumed model tensors" ref.resumed.tensors new.resumed.tensors

echo "== eval: every method at 16 bits, label relevance (timings and configs left out)"
for who in ref new; do
  bin=${!who}
  "$bin" eval --base "$data/base.bvecs" --queries "$data/query.bvecs" \
    --base-labels "$data/base_labels.ivecs" --query-labels "$data/query_labels.ivecs" \
    --methods sigah,sigah-noadv,sigah-linear,itq,pcah,lsh --bits 16 --epochs 1 --seed 9 \
    --sigah-config lista.json --report "$who.eval.json" -q > /dev/null
  jq -S '.results | map(del(.train_s, .encode_s, .config))' "$who.eval.json" > "$who.eval.scores"
done
same "eval scores" ref.eval.scores new.eval.scores

if [ "$fail" = 0 ]; then echo "ALL SAME"; else echo "DIFFERENCES FOUND"; exit 1; fi

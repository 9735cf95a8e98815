#!/usr/bin/python3
"""Pack a recording directory into one fuzz_sigmf input (format: tests/fuzz/fuzz_sigmf.c).

usage: pack_sigmf_seed.py CAPTURE_DIR OUT_FILE
Each .sigmf-* file becomes a "%%% NAME" section; in the .sigmf-collection every SHA-512 of
a meta file is replaced by "@SHA:NAME@" so that the harness recomputes it after mutation.
The capture must be in the current layout (isactb format 2.x: shared and per-CPI records
in the collection), otherwise the reader refuses it at the version check and the seed
only exercises that refusal. The seeds in tests/fuzz/corpus/sigmf are built with (4 RX
channels, a 64-sample probe, 4 CPIs; drops.bin with lost samples):

  cat >seed.yaml <<'YAML'
  seed: 3
  max_steps: 4
  beams: 4
  waveform: {kind: lfm, length: 64}
  window_guard: 64
  noise_bins: 16
  YAML
  build/bin/isactb run --config seed.yaml --radio sim:elements=1 --episodes 1 --record --out T
  build/bin/isactb run --config seed.yaml --radio sim:elements=1,drop_rate=0.3 \
      --episodes 1 --record --out D
  tests/fuzz/pack_sigmf_seed.py T tests/fuzz/corpus/sigmf/tiny.bin
  tests/fuzz/pack_sigmf_seed.py D tests/fuzz/corpus/sigmf/drops.bin
"""
import hashlib
import json
import os
import sys

MAX_FILES = 24  # fuzz_sigmf.c MAX_FILES: later sections are ignored
MAX_NAME = 64   # fuzz_sigmf.c valid_name()

src, out = sys.argv[1], sys.argv[2]
names = sorted(n for n in os.listdir(src) if ".sigmf-" in n and not n.endswith(".tmp"))
files = {n: open(os.path.join(src, n), "rb").read() for n in names}
colls = [n for n in names if n.endswith(".sigmf-collection")]
if len(colls) != 1:
    sys.exit(f"{src}: {len(colls)} .sigmf-collection files (expected 1: a finished capture)")
if len(names) > MAX_FILES or any(len(n) > MAX_NAME for n in names):
    sys.exit(f"{src}: {len(names)} files (harness reads {MAX_FILES}, names up to {MAX_NAME} "
             "characters): record with fewer RX channels, e.g. --radio sim:elements=1")
ext = json.loads(files[colls[0]])["collection"].get("core:extensions", [])
ver = next((e.get("version") for e in ext if e.get("name") == "isactb"), None)
if not ver or not ver.startswith("2."):
    sys.exit(f"{colls[0]}: isactb capture format {ver} (the reader reads 2.x): re-record it")
parts = []
for n in names:
    data = files[n]
    if n in colls:
        for m in names:
            if m.endswith(".sigmf-meta"):
                h = hashlib.sha512(files[m]).hexdigest().encode()
                data = data.replace(h, b"@SHA:" + m.encode() + b"@")
    if b"\n%%% " in data:
        sys.exit(f"{n}: contains the section separator")
    parts.append(b"%%% " + n.encode() + b"\n" + data)
open(out, "wb").write(b"\n".join(parts))

#!/usr/bin/python3
"""Pack a recording directory into one fuzz_sigmf input (format: tests/fuzz/fuzz_sigmf.c).

usage: pack_sigmf_seed.py CAPTURE_DIR OUT_FILE
Each file becomes a "%%% NAME" section; in the .sigmf-collection every SHA-512 of a meta
file is replaced by "@SHA:NAME@" so that the harness recomputes it after mutation.
"""
import os
import sys

src, out = sys.argv[1], sys.argv[2]
names = sorted(n for n in os.listdir(src) if ".sigmf-" in n)
files = {n: open(os.path.join(src, n), "rb").read() for n in names}
import hashlib
parts = []
for n in names:
    data = files[n]
    if n.endswith(".sigmf-collection"):
        for m in names:
            if m.endswith(".sigmf-meta"):
                h = hashlib.sha512(files[m]).hexdigest().encode()
                data = data.replace(h, b"@SHA:" + m.encode() + b"@")
    if b"\n%%% " in data:
        sys.exit(f"{n}: contains the section separator")
    parts.append(b"%%% " + n.encode() + b"\n" + data)
open(out, "wb").write(b"\n".join(parts))

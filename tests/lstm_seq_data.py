#!/usr/bin/python3
"""Write a small sequence data file (ISACSEQ1, host/learn/lstm_data.h) for the Bi-LSTM's
end-to-end test. Both tasks need both directions of the network:

  peaks: classification, 1 feature, 1 target: a step is 1 when its value exceeds both
         neighbours (a missing neighbour counts as lower); values uniform in [-1, 1];
  beam:  regression, 1 feature, 2 targets in one unit-ball group: 0.9 [cos a, sin a] with
         a = pi (x_{t-1} + x_{t+1}) / 2 (a missing neighbour counts as 0).

usage: lstm_seq_data.py peaks|beam N SEED OUT"""
import struct
import sys

import numpy as np


def main():
    task, n, seed, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    rng = np.random.default_rng(seed)
    head, nout, groups = (0, 1, 0) if task == "peaks" else (1, 2, 1)
    seqs = []
    for _ in range(n):
        L = int(rng.integers(3, 13))
        x = rng.uniform(-1, 1, L).astype(np.float32)
        pad = np.concatenate(([-np.inf], x, [-np.inf])) if task == "peaks" else \
            np.concatenate(([0.0], x, [0.0]))
        if task == "peaks":
            y = ((pad[1:-1] > pad[:-2]) & (pad[1:-1] > pad[2:])).astype(np.float32)[:, None]
        else:
            a = np.pi * (pad[:-2] + pad[2:]) / 2
            y = (0.9 * np.stack([np.cos(a), np.sin(a)], axis=1)).astype(np.float32)
        seqs.append((x[:, None], y))
    max_len = max(len(s[0]) for s in seqs)
    with open(out, "wb") as f:
        f.write(b"ISACSEQ1" + struct.pack("<6IQ", 1, 1, nout, head, groups, max_len, n))
        for x, y in seqs:
            f.write(struct.pack("<I", len(x)))
            f.write(x.astype("<f4").tobytes())
            f.write(y.astype("<f4").tobytes())


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""A capture writer of another tool, written from docs/capture-format.md alone (numpy only,
no isactb code): sections 1-4 (files, fields), 8 (probes), 9 (detection signal model), 10
(calibration reference), 11 (replay schedule), 13 (the minimal example).

usage:
  thirdparty_capture.py detect DIR [--probe lfm|zc|mseq] [--fault conj|txtick] [--seed S]
      the minimal example of section 13: 1 TX, one AP of 4 elements, CPI 0 noise only,
      CPI 1 a target at (200, 300) m. --probe: another probe kind (zc L=4093 u=25,
      mseq m=12); --fault: a deliberate error (conjugated LFM in the txref, or a tx_tick
      that is not the window's tick) that isactb must refuse.
  thirdparty_capture.py calib DIR [--fault ref|conj] [--seed S]
      an rx calibration session (section 10): 2 arrays of 4 elements fed by a splitter with
      planted phases, gains and fractional delays; prints the planted truth as JSON on
      stdout. --fault ref: the burst stored in the txref is not the reference; --fault conj:
      the channel gains applied conjugated (a sign convention error the stored metadata
      cannot reveal: only the comparison with the planted truth catches it).
"""
import hashlib
import json
import os
import sys

import numpy as np

C0 = 299792458.0
M64 = (1 << 64) - 1


# ---------------------------------------------------------------- section 10: random numbers
def splitmix64(x):
    x = (x + 0x9E3779B97F4A7C15) & M64
    z = x
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return x, z ^ (z >> 31)


def first_uniform(seed, stream_id):
    x = (seed ^ ((0xD1B54A32D192ED03 * (stream_id + 1)) & M64)) & M64
    _, x2 = splitmix64(x)
    s = []
    x = x2
    for _ in range(4):
        x, v = splitmix64(x)
        s.append(v)
    t = (s[0] + s[3]) & M64
    out = ((((t << 23) | (t >> 41)) & M64) + s[0]) & M64
    return (out >> 11) * 2.0 ** -53


def calib_reference(N, periods, guard, occupancy, seed):
    """Section 10 steps 2-4: spectrum X (N bins) and the float32 burst."""
    lim = int(np.floor(occupancy * N / 2))
    X = np.zeros(N, complex)
    for f in range(N):
        fs = f if f < N // 2 else f - N
        if abs(fs) <= lim:
            X[f] = np.exp(2j * np.pi * first_uniform(seed, 0x63616C6962 ^ (f << 20)))
    A = np.count_nonzero(X)
    p = np.fft.ifft(X) * N / np.sqrt(A)          # sum_f X[f] exp(+j 2 pi f n / N) / sqrt(A)
    t = np.arange(2 * guard + periods * N)
    return X, A, p[(t - guard) % N].astype(np.complex64)


def ref_at(X, A, N, n, d):
    """Band-limited reference p(n - d) at integer times n, fractional d (signed bin index fs,
    section 10 step 4): one period of sum_f X[f] exp(j 2 pi fs (n - d) / N) / sqrt(A)."""
    fs = np.where(np.arange(N) < N // 2, np.arange(N), np.arange(N) - N)
    period = np.fft.ifft(X * np.exp(-2j * np.pi * fs * d / N)) * N / np.sqrt(A)
    return period[np.asarray(n) % N]


# ---------------------------------------------------------------- section 8: probes
MSEQ = {6: ([1, 6], "111111"), 7: ([3, 7], "1001001"), 8: ([2, 3, 4, 8], "10110001"),
        9: ([4, 9], "100010001"), 10: ([3, 10], "1001001001"), 11: ([2, 11], "10101010101"),
        12: ([1, 4, 6, 12], "111101110011"), 13: ([1, 3, 4, 13], "1110001110001"),
        14: ([1, 3, 5, 14], "11101100101000"), 15: ([1, 15], "111111111111111")}


def probe(kind, L, root=25, bw=0.8):
    n = np.arange(L, dtype=np.float64)
    if kind == "lfm":
        return np.exp(1j * np.pi * bw * (n * n / L - n))
    if kind == "zc":
        return np.exp(-1j * np.pi * root * n * (n + (L % 2)) / L)
    m = int(round(np.log2(L + 1)))
    taps, init = MSEQ[m]
    b = [int(c) for c in init]
    for k in range(m, L):
        v = 0
        for t in taps:
            v ^= b[k - t]
        b.append(v)
    return 1.0 - 2.0 * np.array(b, dtype=np.float64)


def delayed(s, d, W):
    """s delayed by d samples (band-limited: phase ramp on the zero-padded spectrum, signed
    frequencies), W samples."""
    nfft = 1 << int(np.ceil(np.log2(2 * W)))
    S = np.fft.fft(s, nfft)
    k = np.fft.fftfreq(nfft) * nfft
    return np.fft.ifft(S * np.exp(-2j * np.pi * k * d / nfft))[:W]


# ---------------------------------------------------------------- sections 1-4: files
def cnoise(rng, n, var=1.0):
    return np.sqrt(var / 2) * (rng.standard_normal(n) + 1j * rng.standard_normal(n))


def write_meta(d, base, glob, captures):
    raw = (json.dumps({"global": glob, "captures": captures, "annotations": []}) + "\n").encode()
    with open(os.path.join(d, base + ".sigmf-meta"), "wb") as f:
        f.write(raw)
    return hashlib.sha512(raw).hexdigest()


def write_capture(d, name, fs, fc, radio, rx, txref, cpis, shared, segment=None):
    """rx[ch]: list of per-CPI sample arrays; txref: list per CPI (may be empty arrays);
    cpis: the isactb:cpis records (ticks, lengths); shared: extra collection keys."""
    os.makedirs(d, exist_ok=True)
    ext_rx = [{"name": "spatial", "version": "1.1.0", "optional": True},
              {"name": "isactb", "version": "2.0.0", "optional": True}]
    core = {"core:datatype": "cf32_le", "core:version": "1.2.0", "core:sample_rate": fs,
            "core:collection": name}
    nrx = len(rx)
    streams = []
    ap_of, el_of = [], []
    for a, m in enumerate(radio["rx_ap_elements"]):
        ap_of += [a] * m
        el_of += list(range(m))
    for ch in range(nrx):
        caps, off = [], 0
        for k, c in enumerate(cpis):
            caps.append(dict({"core:sample_start": off, "core:global_index": c["isactb:tick"],
                              "core:frequency": fc}, **(segment or {})))
            off += len(rx[ch][k])
        np.concatenate(rx[ch]).astype(np.complex64).tofile(
            os.path.join(d, f"{name}-rx{ch}.sigmf-data"))
        g = dict(core, **{"core:extensions": ext_rx, "spatial:num_elements": nrx,
                          "spatial:channel_index": ch, "isactb:stream": "rx",
                          "isactb:rx_ap": ap_of[ch], "isactb:ap_element": el_of[ch]})
        streams.append([f"{name}-rx{ch}", write_meta(d, f"{name}-rx{ch}", g, caps)])
    caps, off = [], 0
    for k, c in enumerate(cpis):
        if len(txref[k]):
            caps.append({"core:sample_start": off,
                         "core:global_index": c.get("isactb:tx_tick", c["isactb:tick"])})
            off += len(txref[k])
    np.concatenate(txref).astype(np.complex64).tofile(os.path.join(d, f"{name}-txref.sigmf-data"))
    g = dict(core, **{"core:extensions": ext_rx[1:], "isactb:stream": "txref"})
    streams.append([f"{name}-txref", write_meta(d, f"{name}-txref", g, caps)])
    lam = C0 / fc
    geo = []
    for a, ap in enumerate(radio["rx_aps"]):
        for m in range(radio["rx_ap_elements"][a]):
            p = m * radio["element_spacing_wl"] * lam
            geo.append({"point": [ap["x"] + p * np.cos(ap["axis_rad"]),
                                  ap["y"] + p * np.sin(ap["axis_rad"]), 0.0]})
    coll = {"core:version": "1.2.0", "core:extensions": ext_rx, "core:streams": streams,
            "spatial:element_geometry": geo, "isactb:radio": radio, "isactb:cpis": cpis}
    coll.update(shared)
    with open(os.path.join(d, name + ".sigmf-collection"), "w") as f:
        json.dump({"collection": coll}, f)


# ---------------------------------------------------------------- section 13 / 9: detection
def detection(d, kind, fault, seed):
    fs, fc = 20e6, 2.45e9
    radio = {"sample_rate": fs, "center_freq": fc, "num_tx": 1, "num_rx": 4,
             "rx_ap_elements": [4], "rx_aps": [{"x": 400, "y": 0, "axis_rad": np.pi / 2}],
             "tx_ap": {"x": 0, "y": 0, "axis_rad": 0}, "element_spacing_wl": 0.5}
    exp = {"beams": 1, "episodes": 1, "max_steps": 2, "confirm_radius_m": 0}
    L = 4096
    if kind == "zc":
        L = 4093
        exp["waveform"] = {"kind": "zc", "length": L, "root": 25}
    elif kind == "mseq":
        L = 4095
        exp["waveform"] = {"kind": "mseq", "length": L}
    s = probe(kind, L)
    W = L + 256                                     # window_guard default
    D = max(round(1e-3 * fs), W)                    # section 11
    P = np.array([200.0, 300.0])
    T, R = np.array([0.0, 0.0]), np.array([400.0, 0.0])
    dly = (np.linalg.norm(P - T) + np.linalg.norm(P - R)) * fs / C0
    u = np.array([np.cos(np.pi / 2), np.sin(np.pi / 2)])
    sphi = u @ (P - R) / np.linalg.norm(P - R)
    a = np.exp(2j * np.pi * 0.5 * np.arange(4) * sphi)
    rng = np.random.default_rng(seed)
    echo = delayed(s, dly, W)
    rx = [[cnoise(rng, W), 0.05 * a[m] * echo + cnoise(rng, W)] for m in range(4)]
    tx = s.astype(np.complex64)
    txrefs = [tx, np.conj(tx) if fault == "conj" else tx]
    cpis = [{"isactb:tick": 0, "isactb:num_samples": W, "isactb:tx_samples": L, "isactb:beam": 0},
            {"isactb:tick": D, "isactb:num_samples": W, "isactb:tx_tick": D + (100 if fault ==
             "txtick" else 0), "isactb:tx_samples": L, "isactb:beam": 0}]
    write_capture(d, "ex", fs, fc, radio, rx, txrefs, cpis, {"isactb:experiment": exp})
    print(json.dumps({"x": P[0], "y": P[1], "delay": dly, "sin_phi": sphi}))


# ---------------------------------------------------------------- section 10: calibration
def calibration(d, fault, seed):
    fs, fc = 20e6, 2.45e9
    N, periods, guard, occ, rseed = 1024, 4, 64, 0.8, 1
    radio = {"sample_rate": fs, "center_freq": fc, "num_tx": 1, "num_rx": 8,
             "rx_ap_elements": [4, 4],
             "rx_aps": [{"x": 100, "y": 100, "axis_rad": 0.5}, {"x": 300, "y": 100, "axis_rad": 2}],
             "tx_ap": {"x": 200, "y": 0, "axis_rad": 0}, "element_spacing_wl": 0.5,
             "driver": "othertool", "serial": "bench-1"}
    session = {"kind": "rx", "method": "splitter-eigenvector",
               "reference": {"N": N, "periods": periods, "guard": guard, "occupancy": occ,
                             "seed": rseed},
               "maxlag": 30, "coarse_delay": 0, "ref_rx": 0}
    X, A, burst = calib_reference(N, periods, guard, occ, rseed)
    rng = np.random.default_rng(seed)
    phase = rng.uniform(-180, 180, 8)
    gain_db = rng.uniform(-3, 3, 8)
    delay = rng.uniform(0, 3.7, 8)
    tx_tick = 2048
    tick = tx_tick + guard + round(0)
    tau = np.arange(tick, tick + periods * N) - tx_tick       # burst time of each sample
    snr_db = 20.0
    rx = []
    for m in range(8):
        c = 10 ** (gain_db[m] / 20) * np.exp(1j * np.deg2rad(phase[m]))
        if fault == "conj":
            c = np.conj(c)
        y = c * ref_at(X, A, N, tau - guard, delay[m])        # x(t) = p(t - guard)
        rx.append([y + cnoise(rng, len(y), 10 ** (-snr_db / 10))])
    stored = burst if fault != "ref" else calib_reference(N, periods, guard, occ, rseed + 1)[2]
    cpis = [{"isactb:tick": tick, "isactb:num_samples": periods * N, "isactb:tx_tick": tx_tick,
             "isactb:tx_samples": len(burst),
             "isactb:calib_cpi": {"session": "rx", "reference": "full", "tx_channels": [0]}}]
    write_capture(d, "cal", fs, fc, radio, rx, [stored], cpis, {"isactb:calib_session": session},
                  {"spatial:calibration": {"caltype": "ref"}})
    rel = []
    for m in range(8):
        m0 = 0 if m < 4 else 4
        rel.append({"phase_deg": (phase[m] - phase[m0] + 180) % 360 - 180,
                    "gain_db": gain_db[m] - gain_db[m0], "delay_samples": delay[m] - delay[m0]})
    print(json.dumps({"channels": rel}))


def main(argv):
    if len(argv) < 3 or argv[1] not in ("detect", "calib"):
        raise SystemExit(__doc__)
    opts = dict(zip(argv[3::2], argv[4::2]))
    seed = int(opts.get("--seed", 7))
    if argv[1] == "detect":
        detection(argv[2], opts.get("--probe", "lfm"), opts.get("--fault"), seed)
    else:
        calibration(argv[2], opts.get("--fault"), seed)


if __name__ == "__main__":
    main(sys.argv)

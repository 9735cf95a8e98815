#!/usr/bin/python3
"""An outside SoapySDR client against the isacsim device (SOAPY_SDR_PLUGIN_PATH must
point at the build's lib/soapy). Checks, with Debian's python3-soapysdr:
  1. enumeration by driver key and the device's channels, rate and time;
  2. a timed, continuous, multi-channel RX stream whose every timestamp equals the
     start time plus the samples received so far (ticksToTimeNs at the sample rate);
  3. a timed TX burst (HAS_TIME + END_BURST) echoed in a timed finite RX window
     (END_BURST on its last read) through the emulator's TX-to-RX leak path;
  4. a late TX burst reported by readStreamStatus as SOAPY_SDR_TIME_ERROR;
  5. the ground truth JSON through the isactb_truth setting;
  6. a stream of 4 activated channels (the device renders only those) delivers, bit for
     bit, the same samples as those channels of a stream of all 64, with noise, a target,
     impairments and a TX burst on the air.
Exit status 0 on success, 1 with one FAIL line per failed check."""
import json
import sys

import numpy as np
import SoapySDR
from SoapySDR import SOAPY_SDR_RX, SOAPY_SDR_TX, SOAPY_SDR_CF32
from SoapySDR import SOAPY_SDR_HAS_TIME, SOAPY_SDR_END_BURST, SOAPY_SDR_TIME_ERROR

failures = []


def check(cond, what):
    print(("ok: " if cond else "FAIL: ") + what)
    if not cond:
        failures.append(what)


found = SoapySDR.Device.enumerate("driver=isacsim,seed=3")
check(len(found) == 1 and found[0]["serial"] == "sim-3", f"enumerate driver=isacsim: {len(found)} device(s)")
check(len(SoapySDR.Device.enumerate("driver=nosuchdriver")) == 0, "no isacsim for another driver key")

# noise=0: noiseless samples, so the RX is exactly zero until a burst is on the air and
# the echo (direct TX->RX leak path plus the target) is unmistakable.
dev = SoapySDR.Device({"driver": "isacsim", "seed": "3", "targets": "1", "noise": "0"})
fs = dev.getSampleRate(SOAPY_SDR_RX, 0)
check(dev.getNumChannels(SOAPY_SDR_RX) == 64 and dev.getNumChannels(SOAPY_SDR_TX) == 16,
      "64 RX and 16 TX channels")
check(fs == 20e6, f"sample rate {fs}")
check(dev.hasHardwareTime(""), "hardware time")

# 2. timed continuous multi-channel RX: timestamps against the sample count.
chans = [0, 1, 16, 17, 63]
rx = dev.setupStream(SOAPY_SDR_RX, SOAPY_SDR_CF32, chans)
buffs = [np.zeros(3000, np.complex64) for _ in chans]
t0 = 1_000_000  # ns = tick 20000
check(dev.activateStream(rx, SOAPY_SDR_HAS_TIME, t0, 0) == 0, "timed activateStream")
total, bad = 0, 0
for i in range(10):
    sr = dev.readStream(rx, buffs, len(buffs[0]), timeoutUs=100000)
    expect = t0 + SoapySDR.ticksToTimeNs(total, fs)
    if sr.ret <= 0 or not (sr.flags & SOAPY_SDR_HAS_TIME) or sr.timeNs != expect:
        bad += 1
        print(f"  read {i}: ret {sr.ret} flags {sr.flags} time {sr.timeNs} expected {expect}")
    total += max(sr.ret, 0)
check(bad == 0 and total >= 10 * 1000, f"10 reads, {total} samples, timestamps = t0 + samples/fs")
dev.deactivateStream(rx)
now = dev.getHardwareTime("")
check(now == t0 + SoapySDR.ticksToTimeNs(total, fs), f"getHardwareTime {now} at the end of the stream")
silent = max(float(np.max(np.abs(b))) for b in buffs)
check(silent == 0.0, f"no TX yet: RX exactly zero (max |y| {silent})")

# 3. timed TX burst and a timed finite RX window covering it.
tx = dev.setupStream(SOAPY_SDR_TX, SOAPY_SDR_CF32, list(range(16)))
dev.activateStream(tx)
L = 2048
rng = np.random.default_rng(1)
burst = (np.exp(2j * np.pi * rng.random(L)) / 4).astype(np.complex64)  # |x| = 1/4 per channel
T = now + 5_000_000  # 5 ms ahead
sr = dev.writeStream(tx, [burst] * 16, L, SOAPY_SDR_HAS_TIME | SOAPY_SDR_END_BURST, T)
check(sr.ret == L, f"timed TX burst accepted ({sr.ret} samples)")
st = dev.readStreamStatus(tx, timeoutUs=0)
check(st.ret == 0 and (st.flags & SOAPY_SDR_END_BURST) and st.timeNs == T, "TX burst acknowledged at its time")
W = L + 256
win = [np.zeros(W, np.complex64) for _ in chans]
dev.activateStream(rx, SOAPY_SDR_HAS_TIME | SOAPY_SDR_END_BURST, T, W)
got, last_flags, first_time = 0, 0, None
while got < W:
    sr = dev.readStream(rx, [b[got:] for b in win], W - got)
    if sr.ret <= 0:
        break
    first_time = sr.timeNs if first_time is None else first_time
    got += sr.ret
    last_flags = sr.flags
check(got == W and first_time == T and (last_flags & SOAPY_SDR_END_BURST),
      f"finite RX window: {got} samples from {first_time}, END_BURST on the last read")
echo = min(float(np.mean(np.abs(w) ** 2)) for w in win)
check(echo > 0.0, f"the burst's echo reaches every RX channel (min power {echo:.3g})")

# 4. a burst in the past is late.
sr = dev.writeStream(tx, [burst] * 16, L, SOAPY_SDR_HAS_TIME | SOAPY_SDR_END_BURST, t0)
st = dev.readStreamStatus(tx, timeoutUs=0)
check(st.ret == SOAPY_SDR_TIME_ERROR, f"late TX burst -> readStreamStatus {st.ret}")
dev.closeStream(tx)
dev.closeStream(rx)

# 5. ground truth.
truth = json.loads(dev.readSetting("isactb_truth"))
check(isinstance(truth, dict) and len(truth) > 0, f"truth JSON with keys {sorted(truth)[:4]}")
layout = json.loads(dev.readSetting("isactb_layout"))
check(layout["rx_ap_elements"] == [16, 16, 16, 16], "layout: 4 receive APs of 16")



# 6. activated channels only == the same channels of a full render.
def stream(chans, with_burst):
    d = SoapySDR.Device({"driver": "isacsim", "seed": "8", "targets": "2", "impairments": "1"})
    if with_burst:
        t = d.setupStream(SOAPY_SDR_TX, SOAPY_SDR_CF32, list(range(16)))
        d.activateStream(t)
        b = (np.exp(2j * np.pi * np.random.default_rng(2).random(1500)) / 4).astype(np.complex64)
        d.writeStream(t, [b] * 16, len(b), SOAPY_SDR_HAS_TIME | SOAPY_SDR_END_BURST, 100_000)
    r = d.setupStream(SOAPY_SDR_RX, SOAPY_SDR_CF32, chans)
    n = 3 * 4096 + 500  # several windows, the burst's echo inside the second
    out = [np.zeros(n, np.complex64) for _ in chans]
    d.activateStream(r, SOAPY_SDR_HAS_TIME, 0, 0)
    got = 0
    while got < n:
        sr = d.readStream(r, [o[got:] for o in out], n - got, timeoutUs=100000)
        if sr.ret <= 0:
            break
        got += sr.ret
    d.deactivateStream(r)
    return out, got


some = [3, 21, 40, 62]
part, gp = stream(some, True)
full, gf = stream(list(range(64)), True)
same = gp == gf and all(np.array_equal(part[i].view(np.uint32), full[c].view(np.uint32))
                        for i, c in enumerate(some))
check(same and max(float(np.max(np.abs(p))) for p in part) > 0,
      f"4 activated channels {some} = the same channels of a 64-channel render ({gp} samples)")

sys.exit(1 if failures else 0)

#!/usr/bin/python3
"""GNU Radio (Debian's gnuradio, gr-soapy 3.10) flowgraphs against the isacsim device,
built exactly as GRC's "Soapy Custom Source/Sink" blocks generate them with every
RF option at its block default (antenna RX/TX, gain 10 dB, no AGC, automatic DC removal,
DC offset 0, IQ balance 0, frequency correction 0, bandwidth 0):
  1. source fc32 -> head -> vector sink: the samples arrive, with the noise variance
     the device's gain and rate give (10 dB x 1 MS/s / 20 MS/s = 0.5);
  2. source sc16 (gain -10 dB so the noise sits inside full scale): the samples arrive;
  3. signal source -> head -> sink (untimed continuous TX, as the sink always does):
     2^21 samples with bounded memory (they would take 256 MB if they piled up);
  4. full duplex: a 20 kHz tone into the sink while the source (same device) receives:
     the tone comes back through the emulator's TX-to-RX leak path.
Exit status 0 on success, 1 with one FAIL line per failed check."""
import os
import sys
import time

import numpy as np
from gnuradio import analog, blocks, gr, soapy

failures = []
SLOW = os.environ.get("ISACTB_SLOW") == "1"
RATE = 1e6
FREQ = 2.45e9


def check(cond, what):
    print(("ok: " if cond else "FAIL: ") + what)
    if not cond:
        failures.append(what)


def rss_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def source(dev_args, typ="fc32", gain=10):
    """What GRC generates for a Soapy Custom Source with its defaults."""
    src = soapy.source("driver=isacsim", typ, 1, dev_args, "", [""], [""])
    src.set_sample_rate(0, RATE)
    src.set_bandwidth(0, 0)
    src.set_antenna(0, "RX")
    src.set_frequency(0, FREQ)
    src.set_frequency_correction(0, 0)
    src.set_gain_mode(0, False)
    src.set_gain(0, gain)
    src.set_dc_offset_mode(0, True)
    src.set_dc_offset(0, 0)
    src.set_iq_balance(0, 0)
    return src


def sink(dev_args):
    """What GRC generates for a Soapy Custom Sink with its defaults."""
    snk = soapy.sink("driver=isacsim", "fc32", 1, dev_args, "", [""], [""])
    snk.set_sample_rate(0, RATE)
    snk.set_bandwidth(0, 0)
    snk.set_antenna(0, "TX")
    snk.set_frequency(0, FREQ)
    snk.set_frequency_correction(0, 0)
    snk.set_gain(0, 10)
    snk.set_dc_offset(0, 0)
    snk.set_iq_balance(0, 0)
    return snk


# 1. fc32 source with block defaults.
N = 1 << 16
tb = gr.top_block()
src = source("seed=3,targets=0,leak=0,label=gr1")
vs = blocks.vector_sink_c()
tb.connect(src, blocks.head(gr.sizeof_gr_complex, N), vs)
tb.run()
y = np.array(vs.data(), np.complex64)
v = float(np.mean(np.abs(y) ** 2)) if len(y) else 0.0
# CN(0, 0.5): relative standard deviation of the estimate 1/sqrt(65536) = 0.4 %; 4 % is
# 10 sigma.
check(len(y) == N and abs(v / 0.5 - 1) < 0.04,
      f"fc32 source, block defaults: {len(y)} samples, noise variance {v:.4f} (0.5 expected)")
del tb, src

# 2. sc16 source.
tb = gr.top_block()
src = source("seed=3,targets=0,leak=0,label=gr2", typ="sc16", gain=-10)
vi = blocks.vector_sink_i()  # one sc16 sample (I, Q int16) per 4-byte item
tb.connect(src, blocks.head(4, N), vi)
tb.run()
iq = np.array(vi.data(), np.int32).view(np.int16).astype(np.float64) / 32767.0
z = iq[0::2] + 1j * iq[1::2]
v16 = float(np.mean(np.abs(z) ** 2)) if len(z) else 0.0
check(len(z) == N and abs(v16 / 0.005 - 1) < 0.04,
      f"sc16 source at -10 dB: {len(z)} samples, noise variance {v16:.5f} (0.005 expected)")
del tb, src

# 3. continuous TX, sink only.
M = (1 << 18) if SLOW else (1 << 21)
tb = gr.top_block()
sig = analog.sig_source_c(RATE, analog.GR_COS_WAVE, 20e3, 0.5)
snk = sink("seed=3,noise=0,label=gr3")
tb.connect(sig, blocks.head(gr.sizeof_gr_complex, M), snk)
r0 = rss_mb()
tb.run()
r1 = rss_mb()
check(r1 - r0 < 100, f"sink: {M} samples of untimed TX, RSS {r0:.0f} -> {r1:.0f} MB")
del tb, snk

# 4. full duplex on one device: source and sink with the same arguments share it.
args = "seed=3,noise=0,targets=0,label=gr4"
tb = gr.top_block()
snk = sink(args)
src = source(args)
vs = blocks.vector_sink_c()
tb.connect(analog.sig_source_c(RATE, analog.GR_COS_WAVE, 20e3, 0.5), snk)
head = blocks.head(gr.sizeof_gr_complex, N)
tb.connect(src, head, vs)
tb.start()  # the TX branch never ends: stop once the RX branch has its samples
for _ in range(600):
    if len(vs.data()) >= N:
        break
    time.sleep(0.05)
tb.stop()
tb.wait()
y = np.array(vs.data(), np.complex64)
tail = y[len(y) // 2:]
spec = np.abs(np.fft.fft(tail * np.hanning(len(tail)))) ** 2
k = int(np.argmax(spec)) if len(tail) else 0
f_peak = np.fft.fftfreq(len(tail), 1 / RATE)[k] if len(tail) else 0.0
# the tone's share: the peak and 4 bins either side (Hann main lobe and scalloping)
share = float(np.sum(spec[max(k - 4, 0):k + 5]) / np.sum(spec)) if np.sum(spec) > 0 else 0.0
check(len(y) == N and abs(f_peak - 20e3) <= RATE / len(tail) and share > 0.99,
      f"full duplex: the 20 kHz tone comes back at {f_peak:.0f} Hz ({100 * share:.1f} % of the power)")

sys.exit(1 if failures else 0)

#!/usr/bin/python3
"""Benchmark of the isacsim SoapySDR device from an outside client (Debian's
python3-soapysdr): a continuous RX stream of --channels channels read for --seconds of
wall time into preallocated numpy buffers, as a streaming application would; with --tx,
a continuous untimed TX stream (writeStream without flags, as GNU Radio's sink does)
written for --seconds, with the process's peak RSS (bounded memory).

Prints (one JSON object with --json) the samples delivered per channel per second
(`samples_per_s_per_channel`, the figure to compare with the device's 20 MS/s sample
rate), the total over channels, the process CPU time (client plus the emulator's render
threads) and the nominal rate. Wall-clock figures depend on the machine's load: run it on
a quiet machine, with --repeat, and quote the load.

Usage: scripts/bench_isacsim.py [--build DIR] [--channels N] [--seconds S] [--repeat N]
                                [--read N] [--format F] [--tx] [--args K=V,...] [--json]
  --build DIR   build directory whose lib/soapy holds the plug-in (default ./build)
  --channels N  RX channels activated: 0..N-1 spread over the APs (default 4: one per AP)
  --seconds S   wall time per run (default 3)
  --repeat N    runs; the best is reported (default 3)
  --read N      samples asked for per readStream (default 65536; the device returns at
                most its MTU per call)
  --format F    stream format CF32 (default), CS16 or CS8
  --tx          continuous untimed TX on --channels TX channels instead of RX
  --args K=V,.. extra device arguments (the `sim` back end's keys, e.g. threads=1)
Exit status 0, 2 on a usage error, 1 when the device cannot be opened or read."""
import argparse
import json
import os
import resource
import sys
import time


def parse():
    ap = argparse.ArgumentParser(add_help=True, usage=__doc__.split("Usage: ")[1].split("\n  --")[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--channels", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--read", type=int, default=65536)
    ap.add_argument("--format", default="CF32", choices=["CF32", "CS16", "CS8"])
    ap.add_argument("--tx", action="store_true")
    ap.add_argument("--args", default="")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    if not (1 <= a.channels <= 256) or not (0 < a.seconds <= 600) or not (1 <= a.repeat <= 100) \
            or not (1 <= a.read <= 1 << 24):
        print("bench_isacsim: --channels 1..256, --seconds (0, 600], --repeat 1..100, --read 1..2^24",
              file=sys.stderr)
        sys.exit(2)
    return a


def channel_list(n, total):
    """n channels spread evenly over the device's channels (one per AP for n = 4)."""
    if n > total:
        print(f"bench_isacsim: --channels {n}: the device has {total} RX channels", file=sys.stderr)
        sys.exit(2)
    return [i * total // n for i in range(n)]


def buffers(fmt, n, nchan, np):
    """Preallocated buffers of n samples in the stream format (ints: I, Q interleaved)."""
    if fmt == "CF32":
        return [np.zeros(n, np.complex64) for _ in range(nchan)]
    dt = np.int16 if fmt == "CS16" else np.int8
    return [np.zeros(2 * n, dt) for _ in range(nchan)]


def one_run(dev, chans, seconds, nread, np, SoapySDR, fmt="CF32", tx=False):
    d = SoapySDR.SOAPY_SDR_TX if tx else SoapySDR.SOAPY_SDR_RX
    rx = dev.setupStream(d, fmt, chans)
    buffs = buffers(fmt, nread, len(chans), np)
    dev.activateStream(rx)
    got, calls = 0, 0
    c0, w0 = time.process_time(), time.perf_counter()
    while True:
        if tx:
            sr = dev.writeStream(rx, buffs, nread, timeoutUs=100000)
        else:
            sr = dev.readStream(rx, buffs, nread, timeoutUs=100000)
        if sr.ret < 0:
            raise RuntimeError(f"{'writeStream' if tx else 'readStream'} returned {sr.ret}")
        got += sr.ret
        calls += 1
        if (calls & 15) == 0 and time.perf_counter() - w0 >= seconds:
            break
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    dev.deactivateStream(rx)
    dev.closeStream(rx)
    return got, wall, cpu, calls


def main():
    a = parse()
    plug = os.path.join(os.path.abspath(a.build), "lib", "soapy")
    if not os.path.isfile(os.path.join(plug, "libisacsimSupport.so")):
        print(f"bench_isacsim: {plug}/libisacsimSupport.so: not found (build with SoapySDR)",
              file=sys.stderr)
        return 1
    os.environ["SOAPY_SDR_PLUGIN_PATH"] = plug
    import numpy as np
    import SoapySDR

    kw = {"driver": "isacsim"}
    for kv in filter(None, a.args.split(",")):
        if "=" not in kv:
            print(f"bench_isacsim: --args: '{kv}' is not KEY=VALUE", file=sys.stderr)
            return 2
        k, v = kv.split("=", 1)
        kw[k] = v
    try:
        dev = SoapySDR.Device(kw)
    except RuntimeError as e:
        print(f"bench_isacsim: cannot open isacsim: {e}", file=sys.stderr)
        return 1
    fs = dev.getSampleRate(SoapySDR.SOAPY_SDR_RX, 0)
    d = SoapySDR.SOAPY_SDR_TX if a.tx else SoapySDR.SOAPY_SDR_RX
    chans = channel_list(a.channels, dev.getNumChannels(d))
    best = None
    for _ in range(a.repeat):
        r = one_run(dev, chans, a.seconds, a.read, np, SoapySDR, a.format, a.tx)
        if best is None or r[0] / r[1] > best[0] / best[1]:
            best = r
    got, wall, cpu, calls = best
    res = {
        "direction": "tx" if a.tx else "rx",
        "format": a.format,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "channels": len(chans),
        "channel_list": chans,
        "samples_per_channel": got,
        "seconds": round(wall, 4),
        "cpu_seconds": round(cpu, 4),
        "samples_per_s_per_channel": round(got / wall),
        "samples_per_s": round(got * len(chans) / wall),
        "nominal_samples_per_s": fs,
        "ratio_to_nominal": round(got / wall / fs, 3),
        "reads": calls,
        "samples_per_read": round(got / calls, 1),
        "repeat": a.repeat,
        "device_args": a.args,
    }
    if a.json:
        print(json.dumps(res))
    else:
        print(f"isacsim {res['direction'].upper()} {a.format}: {len(chans)} channels {chans}: {res['samples_per_s_per_channel'] / 1e6:.1f} MS/s "
              f"per channel ({res['ratio_to_nominal']:.2f}x the nominal {fs / 1e6:g} MS/s), "
              f"{res['samples_per_s'] / 1e6:.1f} MS/s in all, {cpu:.2f} s CPU in {wall:.2f} s, "
              f"peak RSS {res['peak_rss_mb']} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())

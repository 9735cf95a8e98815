#!/bin/bash
# isactb calib end to end on the emulator: rx/tx/delay write one record with the JSON
# contract (channels: index, ap, element, phase_deg, gain_db, delay_samples); run picks it
# up automatically, records it in the capture (isactb:calibration, spatial:phase_offset),
# replay re-applies it and reproduces the live decisions; the spatial phase offsets of
# every segment match the record and the validator checks them; --capture records a
# session and --input re-estimates it with the live result; verify reports calibrated vs
# theory; corrupt or mismatched records are refused with one line naming file and field.
set -euo pipefail
BIN=${ISACTB_BIN:?}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export ISACTB_CALIB_DIR=$T/cal
PY=/usr/bin/python3
R=sim:impairments=1,seed=5

"$BIN" calib rx --radio $R --json > $T/rx.json 2>/dev/null
"$BIN" calib tx --radio $R --json > $T/tx.json 2>/dev/null
"$BIN" calib delay --radio $R --json > $T/delay.json 2>/dev/null
REC=$(ls $T/cal/*.json)
$PY - "$T" "$REC" <<'PYEOF'
import json, sys
t, rec = sys.argv[1], sys.argv[2]
for name, n in (("rx", 64), ("tx", 16)):
    d = json.load(open(f"{t}/{name}.json"))
    assert d["command"] == name and len(d["channels"]) == n, name
    for i, c in enumerate(d["channels"]):
        for k in ("index", "ap", "element", "phase_deg", "gain_db", "delay_samples"):
            assert k in c, (name, k)
        assert c["index"] == i
    assert name == "tx" or d["channels"][16]["ap"] == 1
    assert d["channels"][0]["phase_deg"] == 0.0
r = json.load(open(rec))
assert r["format"] == "isactb-calibration" and r["version"] == 1
assert r["device"] == {"driver": "sim", "serial": "sim-5", "master_clock_hz": 0.0}
assert "rx" in r and "tx" in r and len(r["system_delay"]["samples"]) == 4
PYEOF

# run applies it automatically and records it; replay re-applies it bit for bit
"$BIN" run --radio $R --seed 5 --episodes 2 --out $T/run --record --json --quiet > $T/run.json 2> $T/run.err
grep -q "applying calibration" $T/run.err
"$BIN" replay $T/run --json --quiet > $T/replay.json 2> $T/replay.err
grep -q "applying the capture's calibration" $T/replay.err
$PY - "$T" <<'PYEOF'
import json, sys, glob
t = sys.argv[1]
run, rep = json.load(open(f"{t}/run.json")), json.load(open(f"{t}/replay.json"))
assert run["calibration"]["applied"] and rep["calibration"]["applied"]
assert [e["detections"] for e in run["episodes"]] == [e["detections"] for e in rep["episodes"]]
# spatial extension: every segment of every RX channel carries the applied phase offset
# (= the record's rx.channels[K].phase_deg, 0 on each array's first element); the
# segments hold data, so none is marked spatial:calibration
metas = sorted(glob.glob(f"{t}/run/isactb-rx*.sigmf-meta"))
assert len(metas) == 64, len(metas)
# the applied record lives once, in the collection (format 2.0.0)
coll = json.load(open(f"{t}/run/isactb.sigmf-collection"))["collection"]
nonzero = 0
for p in metas:
    meta = json.load(open(p))
    g = meta["global"]
    k = g["spatial:channel_index"]
    rec = coll["isactb:calibration"]["record"]["rx"]["channels"][k]
    assert rec["index"] == k
    assert len(meta["captures"]) >= 2
    for c in meta["captures"]:
        assert abs(c["spatial:phase_offset"] - rec["phase_deg"]) < 1e-6, (p, c, rec)
        assert "spatial:calibration" not in c, p
    if g["isactb:ap_element"] == 0:
        assert rec["phase_deg"] == 0.0
    nonzero += abs(rec["phase_deg"]) > 1
assert nonzero >= 50, nonzero
PYEOF
SPEC=${ISACTB_SOURCE_DIR:-$(dirname "$0")/..}/../shared/spec/sigmf
if [ -d "$SPEC" ]; then
    $PY "$(dirname "$0")/sigmf_validate.py" "$SPEC" $T/run > /dev/null
    # the validator checks the phase offsets against the record: a tampered one fails
    cp -r $T/run $T/tampered
    $PY - "$T/tampered" <<'PYEOF'
import hashlib, json, sys
d = sys.argv[1]
p = f"{d}/isactb-rx5.sigmf-meta"
m = json.load(open(p))
m["captures"][0]["spatial:phase_offset"] += 1.0
open(p, "w").write(json.dumps(m, indent=2) + "\n")
c = json.load(open(f"{d}/isactb.sigmf-collection"))
for s in c["collection"]["core:streams"]:
    if s[0] == "isactb-rx5":
        s[1] = hashlib.sha512(open(p, "rb").read()).hexdigest()
json.dump(c, open(f"{d}/isactb.sigmf-collection", "w"))
PYEOF
    set +e
    $PY "$(dirname "$0")/sigmf_validate.py" "$SPEC" $T/tampered > $T/tampered.out 2>&1; rc=$?
    set -e
    test $rc -eq 1
    grep -q "isactb-rx5.sigmf-meta: captures\[0\].spatial:phase_offset .* differs from isactb:calibration.record.rx.channels\[5\].phase_deg" $T/tampered.out
fi

# recorded sessions: --capture records the live session, --input re-estimates from it
# with the same result (bit for bit: the JSON holds the same numbers); the capture is
# SigMF with spatial calibration segments and validates
for k in rx tx delay; do
    "$BIN" calib $k --radio $R --capture $T/cap-$k --out $T/live-$k.rec.json --json > $T/live-$k.json 2>/dev/null
    "$BIN" calib $k --input $T/cap-$k --out $T/rep-$k.rec.json --json > $T/rep-$k.json 2>/dev/null
    if [ -d "$SPEC" ]; then $PY "$(dirname "$0")/sigmf_validate.py" "$SPEC" $T/cap-$k > /dev/null; fi
done
"$BIN" calib tx --radio $R --sequential --capture $T/cap-seq --out $T/live-seq.rec.json --json > $T/live-seq.json 2>/dev/null
"$BIN" calib tx --input $T/cap-seq --out $T/rep-seq.rec.json --json > $T/rep-seq.json 2>/dev/null
$PY - "$T" <<'PYEOF'
import json, sys
t = sys.argv[1]
for k in ("rx", "tx", "delay", "seq"):
    a, b = json.load(open(f"{t}/live-{k}.json")), json.load(open(f"{t}/rep-{k}.json"))
    keys = ("system_delay_samples", "accuracy_samples") if k == "delay" else ("channels", "accuracy")
    for key in keys:
        assert a[key] == b[key], (k, key)
    assert b["radio"] == f"file:{t}/cap-{k}" and a["capture"].endswith("isactb-calib.sigmf-collection")
    ra, rb = json.load(open(f"{t}/live-{k}.rec.json")), json.load(open(f"{t}/rep-{k}.rec.json"))
    assert ra["device"] == rb["device"] == {"driver": "sim", "serial": "sim-5", "master_clock_hz": 0.0}
    sec = {"rx": "rx", "tx": "tx", "seq": "tx", "delay": "system_delay"}[k]
    assert ra[sec] == {**rb[sec], **{x: ra[sec][x] for x in ("created", "created_unix") if x in ra[sec]}}
m = json.load(open(f"{t}/cap-rx/isactb-calib-rx3.sigmf-meta"))
live = json.load(open(f"{t}/live-rx.json"))["channels"][3]["phase_deg"]
assert json.load(open(f"{t}/cap-rx/isactb-calib.sigmf-collection"))["collection"]["isactb:calib_session"]["kind"] == "rx"
for c in m["captures"]:
    assert c["spatial:calibration"]["caltype"] == "ref"
    assert abs(c["spatial:phase_offset"] - live) < 1e-6
assert json.load(open(f"{t}/rep-seq.rec.json"))["tx"]["method"] == "coupler-sequential"
PYEOF
# a capture of another kind, or not a calibration session: one line naming file and field
set +e
"$BIN" calib tx --input $T/cap-rx --out $T/x.json 2> $T/kind.err; rc=$?
set -e
test $rc -eq 1
test $(wc -l < $T/kind.err) -eq 1
grep -q "$T/cap-rx: isactb:calib_session.kind 'rx': not a 'tx' calibration session" $T/kind.err
set +e
"$BIN" calib rx --input $T/run --out $T/x.json 2> $T/notcal.err; rc=$?
set -e
test $rc -eq 1
test $(wc -l < $T/notcal.err) -eq 1
grep -q "$T/run: isactb:calib_session missing" $T/notcal.err
test ! -e $T/x.json

# verify: calibrated pattern matches theory, uncalibrated does not
"$BIN" calib verify --radio $R --json --figure $T/verify.svg > $T/verify.json 2>/dev/null
test -s $T/verify.svg
$PY - "$T" <<'PYEOF'
import json, sys
v = json.load(open(sys.argv[1] + "/verify.json"))
hb = v["half_beamwidth_deg"]
assert v["calibrated"]["peak_error_deg"] <= hb / 2
assert abs(v["calibrated"]["pslr_db"] - v["theory"]["pslr_db"]) <= 1.0
assert v["uncalibrated"]["peak_error_deg"] > hb / 2 or abs(v["uncalibrated"]["pslr_db"] - v["theory"]["pslr_db"]) > 3
PYEOF

# corrupt and mismatched records: one line naming the file and the field, exit 1
$PY -c "import json,sys; d=json.load(open('$REC')); d['rx']['channels'][3]['gain_db']='x'; json.dump(d,open('$T/bad.json','w'))"
set +e
"$BIN" run --radio $R --episodes 1 --quiet --calibration $T/bad.json 2> $T/bad.err; rc=$?
set -e
test $rc -eq 1
test $(wc -l < $T/bad.err) -eq 1
grep -q "$T/bad.json: rx.channels\[3\].gain_db" $T/bad.err
set +e
"$BIN" run --radio sim:impairments=1,seed=6 --episodes 1 --quiet --calibration $REC 2> $T/mis.err; rc=$?
set -e
test $rc -eq 1
test $(wc -l < $T/mis.err) -eq 1
grep -q "device.serial" $T/mis.err
echo 'not json' > $T/cal/zz-broken.json
"$BIN" run --radio $R --episodes 1 --quiet 2> $T/skip.err
grep -q "warning: skipping $T/cal/zz-broken.json" $T/skip.err
grep -q "applying calibration" $T/skip.err
# no record for this device: a warning, the run goes on uncalibrated
"$BIN" run --radio sim:impairments=1,seed=9 --episodes 1 --quiet 2> $T/none.err
grep -q "warning: no calibration record" $T/none.err
# track: no drift on the same LOs; a retune without shared LOs invalidates the record
"$BIN" calib track --radio $R --json > $T/track.json 2>/dev/null
"$BIN" calib track --radio $R --retune 2.5e9 --json > $T/track2.json 2>/dev/null
$PY -c "
import json; a=json.load(open('$T/track.json')); b=json.load(open('$T/track2.json'))
assert a['ok'] and not b['ok'] and b['invalidated_by_retune']"
echo "e2e_calib: ok"

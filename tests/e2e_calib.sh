#!/bin/bash
# isactb calib end to end on the emulator: rx/tx/delay write one record with the JSON
# contract (channels: index, ap, element, phase_deg, gain_db, delay_samples); run picks it
# up automatically, records it in the capture (isactb:calibration, spatial:phase_offset),
# replay re-applies it and reproduces the live decisions; verify reports calibrated vs
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
meta = json.load(open(glob.glob(f"{t}/run/*-rx1.sigmf-meta")[0]))
assert "isactb:calibration" in meta["global"]
off = meta["captures"][0]["spatial:phase_offset"]
rec = meta["global"]["isactb:calibration"]["record"]["rx"]["channels"][1]["phase_deg"]
assert abs(off - rec) < 1e-6, (off, rec)
PYEOF

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

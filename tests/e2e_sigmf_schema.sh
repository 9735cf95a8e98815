#!/usr/bin/env bash
# Every capture isactb writes validates against the official SigMF 1.2 schemas and the
# `spatial` extension (tests/sigmf_validate.py).
#
# usage: e2e_sigmf_schema.sh [CAPTURE_DIR]
#   without an argument: writes the reference capture with `test_sigmf --write` (12 CPIs,
#   6 RX channels, drops, phase offsets), validates it, and checks that the validator
#   rejects two corrupted copies (so this test can fail);
#   with CAPTURE_DIR (e.g. from `isactb run --record`): validates that capture only.
# Environment (set by ctest): ISACTB_SOURCE_DIR, ISACTB_BUILD_DIR.
set -euo pipefail

src=${ISACTB_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
build=${ISACTB_BUILD_DIR:-$src/build}
spec="$src/../shared/spec/sigmf"
py=/usr/bin/python3
validate="$src/tests/sigmf_validate.py"

if [ ! -f "$spec/sigmf-schema.json" ] || [ ! -f "$spec/collection-schema.json" ]; then
    echo "e2e_sigmf_schema: SigMF schemas not found in $spec (shared/spec/sigmf must sit beside the clone)" >&2
    exit 1
fi
if ! "$py" -c 'import jsonschema; jsonschema.Draft202012Validator' 2>/dev/null; then
    echo "e2e_sigmf_schema: $py lacks jsonschema with Draft 2020-12 (apt install python3-jsonschema)" >&2
    exit 1
fi

if [ $# -ge 1 ]; then
    exec "$py" "$validate" "$spec" "$1"
fi

writer="$build/bin/test_sigmf"
[ -x "$writer" ] || { echo "e2e_sigmf_schema: $writer not built" >&2; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/e2e_sigmf.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

"$writer" --write "$tmp/cap"
"$py" "$validate" "$spec" "$tmp/cap"

# The validator must catch a schema violation (core:sample_rate below the schema's
# minimum of 1) and a meta file that no longer matches the collection's hash.
cp -r "$tmp/cap" "$tmp/bad1"
"$py" - "$tmp/bad1/cap-rx2.sigmf-meta" <<'PY'
import json, sys
p = sys.argv[1]
m = json.load(open(p))
m["global"]["core:sample_rate"] = 0
json.dump(m, open(p, "w"), indent=2)
PY
if out=$("$py" "$validate" "$spec" "$tmp/bad1" 2>&1); then
    echo "e2e_sigmf_schema: validator accepted core:sample_rate 0" >&2; exit 1
fi
grep -q "cap-rx2.sigmf-meta: schema: global/core:sample_rate" <<<"$out" ||
    { echo "e2e_sigmf_schema: unexpected validator output: $out" >&2; exit 1; }
grep -q "cap-rx2.sigmf-meta: SHA-512 differs" <<<"$out" ||
    { echo "e2e_sigmf_schema: hash change not reported: $out" >&2; exit 1; }

cp -r "$tmp/cap" "$tmp/bad2"
"$py" - "$tmp/bad2/cap.sigmf-collection" <<'PY'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
del c["collection"]["spatial:element_geometry"]
json.dump(c, open(p, "w"), indent=2)
PY
if out=$("$py" "$validate" "$spec" "$tmp/bad2" 2>&1); then
    echo "e2e_sigmf_schema: validator accepted a spatial collection without element_geometry" >&2; exit 1
fi
grep -q "spatial:element_geometry missing" <<<"$out" ||
    { echo "e2e_sigmf_schema: unexpected validator output: $out" >&2; exit 1; }
# Viewer annotations (inspectrum draws a box only with both frequency edges): one edge
# removed must be reported, even though the schema alone accepts it.
cp -r "$tmp/cap" "$tmp/bad3"
"$py" - "$tmp/bad3" <<'PY'
import hashlib, json, sys
d = sys.argv[1]
p = d + "/cap-rx1.sigmf-meta"
m = json.load(open(p))
del m["annotations"][1]["core:freq_upper_edge"]
raw = json.dumps(m).encode()
open(p, "wb").write(raw)
c = json.load(open(d + "/cap.sigmf-collection"))
for s in c["collection"]["core:streams"]:
    if s[0] == "cap-rx1":
        s[1] = hashlib.sha512(raw).hexdigest()
json.dump(c, open(d + "/cap.sigmf-collection", "w"))
PY
if out=$("$py" "$validate" "$spec" "$tmp/bad3" 2>&1); then
    echo "e2e_sigmf_schema: validator accepted an annotation with one frequency edge" >&2; exit 1
fi
grep -q "cap-rx1.sigmf-meta: annotations\[1\]: only one of core:freq_lower_edge" <<<"$out" ||
    { echo "e2e_sigmf_schema: unexpected validator output: $out" >&2; exit 1; }
echo "e2e_sigmf_schema: OK"

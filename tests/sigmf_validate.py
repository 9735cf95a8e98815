#!/usr/bin/python3
"""Validate an isactb capture against the official SigMF 1.2 schemas.

usage: sigmf_validate.py SPEC_DIR CAPTURE   (CAPTURE: directory or .sigmf-collection)

SPEC_DIR holds sigmf-schema.json, collection-schema.json and spatial.sigmf-ext.md
(../shared/spec/sigmf). Checks, each failure printed as one line "FILE: problem":
  * every .sigmf-meta against sigmf-schema.json and the .sigmf-collection against
    collection-schema.json, with the validator class the schemas' "$schema" names
    (Draft 2020-12) and format checking; the schemas are offline files without "$ref";
  * the collection's stream hashes (SHA-512 of each .sigmf-meta) and each meta's
    core:sha512 (SHA-512 of its .sigmf-data);
  * every namespace used in a key is declared in core:extensions;
  * the `spatial` extension (spatial.sigmf-ext.md v1.1.0): global num_elements and
    channel_index (required, integer, 0 <= channel_index < num_elements, num_elements
    constant over the collection), captures phase_offset (number, degrees) and
    element_geometry (cartesian points, length num_elements or core:num_channels),
    collection element_geometry (required, num_elements cartesian points), bearing
    objects, calibration objects (caltype required, one of tone/xcorr/ref/other; bearing a
    bearing object; cal_geometry a cartesian_point; no other field);
  * the isactb records of format 2.0.0 in the collection: isactb:radio, isactb:cpis (one
    record per CPI; a calibration session's carry isactb:calib_cpi of the session kind);
  * the isactb use of spatial calibration (docs/capture-format.md 4.5, 4.6):
    phase_offset finite, |value| <= 360 and, in the two kinds of recordings below, 0 on
    each array's first element (isactb:ap_element 0, the phase reference); a recording that applied a record (collection isactb:calibration with an rx section)
    carries on every captures segment phase_offset equal to the record's
    rx.channels[channel_index].phase_deg and marks no segment as calibration (they hold
    data); a recorded calibration session (collection isactb:calib_session) marks every
    captures segment with spatial:calibration;
  * captures and annotations sorted by core:sample_start.
Exit status 0 when everything passes, 1 otherwise.
"""
import hashlib
import json
import math
import os
import sys

import jsonschema

SPATIAL_BEARING_KEYS = {"azimuth", "elevation", "range", "range_rate", "az_error", "el_error",
                        "range_error", "range_rate_error"}
CALTYPES = {"tone", "xcorr", "ref", "other"}

errors = []


def err(path, msg):
    errors.append(f"{path}: {msg}")


def is_num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def load_schema(spec, name):
    with open(os.path.join(spec, name)) as f:
        schema = json.load(f)
    cls = jsonschema.validators.validator_for(schema)
    if cls is not jsonschema.Draft202012Validator:
        raise SystemExit(f"{name}: expected a Draft 2020-12 schema, got {cls.__name__}")
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def schema_check(validator, doc, path):
    for e in sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path)):
        where = "/".join(str(p) for p in e.absolute_path) or "(top)"
        err(path, f"schema: {where}: {e.message}")


def sha512_file(path):
    h = hashlib.sha512()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def namespaces(obj, out):
    """Namespaces of every "ns:key" key, recursively through SigMF objects only."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            if ":" in k:
                out.add(k.split(":", 1)[0])
            if k in ("global", "collection", "captures", "annotations"):
                namespaces(v, out)
    elif isinstance(obj, list):
        for v in obj:
            namespaces(v, out)
    return out


def check_declared(path, doc, exts):
    declared = {e.get("name") for e in exts if isinstance(e, dict)} | {"core"}
    for ns in sorted(namespaces(doc, set()) - declared):
        err(path, f"namespace '{ns}' used but not declared in core:extensions")


def check_point(path, where, p):
    if not isinstance(p, dict):
        return err(path, f"{where}: cartesian_point is not an object")
    if "point" in p:
        pt = p["point"]
        if not (isinstance(pt, list) and len(pt) == 3 and all(is_num(x) for x in pt)):
            err(path, f"{where}.point: not three numbers (metres) {pt!r}")
    elif p.get("unknown") is not True:
        err(path, f"{where}: cartesian_point needs 'point' or 'unknown': true")


def check_geometry(path, where, geo, lengths):
    if not isinstance(geo, list):
        return err(path, f"{where}: element_geometry is not an array")
    if len(geo) not in lengths:
        err(path, f"{where}: element_geometry has {len(geo)} points, expected {sorted(lengths)}")
    for i, p in enumerate(geo):
        check_point(path, f"{where}[{i}]", p)


def check_bearing(path, where, b):
    if not isinstance(b, dict):
        return err(path, f"{where}: bearing is not an object")
    for k, v in b.items():
        if k not in SPATIAL_BEARING_KEYS:
            err(path, f"{where}: unknown bearing field '{k}'")
        elif not is_num(v):
            err(path, f"{where}.{k}: not a number")


def check_calibration(path, where, cal):
    """Spatial extension 2.1: the calibration object of a captures segment."""
    if not isinstance(cal, dict):
        return err(path, f"{where}: calibration is not an object")
    if cal.get("caltype") not in CALTYPES:
        err(path, f"{where}.caltype {cal.get('caltype')!r} not in {sorted(CALTYPES)} (required)")
    for k in cal:
        if k not in ("caltype", "bearing", "cal_geometry"):
            err(path, f"{where}: unknown calibration field '{k}'")
    if "bearing" in cal:
        check_bearing(path, f"{where}.bearing", cal["bearing"])
    if "cal_geometry" in cal:
        check_point(path, f"{where}.cal_geometry", cal["cal_geometry"])


def check_isactb_calibration(path, meta, shared):
    """What isactb writes with spatial calibration fields (docs/capture-format.md 4.5, 4.6).
    shared: the collection object, where format 2 keeps isactb:calibration,
    isactb:calib_session and the per-CPI records."""
    g, caps = meta["global"], meta["captures"]
    idx = g.get("spatial:channel_index")
    ours = "isactb:calibration" in shared or "isactb:calib_session" in shared
    if ours and g.get("isactb:ap_element") == 0:
        for i, c in enumerate(caps):
            if c.get("spatial:phase_offset", 0) != 0:
                err(path, f"captures[{i}].spatial:phase_offset {c['spatial:phase_offset']} "
                          "not 0 on the array's first element (the phase reference)")
    applied = shared.get("isactb:calibration")
    if isinstance(applied, dict):
        rx = (applied.get("record") or {}).get("rx")
        chans = rx.get("channels") if isinstance(rx, dict) else None
        want = None
        if isinstance(chans, list) and is_int(idx) and idx < len(chans):
            want = chans[idx].get("phase_deg") if isinstance(chans[idx], dict) else None
        for i, c in enumerate(caps):
            if "spatial:calibration" in c:
                err(path, f"captures[{i}].spatial:calibration on a recording that applied "
                          "isactb:calibration (its segments hold data)")
            if rx is None:
                continue
            po = c.get("spatial:phase_offset")
            if not is_num(po) or not is_num(want) or abs(po - want) > 1e-6:
                err(path, f"captures[{i}].spatial:phase_offset {po!r} differs from "
                          f"isactb:calibration.record.rx.channels[{idx}].phase_deg {want!r}")
    sess = shared.get("isactb:calib_session")
    if isinstance(sess, dict):
        for i, c in enumerate(caps):
            if "spatial:calibration" not in c:
                err(path, f"captures[{i}]: spatial:calibration missing in a recorded "
                          "calibration session (isactb:calib_session)")


def check_isactb_collection(path, shared):
    """Format 2.0.0: the shared records and one record per CPI live in the collection."""
    if not isinstance(shared.get("isactb:radio"), dict):
        err(path, "isactb:radio missing or not an object")
    cpis = shared.get("isactb:cpis")
    if not isinstance(cpis, list):
        return err(path, "isactb:cpis missing or not an array")
    sess = shared.get("isactb:calib_session")
    for i, a in enumerate(cpis):
        if not isinstance(a, dict) or not is_int(a.get("isactb:tick")):
            err(path, f"isactb:cpis[{i}]: not a CPI record with an integer isactb:tick")
            continue
        if isinstance(sess, dict):
            tag = a.get("isactb:calib_cpi")
            if not isinstance(tag, dict) or tag.get("session") != sess.get("kind"):
                err(path, f"isactb:cpis[{i}].isactb:calib_cpi {tag!r} does not belong to a "
                          f"'{sess.get('kind')}' session")


def check_spatial_meta(path, meta, num_elements_seen):
    g = meta["global"]
    n, idx = g.get("spatial:num_elements"), g.get("spatial:channel_index")
    if not is_int(n) or n < 1:
        return err(path, f"spatial:num_elements {n!r} is not a positive integer (required)")
    if not is_int(idx) or not 0 <= idx < n:
        err(path, f"spatial:channel_index {idx!r} not an integer in [0, {n})")
    num_elements_seen.add(n)
    nch = g.get("core:num_channels", 1)
    for i, c in enumerate(meta["captures"]):
        where = f"captures[{i}]"
        if "spatial:phase_offset" in c:
            po = c["spatial:phase_offset"]
            if not is_num(po) or not math.isfinite(po):
                err(path, f"{where}.spatial:phase_offset is not a number (degrees)")
            elif abs(po) > 360:
                err(path, f"{where}.spatial:phase_offset {po} outside [-360, 360] degrees")
        for k in ("spatial:aperture_azimuth", "spatial:aperture_rotation"):
            if k in c and not is_num(c[k]):
                err(path, f"{where}.{k} is not a number")
        for k in ("spatial:aperture_bearing", "spatial:emitter_bearing"):
            if k in c:
                check_bearing(path, f"{where}.{k}", c[k])
        if "spatial:element_geometry" in c:
            check_geometry(path, f"{where}.spatial:element_geometry",
                           c["spatial:element_geometry"], {n, nch})
        if "spatial:calibration" in c:
            check_calibration(path, f"{where}.spatial:calibration", c["spatial:calibration"])
    for i, a in enumerate(meta["annotations"]):
        if "spatial:signal_azimuth" in a and not is_num(a["spatial:signal_azimuth"]):
            err(path, f"annotations[{i}].spatial:signal_azimuth is not a number")
        if "spatial:signal_bearing" in a:
            check_bearing(path, f"annotations[{i}].spatial:signal_bearing",
                          a["spatial:signal_bearing"])


def check_sorted(path, meta):
    for key in ("captures", "annotations"):
        starts = [x.get("core:sample_start", 0) for x in meta[key]]
        if starts != sorted(starts):
            err(path, f"{key} not sorted by core:sample_start")


def check_annotations(path, meta, data_path):
    """Any annotation: both frequency edges or neither (the spec), lower <= upper, inside
    the data file. isactb's own recordings: one annotation per stored CPI, back to back
    from sample 0 over every stored sample, each with edges, label and comment (what a
    viewer such as inspectrum draws)."""
    nsamp = os.path.getsize(data_path) // 8 if os.path.exists(data_path) else None
    anns = meta["annotations"]
    for i, a in enumerate(anns):
        lo, hi = a.get("core:freq_lower_edge"), a.get("core:freq_upper_edge")
        if (lo is None) != (hi is None):
            err(path, f"annotations[{i}]: only one of core:freq_lower_edge/upper_edge")
        elif lo is not None and not lo <= hi:
            err(path, f"annotations[{i}]: core:freq_lower_edge {lo} above upper edge {hi}")
        end = a.get("core:sample_start", 0) + a.get("core:sample_count", 0)
        if nsamp is not None and end > nsamp:
            err(path, f"annotations[{i}] ends at sample {end}, the data file has {nsamp}")
    if meta["global"].get("core:recorder") != "isactb":
        return
    off = 0
    for i, a in enumerate(anns):
        if a.get("core:sample_start") != off or not a.get("core:sample_count"):
            err(path, f"annotations[{i}]: core:sample_start {a.get('core:sample_start')}, "
                f"expected {off} (one annotation per stored CPI)")
            return
        for k in ("core:freq_lower_edge", "core:label", "core:comment"):
            if k not in a:
                err(path, f"annotations[{i}]: {k} missing")
        off += a["core:sample_count"]
    if nsamp is not None and off != nsamp:
        err(path, f"annotations cover {off} samples, the data file has {nsamp}")


def check_meta(meta_validator, meta_path, listed_hash, num_elements_seen, shared):
    with open(meta_path, "rb") as f:
        raw = f.read()
    if hashlib.sha512(raw).hexdigest() != listed_hash.lower():
        err(meta_path, "SHA-512 differs from the hash listed in the collection")
    meta = json.loads(raw)
    schema_check(meta_validator, meta, meta_path)
    if not isinstance(meta.get("global"), dict):
        return
    g = meta["global"]
    exts = g.get("core:extensions", [])
    check_declared(meta_path, meta, exts)
    data_path = meta_path[: -len(".sigmf-meta")] + ".sigmf-data"
    if not os.path.exists(data_path):
        err(data_path, "missing")
    elif "core:sha512" in g and sha512_file(data_path) != g["core:sha512"].lower():
        err(data_path, "SHA-512 differs from core:sha512")
    if any(isinstance(e, dict) and e.get("name") == "spatial" for e in exts):
        check_spatial_meta(meta_path, meta, num_elements_seen)
        if isinstance(meta.get("captures"), list) and isinstance(meta.get("annotations"), list):
            check_isactb_calibration(meta_path, meta, shared)
    if isinstance(meta.get("captures"), list) and isinstance(meta.get("annotations"), list):
        check_sorted(meta_path, meta)
        check_annotations(meta_path, meta, data_path)


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    spec, cap = sys.argv[1], sys.argv[2]
    for f in ("sigmf-schema.json", "collection-schema.json", "spatial.sigmf-ext.md"):
        if not os.path.exists(os.path.join(spec, f)):
            raise SystemExit(f"{os.path.join(spec, f)}: missing (SigMF spec folder)")
    meta_v = load_schema(spec, "sigmf-schema.json")
    coll_v = load_schema(spec, "collection-schema.json")
    if os.path.isdir(cap):
        colls = [f for f in os.listdir(cap) if f.endswith(".sigmf-collection")]
        if len(colls) != 1:
            raise SystemExit(f"{cap}: {len(colls)} .sigmf-collection files (expected 1)")
        cap = os.path.join(cap, colls[0])
    with open(cap) as f:
        coll = json.load(f)
    schema_check(coll_v, coll, cap)
    c = coll.get("collection", {})
    check_declared(cap, coll, c.get("core:extensions", []))
    check_isactb_collection(cap, c)
    directory = os.path.dirname(cap)
    seen = set()
    streams = c.get("core:streams", [])
    for s in streams:
        name, h = (s[0], s[1]) if isinstance(s, list) else (s.get("name"), s.get("hash"))
        meta_path = os.path.join(directory, name + ".sigmf-meta")
        if not os.path.exists(meta_path):
            err(meta_path, "missing (listed in the collection)")
            continue
        check_meta(meta_v, meta_path, h, seen, c)
    spatial = any(isinstance(e, dict) and e.get("name") == "spatial"
                  for e in c.get("core:extensions", []))
    if spatial:
        if len(seen) > 1:
            err(cap, f"spatial:num_elements differs between recordings: {sorted(seen)}")
        if "spatial:element_geometry" not in c:
            err(cap, "spatial:element_geometry missing (required by the spatial extension)")
        else:
            check_geometry(cap, "spatial:element_geometry", c["spatial:element_geometry"],
                           seen or {len(c["spatial:element_geometry"])})
    for e in errors:
        print(e)
    if errors:
        print(f"sigmf_validate: {len(errors)} problem(s)", file=sys.stderr)
        return 1
    print(f"sigmf_validate: {cap}: collection + {len(streams)} recordings valid "
          f"(jsonschema {jsonschema.Draft202012Validator.__name__})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""Across-training-seed summary of `isactb bench policies --json` paired differences.

usage: seed_summary.py [--json | --write FILE] [--versus POLICY] BENCH.json [BENCH.json ...]

--json prints the summary as JSON instead of the table; --write FILE writes it to FILE
(through FILE.tmp, renamed when complete) and prints the table.

Each file is one training seed's benchmark of the qnet network against a comparison
network on the same paired episodes. A single file's `steps_diff_sem` only covers the
episode noise of that one pair of networks; a second training seed can land several of
those standard errors away (docs/learning.md, "Training seeds"). So the question "does
training method A beat method B" is answered across seeds: the mean of the per-seed
paired differences, their sample standard deviation, and a Student-t 95 % interval with
k - 1 degrees of freedom (k seeds). The spread is split into the part the episode noise
explains (mean of sem^2) and the remainder, the seed-to-seed variance of the networks.
Positive differences mean qnet needs fewer steps than the comparison network. The success
rates (qnet minus the comparison, > 0 when qnet fails less) get the same across-seed mean
and interval.
"""
import json
import math
import os
import sys

# Two-sided 95 % Student-t quantiles t_{0.975, df}, df = 1..30 (standard table, e.g.
# NIST/SEMATECH e-Handbook of Statistical Methods, section 1.3.6.7.2); beyond 30 seeds
# the df = 30 value is kept, which widens the interval by at most about 4 % (conservative).
T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
        2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
        2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042]


def t975(df):
    return T975[min(df, len(T975)) - 1]


def fail(msg):
    print(f"seed_summary: {msg}", file=sys.stderr)
    sys.exit(1)


def paired_of(path, versus):
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        fail(f"{path}: cannot read benchmark JSON ({e})")
    rows = doc.get("paired") if isinstance(doc, dict) else None
    if not isinstance(rows, list):
        fail(f"{path}: field 'paired' missing (run bench policies with --json and two policies)")
    hits = [r for r in rows if isinstance(r, dict) and r.get("versus") == versus]
    if len(hits) != 1:
        fail(f"{path}: field 'paired' has {len(hits)} rows versus '{versus}', need exactly 1 "
             "(use --power and --pfa to bench one condition)")
    d, s = hits[0].get("steps_diff_mean"), hits[0].get("steps_diff_sem")
    for name, v in (("steps_diff_mean", d), ("steps_diff_sem", s)):
        if not isinstance(v, (int, float)) or not math.isfinite(v):
            fail(f"{path}: field '{name}' = {v!r} is not a finite number")
    table = doc.get("rows")
    succ = {r.get("policy"): r.get("success_rate") for r in
            (table if isinstance(table, list) else []) if isinstance(r, dict)}
    for name in ("qnet", versus):
        v = succ.get(name)
        if not isinstance(v, (int, float)) or not 0 <= v <= 1:
            fail(f"{path}: field 'rows' has no success_rate in [0, 1] for '{name}' (got {v!r})")
    return {"file": path, "diff": float(d), "sem": float(s),
            "success_diff": float(succ["qnet"]) - float(succ[versus]),
            "tx_power_dbm": hits[0].get("tx_power_dbm"), "pfa": hits[0].get("pfa"),
            "episodes": doc.get("episodes")}


def t_summary(xs):
    """Mean, sample sd, standard error and 95 % t-interval of xs (len >= 2)."""
    k = len(xs)
    mean = sum(xs) / k
    var = sum((x - mean) ** 2 for x in xs) / (k - 1)
    se = math.sqrt(var / k)
    half = t975(k - 1) * se
    return mean, var, se, [mean - half, mean + half]


def summarize(seeds):
    k = len(seeds)
    diffs = [s["diff"] for s in seeds]
    out = {"seeds": k, "diff_mean": sum(diffs) / k,
           "success_diff_mean": sum(s["success_diff"] for s in seeds) / k}
    if k < 2:
        return out
    mean, var, se, ci = t_summary(diffs)
    noise = sum(s["sem"] ** 2 for s in seeds) / k
    out.update({"diff_sd": math.sqrt(var), "diff_se": se, "ci95": ci,
                "episode_noise_var": noise, "seed_var": max(0.0, var - noise)})
    _, _, se, ci = t_summary([s["success_diff"] for s in seeds])
    out.update({"success_diff_se": se, "success_ci95": ci})
    return out


def main(argv):
    as_json, write, versus, files = False, None, "qnet_offline", []
    it = iter(argv)
    for a in it:
        if a == "--json":
            as_json = True
        elif a == "--write":
            write = next(it, None)
            if not write:
                fail("--write needs a file name")
        elif a == "--versus":
            versus = next(it, None)
            if not versus:
                fail("--versus needs a policy name")
        elif a.startswith("-"):
            fail(f"unknown option '{a}'")
        else:
            files.append(a)
    if not files:
        fail("no benchmark files given")
    seeds = [paired_of(p, versus) for p in files]
    conds = {(s["tx_power_dbm"], s["pfa"]) for s in seeds}
    if len(conds) != 1:
        fail(f"the files bench different conditions {sorted(conds)}; summarize one at a time")
    summary = summarize(seeds)
    summary.update({"versus": versus, "tx_power_dbm": seeds[0]["tx_power_dbm"],
                    "pfa": seeds[0]["pfa"], "per_seed": seeds})
    if as_json:
        print(json.dumps(summary, indent=1))
        return
    if write:
        try:
            with open(write + ".tmp", "w", encoding="utf-8") as f:
                json.dump(summary, f, indent=1)
            os.replace(write + ".tmp", write)
        except OSError as e:
            fail(f"{write}: cannot write the summary ({e})")
    for s in seeds:
        print(f"{s['file']}: {versus} - qnet = {s['diff']:+.2f} ({s['sem']:.2f}) steps, "
              f"success qnet - {versus} = {s['success_diff']:+.3f}, {s['episodes']} episodes")
    k = summary["seeds"]
    line = f"{k} seed{'s' if k != 1 else ''}: mean {summary['diff_mean']:+.2f}"
    if "diff_se" in summary:
        lo, hi = summary["ci95"]
        line += (f", sd {summary['diff_sd']:.2f}, se {summary['diff_se']:.2f}, "
                 f"95 % t-interval [{lo:+.2f}, {hi:+.2f}]; variance: episode noise "
                 f"{summary['episode_noise_var']:.2f}, between seeds {summary['seed_var']:.2f}")
    print(line)
    line = f"success rate, qnet - {versus}: mean {summary['success_diff_mean']:+.3f}"
    if "success_ci95" in summary:
        lo, hi = summary["success_ci95"]
        line += f", se {summary['success_diff_se']:.3f}, 95 % t-interval [{lo:+.3f}, {hi:+.3f}]"
    print(line)


if __name__ == "__main__":
    main(sys.argv[1:])

#include "exp/run.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "exp/pipeline.h"
#include "plan/plan.h"
#include "policy/policy.h"

codebook exp_codebook(const struct exp_config *cfg, const struct radio_info *info, char *err,
                      size_t errlen)
{
    codebook cb;
    if (!strcmp(cfg->codebook, "dft")) {
        array a = array_create_ula(info->num_tx, info->element_spacing_wl);
        cb = a ? codebook_create_dft(a, cfg->beams, -M_PI / 2, M_PI / 2) : NULL;
        array_destroy(a);
        if (!cb)
            isac_seterr(err, errlen,
                        "codebook: cannot build a %u-beam DFT codebook for %u TX channels",
                        cfg->beams, info->num_tx);
        return cb;
    }
    cb = codebook_load(cfg->codebook, err, errlen);
    if (cb && codebook_elements(cb) != info->num_tx) {
        isac_seterr(err, errlen, "%s: elements: %u does not match the radio's %u TX channels",
                    cfg->codebook, codebook_elements(cb), info->num_tx);
        codebook_destroy(cb);
        return NULL;
    }
    return cb;
}

static json_t *detection_json(const struct pipeline_result *res)
{
    return json_pack("{s:b,s:b,s:f,s:f,s:i,s:f,s:f,s:f,s:i}", "confirm", res->confirm, "detected",
                     res->detected, "lambda", res->lambda, "threshold", res->threshold, "num_aps",
                     (json_int_t)res->num_aps, "x", res->x, "y", res->y, "pd", res->pd,
                     "cells_over", (json_int_t)res->cells_over);
}

static int record_cpi(sigmf_writer w, pipeline p, codebook cb, const struct exp_config *cfg,
                      unsigned ep, unsigned step, const struct pipeline_result *res,
                      const struct pipeline_focus *focus, int64_t t0)
{
    /* the plan replaces the beam's weights: {"beam": q} names them in the codebook the
     * collection holds once */
    isac_tx_plan plan = isac_tx_plan_from_beam(cb, res->beam);
    json_t *ann = json_pack("{s:i,s:i,s:i,s:o}", "isactb:episode", (json_int_t)ep, "isactb:step",
                            (json_int_t)step, "isactb:beam", (json_int_t)res->beam,
                            "isactb:detection", detection_json(res));
    if (focus)
        json_object_set_new(
            ann, "isactb:focus",
            json_pack("{s:f,s:f,s:f}", "x", focus->x, "y", focus->y, "radius_m", focus->radius_m));
    json_object_set_new(ann, "isactb:waveform",
                        json_pack("{s:s,s:i,s:i,s:f}", "kind", cfg->waveform.kind, "length",
                                  (json_int_t)cfg->waveform.length, "root",
                                  (json_int_t)cfg->waveform.root, "bandwidth",
                                  cfg->waveform.bandwidth));
    const struct radio_rx_md *md = pipeline_rx_md(p);
    struct sigmf_cpi cpi = {.tick = t0,
                            .rx = (const float complex *const *)pipeline_rx(p),
                            .len = pipeline_window_length(p),
                            .md = md->dropped_samples || md->overflow ? md : NULL,
                            .tx_tick = t0,
                            .txref = pipeline_probe(p),
                            .txlen = pipeline_probe_length(p),
                            .annotation = ann,
                            .plan = plan};
    int rc = plan ? sigmf_writer_append_cpi(w, &cpi) : ISAC_ENOMEM;
    isac_tx_plan_destroy(plan);
    json_decref(ann);
    return rc;
}

/* Replay: this CPI's episode, step, plan and decision must be the recorded ones (each
 * compared when the record has it). The first difference stops the replay. */
static int check_recorded(const struct run_hooks *h, codebook cb, unsigned ep, unsigned step,
                          const struct pipeline_result *res, char *err, size_t errlen)
{
    const json_t *rec = h->recorded(h->ctx);
    isac_tx_plan plan = isac_tx_plan_from_beam(cb, res->beam);
    json_t *got = json_pack("{s:i,s:i,s:i,s:o*,s:o}", "isactb:episode", (json_int_t)ep,
                            "isactb:step", (json_int_t)step, "isactb:beam", (json_int_t)res->beam,
                            "isactb:plan", plan ? isac_tx_plan_to_json(plan) : NULL,
                            "isactb:detection", detection_json(res));
    isac_tx_plan_destroy(plan);
    static const char *const keys[] = {"isactb:episode", "isactb:step", "isactb:beam",
                                       "isactb:plan", "isactb:detection"};
    int rc = got ? ISAC_OK : ISAC_ENOMEM;
    for (size_t i = 0; rc == ISAC_OK && rec && i < sizeof keys / sizeof *keys; i++) {
        const json_t *want = json_object_get(rec, keys[i]), *have = json_object_get(got, keys[i]);
        if (!want || json_equal(want, have))
            continue;
        char *a = json_dumps(want, JSON_COMPACT | JSON_ENCODE_ANY);
        char *b = json_dumps(have, JSON_COMPACT | JSON_ENCODE_ANY);
        isac_seterr(err, errlen, "replay diverged at CPI %lld: recorded %s %s, replayed %s %s",
                    (long long)json_integer_value(json_object_get(rec, "isactb:cpi")),
                    keys[i] + 7, a ? a : "?", keys[i] + 7, b ? b : "?");
        free(a);
        free(b);
        rc = ISAC_ERADIO;
    }
    json_decref(got);
    return rc;
}

struct episode_log {
    json_t *beams, *pd, *detections;
};

static json_t *episode_json(unsigned ep, struct episode_log *lg, int detected, unsigned steps)
{
    return json_pack("{s:i,s:o,s:o,s:b,s:i,s:o}", "episode", (json_int_t)ep, "beams", lg->beams,
                     "pd", lg->pd, "detected", detected, "steps", (json_int_t)steps, "detections",
                     lg->detections);
}

static json_t *counters_json(radio r)
{
    struct radio_counters c = {0};
    radio_get_counters(r, &c);
    return json_pack("{s:I,s:I,s:I,s:I,s:I}", "overflows", (json_int_t)c.overflows, "underflows",
                     (json_int_t)c.underflows, "late_commands", (json_int_t)c.late_commands,
                     "dropped_samples", (json_int_t)c.dropped_samples, "timeouts",
                     (json_int_t)c.timeouts);
}

static json_t *summary_json(json_t *episodes)
{
    size_t n = json_array_size(episodes), det = 0;
    double steps = 0, steps_det = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(episodes, i);
        double s = (double)json_integer_value(json_object_get(e, "steps"));
        steps += s;
        if (json_is_true(json_object_get(e, "detected"))) {
            det++;
            steps_det += s;
        }
    }
    return json_pack("{s:i,s:i,s:f,s:f,s:f}", "episodes", (json_int_t)n, "detected",
                     (json_int_t)det, "detection_rate", n ? (double)det / n : 0.0, "steps_mean",
                     n ? steps / n : 0.0, "steps_mean_detected", det ? steps_det / det : 0.0);
}

static void progress(const struct run_hooks *h, unsigned ep, unsigned step,
                     const struct pipeline_result *res, double zeta)
{
    if (!h || !h->progress)
        return;
    char line[256];
    snprintf(line, sizeof line,
             "episode %u step %3u: beam %3u  lambda %8.2f (thr %5.2f, %u APs)  P_D %.3f%s  at "
             "(%.0f, %.0f) m%s",
             ep, step, res->beam, res->lambda, res->threshold, res->num_aps, res->pd,
             res->pd >= zeta ? " >= zeta" : "", res->x, res->y,
             res->dropped ? "  [samples dropped]" : "");
    h->progress(h->ctx, line);
}

/* One episode; returns ISAC_OK or the failing step's error. */
static int run_episode(const struct exp_config *cfg, radio r, pipeline p, policy pol, codebook cb,
                       sigmf_writer w, const struct run_hooks *hooks, unsigned ep, int64_t *tick,
                       int64_t step_ticks, json_t *episodes, char *err, size_t errlen)
{
    struct episode_log lg = {json_array(), json_array(), json_array()};
    int detected = 0, rc = ISAC_OK, confirming = 0;
    struct policy_obs obs = {0};
    unsigned step = 0;
    struct pipeline_focus focus = {0, 0, cfg->confirm_radius_m};
    policy_reset(pol, ep);
    for (; step < cfg->max_steps && !detected; step++) {
        if (hooks && hooks->should_stop && hooks->should_stop(hooks->ctx)) {
            rc = ISAC_EIO;
            isac_seterr(err, errlen, "interrupted at episode %u step %u", ep, step);
            break;
        }
        struct pipeline_result res;
        /* A confirmation dwell repeats the beam that produced the declaration. */
        unsigned beam = confirming ? obs.beam : policy_next(pol, step ? &obs : NULL);
        /* the exhaustive sweep measures a whole round before it acts on a declaration */
        int may_stop = confirming || policy_may_stop(pol);
        const struct pipeline_focus *f = confirming ? &focus : NULL;
        rc = pipeline_step(p, r, beam, *tick, f, &res);
        if (rc) {
            /* The radio explains its own faults; a window it delivered that the pipeline
             * cannot process (grid_execute refuses a non-finite noise estimate) needs words
             * of its own, or the message would be empty. */
            const char *why = radio_last_error(r);
            isac_seterr(err, errlen, "episode %u step %u: %s", ep, step,
                        rc == ISAC_EFORMAT  ? "RX window holds non-finite (NaN/Inf) samples"
                        : why[0]            ? why
                        : rc == ISAC_EINVAL ? "RX window not processable: overflowing samples"
                                            : isac_strerror(rc));
            break;
        }
        if (hooks && hooks->recorded &&
            (rc = check_recorded(hooks, cb, ep, step, &res, err, errlen)))
            break;
        if (w && record_cpi(w, p, cb, cfg, ep, step, &res, f, *tick)) {
            rc = ISAC_EIO;
            isac_seterr(err, errlen, "recording: %s", sigmf_writer_last_error(w));
            break;
        }
        *tick += step_ticks;
        json_array_append_new(lg.beams, json_integer(beam));
        json_array_append_new(lg.pd, json_real(res.pd));
        json_array_append_new(lg.detections, detection_json(&res));
        progress(hooks, ep, step, &res, cfg->zeta);
        if (hooks && hooks->on_step)
            hooks->on_step(hooks->ctx, p, ep, step, &res);
        obs = (struct policy_obs){.beam = beam,
                                  .pd = res.pd,
                                  .lambda = res.lambda,
                                  .num_aps = res.num_aps,
                                  .detected = res.detected};
        if (!confirming && may_stop && res.detected && cfg->confirm_radius_m > 0) {
            confirming = 1;
            focus.x = res.x;
            focus.y = res.y;
        } else {
            confirming = 0;
            detected = may_stop && res.detected && res.pd >= cfg->zeta;
        }
    }
    json_array_append_new(episodes, episode_json(ep, &lg, detected, step));
    return rc;
}

/* Read a whole (small) file; NULL with err set. */
static char *read_file(const char *path, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n = -1;
    if (f && !fseek(f, 0, SEEK_END) && (n = ftell(f)) >= 0 && n <= (64L << 20) &&
        !fseek(f, 0, SEEK_SET) && (buf = malloc((size_t)n + 1)) &&
        fread(buf, 1, (size_t)n, f) == (size_t)n) {
        buf[n] = '\0';
        *len = (size_t)n;
    } else {
        free(buf);
        buf = NULL;
        isac_seterr(err, errlen, "%s: cannot read the weights file", path);
    }
    if (f)
        fclose(f);
    return buf;
}

policy exp_policy_create(const struct exp_config *cfg, enum policy_kind kind, pipeline p,
                         codebook cb, struct qnet_file *qf, char *err, size_t errlen)
{
    struct policy_opts o;
    unsigned nx, ny;
    const float *lam, *thr;
    policy_opts_defaults(&o);
    pipeline_grid(p, &nx, &ny, &lam, &thr);
    o.pfa = cfg->pfa;
    o.grid_cells = (double)nx * ny;
    o.mdp.zeta = cfg->zeta;
    memset(qf, 0, sizeof *qf);
    if (kind == POLICY_QNET && strcmp(cfg->weights, "builtin")) {
        size_t len = 0;
        char *text = read_file(cfg->weights, &len, err, errlen);
        char why[256];
        if (!text)
            return NULL;
        int bad = qnet_file_parse(text, len, o.mdp.tau, o.mdp.emb, qf, why, sizeof why);
        free(text);
        if (bad) {
            isac_seterr(err, errlen, "%s: %s", cfg->weights, why);
            return NULL;
        }
        o.qnet = &qf->def;
    }
    policy pol = policy_create_ex(kind, codebook_size(cb), cfg->seed, &o);
    if (!pol) {
        isac_seterr(err, errlen, "policy: cannot create '%s' for %u beams", cfg->policy,
                    codebook_size(cb));
        qnet_file_free(qf);
    }
    return pol;
}

int exp_run(const struct exp_config *cfg, radio r, codebook cb, sigmf_writer w,
            const struct run_hooks *hooks, json_t **out, char *err, size_t errlen)
{
    struct radio_info info;
    enum policy_kind kind;
    *out = NULL;
    if (radio_get_info(r, &info) || policy_kind_from_name(cfg->policy, &kind)) {
        isac_seterr(err, errlen, "radio: cannot read its description");
        return ISAC_ERADIO;
    }
    pipeline p = pipeline_create(cfg, &info, cb, cfg->pfa, err, errlen);
    if (!p)
        return ISAC_EINVAL;
    if (hooks && hooks->calibration &&
        pipeline_set_calibration(p, hooks->calibration, err, errlen) != ISAC_OK) {
        pipeline_destroy(p);
        return ISAC_EINVAL;
    }
    struct qnet_file qf = {0};
    policy pol = exp_policy_create(cfg, kind, p, cb, &qf, err, errlen);
    if (!pol) {
        pipeline_destroy(p);
        return ISAC_EINVAL;
    }
    int64_t step_ticks = (int64_t)llround(cfg->step_interval_s * info.sample_rate);
    if (step_ticks < (int64_t)pipeline_window_length(p))
        step_ticks = (int64_t)pipeline_window_length(p);
    json_t *episodes = json_array();
    int64_t tick = 0;
    int rc = ISAC_OK;
    for (unsigned ep = 0; ep < cfg->episodes && rc == ISAC_OK; ep++) {
        if ((info.caps & RADIO_CAP_SCENARIO) &&
            (rc = radio_start_episode(r, ep, &tick)) != ISAC_OK) {
            isac_seterr(err, errlen, "episode %u: %s", ep, radio_last_error(r));
            break;
        }
        rc =
            run_episode(cfg, r, p, pol, cb, w, hooks, ep, &tick, step_ticks, episodes, err, errlen);
    }
    *out = json_pack("{s:s,s:s,s:I,s:o,s:o,s:o}", "radio", cfg->radio, "policy", cfg->policy,
                     "seed", (json_int_t)cfg->seed, "episodes", episodes, "summary",
                     summary_json(episodes), "counters", counters_json(r));
    policy_destroy(pol);
    qnet_file_free(&qf);
    pipeline_destroy(p);
    return rc;
}

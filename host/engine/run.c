#include "engine/run.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/err.h"
#include "common/file_open.h"
#include "engine/episode.h"
#include "engine/pipeline.h"
#include "plan/plan.h"
#include "policy/policy.h"

/* An MA codebook against the radio (docs/ma.md, "Emulation modes"): beams that move
 * elements need a movable array (mode a), never phases on a fixed one; a grid codebook
 * selects elements of the dense array it was made for, so the radio's TX elements must
 * sit at its positions (mode c). */
static int ma_codebook_fits(const struct isac_exp_config *cfg, const struct isac_radio_info *info,
                            isac_codebook cb, char *err, size_t errlen)
{
    int moves = 0;
    for (unsigned q = 0; q < isac_codebook_size(cb); q++)
        moves |= isac_codebook_beam_positions(cb, q) != NULL;
    if (moves && !(info->caps & (ISAC_RADIO_CAP_MOVABLE | ISAC_RADIO_CAP_REPLAY))) {
        isac_seterr(err, errlen,
                    "%s: beams[].positions_wl: the beams move elements but radio '%s' cannot "
                    "(no ISAC_RADIO_CAP_MOVABLE); phases on a fixed array are no movable-antenna "
                    "emulation: use a grid codebook (isactb codebook ma --mode grid)",
                    cfg->codebook, cfg->radio);
        return ISAC_EINVAL;
    }
    const struct isac_codebook_ma_info *ma = isac_codebook_ma(cb);
    if (!ma || ma->mode != ISAC_CODEBOOK_MA_GRID)
        return ISAC_OK;
    const double *p = isac_array_positions(isac_codebook_array(cb));
    for (unsigned m = 0; m < info->num_tx; m++)
        if (fabs(p[m] - info->tx_pos_wl[m]) > 1e-6) {
            isac_seterr(err, errlen,
                        "%s: positions_wl[%u]: %g, but the radio's TX element %u is at %g "
                        "wavelengths (a grid codebook selects elements of its own grid)",
                        cfg->codebook, m, p[m], m, info->tx_pos_wl[m]);
            return ISAC_EINVAL;
        }
    return ISAC_OK;
}

isac_codebook isac_exp_codebook(const struct isac_exp_config *cfg,
                                const struct isac_radio_info *info, char *err, size_t errlen)
{
    isac_codebook cb;
    if (!strcmp(cfg->codebook, "dft")) {
        struct isac_radio_info *in = malloc(sizeof *in); /* 4 kB of positions: not the stack */
        if (!in || (*in = *info, isac_exp_array_apply(cfg, in, err, errlen))) {
            free(in);
            return NULL;
        }
        isac_array a = isac_radio_tx_array(in);
        free(in);
        cb = a ? isac_codebook_create_dft(a, cfg->beams, -M_PI / 2, M_PI / 2) : NULL;
        isac_array_destroy(a);
        if (!cb)
            isac_seterr(err, errlen,
                        "codebook: cannot build a %u-beam DFT codebook for %u TX channels",
                        cfg->beams, info->num_tx);
        return cb;
    }
    cb = isac_codebook_load(cfg->codebook, err, errlen);
    if (cb && isac_codebook_elements(cb) != info->num_tx) {
        isac_seterr(err, errlen, "%s: elements: %u does not match the radio's %u TX channels",
                    cfg->codebook, isac_codebook_elements(cb), info->num_tx);
        isac_codebook_destroy(cb);
        return NULL;
    }
    if (cb && ma_codebook_fits(cfg, info, cb, err, errlen)) {
        isac_codebook_destroy(cb);
        return NULL;
    }
    return cb;
}

static json_t *detection_json(const struct isac_pipeline_result *res)
{
    json_t *d = json_pack("{s:b,s:b,s:f,s:f,s:i,s:f,s:f,s:f,s:i}", "confirm", res->confirm,
                          "detected", res->detected, "lambda", res->lambda, "threshold",
                          res->threshold, "num_aps", (json_int_t)res->num_aps, "x", res->x, "y",
                          res->y, "pd", res->pd, "cells_over", (json_int_t)res->cells_over);
    /* isactb fuse: the APs whose node did not deliver this CPI (fused from the others) */
    if (d && res->missing)
        json_object_set_new(d, "missing_aps", json_integer((json_int_t)res->missing));
    return d;
}

/* Reals recorded by another build may differ in their last float32 bits (FFT size and
 * algorithm, CPU): replay compares them to this relative tolerance. Everything the
 * decisions are made of (integers, booleans, strings: beam, detected, num_aps,
 * cells_over) is compared exactly. */
#define REPLAY_REL_TOL 1e-4

static int json_near(const json_t *a, const json_t *b)
{
    if (json_is_real(a) && json_is_real(b)) {
        double x = json_real_value(a), y = json_real_value(b);
        return fabs(x - y) <= REPLAY_REL_TOL * fmax(fabs(x), fabs(y)) + 1e-12;
    }
    if (json_is_object(a) && json_is_object(b)) {
        const char *k;
        const json_t *v;
        if (json_object_size(a) != json_object_size(b))
            return 0;
        json_object_foreach((json_t *)a, k, v)
        {
            if (!json_near(v, json_object_get(b, k)))
                return 0;
        }
        return 1;
    }
    if (json_is_array(a) && json_is_array(b)) {
        if (json_array_size(a) != json_array_size(b))
            return 0;
        for (size_t i = 0; i < json_array_size(a); i++)
            if (!json_near(json_array_get(a, i), json_array_get(b, i)))
                return 0;
        return 1;
    }
    return json_equal(a, b);
}

/* Replay: this CPI's episode, step, plan and decision must be the recorded ones (each
 * compared when the record has it; reals within REPLAY_REL_TOL). The first difference
 * stops the replay. */
static int check_recorded(const struct isac_run_hooks *h, const struct isac_episode_cpi *c,
                          const char *isac_policy, const char *cfg_policy, char *err, size_t errlen)
{
    const json_t *rec = h->recorded(h->ctx);
    /* no "isactb:policy": the config's policy decided the CPI */
    const char *want_policy = json_string_value(json_object_get(rec, "isactb:policy"));
    if (rec && strcmp(want_policy ? want_policy : cfg_policy, isac_policy)) {
        isac_seterr(err, errlen, "replay diverged at CPI %lld: recorded policy %s, replayed %s",
                    (long long)json_integer_value(json_object_get(rec, "isactb:cpi")),
                    want_policy ? want_policy : cfg_policy, isac_policy);
        return ISAC_ERADIO;
    }
    json_t *got =
        json_pack("{s:i,s:i,s:i,s:o*,s:o}", "isactb:episode", (json_int_t)c->episode, "isactb:step",
                  (json_int_t)c->step, "isactb:beam", (json_int_t)c->res->beam, "isactb:plan",
                  isac_tx_plan_to_json(c->plan), "isactb:detection", detection_json(c->res));
    static const char *const keys[] = {"isactb:episode", "isactb:step", "isactb:beam",
                                       "isactb:plan", "isactb:detection"};
    int rc = got ? ISAC_OK : ISAC_ENOMEM;
    for (size_t i = 0; rc == ISAC_OK && rec && i < sizeof keys / sizeof *keys; i++) {
        const json_t *want = json_object_get(rec, keys[i]), *have = json_object_get(got, keys[i]);
        if (!want || json_near(want, have))
            continue;
        char *a = json_dumps(want, JSON_COMPACT | JSON_ENCODE_ANY);
        char *b = json_dumps(have, JSON_COMPACT | JSON_ENCODE_ANY);
        isac_seterr(err, errlen, "replay diverged at CPI %lld: recorded %s %s, replayed %s %s",
                    (long long)json_integer_value(json_object_get(rec, "isactb:cpi")), keys[i] + 7,
                    a ? a : "?", keys[i] + 7, b ? b : "?");
        free(a);
        free(b);
        rc = ISAC_ERADIO;
    }
    json_decref(got);
    return rc;
}

/* Replay: the APs the recorded CPI was fused without (isactb fuse marks them in its
 * detection record), so the replay leaves them out too. */
static uint32_t recorded_absent(void *ctx)
{
    const struct isac_run_hooks *h = ctx;
    const json_t *d = json_object_get(h->recorded(h->ctx), "isactb:detection");
    json_int_t m = json_integer_value(json_object_get(d, "missing_aps"));
    return m > 0 && m <= (json_int_t)UINT32_MAX ? (uint32_t)m : 0;
}

/* The state of isac_exp_run's hooks: the run's log and the caller's hooks. */
struct run_ctx {
    const struct isac_exp_config *cfg;
    isac_codebook cb;
    isac_sigmf_writer w;
    const struct isac_run_hooks *hooks;
    char policy[32]; /* the policy deciding the current episode */
    struct episode_log {
        json_t *beams, *pd, *detections;
    } lg;
    json_t *episodes;
    struct isac_pipeline_result last; /* the episode's latest CPI (its progress line) */
    /* the schedule: CPI k is due done by t0 + (k + 1) step_interval_s of wall time */
    struct run_timing {
        double t0, last, late_sum, late_max;
        uint64_t cpis, late;
    } tm;
};

static double wall_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* After CPI k: how far behind the schedule its processing finished (> 0: late). */
static void timing_step(struct run_ctx *x)
{
    struct run_timing *t = &x->tm;
    t->last = wall_s();
    double late = t->last - (t->t0 + (double)(t->cpis + 1) * x->cfg->step_interval_s);
    t->cpis++;
    if (late > 0) {
        t->late++;
        t->late_sum += late;
        t->late_max = late > t->late_max ? late : t->late_max;
    }
}

static json_t *timing_json(const struct run_ctx *x, unsigned threads)
{
    const struct run_timing *t = &x->tm;
    double secs = t->cpis ? t->last - t->t0 : 0.0;
    return json_pack("{s:I,s:f,s:f,s:f,s:I,s:f,s:f,s:i}", "cpis", (json_int_t)t->cpis, "seconds",
                     secs, "cpi_per_s", secs > 0 ? (double)t->cpis / secs : 0.0,
                     "schedule_cpi_per_s", 1.0 / x->cfg->step_interval_s, "late_cpis",
                     (json_int_t)t->late, "max_lateness_ms", 1e3 * t->late_max, "mean_lateness_ms",
                     t->cpis ? 1e3 * t->late_sum / (double)t->cpis : 0.0, "threads",
                     (json_int_t)threads);
}

/* The one place a CPI is written to a capture (isac_episode_hooks.record). */
static int record_cpi(void *ctx, const struct isac_episode_cpi *c, char *err, size_t errlen)
{
    struct run_ctx *x = ctx;
    const struct isac_exp_config *cfg = x->cfg;
    const struct isac_pipeline_result *res = c->res;
    if (x->hooks && x->hooks->recorded) {
        int rc = check_recorded(x->hooks, c, x->policy, cfg->policy, err, errlen);
        if (rc || !x->w)
            return rc;
    }
    /* the plan record ({"beam": q} names the weights in the codebook the collection holds
     * once) replaces the weights each CPI carried before */
    json_t *ann = json_pack("{s:i,s:i,s:i,s:o}", "isactb:episode", (json_int_t)c->episode,
                            "isactb:step", (json_int_t)c->step, "isactb:beam",
                            (json_int_t)res->beam, "isactb:detection", detection_json(res));
    if (strcmp(x->policy, cfg->policy))
        json_object_set_new(ann, "isactb:policy", json_string(x->policy));
    if (c->focus)
        json_object_set_new(ann, "isactb:focus",
                            json_pack("{s:f,s:f,s:f}", "x", c->focus->x, "y", c->focus->y,
                                      "radius_m", c->focus->radius_m));
    json_object_set_new(ann, "isactb:waveform",
                        json_pack("{s:s,s:i,s:i,s:f}", "kind", cfg->waveform.kind, "length",
                                  (json_int_t)cfg->waveform.length, "root",
                                  (json_int_t)cfg->waveform.root, "bandwidth",
                                  cfg->waveform.bandwidth));
    const struct isac_radio_rx_md *md = isac_pipeline_rx_md(c->p);
    struct isac_sigmf_cpi cpi = {.tick = c->tick,
                                 .rx = (const float complex *const *)isac_pipeline_rx(c->p),
                                 .len = isac_pipeline_window_length(c->p),
                                 .md = md->dropped_samples || md->overflow ? md : NULL,
                                 .tx_tick = c->tick,
                                 .txref = isac_pipeline_probe(c->p),
                                 .txlen = isac_pipeline_probe_length(c->p),
                                 .annotation = ann,
                                 .plan = c->plan};
    int rc = isac_sigmf_writer_append_cpi(x->w, &cpi);
    json_decref(ann);
    if (rc)
        isac_seterr(err, errlen, "recording: %s", isac_sigmf_writer_last_error(x->w));
    return rc ? ISAC_EIO : ISAC_OK;
}

static json_t *counters_json(isac_radio r)
{
    struct isac_radio_counters c = {0};
    isac_radio_get_counters(r, &c);
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

static void progress(const struct isac_run_hooks *h, const struct isac_episode_cpi *c, double zeta)
{
    if (!h || !h->progress)
        return;
    const struct isac_pipeline_result *res = c->res;
    char line[256];
    snprintf(line, sizeof line,
             "episode %u step %3u: beam %3d  lambda %8.2f (thr %5.2f, %u APs)  P_D %.3f%s  at "
             "(%.0f, %.0f) m%s",
             (unsigned)c->episode, c->step, res->beam, res->lambda, res->threshold, res->num_aps,
             res->pd, res->pd >= zeta ? " >= zeta" : "", res->x, res->y,
             res->dropped ? "  [samples dropped]" : "");
    h->progress(h->ctx, line);
}

/* The episode's outcome in one line (the default progress of run, replay and fuse). */
static void episode_progress(const struct isac_run_hooks *h, const struct isac_episode_status *s,
                             const struct isac_pipeline_result *last, unsigned max_steps)
{
    /* an episode cut short (a fault, a stop) has no outcome: the error line says why */
    if (!h || !h->episode_line || (!s->terminal && s->steps < max_steps))
        return;
    char line[256];
    if (s->terminal)
        snprintf(line, sizeof line,
                 "episode %u: detected in %u steps at (%.0f, %.0f) m, beam %d, P_D %.3f",
                 (unsigned)s->episode, s->steps, last->x, last->y, last->beam, last->pd);
    else
        snprintf(line, sizeof line, "episode %u: no detection in %u steps", (unsigned)s->episode,
                 s->steps);
    h->episode_line(h->ctx, line);
}

static void run_on_step(void *ctx, const struct isac_episode_cpi *c)
{
    struct run_ctx *x = ctx;
    if (!x->lg.beams)
        x->lg = (struct episode_log){json_array(), json_array(), json_array()};
    json_array_append_new(x->lg.beams, json_integer(c->res->beam));
    json_array_append_new(x->lg.pd, json_real(c->res->pd));
    json_array_append_new(x->lg.detections, detection_json(c->res));
    timing_step(x);
    x->last = *c->res;
    progress(x->hooks, c, x->cfg->zeta);
    if (x->hooks && x->hooks->on_step)
        x->hooks->on_step(x->hooks->ctx, c->p, (unsigned)c->episode, c->step, c->res);
    if (x->hooks && x->hooks->observer)
        x->hooks->observer->cpi(x->hooks->observer->ctx, c);
}

static void run_on_episode(void *ctx, const struct isac_episode_status *s)
{
    struct run_ctx *x = ctx;
    if (!x->lg.beams)
        x->lg = (struct episode_log){json_array(), json_array(), json_array()};
    json_array_append_new(x->episodes,
                          json_pack("{s:i,s:o,s:o,s:b,s:i,s:o}", "episode", (json_int_t)s->episode,
                                    "beams", x->lg.beams, "pd", x->lg.pd, "detected", s->terminal,
                                    "steps", (json_int_t)s->steps, "detections", x->lg.detections));
    if (strcmp(x->policy, x->cfg->policy))
        json_object_set_new(json_array_get(x->episodes, json_array_size(x->episodes) - 1), "policy",
                            json_string(x->policy));
    x->lg = (struct episode_log){NULL, NULL, NULL};
    episode_progress(x->hooks, s, &x->last, x->cfg->max_steps);
    if (x->hooks && x->hooks->observer)
        x->hooks->observer->episode(x->hooks->observer->ctx, s);
}

static int run_should_stop(void *ctx)
{
    const struct run_ctx *x = ctx;
    return x->hooks && x->hooks->should_stop && x->hooks->should_stop(x->hooks->ctx);
}

/* Read a whole (small) file; NULL with err set. */
static char *read_file(const char *path, size_t *len, char *err, size_t errlen)
{
    char *buf = NULL;
    int rc = isac_read_input(path, 64u << 20, &buf, len, err, errlen); /* regular files only */
    if (rc == ISAC_EIO)
        isac_seterr(err, errlen, "%s: cannot read the weights file", path);
    return buf;
}

isac_policy isac_exp_policy_create(const struct isac_exp_config *cfg, isac_pipeline p,
                                   isac_codebook cb, struct isac_qnet_file *qf, char *err,
                                   size_t errlen)
{
    struct isac_policy_args a;
    unsigned nx, ny;
    const float *lam, *thr;
    isac_policy_args_defaults(&a, isac_codebook_size(cb), cfg->seed);
    a.num_tx = isac_codebook_elements(cb);
    a.cb = cb;
    isac_pipeline_grid(p, &nx, &ny, &lam, &thr);
    a.opts.pfa = cfg->pfa;
    a.opts.grid_cells = (double)nx * ny;
    a.opts.mdp.zeta = cfg->zeta;
    memset(qf, 0, sizeof *qf);
    const struct isac_policy_vtable *vt = isac_policy_registry_find(NULL, cfg->policy);
    if (vt && (vt->caps & ISAC_POLICY_CAP_QNET) && strcmp(cfg->weights, "builtin")) {
        size_t len = 0;
        char *text = read_file(cfg->weights, &len, err, errlen);
        char why[256];
        if (!text)
            return NULL;
        int bad =
            isac_qnet_file_parse(text, len, a.opts.mdp.tau, a.opts.mdp.emb, qf, why, sizeof why);
        free(text);
        if (bad) {
            isac_seterr(err, errlen, "%s: %s", cfg->weights, why);
            return NULL;
        }
        a.opts.qnet = &qf->def;
    }
    isac_policy pol = isac_policy_create(vt, &a);
    if (!pol) {
        char names[256];
        isac_seterr(err, errlen,
                    vt ? "policy: cannot create '%s' for %u beams"
                       : "policy: '%s' unknown (%u beams; known: %s)",
                    cfg->policy, isac_codebook_size(cb),
                    isac_policy_registry_names(NULL, names, sizeof names));
        isac_qnet_file_free(qf);
    }
    return pol;
}

/* Before episode ep: the policy hooks->policy_for names, when it is not the current one,
 * replaces *pol (and its weights *qf). One line in err when it cannot be made. */
static int run_switch_policy(struct run_ctx *x, isac_pipeline p, isac_codebook cb, uint64_t ep,
                             isac_policy *pol, struct isac_qnet_file *qf, char *err, size_t errlen)
{
    const struct isac_run_hooks *h = x->hooks;
    const char *name = h && h->policy_for ? h->policy_for(h->ctx, ep) : NULL;
    if (!name || !strcmp(name, x->policy))
        return ISAC_OK;
    struct isac_exp_config c = *x->cfg;
    if (!isac_policy_name_known(name) || strlen(name) >= sizeof c.policy) {
        isac_seterr(err, errlen, "episode %llu: policy '%s' unknown", (unsigned long long)ep, name);
        return ISAC_EINVAL;
    }
    snprintf(c.policy, sizeof c.policy, "%s", name);
    struct isac_qnet_file nqf;
    char why[256];
    isac_policy np = isac_exp_policy_create(&c, p, cb, &nqf, why, sizeof why);
    if (!np) {
        isac_seterr(err, errlen, "episode %llu: %s", (unsigned long long)ep, why);
        return ISAC_EINVAL;
    }
    isac_policy_destroy(*pol);
    isac_qnet_file_free(qf);
    *pol = np;
    *qf = nqf;
    snprintf(x->policy, sizeof x->policy, "%s", name);
    if (h->observer && h->observer->policy_changed)
        h->observer->policy_changed(h->observer->ctx, x->policy, ep);
    return ISAC_OK;
}

int isac_exp_run(const struct isac_exp_config *cfg, isac_radio r, isac_codebook cb,
                 isac_sigmf_writer w, const struct isac_run_hooks *hooks, json_t **out, char *err,
                 size_t errlen)
{
    struct isac_radio_info info;
    *out = NULL;
    if (isac_radio_get_info(r, &info) || !isac_policy_name_known(cfg->policy)) {
        isac_seterr(err, errlen, "radio: cannot read its description");
        return ISAC_ERADIO;
    }
    isac_pipeline p = isac_pipeline_create(cfg, &info, cb, cfg->pfa, err, errlen);
    if (!p)
        return ISAC_EINVAL;
    if (hooks && hooks->calibration &&
        isac_pipeline_set_calibration(p, hooks->calibration, err, errlen) != ISAC_OK) {
        isac_pipeline_destroy(p);
        return ISAC_EINVAL;
    }
    if (isac_pipeline_set_threads(p, hooks ? hooks->threads : 0) != ISAC_OK) {
        isac_seterr(err, errlen, "pipeline: cannot start %u threads", hooks ? hooks->threads : 0);
        isac_pipeline_destroy(p);
        return ISAC_ENOMEM;
    }
    struct isac_qnet_file qf = {0};
    struct isac_episode_rules rules;
    isac_episode_rules_from_config(&rules, cfg);
    isac_policy pol = isac_exp_policy_create(cfg, p, cb, &qf, err, errlen);
    isac_episode_engine e =
        pol ? isac_episode_engine_create(p, r, cb, cfg, &rules, err, errlen) : NULL;
    if (!e) {
        isac_policy_destroy(pol);
        isac_qnet_file_free(&qf);
        isac_pipeline_destroy(p);
        return ISAC_EINVAL;
    }
    if (hooks && hooks->source)
        isac_pipeline_set_source(p, hooks->source);
    if (hooks && hooks->recorded)
        isac_pipeline_set_absent(p, recorded_absent, (void *)hooks);
    if (hooks && hooks->on_engine)
        hooks->on_engine(hooks->ctx, e);
    struct run_ctx x = {.cfg = cfg, .cb = cb, .w = w, .hooks = hooks, .episodes = json_array()};
    const struct isac_episode_hooks eh = {.ctx = &x,
                                          .should_stop = run_should_stop,
                                          .record =
                                              w || (hooks && hooks->recorded) ? record_cpi : NULL,
                                          .on_step = run_on_step,
                                          .on_episode = run_on_episode};
    x.tm.t0 = wall_s();
    snprintf(x.policy, sizeof x.policy, "%s", cfg->policy);
    if (hooks && hooks->observer && hooks->observer->policy_changed)
        hooks->observer->policy_changed(hooks->observer->ctx, x.policy, 0);
    int rc = ISAC_OK;
    for (uint64_t ep = 0; rc == ISAC_OK && (!cfg->episodes || ep < cfg->episodes); ep++) {
        rc = run_switch_policy(&x, p, cb, ep, &pol, &qf, err, errlen);
        if (rc == ISAC_OK)
            rc = isac_episode_run_episodes(e, pol, ep, 1, &eh, err, errlen);
    }
    if (rc == ISAC_EPISODE_STOPPED)
        rc = ISAC_EIO;
    *out = json_pack("{s:s,s:s,s:I,s:o,s:o,s:o,s:o}", "radio", cfg->radio, "policy", cfg->policy,
                     "seed", (json_int_t)cfg->seed, "episodes", x.episodes, "summary",
                     summary_json(x.episodes), "counters", counters_json(r), "timing",
                     timing_json(&x, isac_pipeline_threads(p)));
    isac_episode_engine_destroy(e);
    isac_policy_destroy(pol);
    isac_qnet_file_free(&qf);
    isac_pipeline_destroy(p);
    return rc;
}

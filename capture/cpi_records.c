/* The collection's per-CPI records, "isactb:cpis" (docs/capture-format.md, 4.3): one
 * record per CPI with its window, probe, losses, transmit plan and the caller's keys.
 * The writer builds them (element positions recorded only when they change); the reader
 * parses and checks them and restores the positions recorded as "unchanged". */
#include <string.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/err.h"
#include "sigmf_internal.h"

/* ------------------------------------------------------------ reading */

/* A plan whose element positions did not change since the last CPI that had any
 * records "unchanged": put the array back so that every record is complete. */
static int resolve_positions(const struct ectx *e, const char *p, json_t *rec, json_t **last)
{
    json_t *plan = json_object_get(rec, "isactb:plan");
    json_t *pos = json_object_get(plan, "positions_wl");
    if (plan && !json_is_object(plan))
        return cap_efail(e, ISAC_EFORMAT, "%sisactb:plan is not an object", p);
    if (!pos)
        return ISAC_OK;
    if (!json_is_string(pos)) {
        *last = pos;
        return ISAC_OK;
    }
    if (strcmp(json_string_value(pos), "unchanged") || !*last)
        return cap_efail(e, ISAC_EFORMAT,
                         "%sisactb:plan.positions_wl '%.20s' (only \"unchanged\" after a CPI with "
                         "positions)",
                         p, json_string_value(pos));
    return json_object_set(plan, "positions_wl", *last) ? cap_efail(e, ISAC_ENOMEM, "out of memory")
                                                        : ISAC_OK;
}

/* One record of isactb:cpis: window, probe and losses; windows and probes in order. */
static int parse_cpi(const struct ectx *e, isac_sigmf_reader r, size_t k, json_t *o, json_t **last)
{
    char p[40], b[80];
    int64_t tick, len, txt, txn, zero = 0, cnt = 0;
    int rc;
    snprintf(p, sizeof p, "isactb:cpis[%zu] ", k);
    if (!json_is_object(o))
        return cap_efail(e, ISAC_EFORMAT, "%sis not an object", p);
    if ((rc = cap_get_int(e, o, p, "isactb:tick", NULL, 0, INT64_MAX / 4, &tick)) ||
        (rc = cap_get_int(e, o, p, "isactb:num_samples", NULL, 1, (int64_t)1 << 40, &len)) ||
        (rc = cap_get_int(e, o, p, "isactb:tx_tick", &tick, 0, INT64_MAX / 4, &txt)) ||
        (rc = cap_get_int(e, o, p, "isactb:tx_samples", &zero, 0, (int64_t)1 << 40, &txn)))
        return rc;
    json_t *ov = json_object_get(o, "isactb:overflow"), *d = json_object_get(o, "isactb:drop");
    if (ov && !json_is_boolean(ov))
        return cap_efail(e, ISAC_EFORMAT, "%sisactb:overflow %s is not a boolean", p,
                         cap_show(ov, b, sizeof b));
    if (d && (!json_is_object(d) || (rc = cap_get_int(e, d, p, "count", NULL, 1, len, &cnt))))
        return rc ? rc : cap_efail(e, ISAC_EFORMAT, "%sisactb:drop is not an object", p);
    const struct cpi *pv = k ? &r->cpi[k - 1] : NULL;
    if (pv && tick < pv->tick + (int64_t)pv->len)
        return cap_efail(e, ISAC_EFORMAT,
                         "%sisactb:tick %lld overlaps the window of CPI %zu (ends at %lld)", p,
                         (long long)tick, k - 1, (long long)(pv->tick + (int64_t)pv->len));
    if (pv && txt < pv->tx_tick + (int64_t)pv->txlen)
        return cap_efail(e, ISAC_EFORMAT,
                         "%sisactb:tx_tick %lld overlaps the probe of CPI %zu (ends at %lld)", p,
                         (long long)txt, k - 1, (long long)(pv->tx_tick + (int64_t)pv->txlen));
    r->cpi[k] =
        (struct cpi){tick, txt, (uint64_t)len, (uint64_t)txn, (uint64_t)cnt, json_is_true(ov), o};
    return resolve_positions(e, p, o, last);
}

int cap_parse_cpis(isac_sigmf_reader r, const struct ectx *e, json_t *c)
{
    char b[80];
    json_t *a = json_object_get(c, "isactb:cpis"), *last = NULL;
    if (!json_is_array(a))
        return cap_efail(e, ISAC_EFORMAT, "isactb:cpis %s is not an array",
                         cap_show(a, b, sizeof b));
    r->ncpi = json_array_size(a);
    r->cpi = calloc(r->ncpi ? r->ncpi : 1, sizeof *r->cpi);
    if (!r->cpi)
        return cap_efail(e, ISAC_ENOMEM, "out of memory");
    for (size_t k = 0; k < r->ncpi; k++) {
        int rc = parse_cpi(e, r, k, json_array_get(a, k), &last);
        if (rc)
            return rc;
    }
    return ISAC_OK;
}

/* ------------------------------------------------------------ writing */

/* A plan's element positions are recorded when they change: the same array as the
 * previous CPI's becomes the string "unchanged" (the reader puts the array back). */
static int plan_record(isac_sigmf_writer w, const struct isac_tx_plan_s *plan, json_t *rec)
{
    json_t *pj = isac_tx_plan_to_json(plan);
    if (!pj)
        return ISAC_ENOMEM;
    json_t *pos = json_object_get(pj, "positions_wl");
    if (pos && w->positions_wl && json_equal(pos, w->positions_wl))
        json_object_set_new(pj, "positions_wl", json_string("unchanged"));
    else if (pos) {
        json_decref(w->positions_wl);
        w->positions_wl = json_incref(pos);
    }
    return json_object_set_new(rec, "isactb:plan", pj) ? ISAC_ENOMEM : ISAC_OK;
}

/* The collection's record of this CPI: the writer's keys (window, probe, losses), the
 * plan and the caller's keys. Written once for all streams. */
json_t *cap_cpi_record(isac_sigmf_writer w, const struct isac_sigmf_cpi *c, const json_t *caller)
{
    json_t *a =
        json_pack("{s:I,s:I,s:I,s:I,s:I}", "isactb:cpi", (json_int_t)w->ncpi, "isactb:tick",
                  (json_int_t)c->tick, "isactb:num_samples", (json_int_t)c->len, "isactb:tx_tick",
                  (json_int_t)c->tx_tick, "isactb:tx_samples", (json_int_t)c->txlen);
    int bad = !a;
    if (a && c->md && c->md->overflow)
        bad |= json_object_set_new(a, "isactb:overflow", json_true());
    if (a && c->md && c->md->dropped_samples)
        bad |= json_object_set_new(a, "isactb:drop",
                                   json_pack("{s:I,s:I}", "start_tick",
                                             (json_int_t)c->md->drop_start_tick, "count",
                                             (json_int_t)c->md->dropped_samples));
    if (a && caller)
        bad |= json_object_update((json_t *)a, (json_t *)caller);
    if (a && c->plan)
        bad |= plan_record(w, c->plan, a) != ISAC_OK;
    if (bad) {
        json_decref(a);
        return NULL;
    }
    return a;
}

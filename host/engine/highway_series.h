/* Per-slot history of a highway run, for its figures (engine/highway.h). */
#ifndef ISACTB_ENGINE_HIGHWAY_SERIES_H
#define ISACTB_ENGINE_HIGHWAY_SERIES_H

struct hwy_series;

struct hwy_series *hwy_series_create(void);
/* kind 0: a vehicle's true position, 1: a track's estimate. ISAC_ENOMEM on failure. */
int hwy_series_point(struct hwy_series *s, double t, int kind, unsigned id, double x, double y);
int hwy_series_sinr(struct hwy_series *s, double t, unsigned id, double meas_db, double model_db);
int hwy_series_rmse(struct hwy_series *s, double t, double rmse_m, double pcrb_m);

#endif

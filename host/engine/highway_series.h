/* Per-slot history of a highway run, for its figures (engine/highway.h). */
#ifndef ISACTB_ENGINE_HIGHWAY_SERIES_H
#define ISACTB_ENGINE_HIGHWAY_SERIES_H

struct isac_hwy_series;

struct isac_hwy_series *isac_hwy_series_create(void);
/* kind 0: a vehicle's true position, 1: a track's estimate. ISAC_ENOMEM on failure. */
int isac_hwy_series_point(struct isac_hwy_series *s, double t, int kind, unsigned id, double x,
                          double y);
int isac_hwy_series_sinr(struct isac_hwy_series *s, double t, unsigned id, double meas_db,
                         double model_db);
int isac_hwy_series_rmse(struct isac_hwy_series *s, double t, double rmse_m, double pcrb_m);

#endif

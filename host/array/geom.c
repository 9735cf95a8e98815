#include "array/geom.h"

#include <math.h>

double isac_geom_dist(double x0, double y0, double x1, double y1)
{
    return hypot(x1 - x0, y1 - y0);
}

double isac_geom_phi(const struct isac_geom_ap *ap, double px, double py)
{
    double dx = px - ap->x, dy = py - ap->y;
    double r = hypot(dx, dy);
    if (r == 0.0)
        return 0.0;
    double s = (dx * cos(ap->axis_rad) + dy * sin(ap->axis_rad)) / r;
    if (s > 1.0)
        s = 1.0;
    if (s < -1.0)
        s = -1.0;
    return asin(s);
}

double isac_geom_bistatic_range(const struct isac_geom_ap *tx, const struct isac_geom_ap *rx,
                                double px, double py)
{
    return isac_geom_dist(tx->x, tx->y, px, py) + isac_geom_dist(rx->x, rx->y, px, py);
}

double isac_geom_bistatic_delay_samples(const struct isac_geom_ap *tx,
                                        const struct isac_geom_ap *rx, double px, double py,
                                        double fs)
{
    return isac_geom_bistatic_range(tx, rx, px, py) / ISAC_GEOM_C0 * fs;
}

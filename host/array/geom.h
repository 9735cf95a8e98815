/* Planar scene geometry: access points (APs) with linear arrays, targets, bistatic
 * delays and angles.
 *
 * Units: metres, seconds, radians. An AP sits at (x, y); its array axis points
 * along axis_rad (measured from +x, counter-clockwise) and element positions
 * p_m (array/array.h) are measured along that axis. The angle phi of a point P
 * seen from the AP is defined by sin(phi) = u . (P - AP)/|P - AP| with
 * u = (cos axis_rad, sin axis_rad): this is the angle from broadside that the
 * steering vector convention of array/array.h expects (a ULA cannot tell front
 * from back, so both half-planes map to phi in [-pi/2, pi/2]).
 */
#ifndef ISACTB_GEOM_GEOM_H
#define ISACTB_GEOM_GEOM_H

#define ISAC_GEOM_C0 299792458.0 /* speed of light, m/s */

struct isac_geom_ap {
    double x, y;     /* position, m */
    double axis_rad; /* array axis direction, rad from +x */
};

double isac_geom_dist(double x0, double y0, double x1, double y1);
/* phi (rad, from broadside, [-pi/2, pi/2]) of point (px, py) seen from ap. */
double isac_geom_phi(const struct isac_geom_ap *ap, double px, double py);
/* Bistatic path length TX AP -> point -> RX AP, m. */
double isac_geom_bistatic_range(const struct isac_geom_ap *tx, const struct isac_geom_ap *rx,
                                double px, double py);
/* Bistatic delay in samples at sample rate fs (Hz). */
double isac_geom_bistatic_delay_samples(const struct isac_geom_ap *tx,
                                        const struct isac_geom_ap *rx, double px, double py,
                                        double fs);

#endif

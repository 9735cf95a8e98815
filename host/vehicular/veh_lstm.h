/* The `lstm` vehicular scheme (veh_scheme.h): seed 000's two Bi-LSTMs (section VI, host/
 * learn/lstm.h) replace the optimiser. Per slot, the vehicles sorted by position
 * (veh_features.h) go through
 *   1. the assignment net (per-step sigmoid): RSU 0 when its output is >= 0.5, else RSU 1;
 *      the caps are kept by placing the most confident vehicles first and moving a vehicle
 *      whose RSU is full to the other one;
 *   2. the beam net (the same features plus the assignment): the serving beam in the
 *      matched frame, projected onto the unit ball by the net, mapped back to elements.
 * The beams are not checked against the sensing constraint (the net only imitates FP
 * beams that meet it; docs/vehicular.md reports how often it holds).
 * Weights: isac_veh_params.lstm_assign / lstm_beam (files written by `isactb train lstm`), or
 * the compiled-in tables for N = 32 (codebooks/veh_lstm_{assign,beam}_weights.c, exported by
 * `isactb train lstm --export-c`). */
#ifndef ISACTB_VEHICULAR_VEH_LSTM_H
#define ISACTB_VEHICULAR_VEH_LSTM_H

#include "vehicular/veh_scheme.h"

extern const struct isac_veh_scheme_vt isac_veh_lstm_scheme;

#endif

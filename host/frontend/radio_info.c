/* The radio description's element positions (frontend/radio_info.h): checks, ULA fill,
 * arrays. Pure data functions on struct radio_info. */
#include <math.h>
#include <stdio.h>

#include "common/err.h"
#include "frontend/radio_info.h"

int isac_radio_positions_check(const double *pos, unsigned n, char *why, size_t whylen)
{
    for (unsigned i = 0; i < n; i++)
        if (!isfinite(pos[i]) || fabs(pos[i]) > 1e4) {
            snprintf(why, whylen,
                     "element %u at %g wavelengths is not a finite position "
                     "within +-1e4",
                     i, pos[i]);
            return ISAC_EINVAL;
        }
    /* any order: O(n^2) over at most ISAC_RADIO_MAX_CHANNELS elements is nothing */
    for (unsigned i = 0; i < n; i++)
        for (unsigned j = i + 1; j < n; j++)
            if (fabs(pos[i] - pos[j]) < ISAC_RADIO_MIN_SPACING_WL) {
                snprintf(why, whylen, "elements %u and %u are %g wavelengths apart (minimum %g)", i,
                         j, fabs(pos[i] - pos[j]), ISAC_RADIO_MIN_SPACING_WL);
                return ISAC_EINVAL;
            }
    return ISAC_OK;
}

int isac_radio_info_check_positions(const struct isac_radio_info *info, char *why, size_t whylen)
{
    char w[160];
    if (info->num_tx && isac_radio_positions_check(info->tx_pos_wl, info->num_tx, w, sizeof w)) {
        snprintf(why, whylen, "TX array: %s", w);
        return ISAC_EINVAL;
    }
    for (unsigned ap = 0; ap < info->num_rx_aps && ap < ISAC_RADIO_MAX_APS; ap++) {
        unsigned ch = isac_radio_rx_first_channel(info, ap);
        if (ch + info->rx_ap_elements[ap] <= ISAC_RADIO_MAX_CHANNELS &&
            isac_radio_positions_check(info->rx_pos_wl + ch, info->rx_ap_elements[ap], w,
                                       sizeof w)) {
            snprintf(why, whylen, "RX array %u: %s", ap, w);
            return ISAC_EINVAL;
        }
    }
    return ISAC_OK;
}

void isac_radio_info_fill_ula(struct isac_radio_info *info)
{
    double d = info->element_spacing_wl;
    for (unsigned m = 0; m < info->num_tx && m < ISAC_RADIO_MAX_CHANNELS; m++)
        info->tx_pos_wl[m] = m * d;
    for (unsigned ap = 0, ch = 0; ap < info->num_rx_aps && ap < ISAC_RADIO_MAX_APS; ap++)
        for (unsigned m = 0; m < info->rx_ap_elements[ap] && ch < ISAC_RADIO_MAX_CHANNELS; m++)
            info->rx_pos_wl[ch++] = m * d;
}

unsigned isac_radio_rx_first_channel(const struct isac_radio_info *info, unsigned ap)
{
    unsigned ch = 0;
    for (unsigned a = 0; a < ap && a < ISAC_RADIO_MAX_APS; a++)
        ch += info->rx_ap_elements[a];
    return ch;
}

isac_array isac_radio_tx_array(const struct isac_radio_info *info)
{
    if (!info || info->num_tx == 0 || info->num_tx > ISAC_RADIO_MAX_CHANNELS)
        return NULL;
    return isac_array_create(info->tx_pos_wl, info->num_tx);
}

isac_array isac_radio_rx_array(const struct isac_radio_info *info, unsigned ap)
{
    if (!info || ap >= info->num_rx_aps || ap >= ISAC_RADIO_MAX_APS)
        return NULL;
    unsigned ch = isac_radio_rx_first_channel(info, ap), M = info->rx_ap_elements[ap];
    if (M == 0 || ch + M > ISAC_RADIO_MAX_CHANNELS)
        return NULL;
    return isac_array_create(info->rx_pos_wl + ch, M);
}

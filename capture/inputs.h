/* Input hashes: what a capture's decisions depend on, recorded as SHA-256 so that replay
 * can refuse to re-derive decisions from inputs that changed (docs/capture-format.md,
 * "Input hashes"). The collection's "isactb:inputs" object maps a role ("weights",
 * "codebook", "calibration", "config", "effective_config") to
 *   {"path": FILE, "sha256": HEX}   a file, hashed byte for byte, or
 *   {"sha256": HEX, "of": KEY}      the canonical JSON (compact, sorted keys) of the
 *                                   collection's KEY object (a generated codebook, the
 *                                   effective experiment configuration). */
#ifndef ISACTB_CAPTURE_INPUTS_H
#define ISACTB_CAPTURE_INPUTS_H

#include <jansson.h>
#include <stddef.h>

/* {"path", "sha256"} of a file; NULL (and one line in err) when it cannot be read. */
json_t *isac_cap_input_file(const char *path, char *err, size_t errlen);
/* {"sha256", "of": key} of the canonical JSON of j; NULL on ENOMEM. */
json_t *isac_cap_input_json(const json_t *j, const char *key);

/* Check every recorded input of inputs against what is there now: files re-hashed,
 * JSON entries against the collection's own objects (shared). ISAC_OK, or
 * ISAC_EFORMAT with one line "FILE: sha256 recorded HEX, now HEX" (or "now missing";
 * for JSON entries the collection key instead of FILE) naming the first that differs.
 * inputs NULL (a capture without input hashes) passes. */
int isac_cap_inputs_verify(const json_t *inputs, const json_t *shared, char *err, size_t errlen);

#endif

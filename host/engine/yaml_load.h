/* One YAML document into a libcyaml schema, with the project's error rules: a regular file's
 * text (read by the caller through host/common/file_open.h), exactly one document (libcyaml
 * would silently load the first of several), aliases refused, and libcyaml's several log
 * lines folded into one "SRC: message (line L, column C)" error. Shared by the experiment
 * config (config.c) and the highway scene (highway_config.c). */
#ifndef ISACTB_ENGINE_YAML_LOAD_H
#define ISACTB_ENGINE_YAML_LOAD_H

#include <cyaml/cyaml.h>
#include <stddef.h>

/* Parse text (len bytes) against schema into *raw (NULL for an empty document: all
 * defaults). ISAC_OK, or ISAC_EFORMAT with one line in err naming src (and the line of a
 * second document, "SRC:LINE: a second YAML document: a config file holds exactly one"). */
int isac_yaml_load_one(const char *text, size_t len, const char *src,
                       const cyaml_schema_value_t *schema, void **raw, char *err, size_t errlen);

/* Free what isac_yaml_load_one returned (NULL is fine). */
void isac_yaml_free_one(const cyaml_schema_value_t *schema, void *raw);

#endif

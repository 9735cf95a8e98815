/* One YAML document into a libcyaml schema (host/engine/yaml_load.h). */
#include "engine/yaml_load.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"

/* libcyaml reports through a log callback: keep the first error and the innermost
 * backtrace line (it carries the field name, line and column) as one message. */
struct yaml_log {
    char first[256];
    char where[256];
};

static void yaml_log_fn(cyaml_log_t level, void *ctx, const char *fmt, va_list args)
{
    struct yaml_log *lg = ctx;
    char line[256];
    if (level < CYAML_LOG_ERROR)
        return;
    vsnprintf(line, sizeof line, fmt, args);
    line[strcspn(line, "\n")] = '\0';
    const char *msg = strncmp(line, "Load: ", 6) ? line : line + 6;
    if (!strncmp(msg, "Backtrace:", 10))
        return;
    if (!lg->first[0])
        snprintf(lg->first, sizeof lg->first, "%s", msg);
    else if (!lg->where[0] && strstr(msg, "line"))
        snprintf(lg->where, sizeof lg->where, "%s", msg + strspn(msg, " "));
}

/* Line (1-based) of a "---" document start that follows content, i.e. of a second
 * document in a multi-document YAML stream; 0 when there is one document. libcyaml loads
 * the first document only and would silently ignore the rest. */
static int yaml_second_document(const char *text, size_t len)
{
    int line = 1, content = 0;
    for (size_t i = 0; i < len; line++) {
        size_t e = i;
        while (e < len && text[e] != '\n')
            e++;
        const char *p = text + i;
        size_t n = e - i;
        int marker = n >= 3 && !strncmp(p, "---", 3) &&
                     (n == 3 || p[3] == ' ' || p[3] == '\t' || p[3] == '\r');
        int end_marker = n >= 3 && !strncmp(p, "...", 3) && (n == 3 || p[3] == ' ' || p[3] == '\r');
        if (marker && content)
            return line;
        if (end_marker) {
            content = 1; /* anything after "..." starts another document */
        } else if (!marker) {
            size_t k = 0;
            while (k < n && (p[k] == ' ' || p[k] == '\t' || p[k] == '\r'))
                k++;
            if (k < n && p[k] != '#' && p[0] != '%')
                content = 1;
        }
        i = e + 1;
    }
    return 0;
}

static const cyaml_config_t *yaml_cfg(cyaml_config_t *c, struct yaml_log *lg)
{
    *c = (cyaml_config_t){.log_fn = yaml_log_fn,
                          .log_ctx = lg,
                          .mem_fn = cyaml_mem,
                          .log_level = CYAML_LOG_WARNING,
                          .flags = CYAML_CFG_NO_ALIAS};
    return c;
}

int isac_yaml_load_one(const char *text, size_t len, const char *src,
                       const cyaml_schema_value_t *schema, void **raw, char *err, size_t errlen)
{
    *raw = NULL;
    int line = yaml_second_document(text, len);
    if (line) {
        isac_seterr(err, errlen, "%s:%d: a second YAML document: a config file holds exactly one",
                    src, line);
        return ISAC_EFORMAT;
    }
    struct yaml_log lg = {{0}, {0}};
    cyaml_config_t c;
    cyaml_err_t ye = cyaml_load_data((const uint8_t *)text, len, yaml_cfg(&c, &lg), schema,
                                     (cyaml_data_t **)raw, NULL);
    if (ye != CYAML_OK) {
        *raw = NULL;
        isac_seterr(err, errlen, "%s: %s%s%s", src, lg.first[0] ? lg.first : cyaml_strerror(ye),
                    lg.where[0] ? " " : "", lg.where);
        return ISAC_EFORMAT;
    }
    return ISAC_OK;
}

void isac_yaml_free_one(const cyaml_schema_value_t *schema, void *raw)
{
    if (!raw)
        return;
    struct yaml_log lg = {{0}, {0}};
    cyaml_config_t c;
    cyaml_free(yaml_cfg(&c, &lg), schema, raw, 0);
}

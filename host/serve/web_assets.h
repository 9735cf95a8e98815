/* The page of the live view: the files of web/, embedded at build time by
 * cmake/embed_web.cmake into web_assets.c (in the build directory). */
#ifndef ISACTB_SERVE_WEB_ASSETS_H
#define ISACTB_SERVE_WEB_ASSETS_H

#include <stddef.h>

struct web_asset {
    const char *path; /* "/index.html", "/live.js", ... */
    const char *mime; /* from the file's extension */
    const unsigned char *data;
    size_t len;
};

extern const struct web_asset web_assets[];
extern const size_t web_assets_count;

#endif

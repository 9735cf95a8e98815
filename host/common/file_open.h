/* Opening input files safely (docs/reliability.md, "Only regular files are read").
 *
 * Every file isactb reads (captures and the paths recorded inside them, weights,
 * codebooks, calibration records, site limits, experiment configs) is opened through
 * these helpers: the open never blocks (O_NONBLOCK, so a FIFO without a writer or a
 * device that would wait returns at once), the opened descriptor is checked with fstat
 * to be a regular file, and only then is O_NONBLOCK cleared for ordinary reads. A FIFO,
 * socket, directory or device is refused with one line "PATH: not a regular file (a
 * FIFO)". Symbolic links are followed (a user's link to a config is fine): the check is
 * made on what was opened, so there is no window between check and use.
 */
#ifndef ISACTB_COMMON_FILE_OPEN_H
#define ISACTB_COMMON_FILE_OPEN_H

#include <stddef.h>
#include <stdio.h>

/* Open path read-only as above. Returns the descriptor (>= 0, O_CLOEXEC), or a negative
 * isac_err with one line in err: ISAC_EIO (cannot open: missing, permission) or
 * ISAC_EFORMAT (not a regular file). */
int isac_open_input(const char *path, char *err, size_t errlen);

/* isac_open_input as a stdio stream ("rb"); NULL with *rc (when rc is not NULL) and err set. */
FILE *isac_fopen_input(const char *path, int *rc, char *err, size_t errlen);

/* Read a whole regular file into a malloc'd, NUL-terminated buffer (*text, *len bytes
 * without the NUL). Files larger than max bytes are refused (ISAC_EFORMAT, "larger than
 * MAX bytes"); ISAC_ENOMEM when the buffer cannot be allocated; otherwise as
 * isac_open_input. */
int isac_read_input(const char *path, size_t max, char **text, size_t *len, char *err,
                    size_t errlen);

/* Name of the kind of a non-regular st_mode ("a FIFO", "a socket", "a directory", "a
 * character device", "a block device", "not a regular file"). */
const char *isac_file_kind(unsigned mode);

#endif

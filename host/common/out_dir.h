/* Writing into output directories without clobbering anything (docs/reliability.md,
 * "Nothing overwrites or deletes data it does not own").
 *
 *  - An output directory (`run --out`, `train --out`, `calib ... --out`) is held with an
 *    exclusive advisory lock (flock on the directory itself, so no lock file is left
 *    behind) for the whole command: a second isactb run on the same directory refuses
 *    with one line instead of interleaving its files with the first's.
 *  - Temporary files are created exclusively (O_CREAT|O_EXCL|O_NOFOLLOW): an existing
 *    file or a symbolic link planted under the temporary's name is never followed,
 *    truncated or reused.
 *  - A finished file is moved into place with rename-no-replace: an existing file of
 *    the final name (not created by this run) is never replaced.
 * A run only ever deletes the temporaries it created itself.
 */
#ifndef ISACTB_COMMON_OUT_DIR_H
#define ISACTB_COMMON_OUT_DIR_H

#include <stddef.h>

/* Create dir when missing (mode 0777 & umask) and take its exclusive lock. Returns the
 * lock descriptor (>= 0; release with isac_dir_unlock), or a negative isac_err with one
 * line in err: ISAC_EIO (cannot create/open, or busy: "DIR: in use by another isactb
 * process (locked)"). */
int isac_dir_lock(const char *dir, char *err, size_t errlen);
void isac_dir_unlock(int fd);

/* Create path exclusively for writing (O_WRONLY|O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC,
 * mode 0644). Returns the descriptor, or ISAC_EIO with one line in err ("PATH: exists
 * (not created by this run): refusing to reuse it" for EEXIST/ELOOP). */
int isac_create_excl(const char *path, char *err, size_t errlen);

/* isac_create_excl as a stdio stream ("wb"); NULL with one line in err. */
#include <stdio.h>
FILE *isac_fcreate_excl(const char *path, char *err, size_t errlen);

/* rename(from, to) that fails (ISAC_EIO, one line in err, from left in place) when to
 * already exists. */
int isac_rename_noreplace(const char *from, const char *to, char *err, size_t errlen);

#endif

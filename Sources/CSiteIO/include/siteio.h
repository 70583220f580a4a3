#ifndef SITEIO_H
#define SITEIO_H

/// Swaps two paths in one step (Linux renameat2 with RENAME_EXCHANGE). Returns 0, or the errno:
/// ENOSYS where the platform or its headers have no exchange, EINVAL where the file system
/// refuses it.
int siteio_exchange(const char *a, const char *b);

/// Flushes the file system holding `fd` (Linux syncfs). Returns 0, or the errno (ENOSYS where
/// there is no syncfs).
int siteio_syncfs(int fd);

/// errno of the calling thread (Swift cannot read the macro directly on every platform).
int siteio_errno(void);

#endif

// Two Linux calls that Swift's Glibc module does not export (they sit behind _GNU_SOURCE).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include "siteio.h"

int siteio_exchange(const char *a, const char *b) {
#if defined(__linux__) && defined(RENAME_EXCHANGE)
  return renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE) == 0 ? 0 : errno;
#else
  (void)a;
  (void)b;
  return ENOSYS;
#endif
}

int siteio_syncfs(int fd) {
#if defined(__linux__)
  return syncfs(fd) == 0 ? 0 : errno;
#else
  (void)fd;
  return ENOSYS;
#endif
}

int siteio_errno(void) { return errno; }

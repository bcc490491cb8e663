/*
 * syscalls.c: calls that Swift's Glibc module does not expose (they need _GNU_SOURCE).
 * Parent only.
 */
#define _GNU_SOURCE
#include "fnbox_shims.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

int fnbox_pipe_cloexec(int fds[2]) {
    return pipe2(fds, O_CLOEXEC) == 0 ? 0 : -errno;
}

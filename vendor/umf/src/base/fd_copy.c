#include "fd_copy.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/log.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

/*
 * Under Yama's ptrace_scope 1 only ancestors may pidfd_getfd from a process: a producer of
 * fd-based handles lets any process of its user do it (PR_SET_PTRACER_ANY). Without Yama
 * the call fails with EINVAL and nothing is needed; with scope 2 or 3 it cannot help.
 */
void umf_fd_allow_copy(void) {
    static _Atomic int done_for; /* the pid it was done in (a fork child does it again) */
    int pid = (int)getpid();
    if (atomic_load_explicit(&done_for, memory_order_relaxed) == pid) {
        return;
    }
    int fd = open("/proc/sys/kernel/yama/ptrace_scope", O_RDONLY | O_CLOEXEC);
    char scope = '?'; /* unknown: try */
    if (fd >= 0) {
        if (read(fd, &scope, 1) != 1) {
            scope = '?';
        }
        close(fd);
    }
    if ((scope == '1' || scope == '?') && prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0) != 0 &&
        errno != EINVAL) {
        LOG_WARN("prctl(PR_SET_PTRACER) failed (errno %d): other processes may not open IPC handles", errno);
    }
    atomic_store_explicit(&done_for, pid, memory_order_relaxed);
}

int umf_fd_copy_from(int pid, int fd, const char **failed) {
    int pidfd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
    if (pidfd < 0) {
        *failed = "pidfd_open";
        return -1;
    }
    *failed = "pidfd_getfd";
    int copy = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
    int err = errno;
    close(pidfd);
    errno = err;
    return copy;
}

/* Copying a file descriptor out of another process (pidfd_open + pidfd_getfd), as the
 * OS and Level Zero providers' IPC does with the fd an IPC handle names. */
#ifndef UMF_INTERNAL_FD_COPY_H
#define UMF_INTERNAL_FD_COPY_H 1

/* Lets other processes of this user copy fds out of this one (once per process). */
void umf_fd_allow_copy(void);

/* A descriptor of process pid's fd, owned by the caller; -1 with errno set on failure
 * (ENOSYS where the kernel lacks the calls) and *failed naming the call that failed. */
int umf_fd_copy_from(int pid, int fd, const char **failed);

#endif

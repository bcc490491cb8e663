/*
 * fnbox_shims.h: the C half of fnbox's sandbox spawner.
 *
 * Swift's runtime is multithreaded, so between clone3 and execve the child may only make
 * async-signal-safe calls on memory the parent prepared. Everything that runs in the child lives
 * in spawn.c; the parent builds a `struct fnbox_spawn_spec` (argv, envp, the mount table, rlimits,
 * the seccomp program already compiled to BPF) and calls `fnbox_spawn`.
 */
#ifndef FNBOX_SHIMS_H
#define FNBOX_SHIMS_H

#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The child's setup stages, in the order it runs them. A failure record names one of these. */
enum {
    FNBOX_STAGE_NONE = 0,
    FNBOX_STAGE_CLONE = 1,          /* parent: clone3 itself */
    FNBOX_STAGE_CGROUP = 2,         /* parent: writing the child's pid into cgroup.procs */
    FNBOX_STAGE_SYNC = 3,           /* child: waiting for the parent's go byte */
    FNBOX_STAGE_SIGNALS = 4,
    FNBOX_STAGE_CGROUP_NS = 5,      /* unshare(CLONE_NEWCGROUP) once inside its cgroups */
    FNBOX_STAGE_MOUNT_PRIVATE = 6,
    FNBOX_STAGE_MOUNT = 7,          /* index = entry of the mount table */
    FNBOX_STAGE_HOSTNAME = 8,
    FNBOX_STAGE_LOOPBACK = 9,
    FNBOX_STAGE_PIVOT_ROOT = 10,
    FNBOX_STAGE_UMOUNT_OLD_ROOT = 11,
    FNBOX_STAGE_REMOUNT_ROOT_RO = 12,
    FNBOX_STAGE_CHDIR = 13,
    FNBOX_STAGE_RLIMITS = 14,       /* index = entry of the rlimit table */
    FNBOX_STAGE_CAPBSET = 15,
    FNBOX_STAGE_SETGROUPS = 16,
    FNBOX_STAGE_SETGID = 17,
    FNBOX_STAGE_SETUID = 18,
    FNBOX_STAGE_CAPSET = 19,
    FNBOX_STAGE_AMBIENT = 20,
    FNBOX_STAGE_NO_NEW_PRIVS = 21,
    FNBOX_STAGE_FDS = 22,           /* index = target fd */
    FNBOX_STAGE_CLOSE_FDS = 23,
    FNBOX_STAGE_SECCOMP = 24,
    FNBOX_STAGE_EXECVE = 25,
};

/* What one entry of the mount table does. Targets are absolute host paths under the new root. */
enum {
    FNBOX_MOUNT_FS = 1,       /* mount(source, target, fstype, flags, data) */
    FNBOX_MOUNT_BIND = 2,     /* recursive bind; then a read-only remount when FNBOX_MOUNT_READ_ONLY */
    FNBOX_MOUNT_MKDIR = 3,    /* mkdir(target, mode); an existing directory is fine */
    FNBOX_MOUNT_FILE = 4,     /* create an empty regular file (a bind target for a device node) */
    FNBOX_MOUNT_SYMLINK = 5,  /* symlink(source, target) */
};

enum { FNBOX_MOUNT_READ_ONLY = 1 };

struct fnbox_mount_op {
    int32_t kind;
    int32_t options;          /* FNBOX_MOUNT_READ_ONLY */
    const char *source;
    const char *target;
    const char *fstype;
    const char *data;
    unsigned long flags;      /* MS_* for FNBOX_MOUNT_FS; extra MS_NOSUID|MS_NODEV|MS_NOEXEC for a read-only bind */
    uint32_t mode;            /* for MKDIR and FILE */
};

struct fnbox_rlimit {
    int32_t resource;
    uint64_t soft;
    uint64_t hard;
};

/*
 * Written by the child only when a stage fails; EOF instead means execve succeeded.
 * `index` names the failing entry of the parent's mount or rlimit table, so the parent can print its path.
 */
struct fnbox_child_error {
    int32_t stage;
    int32_t err;
    int32_t index;
};

struct fnbox_spawn_spec {
    const char *path;             /* executable, as seen inside the sandbox */
    char *const *argv;            /* NULL-terminated */
    char *const *envp;            /* NULL-terminated */
    const char *new_root;         /* host directory the mount table builds the root in; pivot_root target */
    const char *cwd;              /* inside the sandbox */
    const char *hostname;
    const struct fnbox_mount_op *mounts;
    int32_t mount_count;
    const struct fnbox_rlimit *rlimits;
    int32_t rlimit_count;
    uint32_t uid;
    uint32_t gid;
    int32_t last_cap;             /* highest capability number the kernel knows */
    const int32_t *fds;           /* fds[i] becomes fd i in the child; fd_count of them */
    int32_t fd_count;
    const int32_t *cgroup_procs_fds; /* open cgroup.procs files; the parent writes the pid to each before "go" */
    int32_t cgroup_procs_count;
    int32_t cgroup_dir_fd;        /* >= 0: clone straight into this v2 cgroup (CLONE_INTO_CGROUP) */
    const void *seccomp_filter;   /* struct sock_filter[], from fnbox_seccomp_compile */
    uint32_t seccomp_filter_len;  /* number of instructions */
    uint64_t clone_flags;         /* CLONE_NEW* namespaces (not CLONE_NEWCGROUP: the child unshares it itself) */
    int32_t new_cgroup_ns;        /* 1: unshare a cgroup namespace once inside its cgroups */
    int32_t loopback_up;          /* 1: bring up `lo` in the new network namespace */
};

struct fnbox_spawn_result {
    pid_t pid;
    int32_t pidfd;
    struct fnbox_child_error error; /* stage == FNBOX_STAGE_NONE on success */
};

/*
 * Spawns a sandboxed child and waits until it has either exec'd or failed.
 * Returns 0 and fills pid/pidfd on success; returns -1 with `result->error` set on failure
 * (the child, if any, has been reaped). Must be called from a thread that lives as long as the
 * child: PR_SET_PDEATHSIG fires when the *thread* that created the child exits.
 */
int fnbox_spawn(const struct fnbox_spawn_spec *spec, struct fnbox_spawn_result *result);

/*
 * Compiles fnbox's seccomp policy with libseccomp (parent only; never after clone) and exports it
 * as BPF. Returns the number of instructions and a malloc'ed buffer in *out (free with free()),
 * or -errno.
 */
int fnbox_seccomp_compile(void **out, uint32_t *instruction_count);

/* Highest capability number the running kernel knows (libcap's view, else /proc). */
int fnbox_last_cap(void);

/* pidfd helpers (glibc 2.36 wraps them, but older headers may not). */
int fnbox_pidfd_send_signal(int pidfd, int sig);
/* Reaps the child behind pidfd without blocking when `nohang`; returns 1 and its status when it
 * had exited, 0 when still running, -errno on error. `status` is a wait status (WIFEXITED etc.). */
int fnbox_pidfd_wait(int pidfd, int nohang, int *status);

/* pipe2(fds, O_CLOEXEC); 0 or -errno. */
int fnbox_pipe_cloexec(int fds[2]);

/* The name of a stage, for messages. */
const char *fnbox_stage_name(int32_t stage);

#ifdef __cplusplus
}
#endif

#endif /* FNBOX_SHIMS_H */

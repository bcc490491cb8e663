/*
 * spawn.c: the parent half of spawning a sandbox, and ALL code that runs in the child between
 * clone3 and execve.
 *
 * The child is a copy of a multithreaded Swift process. Locks other threads held at clone time
 * (malloc's, the Swift runtime's) stay held forever in the child, and glibc still believes the
 * other threads exist. So every child stage below:
 *   - makes only async-signal-safe calls, on memory the parent prepared (the spec);
 *   - uses raw syscalls where glibc's wrapper would consult its thread list (setgroups, setresgid,
 *     setresuid broadcast to "all threads" through __nptl_setxid, which would wait for threads that
 *     do not exist in the child);
 *   - reports failure as a fixed-size {stage, errno, index} record over a close-on-exec socket and
 *     calls _exit, never exit.
 * The parent reads that socket until EOF: EOF with no record means execve succeeded.
 */
#define _GNU_SOURCE
#include "fnbox_shims.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

_Static_assert(sizeof(struct fnbox_child_error) == 12, "child error record is 12 bytes on the wire");

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif

/* The kernel's struct clone_args (v2, with `cgroup`), declared here so that we do not depend on
 * the installed <linux/sched.h> being new enough. */
struct fnbox_clone_args {
    uint64_t flags;
    uint64_t pidfd;
    uint64_t child_tid;
    uint64_t parent_tid;
    uint64_t exit_signal;
    uint64_t stack;
    uint64_t stack_size;
    uint64_t tls;
    uint64_t set_tid;
    uint64_t set_tid_size;
    uint64_t cgroup;
};

/* Serialises the window between creating the report socket and closing the parent's copy of the
 * child's end, so that a concurrent spawn's child never inherits our socket and delays our EOF. */
static pthread_mutex_t spawn_lock = PTHREAD_MUTEX_INITIALIZER;

/* ------------------------------------------------------------------------------------------ */
/* Child side. Each stage returns 0, or -1 with errno set; the caller names the stage. */

struct child_state {
    const struct fnbox_spawn_spec *spec;
    int sync_fd;
    int32_t index;
};

/* Writes the failure record and leaves. Only write(2) and _exit(2): both async-signal-safe. */
static void __attribute__((noreturn)) child_fail(struct child_state *st, int32_t stage) {
    struct fnbox_child_error rec = { .stage = stage, .err = errno, .index = st->index };
    ssize_t unused = write(st->sync_fd, &rec, sizeof rec);
    (void)unused;
    _exit(127);
}

/* Stage 1, first of all: wait for the parent's go byte. The parent writes our pid into every
 * cgroup.procs before sending it, so the memory, CPU and pids limits hold before any setup runs.
 * EOF means the parent died or gave up: leave quietly. read(2) only. */
static int child_wait_for_parent(struct child_state *st) {
    char go = 0;
    ssize_t n;
    do {
        n = read(st->sync_fd, &go, 1);
    } while (n < 0 && errno == EINTR);
    if (n == 0)
        _exit(127);
    return n == 1 ? 0 : -1;
}

/* Stage 2: default signal dispositions and an empty mask (the parent blocked everything around
 * clone so that none of Swift's handlers can run in the child), and SIGKILL if the spawning thread
 * dies, so that a dead daemon leaves no orphan sandboxes. sigaction, sigprocmask and prctl are
 * async-signal-safe. */
static int child_reset_signals(struct child_state *st) {
    (void)st;
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; sig++) {
        if (sig == SIGKILL || sig == SIGSTOP)
            continue;
        (void)sigaction(sig, &dfl, NULL); /* EINVAL for the signals glibc reserves: harmless */
    }
    sigset_t none;
    sigemptyset(&none);
    if (sigprocmask(SIG_SETMASK, &none, NULL) != 0)
        return -1;
    return prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
}

/* Stage 3: a cgroup namespace rooted at the cgroup the parent just put us in, so the function
 * sees its own cgroup as "/". It must come after the go byte (on v1 the parent moves us only
 * then) and before the mounts. unshare(2) is a plain syscall. */
static int child_unshare_cgroup_ns(struct child_state *st) {
    if (!st->spec->new_cgroup_ns)
        return 0;
    return unshare(CLONE_NEWCGROUP);
}

/* Stage 4: make every mount in our new namespace private before mounting anything, so that
 * nothing we mount propagates back to the host. */
static int child_make_mounts_private(struct child_state *st) {
    (void)st;
    return mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
}

/* Stage 5: build the new root from the parent's table, in its order (the tmpfs root first, then
 * directories and the mounts on them). mount, mkdir, open, close and symlink are plain syscalls;
 * every string is the parent's. */
static int child_apply_mounts(struct child_state *st) {
    const struct fnbox_spawn_spec *spec = st->spec;
    for (int32_t i = 0; i < spec->mount_count; i++) {
        const struct fnbox_mount_op *op = &spec->mounts[i];
        st->index = i;
        switch (op->kind) {
        case FNBOX_MOUNT_FS:
            if (mount(op->source, op->target, op->fstype, op->flags, op->data) != 0)
                return -1;
            break;
        case FNBOX_MOUNT_BIND:
            if (mount(op->source, op->target, NULL, MS_BIND | MS_REC, NULL) != 0)
                return -1;
            /* A bind mount ignores MS_RDONLY on creation; read-only takes a second, remount call. */
            if (op->options & FNBOX_MOUNT_READ_ONLY) {
                if (mount(NULL, op->target, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | op->flags, NULL) != 0)
                    return -1;
            } else if (op->flags) {
                if (mount(NULL, op->target, NULL, MS_REMOUNT | MS_BIND | op->flags, NULL) != 0)
                    return -1;
            }
            break;
        case FNBOX_MOUNT_MKDIR:
            if (mkdir(op->target, (mode_t)op->mode) != 0 && errno != EEXIST)
                return -1;
            break;
        case FNBOX_MOUNT_FILE: {
            int fd = open(op->target, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, (mode_t)op->mode);
            if (fd < 0)
                return -1;
            close(fd);
            break;
        }
        case FNBOX_MOUNT_SYMLINK:
            if (symlink(op->source, op->target) != 0 && errno != EEXIST)
                return -1;
            break;
        default:
            errno = EINVAL;
            return -1;
        }
    }
    st->index = -1;
    return 0;
}

/* Stage 6: the hostname. Needs CAP_SYS_ADMIN in the UTS namespace, so it runs before the drop. */
static int child_set_hostname(struct child_state *st) {
    const char *name = st->spec->hostname;
    if (name == NULL)
        return 0;
    return sethostname(name, strlen(name));
}

/* Stage 7: bring up `lo` in the new network namespace (the only interface there). socket, ioctl
 * and close are plain syscalls; the ifreq lives on our stack. Needs CAP_NET_ADMIN: before the drop. */
static int child_bring_up_loopback(struct child_state *st) {
    if (!st->spec->loopback_up)
        return 0;
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    memcpy(ifr.ifr_name, "lo", 3);
    int rc = ioctl(fd, SIOCGIFFLAGS, &ifr);
    if (rc == 0) {
        ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
        rc = ioctl(fd, SIOCSIFFLAGS, &ifr);
    }
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

/* Stage 8: pivot_root into the new root and detach the old one. pivot_root(".", ".") stacks the
 * old root on top of the new one at the same place, so a single lazy umount of "." removes every
 * trace of the host's tree without needing a directory for it. Must follow the mounts (they need
 * host paths) and precede the read-only remount of "/". */
static int child_pivot_root(struct child_state *st) {
    if (chdir(st->spec->new_root) != 0)
        return -1;
    if (syscall(SYS_pivot_root, ".", ".") != 0)
        return -1;
    return 0;
}

static int child_detach_old_root(struct child_state *st) {
    (void)st;
    if (umount2(".", MNT_DETACH) != 0)
        return -1;
    return chdir("/");
}

/* Stage 9: the root itself read-only. A per-mount flag (MS_BIND remount) so the tmpfs stays
 * writable nowhere; /tmp is its own mount and stays writable. */
static int child_remount_root_read_only(struct child_state *st) {
    (void)st;
    return mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL);
}

static int child_change_directory(struct child_state *st) {
    return chdir(st->spec->cwd ? st->spec->cwd : "/");
}

/* Stage 10: rlimits. Lowering is always allowed, but raising a hard limit needs CAP_SYS_RESOURCE,
 * so this runs before capabilities go. prlimit is a plain syscall. */
static int child_set_rlimits(struct child_state *st) {
    for (int32_t i = 0; i < st->spec->rlimit_count; i++) {
        const struct fnbox_rlimit *rl = &st->spec->rlimits[i];
        st->index = i;
        struct rlimit lim = { .rlim_cur = rl->soft, .rlim_max = rl->hard };
        if (setrlimit(rl->resource, &lim) != 0)
            return -1;
    }
    st->index = -1;
    return 0;
}

/* Stage 11: empty the bounding set. PR_CAPBSET_DROP needs CAP_SETPCAP, which the capset below
 * takes away, so it comes first. EINVAL means a capability this kernel does not have. */
static int child_drop_bounding_set(struct child_state *st) {
    for (int cap = 0; cap <= st->spec->last_cap; cap++) {
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL)
            return -1;
    }
    return 0;
}

/* Stage 12: identity. Drop the groups and the gid before the uid: once setuid() leaves root, the
 * capabilities that setgid() needs are gone. Raw syscalls, because glibc's wrappers broadcast the
 * change to every thread it knows of, and the threads it knows of do not exist in this child. */
static int child_set_identity(struct child_state *st, int32_t *stage) {
    *stage = FNBOX_STAGE_SETGROUPS;
    if (syscall(SYS_setgroups, 0, NULL) != 0)
        return -1;
    *stage = FNBOX_STAGE_SETGID;
    if (syscall(SYS_setresgid, st->spec->gid, st->spec->gid, st->spec->gid) != 0)
        return -1;
    *stage = FNBOX_STAGE_SETUID;
    if (syscall(SYS_setresuid, st->spec->uid, st->spec->uid, st->spec->uid) != 0)
        return -1;
    return 0;
}

/* Stage 13: clear the effective, permitted and inheritable sets with the raw capset syscall
 * (libcap allocates), then the ambient set. After a setuid away from root the kernel has already
 * cleared permitted and effective; this also covers uid 0 inside. */
static int child_clear_capabilities(struct child_state *st, int32_t *stage) {
    (void)st;
    *stage = FNBOX_STAGE_CAPSET;
    struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof data);
    if (syscall(SYS_capset, &hdr, data) != 0)
        return -1;
    *stage = FNBOX_STAGE_AMBIENT;
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
        return -1;
    return 0;
}

/* Stage 14: no_new_privs. Lets an unprivileged task load the seccomp filter, and no execve can
 * ever regain privileges (setuid binaries, file capabilities). */
static int child_set_no_new_privs(struct child_state *st) {
    (void)st;
    return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

/* Stage 15: the child's fd table. Sources first move above every target (F_DUPFD_CLOEXEC), so a
 * source whose number is also a target is never overwritten before it is used; the report socket
 * moves too. dup2 then places each one (clearing its close-on-exec flag), and every other fd is
 * marked close-on-exec in one close_range call, the report socket included. fcntl, dup2, close and
 * close_range are plain syscalls. */
static int child_arrange_fds(struct child_state *st, int32_t *stage) {
    const struct fnbox_spawn_spec *spec = st->spec;
    int32_t n = spec->fd_count;
    int moved[64];
    if (n > 64) {
        errno = EINVAL;
        return -1;
    }
    *stage = FNBOX_STAGE_FDS;
    int sync = fcntl(st->sync_fd, F_DUPFD_CLOEXEC, n);
    if (sync < 0)
        return -1;
    st->sync_fd = sync;
    for (int32_t i = 0; i < n; i++) {
        st->index = i;
        moved[i] = fcntl(spec->fds[i], F_DUPFD_CLOEXEC, n);
        if (moved[i] < 0)
            return -1;
    }
    for (int32_t i = 0; i < n; i++) {
        st->index = i;
        if (dup2(moved[i], i) < 0)
            return -1;
    }
    st->index = -1;
    *stage = FNBOX_STAGE_CLOSE_FDS;
    if (syscall(SYS_close_range, (unsigned)n, ~0U, CLOSE_RANGE_CLOEXEC) != 0)
        return -1;
    return 0;
}

/* Stage 16, LAST before execve: the seccomp filter the parent compiled. It may forbid calls the
 * stages above make (mount, sethostname, ...), so nothing may follow it but execve, and it still
 * allows write and exit_group so that a failed execve can be reported. */
static int child_load_seccomp(struct child_state *st) {
    if (st->spec->seccomp_filter == NULL)
        return 0;
    struct sock_fprog prog = {
        .len = (unsigned short)st->spec->seccomp_filter_len,
        .filter = (struct sock_filter *)st->spec->seccomp_filter,
    };
    return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
}

#define CHILD_STAGE(st, stage, call) \
    do { if ((call) != 0) child_fail((st), (stage)); } while (0)

/* The child's whole life, as a checklist in order. Never returns. */
static void __attribute__((noreturn)) child_main(const struct fnbox_spawn_spec *spec, int sync_fd) {
    struct child_state st = { .spec = spec, .sync_fd = sync_fd, .index = -1 };
    int32_t stage = FNBOX_STAGE_NONE;

    CHILD_STAGE(&st, FNBOX_STAGE_SYNC, child_wait_for_parent(&st));
    CHILD_STAGE(&st, FNBOX_STAGE_SIGNALS, child_reset_signals(&st));
    CHILD_STAGE(&st, FNBOX_STAGE_CGROUP_NS, child_unshare_cgroup_ns(&st));
    CHILD_STAGE(&st, FNBOX_STAGE_MOUNT_PRIVATE, child_make_mounts_private(&st));
    CHILD_STAGE(&st, FNBOX_STAGE_MOUNT, child_apply_mounts(&st));
    CHILD_STAGE(&st, FNBOX_STAGE_HOSTNAME, child_set_hostname(&st));
    CHILD_STAGE(&st, FNBOX_STAGE_LOOPBACK, child_bring_up_loopback(&st));
    CHILD_STAGE(&st, FNBOX_STAGE_PIVOT_ROOT, child_pivot_root(&st));
    CHILD_STAGE(&st, FNBOX_STAGE_UMOUNT_OLD_ROOT, child_detach_old_root(&st));
    CHILD_STAGE(&st, FNBOX_STAGE_REMOUNT_ROOT_RO, child_remount_root_read_only(&st));
    CHILD_STAGE(&st, FNBOX_STAGE_CHDIR, child_change_directory(&st));
    CHILD_STAGE(&st, FNBOX_STAGE_RLIMITS, child_set_rlimits(&st));
    CHILD_STAGE(&st, FNBOX_STAGE_CAPBSET, child_drop_bounding_set(&st));
    if (child_set_identity(&st, &stage) != 0)
        child_fail(&st, stage);
    if (child_clear_capabilities(&st, &stage) != 0)
        child_fail(&st, stage);
    CHILD_STAGE(&st, FNBOX_STAGE_NO_NEW_PRIVS, child_set_no_new_privs(&st));
    if (child_arrange_fds(&st, &stage) != 0)
        child_fail(&st, stage);
    CHILD_STAGE(&st, FNBOX_STAGE_SECCOMP, child_load_seccomp(&st));
    execve(spec->path, spec->argv, spec->envp);
    child_fail(&st, FNBOX_STAGE_EXECVE);
}

/* ------------------------------------------------------------------------------------------ */
/* Parent side. */

static int write_pid(int fd, pid_t pid) {
    char buf[24];
    int len = snprintf(buf, sizeof buf, "%d", (int)pid);
    ssize_t n;
    do {
        n = pwrite(fd, buf, (size_t)len, 0);
    } while (n < 0 && errno == EINTR);
    if (n < 0 && errno == ESPIPE) {
        do {
            n = write(fd, buf, (size_t)len);
        } while (n < 0 && errno == EINTR);
    }
    return n == len ? 0 : -1;
}

static void reap(int pidfd, pid_t pid) {
    int status;
    if (pidfd >= 0) {
        (void)fnbox_pidfd_wait(pidfd, 0, &status);
        close(pidfd);
    } else {
        while (waitpid(pid, &status, __WALL) < 0 && errno == EINTR) {}
    }
}

int fnbox_spawn(const struct fnbox_spawn_spec *spec, struct fnbox_spawn_result *result) {
    memset(result, 0, sizeof *result);
    result->pidfd = -1;

    sigset_t all, old;
    sigfillset(&all);

    int sv[2];
    int pidfd = -1;
    struct fnbox_clone_args args;
    memset(&args, 0, sizeof args);
    args.flags = spec->clone_flags | CLONE_PIDFD;
    args.pidfd = (uint64_t)(uintptr_t)&pidfd;
    args.exit_signal = SIGCHLD;
    if (spec->cgroup_dir_fd >= 0) {
        args.flags |= CLONE_INTO_CGROUP;
        args.cgroup = (uint64_t)spec->cgroup_dir_fd;
    }

    pthread_mutex_lock(&spawn_lock);
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        int saved = errno;
        pthread_mutex_unlock(&spawn_lock);
        result->error = (struct fnbox_child_error){ FNBOX_STAGE_CLONE, saved, -1 };
        return -1;
    }
    /* Block every signal across clone: the child must not run one of the parent's handlers
     * before it has reset them. */
    pthread_sigmask(SIG_SETMASK, &all, &old);
    long pid = syscall(SYS_clone3, &args, sizeof args);
    if (pid == 0) {
        /* The child. From here on: child_main only. */
        close(sv[0]);
        child_main(spec, sv[1]);
    }
    int clone_errno = errno;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    close(sv[1]);
    pthread_mutex_unlock(&spawn_lock);

    if (pid < 0) {
        close(sv[0]);
        result->error = (struct fnbox_child_error){ FNBOX_STAGE_CLONE, clone_errno, -1 };
        return -1;
    }

    /* Put the child in its cgroups before it runs any setup: limits hold from its first step. */
    for (int32_t i = 0; i < spec->cgroup_procs_count; i++) {
        if (write_pid(spec->cgroup_procs_fds[i], (pid_t)pid) != 0) {
            int saved = errno;
            fnbox_pidfd_send_signal(pidfd, SIGKILL);
            close(sv[0]);
            reap(pidfd, (pid_t)pid);
            result->error = (struct fnbox_child_error){ FNBOX_STAGE_CGROUP, saved, i };
            return -1;
        }
    }

    char go = 'G';
    ssize_t n;
    do {
        n = write(sv[0], &go, 1);
    } while (n < 0 && errno == EINTR);

    struct fnbox_child_error rec;
    size_t got = 0;
    while (got < sizeof rec) {
        n = read(sv[0], (char *)&rec + got, sizeof rec - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(sv[0]);

    if (got == 0) {
        result->pid = (pid_t)pid;
        result->pidfd = pidfd;
        return 0;
    }
    if (got != sizeof rec)
        rec = (struct fnbox_child_error){ FNBOX_STAGE_SYNC, EPROTO, -1 };
    reap(pidfd, (pid_t)pid);
    result->error = rec;
    return -1;
}

int fnbox_pidfd_send_signal(int pidfd, int sig) {
    if (syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) != 0)
        return -errno;
    return 0;
}

int fnbox_pidfd_wait(int pidfd, int nohang, int *status) {
    siginfo_t info;
    memset(&info, 0, sizeof info);
    int rc;
    do {
        rc = waitid((idtype_t)P_PIDFD, (id_t)pidfd, &info, WEXITED | __WALL | (nohang ? WNOHANG : 0));
    } while (rc < 0 && errno == EINTR);
    if (rc < 0)
        return -errno;
    if (info.si_pid == 0)
        return 0;
    switch (info.si_code) {
    case CLD_EXITED:
        *status = (info.si_status & 0xff) << 8;
        break;
    case CLD_KILLED:
        *status = info.si_status & 0x7f;
        break;
    case CLD_DUMPED:
        *status = (info.si_status & 0x7f) | 0x80;
        break;
    default:
        *status = 0;
    }
    return 1;
}

const char *fnbox_stage_name(int32_t stage) {
    switch (stage) {
    case FNBOX_STAGE_NONE: return "none";
    case FNBOX_STAGE_CLONE: return "clone3";
    case FNBOX_STAGE_CGROUP: return "cgroup";
    case FNBOX_STAGE_SYNC: return "sync";
    case FNBOX_STAGE_SIGNALS: return "signals";
    case FNBOX_STAGE_CGROUP_NS: return "cgroup_namespace";
    case FNBOX_STAGE_MOUNT_PRIVATE: return "mount_private";
    case FNBOX_STAGE_MOUNT: return "mount";
    case FNBOX_STAGE_HOSTNAME: return "sethostname";
    case FNBOX_STAGE_LOOPBACK: return "loopback";
    case FNBOX_STAGE_PIVOT_ROOT: return "pivot_root";
    case FNBOX_STAGE_UMOUNT_OLD_ROOT: return "umount_old_root";
    case FNBOX_STAGE_REMOUNT_ROOT_RO: return "remount_root_ro";
    case FNBOX_STAGE_CHDIR: return "chdir";
    case FNBOX_STAGE_RLIMITS: return "rlimits";
    case FNBOX_STAGE_CAPBSET: return "capbset_drop";
    case FNBOX_STAGE_SETGROUPS: return "setgroups";
    case FNBOX_STAGE_SETGID: return "setgid";
    case FNBOX_STAGE_SETUID: return "setuid";
    case FNBOX_STAGE_CAPSET: return "capset";
    case FNBOX_STAGE_AMBIENT: return "ambient_clear";
    case FNBOX_STAGE_NO_NEW_PRIVS: return "no_new_privs";
    case FNBOX_STAGE_FDS: return "fds";
    case FNBOX_STAGE_CLOSE_FDS: return "close_range";
    case FNBOX_STAGE_SECCOMP: return "seccomp";
    case FNBOX_STAGE_EXECVE: return "execve";
    default: return "unknown";
    }
}

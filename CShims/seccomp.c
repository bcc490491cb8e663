/*
 * seccomp.c: fnbox's syscall policy, compiled with libseccomp in the PARENT and exported as BPF.
 * Nothing here is ever called after clone: libseccomp allocates. The child only loads the bytes
 * (spawn.c, child_load_seccomp).
 */
#define _GNU_SOURCE
#include "fnbox_shims.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/capability.h>
#include <unistd.h>
#include <seccomp.h>

/* Syscalls a function never needs: answered with EPERM, as Docker's and nsjail's default policies
 * do. Names this libseccomp does not know are skipped (they cannot be called on this arch). */
static const char *const denied_syscalls[] = {
    /* mounts and namespaces: a function must not rebuild its own view of the system */
    "mount", "umount", "umount2", "pivot_root", "chroot", "unshare", "setns",
    "fsopen", "fsconfig", "fsmount", "fspick", "move_mount", "open_tree", "mount_setattr",
    /* other processes' memory and tracing */
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
    /* the kernel itself */
    "bpf", "perf_event_open", "userfaultfd", "kexec_load", "kexec_file_load",
    "init_module", "finit_module", "delete_module", "create_module",
    "reboot", "swapon", "swapoff", "syslog", "acct", "quotactl", "quotactl_fd",
    "iopl", "ioperm", "lookup_dcookie", "vhangup", "uselib", "ustat", "sysfs", "_sysctl",
    "nfsservctl", "get_kernel_syms", "query_module",
    /* keys */
    "keyctl", "add_key", "request_key",
    /* file handles bypass path-based checks */
    "open_by_handle_at", "name_to_handle_at",
    /* the clock and the host's names are the host's */
    "clock_settime", "clock_adjtime", "settimeofday", "adjtimex", "stime",
    "sethostname", "setdomainname",
    /* io_uring has been the source of many escapes and bypasses seccomp for its operations */
    "io_uring_setup", "io_uring_enter", "io_uring_register",
};

int fnbox_seccomp_compile(void **out, uint32_t *instruction_count) {
    *out = NULL;
    *instruction_count = 0;
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (ctx == NULL)
        return -ENOMEM;
    int rc;
    /* Only the native x86_64 ABI: a 32-bit (int 0x80) or x32 syscall kills the process, since
     * rules written for one ABI's numbers say nothing about another's. */
    rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
    if (rc < 0)
        goto done;
    for (size_t i = 0; i < sizeof denied_syscalls / sizeof denied_syscalls[0]; i++) {
        int nr = seccomp_syscall_resolve_name(denied_syscalls[i]);
        if (nr == __NR_SCMP_ERROR)
            continue;
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
        if (rc < 0)
            goto done;
    }
    /* New namespaces through clone: the flags are a plain argument, so they can be checked, one
     * rule per flag (rules for one syscall are OR'ed). clone3 passes them in memory the filter
     * cannot read; ENOSYS makes glibc fall back to clone, where they can. */
    static const uint64_t ns_flags[] = { CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER,
                                         CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWCGROUP };
    for (size_t i = 0; i < sizeof ns_flags / sizeof ns_flags[0]; i++) {
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
                              SCMP_A0(SCMP_CMP_MASKED_EQ, ns_flags[i], ns_flags[i]));
        if (rc < 0)
            goto done;
    }
    rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
    if (rc < 0)
        goto done;

    int fd = memfd_create("fnbox-seccomp", MFD_CLOEXEC);
    if (fd < 0) {
        rc = -errno;
        goto done;
    }
    rc = seccomp_export_bpf(ctx, fd);
    if (rc < 0) {
        close(fd);
        goto done;
    }
    off_t size = lseek(fd, 0, SEEK_END);
    if (size <= 0 || size % 8 != 0) {
        close(fd);
        rc = -EINVAL;
        goto done;
    }
    void *buf = malloc((size_t)size);
    if (buf == NULL) {
        close(fd);
        rc = -ENOMEM;
        goto done;
    }
    if (pread(fd, buf, (size_t)size, 0) != size) {
        rc = -errno;
        free(buf);
        close(fd);
        goto done;
    }
    close(fd);
    *out = buf;
    *instruction_count = (uint32_t)(size / 8);
    rc = 0;
done:
    seccomp_release(ctx);
    return rc;
}

int fnbox_last_cap(void) {
    /* libcap reads /proc/sys/kernel/cap_last_cap (or probes) and answers the number of bits. */
    unsigned bits = cap_max_bits();
    if (bits > 0)
        return (int)bits - 1;
    return CAP_LAST_CAP;
}

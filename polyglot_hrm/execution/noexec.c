/* pg-noexec: start one program so that, from its first instruction on, neither it nor anything it loads can
 * start another program or fork a process (threads only).
 *
 *     pg-noexec PROGRAM [ARGS...]
 *
 * How: the program is opened and its descriptor moved to NOEXEC_FD (close-on-exec); the open-files limit is
 * lowered below NOEXEC_FD for good (an unprivileged process cannot raise a hard limit); no_new_privs is set and
 * an irrevocable seccomp filter is installed that
 *   - kills the process on any other architecture or ABI (x32 syscall numbers included), so the rules below
 *     cannot be sidestepped through another syscall table;
 *   - denies execve, and execveat unless its descriptor is NOEXEC_FD with AT_EMPTY_PATH: only this launcher's
 *     own last call can pass, because after it NOEXEC_FD is closed and no descriptor can ever get that number
 *     again (the limit);
 *   - denies fork and vfork, and clone without CLONE_THREAD (a process, not a thread); answers clone3 with
 *     ENOSYS, whose flags sit in memory a filter cannot read, so the C library falls back to clone;
 *   - denies ptrace, process_vm_writev, and io_uring_setup (whose operations a filter does not see).
 * Then it execveat()s the program. The filter stays for the program's whole life and every thread it makes.
 *
 * Built by polyglot_hrm.execution.noexec with the system C compiler, statically, once per content.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#define NOEXEC_FD 1023
#define FD_LIMIT 1000

#if defined(__x86_64__)
#define ARCH AUDIT_ARCH_X86_64
#define X32_BIT 0x40000000
#elif defined(__aarch64__)
#define ARCH AUDIT_ARCH_AARCH64
#else
#error "pg-noexec: unsupported architecture (x86_64 and aarch64 only)"
#endif

#define NR (offsetof(struct seccomp_data, nr))
#define ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i))
#define ARG_HI(i) (offsetof(struct seccomp_data, args) + 8 * (i) + 4)
#define LOAD(off) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (off))
#define RET(v) BPF_STMT(BPF_RET | BPF_K, (v))
#define DENY RET(SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA))
#define ALLOW RET(SECCOMP_RET_ALLOW)
/* if nr == n: jump `to` instructions ahead (counted from the next one), else fall through */
#define IS(n, to) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (n), (to), 0)

static int install_filter(void) {
    /* Jump offsets count from the next instruction; the index of each instruction is in its comment. */
    struct sock_filter filter[] = {
        /* 0 */ LOAD(offsetof(struct seccomp_data, arch)),
        /* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ARCH, 1, 0),
        /* 2 */ RET(SECCOMP_RET_KILL_PROCESS),
        /* 3 */ LOAD(NR),
#ifdef X32_BIT
        /* 4 */ BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, X32_BIT, 0, 1),
#else
        /* 4 */ BPF_STMT(BPF_JMP | BPF_JA, 1),
#endif
        /* 5 */ RET(SECCOMP_RET_KILL_PROCESS),
        /* 6 */ IS(__NR_execve, 9),           /* -> 16 */
        /* 7 */ IS(__NR_execveat, 9),         /* -> 17 */
        /* 8 */ IS(__NR_clone, 16),           /* -> 25 */
        /* 9 */ IS(__NR_clone3, 19),          /* -> 29 */
        /* 10 */ IS(__NR_ptrace, 5),          /* -> 16 */
        /* 11 */ IS(__NR_process_vm_writev, 4),
        /* 12 */ IS(__NR_io_uring_setup, 3),
#ifdef __NR_fork
        /* 13 */ IS(__NR_fork, 2),
#else
        /* 13 */ BPF_STMT(BPF_JMP | BPF_JA, 0),
#endif
#ifdef __NR_vfork
        /* 14 */ IS(__NR_vfork, 1),
#else
        /* 14 */ BPF_STMT(BPF_JMP | BPF_JA, 0),
#endif
        /* 15 */ ALLOW,
        /* 16 */ DENY,
        /* 17: execveat: fd (arg 0) NOEXEC_FD and flags (arg 4) AT_EMPTY_PATH, else -> 24 */
        LOAD(ARG_HI(0)),
        /* 18 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 5),
        /* 19 */ LOAD(ARG_LO(0)),
        /* 20 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NOEXEC_FD, 0, 3),
        /* 21 */ LOAD(ARG_LO(4)),
        /* 22 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AT_EMPTY_PATH, 0, 1),
        /* 23 */ ALLOW,
        /* 24 */ DENY,
        /* 25: clone: a thread (CLONE_THREAD in the flags, arg 0) is allowed, a process is not */
        LOAD(ARG_LO(0)),
        /* 26 */ BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, CLONE_THREAD, 0, 1),
        /* 27 */ ALLOW,
        /* 28 */ DENY,
        /* 29: clone3 */ RET(SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA)),
    };
    struct sock_fprog prog = {.len = sizeof(filter) / sizeof(filter[0]), .filter = filter};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return -1;
    return (int)syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: pg-noexec PROGRAM [ARGS...]\n");
        return 125;
    }
    int fd = open(argv[1], O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "pg-noexec: cannot open %s: %s\n", argv[1], strerror(errno));
        return 127;
    }
    if (dup3(fd, NOEXEC_FD, O_CLOEXEC) < 0) {
        fprintf(stderr, "pg-noexec: cannot move the program to descriptor %d: %s\n", NOEXEC_FD, strerror(errno));
        return 125;
    }
    close(fd);
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 125;
    if (limit.rlim_max > FD_LIMIT) limit.rlim_max = FD_LIMIT;
    if (limit.rlim_cur > limit.rlim_max) limit.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0) {
        fprintf(stderr, "pg-noexec: cannot lower the open-files limit: %s\n", strerror(errno));
        return 125;
    }
    if (install_filter() != 0) {
        fprintf(stderr, "pg-noexec: cannot install the seccomp filter: %s\n", strerror(errno));
        return 125;
    }
    extern char **environ;
    syscall(__NR_execveat, NOEXEC_FD, "", &argv[1], environ, AT_EMPTY_PATH);
    fprintf(stderr, "pg-noexec: cannot start %s: %s\n", argv[1], strerror(errno));
    return 126;
}

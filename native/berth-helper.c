/*
 * berth-helper: executes a plan compiled by plugins/native (see wire.h and wire.ts). It decides
 * nothing: every path, flag and id comes from the plan. Namespace setup needs a single-threaded
 * process, which is why this is a separately executed program and not a Node addon.
 *
 *   berth-helper exec                          run the plan read from fd 3 (status on fd 4, answers on fd 5)
 *   berth-helper enter PID PATH ARGV0 [ARG..]  run PATH inside the namespaces of PID (hooks)
 *   berth-helper device-filter DIR             attach the cgroup device program read on fd 0 to DIR (cgroup v2)
 */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <linux/capability.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include "wire.h"

#define STATUS_FD 4
#define ACK_FD 5
#define PRESERVE_BASE 6

typedef struct {
    int is_str;
    uint64_t num;
    char *str;
} arg_t;

typedef struct {
    uint32_t code;
    uint32_t argc;
    arg_t *args;
} op_t;

typedef struct {
    uint32_t count;
    op_t *ops;
} section_t;

static const char *section_names[3] = {"pre", "parent", "child"};
static const char *current_section = "plan";
static int current_index = -1;
static const char *current_op = "DECODE";
static pid_t child_pid;
/* The exec fifo, opened O_PATH when created: after pivot_root its host path is out of reach,
 * so WAIT_START reopens it through /proc/self/fd (runc does the same). */
static int exec_fifo_fd = -1;
/* The --console-socket connection, made before pivot_root. */
static int console_socket_fd = -1;
/* CONSOLE_PAIR: the helper's end of the stand-in console socket. */
static int console_relay_fd = -1;
static int release_pipe[2] = {-1, -1};
/* Detached id-mapped mounts made in PRE, attached by the child in plan order. */
#define MAX_IDMAPPED_MOUNTS 64
static int idmapped_mounts[MAX_IDMAPPED_MOUNTS];
static int idmapped_count;
/* cgroup.procs files opened in PRE (paths may not resolve after setns), written in PARENT. */
#define MAX_CGROUP_PROCS 32
static struct { int fd; const char *path; } cgroup_procs[MAX_CGROUP_PROCS];
static int cgroup_procs_count;
/* exec (EXEC_STATUS_PIPE): the child's own close-on-exec status channel, which WAIT_EXEC reads; the
 * child's errors go to status_fd, which is that pipe's end in an exec's child and fd 4 otherwise. */
static int exec_pipe[2] = {-1, -1};
/* CLOSE_INHERITED_FDS: how many fds were passed at 6.. and the gaps among them (its args). */
static const op_t *passed_fds;
static int status_fd = STATUS_FD;

static const char *op_name(uint32_t code) {
    switch (code) {
    case BERTH_OP_SETNS: return "SETNS";
    case BERTH_OP_MKFIFO: return "MKFIFO";
    case BERTH_OP_PARENT_DEATH_SIGNAL: return "PARENT_DEATH_SIGNAL";
    case BERTH_OP_FAULT: return "FAULT";
    case BERTH_OP_WRITE_CHILD_PROC: return "WRITE_CHILD_PROC";
    case BERTH_OP_RELEASE_CHILD: return "RELEASE_CHILD";
    case BERTH_OP_REPORT_PID: return "REPORT_PID";
    case BERTH_OP_WAIT_PARENT: return "WAIT_PARENT";
    case BERTH_OP_SETHOSTNAME: return "SETHOSTNAME";
    case BERTH_OP_SETDOMAINNAME: return "SETDOMAINNAME";
    case BERTH_OP_MOUNT: return "MOUNT";
    case BERTH_OP_MOUNT_IN_ROOT: return "MOUNT_IN_ROOT";
    case BERTH_OP_REMOUNT_IN_ROOT: return "REMOUNT_IN_ROOT";
    case BERTH_OP_PROPAGATE_IN_ROOT: return "PROPAGATE_IN_ROOT";
    case BERTH_OP_MKNOD_IN_ROOT: return "MKNOD_IN_ROOT";
    case BERTH_OP_BIND_DEVICE_IN_ROOT: return "BIND_DEVICE_IN_ROOT";
    case BERTH_OP_SYMLINK_IN_ROOT: return "SYMLINK_IN_ROOT";
    case BERTH_OP_SYNC: return "SYNC";
    case BERTH_OP_PIVOT_ROOT: return "PIVOT_ROOT";
    case BERTH_OP_MOVE_ROOT: return "MOVE_ROOT";
    case BERTH_OP_MASK_PATH: return "MASK_PATH";
    case BERTH_OP_READONLY_PATH: return "READONLY_PATH";
    case BERTH_OP_REMOUNT_RO: return "REMOUNT_RO";
    case BERTH_OP_WRITE_FILE: return "WRITE_FILE";
    case BERTH_OP_SETRLIMIT: return "SETRLIMIT";
    case BERTH_OP_PERSONALITY: return "PERSONALITY";
    case BERTH_OP_KEEPCAPS: return "KEEPCAPS";
    case BERTH_OP_SETGROUPS: return "SETGROUPS";
    case BERTH_OP_SETGID: return "SETGID";
    case BERTH_OP_SETUID: return "SETUID";
    case BERTH_OP_DROP_BOUNDING: return "DROP_BOUNDING";
    case BERTH_OP_SET_CAPS: return "SET_CAPS";
    case BERTH_OP_SET_AMBIENT: return "SET_AMBIENT";
    case BERTH_OP_NO_NEW_PRIVS: return "NO_NEW_PRIVS";
    case BERTH_OP_UMASK: return "UMASK";
    case BERTH_OP_CHDIR: return "CHDIR";
    case BERTH_OP_MKDIR_IN_ROOT: return "MKDIR_IN_ROOT";
    case BERTH_OP_IOPRIO: return "IOPRIO";
    case BERTH_OP_FIND_PROGRAM: return "FIND_PROGRAM";
    case BERTH_OP_WAIT_START: return "WAIT_START";
    case BERTH_OP_CLOSE_FDS: return "CLOSE_FDS";
    case BERTH_OP_EXEC: return "EXEC";
    case BERTH_OP_SET_DUMPABLE: return "SET_DUMPABLE";
    case BERTH_OP_CONSOLE_CONNECT: return "CONSOLE_CONNECT";
    case BERTH_OP_CONSOLE_SETUP: return "CONSOLE_SETUP";
    case BERTH_OP_SECCOMP_INIT: return "SECCOMP_INIT";
    case BERTH_OP_SECCOMP_ARCH: return "SECCOMP_ARCH";
    case BERTH_OP_SECCOMP_RULE: return "SECCOMP_RULE";
    case BERTH_OP_SECCOMP_LOAD: return "SECCOMP_LOAD";
    case BERTH_OP_UNSHARE: return "UNSHARE";
    case BERTH_OP_SETATTR_IN_ROOT: return "SETATTR_IN_ROOT";
    case BERTH_OP_SECCOMP_LISTENER_CONNECT: return "SECCOMP_LISTENER_CONNECT";
    case BERTH_OP_SECCOMP_LISTENER_SEND: return "SECCOMP_LISTENER_SEND";
    case BERTH_OP_CONSOLE_PAIR: return "CONSOLE_PAIR";
    case BERTH_OP_SCHED: return "SCHED";
    case BERTH_OP_CPU_AFFINITY: return "CPU_AFFINITY";
    case BERTH_OP_IDMAP_PREPARE: return "IDMAP_PREPARE";
    case BERTH_OP_MOVE_MOUNT_IN_ROOT: return "MOVE_MOUNT_IN_ROOT";
    case BERTH_OP_OPEN_CGROUP_PROCS: return "OPEN_CGROUP_PROCS";
    case BERTH_OP_JOIN_CGROUPS: return "JOIN_CGROUPS";
    case BERTH_OP_MOUNT_TMPFS_COPYUP_IN_ROOT: return "MOUNT_TMPFS_COPYUP_IN_ROOT";
    case BERTH_OP_JOIN_NAMESPACES: return "JOIN_NAMESPACES";
    case BERTH_OP_EXEC_STATUS_PIPE: return "EXEC_STATUS_PIPE";
    case BERTH_OP_WAIT_EXEC: return "WAIT_EXEC";
    case BERTH_OP_CLOSE_INHERITED_FDS: return "CLOSE_INHERITED_FDS";
    default: return "UNKNOWN";
    }
}

/* Report a failed op to berth as one status line and exit. */
static void fail(int err, const char *fmt, ...) __attribute__((noreturn, format(printf, 2, 3)));
static void fail(int err, const char *fmt, ...) {
    char message[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    for (char *p = message; *p; p++)
        if (*p == '\n') *p = ' ';
    if (err)
        dprintf(status_fd, "error %s %d %s %d %s: %s\n", current_section, current_index, current_op, err, message, strerror(err));
    else
        dprintf(status_fd, "error %s %d %s 0 %s\n", current_section, current_index, current_op, message);
    _exit(1);
}

/* ---- plan decoding ---- */

static unsigned char *plan_buf;
static size_t plan_len, plan_at;

static void need(size_t n) {
    if (plan_len - plan_at < n) fail(0, "plan truncated at byte %zu", plan_at);
}
static uint32_t get_u32(void) {
    need(4);
    uint32_t v;
    memcpy(&v, plan_buf + plan_at, 4);
    plan_at += 4;
    return v;
}
static uint64_t get_u64(void) {
    need(8);
    uint64_t v;
    memcpy(&v, plan_buf + plan_at, 8);
    plan_at += 8;
    return v;
}

static void read_plan(void) {
    size_t cap = 65536;
    plan_buf = malloc(cap);
    if (!plan_buf) fail(ENOMEM, "reading the plan");
    for (;;) {
        if (plan_len == cap) {
            cap *= 2;
            plan_buf = realloc(plan_buf, cap);
            if (!plan_buf) fail(ENOMEM, "reading the plan");
        }
        ssize_t n = read(3, plan_buf + plan_len, cap - plan_len);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) fail(errno, "reading the plan from fd 3");
        if (n == 0) break;
        plan_len += (size_t)n;
    }
    close(3);
}

static void decode_section(section_t *s) {
    s->count = get_u32();
    s->ops = calloc(s->count ? s->count : 1, sizeof(op_t));
    if (!s->ops) fail(ENOMEM, "decoding the plan");
    for (uint32_t i = 0; i < s->count; i++) {
        op_t *op = &s->ops[i];
        op->code = get_u32();
        op->argc = get_u32();
        op->args = calloc(op->argc ? op->argc : 1, sizeof(arg_t));
        if (!op->args) fail(ENOMEM, "decoding the plan");
        for (uint32_t a = 0; a < op->argc; a++) {
            need(1);
            unsigned char type = plan_buf[plan_at++];
            if (type == 0) {
                op->args[a].num = get_u64();
            } else if (type == 1) {
                uint32_t len = get_u32();
                need(len);
                char *str = malloc(len + 1);
                if (!str) fail(ENOMEM, "decoding the plan");
                memcpy(str, plan_buf + plan_at, len);
                str[len] = 0;
                plan_at += len;
                op->args[a].is_str = 1;
                op->args[a].str = str;
            } else {
                fail(0, "unknown argument type %u", type);
            }
        }
    }
}

/* Argument accessors that name the op on misuse instead of crashing. */
static const char *S(const op_t *op, uint32_t i) {
    if (i >= op->argc || !op->args[i].is_str) fail(0, "argument %u must be a string", i);
    return op->args[i].str;
}
static uint64_t N(const op_t *op, uint32_t i) {
    if (i >= op->argc || op->args[i].is_str) fail(0, "argument %u must be an integer", i);
    return op->args[i].num;
}
static const char *or_null(const char *s) { return s[0] ? s : NULL; }

/* ---- paths resolved inside the rootfs (no symlink may lead out: CVE-2021-30465 class) ---- */

static int openat2_in_root(int rootfd, const char *path, int flags) {
    struct open_how how = {.flags = (uint64_t)flags | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
    const char *rel = path;
    while (*rel == '/') rel++;
    if (!*rel) rel = ".";
    return (int)syscall(SYS_openat2, rootfd, rel, &how, sizeof how);
}

/* Split "/a/b/c" into parent "/a/b" and leaf "c" (in a static buffer pair). */
static void split_path(const char *path, char *parent, size_t cap, const char **leaf) {
    snprintf(parent, cap, "%s", path);
    size_t len = strlen(parent);
    while (len > 1 && parent[len - 1] == '/') parent[--len] = 0;
    char *slash = strrchr(parent, '/');
    if (!slash) {
        *leaf = path;
        snprintf(parent, cap, "/");
        return;
    }
    *leaf = path + (slash - parent) + 1;
    if (slash == parent) parent[1] = 0; else *slash = 0;
}

/* An O_PATH fd for directory `path` inside root, creating missing components (0755). */
static int mkdir_in_root(int rootfd, const char *path) {
    int fd = openat2_in_root(rootfd, path, O_PATH | O_DIRECTORY);
    if (fd >= 0 || errno != ENOENT) return fd;
    char parent[PATH_MAX];
    const char *leaf;
    split_path(path, parent, sizeof parent, &leaf);
    int pfd = mkdir_in_root(rootfd, parent);
    if (pfd < 0) return -1;
    if (mkdirat(pfd, leaf, 0755) < 0 && errno != EEXIST) {
        int e = errno;
        close(pfd);
        errno = e;
        return -1;
    }
    close(pfd);
    return openat2_in_root(rootfd, path, O_PATH | O_DIRECTORY);
}

/* An O_PATH fd for the parent directory of `path` inside rootfs, created if missing; *leaf is the last component. */
static int parent_in_root(const char *rootfs, const char *path, char *parent, size_t cap, const char **leaf) {
    split_path(path, parent, cap, leaf);
    int rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0) fail(errno, "open rootfs %s", rootfs);
    int pfd = mkdir_in_root(rootfd, parent);
    if (pfd < 0) fail(errno, "create %s in %s", parent, rootfs);
    close(rootfd);
    return pfd;
}

/* An O_PATH fd for `path` inside rootfs; when create, made as a directory or an empty file. */
static int open_in_root(const char *rootfs, const char *path, int create, int is_file) {
    int rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0) fail(errno, "open rootfs %s", rootfs);
    int fd;
    if (!create) {
        fd = openat2_in_root(rootfd, path, O_PATH);
    } else if (!is_file) {
        fd = mkdir_in_root(rootfd, path);
    } else {
        fd = openat2_in_root(rootfd, path, O_PATH);
        if (fd < 0 && errno == ENOENT) {
            char parent[PATH_MAX];
            const char *leaf;
            int pfd = parent_in_root(rootfs, path, parent, sizeof parent, &leaf);
            int f = openat(pfd, leaf, O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
            if (f >= 0) close(f);
            close(pfd);
            fd = openat2_in_root(rootfd, path, O_PATH);
        }
    }
    if (fd < 0) fail(errno, "resolve %s inside %s", path, rootfs);
    close(rootfd);
    return fd;
}

static const char *fd_path(int fd, char *buf, size_t cap) {
    snprintf(buf, cap, "/proc/self/fd/%d", fd);
    return buf;
}

/* Flags the kernel locks on a mount (they must be kept on a remount). */
static unsigned long locked_flags(const char *path) {
    struct statvfs st;
    if (statvfs(path, &st) < 0) return 0;
    unsigned long f = 0;
    if (st.f_flag & ST_NOSUID) f |= MS_NOSUID;
    if (st.f_flag & ST_NODEV) f |= MS_NODEV;
    if (st.f_flag & ST_NOEXEC) f |= MS_NOEXEC;
    if (st.f_flag & ST_RDONLY) f |= MS_RDONLY;
    if (st.f_flag & ST_NOATIME) f |= MS_NOATIME;
    if (st.f_flag & ST_NODIRATIME) f |= MS_NODIRATIME;
    if (st.f_flag & ST_RELATIME) f |= MS_RELATIME;
    return f;
}

static int remount(const char *path, unsigned long flags) {
    if (mount(NULL, path, NULL, MS_REMOUNT | MS_BIND | flags, NULL) == 0) return 0;
    if (errno != EPERM) return -1;
    return mount(NULL, path, NULL, MS_REMOUNT | MS_BIND | flags | locked_flags(path), NULL);
}

/* ---- small helpers ---- */

static void write_all(int fd, const char *data, size_t len, const char *what) {
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) fail(errno, "write %s", what);
        data += n;
        len -= (size_t)n;
    }
}

static void write_file(const char *path, const char *content) {
    int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
    if (fd < 0) fail(errno, "open %s", path);
    write_all(fd, content, strlen(content), path);
    close(fd);
}

static int read_line(int fd, char *buf, size_t cap) {
    size_t n = 0;
    while (n + 1 < cap) {
        char c;
        ssize_t r = read(fd, &c, 1);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        if (c == '\n') {
            buf[n] = 0;
            return 1;
        }
        buf[n++] = c;
    }
    buf[n] = 0;
    return n > 0;
}

/* Close fds first..last (close_range, or one by one on an old kernel). */
static void close_fds(unsigned first, unsigned last) {
    if (first > last || syscall(SYS_close_range, first, last, 0) == 0) return;
    for (unsigned fd = first; fd < 1024 && fd <= last; fd++) close((int)fd);
}

static int cap_last_cap(void) {
    int fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
    char buf[16] = {0};
    if (fd >= 0) {
        if (read(fd, buf, sizeof buf - 1) < 0) buf[0] = 0;
        close(fd);
    }
    int last = atoi(buf);
    return last > 0 ? last : 40;
}

/* execvp's default, for an environment without PATH. */
static const char default_search_path[] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/* With argv: execve (returns only when it failed). Without: whether this process could exec path
 * (runc's create-time check: a directory or a file without x for our ids is refused). */
static int try_program(const char *path, char **argv, char **envp) {
    if (argv) {
        execve(path, argv, envp);
        return -1;
    }
    struct stat st;
    if (stat(path, &st) < 0) return -1;
    if (S_ISDIR(st.st_mode)) {
        errno = EACCES;
        return -1;
    }
    return faccessat(AT_FDCWD, path, X_OK, AT_EACCESS);
}

/* execvp's search: name as it is when it has a '/', else each directory of `path` in turn ("" is
 * "."), going on past ENOENT; -1 with the most telling errno when no candidate did. */
static int search_program(const char *name, const char *path, char **argv, char **envp) {
    if (strchr(name, '/')) return try_program(name, argv, envp);
    int saved = ENOENT;
    char candidate[PATH_MAX];
    const char *p = path;
    for (;;) {
        const char *end = strchr(p, ':');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        snprintf(candidate, sizeof candidate, "%.*s/%s", (int)len, len ? p : ".", name);
        if (try_program(candidate, argv, envp) == 0) return 0;
        if (errno != ENOENT) saved = errno;
        if (!end) break;
        p = end + 1;
    }
    errno = saved;
    return -1;
}

/* execve with Go's exec.LookPath behaviour for a name without '/', in the env's PATH. */
static void exec_with_path(const char *name, char **argv, char **envp) {
    const char *path = default_search_path;
    for (char **e = envp; *e; e++)
        if (strncmp(*e, "PATH=", 5) == 0) path = *e + 5;
    search_program(name, path, argv, envp);
}

/* One message on a Unix socket: `data` as the payload, `fd` as SCM_RIGHTS (runc's protocol). */
static int send_with_fd(int sock, const char *data, size_t len, int fd) {
    char control[CMSG_SPACE(sizeof(int))];
    memset(control, 0, sizeof control);
    struct iovec iov = {.iov_base = (void *)data, .iov_len = len};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
    return sendmsg(sock, &msg, 0) < 0 ? -1 : 0;
}

static int connect_unix(const char *path) {
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof addr.sun_path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    strcpy(addr.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

/* Whether container fd `fd` is one of the gaps CLOSE_FDS lists after its count (args 1..). */
static int is_gap(const op_t *op, int fd) {
    for (uint32_t a = 1; a < op->argc; a++)
        if ((int)N(op, a) == fd) return 1;
    return 0;
}

/*
 * chdir to the process's cwd, resolved inside its root (the container's, after pivot_root or a
 * joined mount namespace): a symlink cannot lead out and a /proc magic link is refused, since
 * /proc/self/fd/N names whatever fd N is, and a host fd there is a way out (CVE-2024-21626).
 * Then, as runc since that fix, getcwd(2) must name a path under the root: the kernel prefixes
 * "(unreachable)" to a directory outside it.
 */
static void chdir_in_root(const char *cwd) {
    int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root < 0) fail(errno, "open / to resolve the cwd %s", cwd);
    int dir = openat2_in_root(root, cwd, O_PATH | O_DIRECTORY);
    if (dir < 0 && errno == ELOOP)
        fail(errno, "cwd %s: refused: resolving it inside the container's root meets a /proc magic link (such as /proc/self/fd/N) or a symlink loop", cwd);
    if (dir < 0) fail(errno, "chdir to cwd %s", cwd);
    if (fchdir(dir) < 0) fail(errno, "chdir to cwd %s", cwd);
    close(dir);
    close(root);
    char where[PATH_MAX];
    long n = syscall(SYS_getcwd, where, sizeof where);
    if (n < 0) fail(errno, "cwd %s: cannot verify the working directory", cwd);
    if (where[0] != '/') fail(0, "cwd %s: refused: the working directory is outside the container's root (%s)", cwd, where);
}

/* ---- libseccomp, loaded with dlopen as crun does: no headers or -dev package needed ---- */

struct scmp_arg_cmp {
    unsigned int arg;
    int op; /* enum scmp_compare */
    uint64_t datum_a;
    uint64_t datum_b;
};
enum { SCMP_FLTATR_CTL_NNP = 3, SCMP_FLTATR_CTL_TSYNC = 4, SCMP_FLTATR_CTL_LOG = 6, SCMP_FLTATR_CTL_SSB = 7 };
static struct {
    void *ctx;
    void *(*init)(uint32_t);
    int (*attr_set)(void *, int, uint32_t);
    int (*arch_add)(void *, uint32_t);
    uint32_t (*arch_resolve_name)(const char *);
    int (*resolve_name)(const char *);
    int (*rule_add_array)(void *, uint32_t, int, unsigned int, const struct scmp_arg_cmp *);
    int (*load)(void *);
    int (*notify_fd)(void *);
    int listener; /* the agent's connection, made before pivot_root */
    pid_t host_pid;
} seccomp = {.listener = -1};

static void *seccomp_symbol(void *lib, const char *name) {
    void *sym = dlsym(lib, name);
    if (!sym) fail(0, "libseccomp.so.2 has no %s", name);
    return sym;
}

/* ---- the ops ---- */

/* A user namespace holding the given maps: a child born in it waits on a pipe while its maps are
 * written and the namespace is opened; then it exits. Returns an fd for the namespace. */
static int userns_with_maps(const char *uid_map, const char *gid_map) {
    int hold[2];
    if (pipe2(hold, O_CLOEXEC) < 0) fail(errno, "pipe");
    pid_t pid = (pid_t)syscall(SYS_clone, (unsigned long)CLONE_NEWUSER | SIGCHLD, NULL, NULL, NULL, NULL);
    if (pid < 0) fail(errno, "clone a user namespace for an id-mapped mount");
    if (pid == 0) {
        char c;
        close(hold[1]);
        while (read(hold[0], &c, 1) < 0 && errno == EINTR) {}
        _exit(0);
    }
    close(hold[0]);
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/uid_map", pid);
    write_file(path, uid_map);
    snprintf(path, sizeof path, "/proc/%d/gid_map", pid);
    write_file(path, gid_map);
    snprintf(path, sizeof path, "/proc/%d/ns/user", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    int err = errno;
    close(hold[1]);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {}
    if (fd < 0) fail(err, "open %s", path);
    return fd;
}

/* tmpcopyup: copy the tree under directory `from` into `to` (files, directories, symlinks and
 * device nodes, with modes and owners), never following a symlink. */
static void copy_tree(int from, int to) {
    int listing = openat(from, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *dir = listing < 0 ? NULL : fdopendir(listing);
    if (!dir) fail(errno, "tmpcopyup: list a directory");
    struct dirent *e;
    while ((e = readdir(dir))) {
        const char *name = e->d_name;
        if (!strcmp(name, ".") || !strcmp(name, "..")) continue;
        struct stat st;
        if (fstatat(from, name, &st, AT_SYMLINK_NOFOLLOW) < 0) fail(errno, "tmpcopyup: stat %s", name);
        if (S_ISDIR(st.st_mode)) {
            if (mkdirat(to, name, 0700) < 0 && errno != EEXIST) fail(errno, "tmpcopyup: mkdir %s", name);
            int a = openat(from, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            int b = openat(to, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (a < 0 || b < 0) fail(errno, "tmpcopyup: open %s", name);
            copy_tree(a, b);
            close(a);
            close(b);
        } else if (S_ISREG(st.st_mode)) {
            int a = openat(from, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
            int b = openat(to, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
            if (a < 0 || b < 0) fail(errno, "tmpcopyup: open %s", name);
            char buf[65536];
            ssize_t n;
            while ((n = read(a, buf, sizeof buf)) > 0) write_all(b, buf, (size_t)n, name);
            if (n < 0) fail(errno, "tmpcopyup: read %s", name);
            close(a);
            close(b);
        } else if (S_ISLNK(st.st_mode)) {
            char target[PATH_MAX];
            ssize_t n = readlinkat(from, name, target, sizeof target - 1);
            if (n < 0) fail(errno, "tmpcopyup: readlink %s", name);
            target[n] = 0;
            if (symlinkat(target, to, name) < 0) fail(errno, "tmpcopyup: symlink %s", name);
        } else if (mknodat(to, name, st.st_mode, st.st_rdev) < 0) {
            fail(errno, "tmpcopyup: mknod %s", name);
        }
        if (fchownat(to, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0) fail(errno, "tmpcopyup: chown %s", name);
        if (!S_ISLNK(st.st_mode) && fchmodat(to, name, st.st_mode & 07777, 0) < 0) fail(errno, "tmpcopyup: chmod %s", name);
    }
    closedir(dir);
}

static void run_op(const op_t *op) {
    char fdbuf[64];
    switch (op->code) {
    case BERTH_OP_SETNS: {
        int fd = open(S(op, 0), O_RDONLY | O_CLOEXEC);
        if (fd < 0) fail(errno, "open namespace %s", S(op, 0));
        if (setns(fd, (int)N(op, 1)) < 0) fail(errno, "join namespace %s (is it a namespace of that type?)", S(op, 0));
        close(fd);
        break;
    }
    case BERTH_OP_PARENT_DEATH_SIGNAL: {
        if (prctl(PR_SET_PDEATHSIG, (unsigned long)N(op, 0), 0, 0, 0) < 0) fail(errno, "PR_SET_PDEATHSIG %d", (int)N(op, 0));
        /* berth may have died before the signal was set: its end of fd 5 is then closed. */
        struct pollfd berth = {.fd = ACK_FD, .events = POLLIN};
        if (poll(&berth, 1, 0) > 0 && (berth.revents & (POLLHUP | POLLERR))) _exit(1);
        break;
    }
    case BERTH_OP_FAULT:
        /* The init of a new pid namespace ignores a SIGKILL of its own: then _exit, just as abrupt. */
        kill(getpid(), SIGKILL);
        _exit(137);
    case BERTH_OP_MKFIFO:
        if (mkfifo(S(op, 0), (mode_t)N(op, 1)) < 0) fail(errno, "mkfifo %s", S(op, 0));
        exec_fifo_fd = open(S(op, 0), O_PATH | O_CLOEXEC);
        if (exec_fifo_fd < 0) fail(errno, "open %s", S(op, 0));
        break;
    case BERTH_OP_WRITE_CHILD_PROC: {
        char path[128];
        snprintf(path, sizeof path, "/proc/%d/%s", child_pid, S(op, 0));
        write_file(path, S(op, 1));
        break;
    }
    case BERTH_OP_RELEASE_CHILD:
        write_all(release_pipe[1], "1", 1, "the release pipe");
        break;
    case BERTH_OP_REPORT_PID:
        dprintf(STATUS_FD, "pid %d\n", child_pid);
        break;
    case BERTH_OP_WAIT_PARENT: {
        char c;
        ssize_t n;
        do n = read(release_pipe[0], &c, 1); while (n < 0 && errno == EINTR);
        if (n != 1) _exit(1); /* the helper failed and said why */
        close(release_pipe[0]);
        break;
    }
    case BERTH_OP_SETHOSTNAME:
        if (sethostname(S(op, 0), strlen(S(op, 0))) < 0) fail(errno, "sethostname %s", S(op, 0));
        break;
    case BERTH_OP_SETDOMAINNAME:
        if (setdomainname(S(op, 0), strlen(S(op, 0))) < 0) fail(errno, "setdomainname %s", S(op, 0));
        break;
    case BERTH_OP_MOUNT:
        if (mount(or_null(S(op, 0)), S(op, 1), or_null(S(op, 2)), (unsigned long)N(op, 3), or_null(S(op, 4))) < 0)
            fail(errno, "mount %s on %s (type %s)", S(op, 0), S(op, 1), S(op, 2));
        break;
    case BERTH_OP_MOUNT_IN_ROOT: {
        int fd = open_in_root(S(op, 0), S(op, 1), 1, (int)N(op, 6));
        if (mount(or_null(S(op, 2)), fd_path(fd, fdbuf, sizeof fdbuf), or_null(S(op, 3)), (unsigned long)N(op, 4), or_null(S(op, 5))) < 0)
            fail(errno, "mount %s on %s (type %s, options \"%s\")", S(op, 2), S(op, 1), S(op, 3)[0] ? S(op, 3) : "bind", S(op, 5));
        close(fd);
        break;
    }
    case BERTH_OP_REMOUNT_IN_ROOT: {
        int fd = open_in_root(S(op, 0), S(op, 1), 0, 0);
        if (remount(fd_path(fd, fdbuf, sizeof fdbuf), (unsigned long)N(op, 2)) < 0) fail(errno, "remount %s", S(op, 1));
        close(fd);
        break;
    }
    case BERTH_OP_PROPAGATE_IN_ROOT: {
        int fd = open_in_root(S(op, 0), S(op, 1), 0, 0);
        if (mount(NULL, fd_path(fd, fdbuf, sizeof fdbuf), NULL, (unsigned long)N(op, 2), NULL) < 0) fail(errno, "change propagation of %s", S(op, 1));
        close(fd);
        break;
    }
    case BERTH_OP_MKNOD_IN_ROOT: {
        char parent[PATH_MAX];
        const char *leaf;
        int pfd = parent_in_root(S(op, 0), S(op, 1), parent, sizeof parent, &leaf);
        dev_t dev = makedev((unsigned)N(op, 3), (unsigned)N(op, 4));
        if (mknodat(pfd, leaf, (mode_t)N(op, 2), dev) < 0) {
            if (errno != EEXIST) fail(errno, "mknod %s", S(op, 1));
            if (unlinkat(pfd, leaf, 0) < 0 || mknodat(pfd, leaf, (mode_t)N(op, 2), dev) < 0) fail(errno, "replace %s with a device node", S(op, 1));
        }
        if (fchownat(pfd, leaf, (uid_t)N(op, 5), (gid_t)N(op, 6), AT_SYMLINK_NOFOLLOW) < 0) fail(errno, "chown %s", S(op, 1));
        close(pfd);
        break;
    }
    case BERTH_OP_BIND_DEVICE_IN_ROOT: {
        int fd = open_in_root(S(op, 0), S(op, 1), 1, 1);
        if (mount(S(op, 2), fd_path(fd, fdbuf, sizeof fdbuf), NULL, MS_BIND, NULL) < 0) fail(errno, "bind device %s onto %s", S(op, 2), S(op, 1));
        close(fd);
        break;
    }
    case BERTH_OP_SYMLINK_IN_ROOT: {
        char parent[PATH_MAX];
        const char *leaf;
        int pfd = parent_in_root(S(op, 0), S(op, 2), parent, sizeof parent, &leaf);
        if (symlinkat(S(op, 1), pfd, leaf) < 0 && errno != EEXIST) fail(errno, "symlink %s -> %s", S(op, 2), S(op, 1));
        close(pfd);
        break;
    }
    case BERTH_OP_SYNC: {
        char answer[64];
        dprintf(STATUS_FD, "sync %s\n", S(op, 0));
        if (!read_line(ACK_FD, answer, sizeof answer) || strcmp(answer, "ack") != 0) _exit(1);
        break;
    }
    case BERTH_OP_PIVOT_ROOT: {
        int oldroot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
        int newroot = open(S(op, 0), O_DIRECTORY | O_RDONLY | O_CLOEXEC);
        if (oldroot < 0 || newroot < 0) fail(errno, "open / and %s", S(op, 0));
        if (fchdir(newroot) < 0) fail(errno, "chdir %s", S(op, 0));
        if (syscall(SYS_pivot_root, ".", ".") < 0) fail(errno, "pivot_root into %s", S(op, 0));
        if (fchdir(oldroot) < 0) fail(errno, "chdir to the old root");
        if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0) fail(errno, "make the old root a slave");
        if (umount2(".", MNT_DETACH) < 0) fail(errno, "detach the old root");
        if (chdir("/") < 0) fail(errno, "chdir /");
        close(oldroot);
        close(newroot);
        break;
    }
    case BERTH_OP_MOVE_ROOT:
        if (chdir(S(op, 0)) < 0) fail(errno, "chdir %s", S(op, 0));
        if (mount(S(op, 0), "/", NULL, MS_MOVE, NULL) < 0) fail(errno, "move %s onto /", S(op, 0));
        if (chroot(".") < 0) fail(errno, "chroot %s", S(op, 0));
        if (chdir("/") < 0) fail(errno, "chdir /");
        break;
    case BERTH_OP_MASK_PATH: {
        struct stat st;
        if (stat(S(op, 0), &st) < 0) {
            if (errno == ENOENT) break;
            fail(errno, "stat %s", S(op, 0));
        }
        int rc = S_ISDIR(st.st_mode) ? mount("tmpfs", S(op, 0), "tmpfs", MS_RDONLY, NULL) : mount("/dev/null", S(op, 0), NULL, MS_BIND, NULL);
        if (rc < 0) fail(errno, "mask %s", S(op, 0));
        break;
    }
    case BERTH_OP_READONLY_PATH: {
        struct stat st;
        if (stat(S(op, 0), &st) < 0) {
            if (errno == ENOENT) break;
            fail(errno, "stat %s", S(op, 0));
        }
        if (mount(S(op, 0), S(op, 0), NULL, MS_BIND | MS_REC, NULL) < 0) fail(errno, "bind %s", S(op, 0));
        /* A remount replaces the mount's flags: keep the nosuid, nodev and noexec the bind copied
         * (from /proc, say), as runc does, or the read-only path would lose them. */
        unsigned long kept = locked_flags(S(op, 0)) & (MS_NOSUID | MS_NODEV | MS_NOEXEC);
        if (remount(S(op, 0), MS_RDONLY | kept) < 0) fail(errno, "remount %s read-only", S(op, 0));
        break;
    }
    case BERTH_OP_REMOUNT_RO:
        if (remount(S(op, 0), MS_RDONLY) < 0) fail(errno, "remount %s read-only", S(op, 0));
        break;
    case BERTH_OP_WRITE_FILE:
        write_file(S(op, 0), S(op, 1));
        break;
    case BERTH_OP_SETRLIMIT: {
        struct rlimit rl = {.rlim_cur = (rlim_t)N(op, 1), .rlim_max = (rlim_t)N(op, 2)};
        if (setrlimit((int)N(op, 0), &rl) < 0) fail(errno, "error setting rlimit type %d", (int)N(op, 0));
        break;
    }
    case BERTH_OP_PERSONALITY:
        if (personality((unsigned long)N(op, 0)) < 0) fail(errno, "personality %#lx", (unsigned long)N(op, 0));
        break;
    case BERTH_OP_KEEPCAPS:
        if (prctl(PR_SET_KEEPCAPS, (unsigned long)N(op, 0), 0, 0, 0) < 0) fail(errno, "PR_SET_KEEPCAPS");
        break;
    case BERTH_OP_SETGROUPS: {
        gid_t gids[NGROUPS_MAX > 65536 ? 65536 : NGROUPS_MAX];
        uint32_t n = op->argc < sizeof gids / sizeof gids[0] ? op->argc : sizeof gids / sizeof gids[0];
        for (uint32_t i = 0; i < n; i++) gids[i] = (gid_t)N(op, i);
        if (setgroups(n, gids) < 0) fail(errno, "setgroups");
        break;
    }
    case BERTH_OP_SETGID:
        if (setresgid((gid_t)N(op, 0), (gid_t)N(op, 0), (gid_t)N(op, 0)) < 0) fail(errno, "setgid %lu", (unsigned long)N(op, 0));
        break;
    case BERTH_OP_SETUID:
        if (setresuid((uid_t)N(op, 0), (uid_t)N(op, 0), (uid_t)N(op, 0)) < 0) fail(errno, "setuid %lu", (unsigned long)N(op, 0));
        break;
    case BERTH_OP_DROP_BOUNDING: {
        uint64_t keep = N(op, 0);
        int last = cap_last_cap();
        for (int cap = 0; cap <= last; cap++)
            if (!(keep & (1ULL << cap)) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
                fail(errno, "drop capability %d from the bounding set", cap);
        break;
    }
    case BERTH_OP_SET_CAPS: {
        struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
        struct __user_cap_data_struct data[2];
        uint64_t eff = N(op, 0), prm = N(op, 1), inh = N(op, 2);
        for (int i = 0; i < 2; i++) {
            data[i].effective = (uint32_t)(eff >> (32 * i));
            data[i].permitted = (uint32_t)(prm >> (32 * i));
            data[i].inheritable = (uint32_t)(inh >> (32 * i));
        }
        if (syscall(SYS_capset, &hdr, data) < 0) fail(errno, "capset");
        break;
    }
    case BERTH_OP_SET_AMBIENT: {
        uint64_t mask = N(op, 0);
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) fail(errno, "clear the ambient set");
        /* Like runc: a capability that is not also permitted and inheritable is skipped. */
        for (int cap = 0; cap < 64; cap++)
            if (mask & (1ULL << cap)) (void)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0);
        break;
    }
    case BERTH_OP_NO_NEW_PRIVS:
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) fail(errno, "PR_SET_NO_NEW_PRIVS");
        break;
    case BERTH_OP_UMASK:
        umask((mode_t)N(op, 0));
        break;
    case BERTH_OP_CHDIR:
        chdir_in_root(S(op, 0));
        break;
    case BERTH_OP_IOPRIO:
        if (syscall(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0, (int)((N(op, 0) << 13) | N(op, 1))) < 0) fail(errno, "ioprio_set");
        break;
    case BERTH_OP_FIND_PROGRAM: {
        const char *name = S(op, 0);
        if (search_program(name, op->argc > 1 ? S(op, 1) : default_search_path, NULL, NULL) == 0) break;
        if (errno == ENOENT && !strchr(name, '/')) fail(0, "exec \"%s\": executable file not found in $PATH", name);
        fail(errno, "exec \"%s\"", name);
    }
    case BERTH_OP_WAIT_START: {
        char reopen[64];
        const char *fifo = exec_fifo_fd >= 0 ? fd_path(exec_fifo_fd, reopen, sizeof reopen) : S(op, 0);
        if (access(fifo, W_OK) < 0) fail(errno, "the exec fifo %s is not writable here (is /proc mounted in the container?)", S(op, 0));
        dprintf(STATUS_FD, "ready\n");
        /* Until berth recorded the container as created, its death (fd 5's end) ends us too. */
        char answer[64];
        if (!read_line(ACK_FD, answer, sizeof answer) || strcmp(answer, "commit") != 0) _exit(1);
        int fd;
        do fd = open(fifo, O_WRONLY | O_CLOEXEC); while (fd < 0 && errno == EINTR);
        if (fd < 0) _exit(1);
        if (write(fd, "0", 1) != 1) _exit(1);
        close(fd);
        break;
    }
    case BERTH_OP_CLOSE_FDS: {
        int passed = (int)N(op, 0);
        int keep = -1;
        if (status_fd != STATUS_FD) {
            /* exec's status pipe stays, close-on-exec, above the passed fds' old and new places. An
             * RLIMIT_NOFILE too low for that drops it: a failing EXEC then says so on stderr, as at create. */
            keep = fcntl(status_fd, F_DUPFD_CLOEXEC, PRESERVE_BASE + passed);
            close(status_fd);
            status_fd = keep;
        }
        /* Ascending: a move's target (3+i) is never the source of a later one (6+j, j > i). */
        for (int i = 0; i < passed; i++)
            if (!is_gap(op, 3 + i) && dup2(PRESERVE_BASE + i, 3 + i) < 0) fail(errno, "move passed fd %d to %d", PRESERVE_BASE + i, 3 + i);
        /* A gap stays closed: whatever the helper opened there is not the caller's. */
        for (uint32_t a = 1; a < op->argc; a++) close((int)N(op, a));
        if (keep >= 0) {
            close_fds(3 + (unsigned)passed, (unsigned)keep - 1);
            close_fds((unsigned)keep + 1, ~0U);
        } else {
            close_fds(3 + (unsigned)passed, ~0U);
        }
        break;
    }
    case BERTH_OP_CLOSE_INHERITED_FDS: {
        /* Before anything else: only stdio, the control fds and the caller's passed fds stay. */
        unsigned passed = (unsigned)N(op, 0);
        close_fds(PRESERVE_BASE + passed, ~0U);
        for (uint32_t a = 1; a < op->argc; a++) close(PRESERVE_BASE + (int)N(op, a) - 3);
        passed_fds = op;
        break;
    }
    case BERTH_OP_EXEC: {
        uint32_t argc = (uint32_t)N(op, 0);
        if (argc == 0 || 1 + argc > op->argc) fail(0, "no program to run");
        char **argv = calloc(argc + 1, sizeof(char *));
        char **envp = calloc(op->argc - argc, sizeof(char *));
        if (!argv || !envp) _exit(127);
        for (uint32_t i = 0; i < argc; i++) argv[i] = (char *)S(op, 1 + i);
        for (uint32_t i = 1 + argc, j = 0; i < op->argc; i++, j++) envp[j] = (char *)S(op, i);
        exec_with_path(argv[0], argv, envp);
        /* exec watches its status pipe; at create the status fd is closed by now and, as runc, the failure goes to stderr. */
        if (status_fd >= 0 && status_fd != STATUS_FD) fail(errno, "exec \"%s\"", argv[0]);
        dprintf(2, "berth: exec \"%s\": %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    case BERTH_OP_MKDIR_IN_ROOT: {
        int rootfd = open(S(op, 0), O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0) fail(errno, "open rootfs %s", S(op, 0));
        int fd = mkdir_in_root(rootfd, S(op, 1));
        if (fd < 0) fail(errno, "create directory %s in the rootfs", S(op, 1));
        close(fd);
        close(rootfd);
        break;
    }
    case BERTH_OP_CONSOLE_CONNECT:
        console_socket_fd = connect_unix(S(op, 0));
        if (console_socket_fd < 0) fail(errno, "connect to the console socket %s", S(op, 0));
        break;
    case BERTH_OP_CONSOLE_SETUP: {
        int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (master < 0) fail(errno, "open /dev/ptmx (is devpts mounted with newinstance?)");
        int unlock = 0, number;
        if (ioctl(master, TIOCSPTLCK, &unlock) < 0) fail(errno, "unlock the pty");
        if (ioctl(master, TIOCGPTN, &number) < 0) fail(errno, "get the pty number");
        char name[64];
        snprintf(name, sizeof name, "/dev/pts/%d", number);
        int slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (slave < 0) fail(errno, "open %s", name);
        if (fchown(slave, (uid_t)N(op, 2), (gid_t)N(op, 3)) < 0) fail(errno, "chown %s", name);
        if (N(op, 0) > 0 && N(op, 1) > 0) {
            struct winsize ws = {.ws_row = (unsigned short)N(op, 0), .ws_col = (unsigned short)N(op, 1)};
            if (ioctl(master, TIOCSWINSZ, &ws) < 0) fail(errno, "set the console size");
        }
        /* runc's protocol: one message, the pty name as data, the master fd as SCM_RIGHTS. */
        if (console_socket_fd < 0) fail(0, "no console socket connected");
        if (send_with_fd(console_socket_fd, name, strlen(name), master) < 0) fail(errno, "send the pty master over the console socket");
        close(master);
        close(console_socket_fd);
        console_socket_fd = -1;
        /* The child leads its own session since clone: the pty becomes its controlling terminal. */
        if (ioctl(slave, TIOCSCTTY, 0) < 0) fail(errno, "make %s the controlling terminal", name);
        for (int fd = 0; fd < 3; fd++)
            if (dup2(slave, fd) < 0) fail(errno, "dup the pty onto fd %d", fd);
        close(slave);
        break;
    }
    case BERTH_OP_SECCOMP_INIT: {
        void *lib = dlopen("libseccomp.so.2", RTLD_NOW | RTLD_LOCAL);
        if (!lib) fail(0, "cannot load libseccomp.so.2 (install the libseccomp2 package): %s", dlerror());
        seccomp.init = (void *(*)(uint32_t))seccomp_symbol(lib, "seccomp_init");
        seccomp.attr_set = (int (*)(void *, int, uint32_t))seccomp_symbol(lib, "seccomp_attr_set");
        seccomp.arch_add = (int (*)(void *, uint32_t))seccomp_symbol(lib, "seccomp_arch_add");
        seccomp.arch_resolve_name = (uint32_t (*)(const char *))seccomp_symbol(lib, "seccomp_arch_resolve_name");
        seccomp.resolve_name = (int (*)(const char *))seccomp_symbol(lib, "seccomp_syscall_resolve_name");
        seccomp.rule_add_array = (int (*)(void *, uint32_t, int, unsigned int, const struct scmp_arg_cmp *))seccomp_symbol(lib, "seccomp_rule_add_array");
        seccomp.load = (int (*)(void *))seccomp_symbol(lib, "seccomp_load");
        seccomp.notify_fd = (int (*)(void *))seccomp_symbol(lib, "seccomp_notify_fd");
        seccomp.ctx = seccomp.init((uint32_t)N(op, 0));
        if (!seccomp.ctx) fail(0, "seccomp_init with default action %#x failed", (unsigned)N(op, 0));
        /* no_new_privs is the plan's decision (NO_NEW_PRIVS), not libseccomp's. */
        int rc = seccomp.attr_set(seccomp.ctx, SCMP_FLTATR_CTL_NNP, 0);
        if (!rc && N(op, 1)) rc = seccomp.attr_set(seccomp.ctx, SCMP_FLTATR_CTL_TSYNC, 1);
        if (!rc && N(op, 2)) rc = seccomp.attr_set(seccomp.ctx, SCMP_FLTATR_CTL_LOG, 1);
        if (!rc && N(op, 3)) rc = seccomp.attr_set(seccomp.ctx, SCMP_FLTATR_CTL_SSB, 1);
        if (rc < 0) fail(-rc, "set seccomp filter flags");
        break;
    }
    case BERTH_OP_SECCOMP_ARCH: {
        if (!seccomp.ctx) fail(0, "SECCOMP_ARCH before SECCOMP_INIT");
        uint32_t arch = seccomp.arch_resolve_name(S(op, 0));
        if (!arch) fail(0, "libseccomp does not know the architecture %s", S(op, 0));
        int rc = seccomp.arch_add(seccomp.ctx, arch);
        if (rc < 0 && rc != -EEXIST) fail(-rc, "add seccomp architecture %s", S(op, 0));
        break;
    }
    case BERTH_OP_SECCOMP_RULE: {
        if (!seccomp.ctx) fail(0, "SECCOMP_RULE before SECCOMP_INIT");
        int nr = seccomp.resolve_name(S(op, 0));
        /* __NR_SCMP_ERROR: unknown here, skipped as runc does. Other negative numbers are
         * libseccomp's pseudo-syscalls (socketcall, ipc on x86), which are real rules. */
        if (nr == -1) break;
        uint32_t count = (uint32_t)N(op, 2);
        if (count > 6 || op->argc < 3 + 4 * count) fail(0, "malformed rule for %s", S(op, 0));
        struct scmp_arg_cmp cmp[6];
        for (uint32_t i = 0; i < count; i++) {
            cmp[i].arg = (unsigned)N(op, 3 + 4 * i);
            cmp[i].op = (int)N(op, 4 + 4 * i);
            cmp[i].datum_a = N(op, 5 + 4 * i);
            cmp[i].datum_b = N(op, 6 + 4 * i);
        }
        int rc = seccomp.rule_add_array(seccomp.ctx, (uint32_t)N(op, 1), nr, count, cmp);
        if (rc < 0) fail(-rc, "add seccomp rule for %s", S(op, 0));
        break;
    }
    case BERTH_OP_SECCOMP_LOAD: {
        if (!seccomp.ctx) fail(0, "SECCOMP_LOAD before SECCOMP_INIT");
        int rc = seccomp.load(seccomp.ctx);
        if (rc < 0) fail(-rc, "load the seccomp filter");
        break;
    }
    case BERTH_OP_SECCOMP_LISTENER_CONNECT: {
        seccomp.listener = connect_unix(S(op, 0));
        if (seccomp.listener < 0) fail(errno, "connect to the seccomp listener %s", S(op, 0));
        /* The host's /proc is still mounted here: /proc/self names our pid as the runtime sees it. */
        char self[32] = {0};
        if (readlink("/proc/self", self, sizeof self - 1) < 0) fail(errno, "readlink /proc/self");
        seccomp.host_pid = (pid_t)atoi(self);
        break;
    }
    case BERTH_OP_SECCOMP_LISTENER_SEND: {
        if (seccomp.listener < 0 || !seccomp.ctx) fail(0, "SECCOMP_LISTENER_SEND without a listener or a filter");
        int notify = seccomp.notify_fd(seccomp.ctx);
        if (notify < 0) fail(-notify, "get the seccomp notify fd");
        char pid[16];
        snprintf(pid, sizeof pid, "%d", seccomp.host_pid);
        const char *template = S(op, 0);
        size_t cap = strlen(template) * 2 + 64, len = 0;
        char *message = malloc(cap);
        if (!message) fail(ENOMEM, "seccomp state");
        for (const char *p = template; *p && len + 16 < cap;) {
            if (strncmp(p, "%PID%", 5) == 0) {
                len += (size_t)snprintf(message + len, cap - len, "%s", pid);
                p += 5;
            } else {
                message[len++] = *p++;
            }
        }
        message[len] = 0;
        if (send_with_fd(seccomp.listener, message, len, notify) < 0) fail(errno, "send the seccomp state to the listener");
        close(seccomp.listener);
        seccomp.listener = -1;
        free(message);
        break;
    }
    case BERTH_OP_CONSOLE_PAIR: {
        int pair[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0) fail(errno, "socketpair");
        console_relay_fd = pair[0];
        console_socket_fd = pair[1];
        break;
    }
    case BERTH_OP_SCHED: {
        struct {
            uint32_t size, policy;
            uint64_t flags;
            int32_t nice;
            uint32_t priority;
            uint64_t runtime, deadline, period;
        } attr = {sizeof attr, (uint32_t)N(op, 0), N(op, 1), (int32_t)N(op, 2), (uint32_t)N(op, 3), N(op, 4), N(op, 5), N(op, 6)};
        if (syscall(SYS_sched_setattr, 0, &attr, 0) < 0) fail(errno, "sched_setattr policy %u", attr.policy);
        break;
    }
    case BERTH_OP_CPU_AFFINITY: {
        cpu_set_t set;
        CPU_ZERO(&set);
        for (uint32_t i = 0; i < op->argc; i++) CPU_SET((int)N(op, i), &set);
        if (sched_setaffinity(0, sizeof set, &set) < 0) fail(errno, "sched_setaffinity");
        break;
    }
    case BERTH_OP_UNSHARE:
        if (unshare((int)N(op, 0)) < 0) fail(errno, "unshare %#lx", (unsigned long)N(op, 0));
        break;
    case BERTH_OP_SETATTR_IN_ROOT: {
        int fd = open_in_root(S(op, 0), S(op, 1), 0, 0);
        struct mount_attr attr = {.attr_set = N(op, 2), .attr_clr = N(op, 3), .propagation = N(op, 4)};
        if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0)
            fail(errno, "set recursive mount attributes on %s", S(op, 1));
        close(fd);
        break;
    }
    case BERTH_OP_IDMAP_PREPARE: {
        if (idmapped_count == MAX_IDMAPPED_MOUNTS) fail(0, "more than %d id-mapped mounts", MAX_IDMAPPED_MOUNTS);
        int tree = (int)syscall(SYS_open_tree, AT_FDCWD, S(op, 0), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (N(op, 1) ? AT_RECURSIVE : 0));
        if (tree < 0) fail(errno, "open_tree %s", S(op, 0));
        int userns = userns_with_maps(S(op, 3), S(op, 4));
        struct mount_attr attr = {.attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)userns};
        if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH | (N(op, 2) ? AT_RECURSIVE : 0), &attr, sizeof attr) < 0)
            fail(errno, "id-map the mount of %s (does its filesystem support id-mapped mounts?)", S(op, 0));
        close(userns);
        idmapped_mounts[idmapped_count++] = tree;
        break;
    }
    case BERTH_OP_MOVE_MOUNT_IN_ROOT: {
        uint64_t slot = N(op, 2);
        if (slot >= (uint64_t)idmapped_count) fail(0, "no id-mapped mount in slot %llu", (unsigned long long)slot);
        int fd = open_in_root(S(op, 0), S(op, 1), 1, (int)N(op, 3));
        if (syscall(SYS_move_mount, idmapped_mounts[slot], "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
            fail(errno, "attach the id-mapped mount on %s", S(op, 1));
        close(fd);
        close(idmapped_mounts[slot]);
        idmapped_mounts[slot] = -1;
        break;
    }
    case BERTH_OP_OPEN_CGROUP_PROCS: {
        if (cgroup_procs_count == MAX_CGROUP_PROCS) fail(0, "more than %d cgroup hierarchies", MAX_CGROUP_PROCS);
        int fd = open(S(op, 0), O_WRONLY | O_CLOEXEC);
        if (fd < 0) fail(errno, "open %s", S(op, 0));
        cgroup_procs[cgroup_procs_count].fd = fd;
        cgroup_procs[cgroup_procs_count++].path = S(op, 0);
        break;
    }
    case BERTH_OP_JOIN_CGROUPS:
        for (int i = 0; i < cgroup_procs_count; i++) {
            char pid[24];
            int n = snprintf(pid, sizeof pid, "%d", child_pid);
            if (write(cgroup_procs[i].fd, pid, (size_t)n) != n) fail(errno, "put the container process into %s", cgroup_procs[i].path);
            close(cgroup_procs[i].fd);
        }
        cgroup_procs_count = 0;
        break;
    case BERTH_OP_MOUNT_TMPFS_COPYUP_IN_ROOT: {
        int under = open_in_root(S(op, 0), S(op, 1), 1, 0);
        if (mount("tmpfs", fd_path(under, fdbuf, sizeof fdbuf), "tmpfs", (unsigned long)N(op, 2), or_null(S(op, 3))) < 0)
            fail(errno, "mount tmpfs on %s (options \"%s\")", S(op, 1), S(op, 3));
        /* `under` still names the covered directory; a fresh lookup finds the new tmpfs. */
        int top = open_in_root(S(op, 0), S(op, 1), 0, 0);
        copy_tree(under, top);
        close(top);
        close(under);
        break;
    }
    case BERTH_OP_JOIN_NAMESPACES: {
        int fds[16];
        uint32_t n = op->argc / 2;
        if (op->argc % 2 || n > 16) fail(0, "expected up to 16 pairs of namespace path and type");
        for (uint32_t i = 0; i < n; i++) {
            fds[i] = open(S(op, 2 * i), O_RDONLY | O_CLOEXEC);
            if (fds[i] < 0) fail(errno, "open namespace %s", S(op, 2 * i));
        }
        for (uint32_t i = 0; i < n; i++) {
            if (setns(fds[i], (int)N(op, 2 * i + 1)) < 0) fail(errno, "join namespace %s", S(op, 2 * i));
            close(fds[i]);
        }
        break;
    }
    case BERTH_OP_EXEC_STATUS_PIPE:
        if (pipe2(exec_pipe, O_CLOEXEC) < 0) fail(errno, "pipe");
        break;
    case BERTH_OP_WAIT_EXEC: {
        /* EOF without a word: the child exec'd (or died without saying why, which "exit" then tells). */
        char line[1280];
        size_t n = 0;
        for (;;) {
            ssize_t r = read(exec_pipe[0], line + n, sizeof line - n);
            if (r < 0 && errno == EINTR) continue;
            if (r <= 0 || (n += (size_t)r) == sizeof line) break;
        }
        close(exec_pipe[0]);
        if (n > 0) write_all(STATUS_FD, line, n, "the child's error");
        else dprintf(STATUS_FD, "running\n");
        break;
    }
    case BERTH_OP_SET_DUMPABLE:
        if (prctl(PR_SET_DUMPABLE, (unsigned long)N(op, 0), 0, 0, 0) < 0) fail(errno, "PR_SET_DUMPABLE");
        break;
    default:
        fail(0, "unknown operation %u (helper and berth disagree on the wire format)", op->code);
    }
}

static void run_section(int which, const section_t *s) {
    current_section = section_names[which];
    for (uint32_t i = 0; i < s->count; i++) {
        current_index = (int)i;
        current_op = op_name(s->ops[i].code);
        run_op(&s->ops[i]);
    }
}

static int exit_status(int status) {
    return WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 1;
}

/* Receive one fd sent with SCM_RIGHTS; -1 when the peer closed without sending one. */
static int recv_fd(int sock) {
    char data[256], control[CMSG_SPACE(sizeof(int))];
    struct iovec iov = {.iov_base = data, .iov_len = sizeof data};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
    if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) <= 0) return -1;
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
    if (!cmsg || cmsg->cmsg_type != SCM_RIGHTS) return -1;
    int fd;
    memcpy(&fd, CMSG_DATA(cmsg), sizeof fd);
    return fd;
}

/* `run -t` without --console-socket: relay between our stdio and the container's pty, as runc does. */
static void relay_console(void) {
    int master = recv_fd(console_relay_fd);
    close(console_relay_fd);
    if (master < 0) return; /* the container failed before its terminal existed */
    struct termios saved;
    int raw = isatty(0) && tcgetattr(0, &saved) == 0;
    if (raw) {
        struct termios t = saved;
        cfmakeraw(&t);
        tcsetattr(0, TCSANOW, &t);
    }
    struct pollfd fds[2] = {{.fd = 0, .events = POLLIN}, {.fd = master, .events = POLLIN}};
    char buf[4096];
    for (;;) {
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = read(master, buf, sizeof buf);
            if (n <= 0) break; /* EIO: the container's side is closed */
            if (write(1, buf, (size_t)n) < 0) break;
        }
        if (fds[0].revents & (POLLIN | POLLHUP)) {
            ssize_t n = read(0, buf, sizeof buf);
            if (n <= 0) fds[0].fd = -1; /* stdin ended: keep relaying output */
            else if (write(master, buf, (size_t)n) < 0) break;
        }
    }
    if (raw) tcsetattr(0, TCSANOW, &saved);
    close(master);
}

static int run_plan(void) {
    read_plan();
    need(4);
    if (memcmp(plan_buf, BERTH_WIRE_MAGIC, 4) != 0) fail(0, "not a berth plan (bad magic)");
    plan_at = 4;
    uint32_t version = get_u32();
    if (version != BERTH_WIRE_VERSION) fail(0, "plan wire version %u, this helper speaks %d", version, BERTH_WIRE_VERSION);
    uint32_t flags = get_u32();
    uint64_t clone_flags = get_u64();
    section_t sections[3];
    for (int i = 0; i < 3; i++) decode_section(&sections[i]);

    run_section(0, &sections[0]);
    if (pipe2(release_pipe, O_CLOEXEC) < 0) fail(errno, "pipe");
    current_section = "pre";
    current_op = "CLONE";
    /* A raw clone behaves like fork here; the new namespaces apply to the child. */
    child_pid = (pid_t)syscall(SYS_clone, (unsigned long)clone_flags | SIGCHLD, NULL, NULL, NULL, NULL);
    if (child_pid < 0) fail(errno, "clone with flags %#llx", (unsigned long long)clone_flags);
    if (child_pid == 0) {
        close(release_pipe[1]);
        if (exec_pipe[1] >= 0) {
            close(exec_pipe[0]);
            status_fd = exec_pipe[1];
        }
        /* Its own session, as runc's and crun's container processes: a manager signals the
         * process group (conmon's --timeout kills -pgid), which must not be the manager's own. */
        if (setsid() < 0) fail(errno, "setsid");
        /* The cgroup.procs files are the parent's to write: a low RLIMIT_NOFILE must not count them. */
        for (int i = 0; i < cgroup_procs_count; i++) close(cgroup_procs[i].fd);
        if (console_relay_fd >= 0) close(console_relay_fd);
        run_section(2, &sections[2]);
        fail(0, "the plan ended without EXEC");
    }
    close(release_pipe[0]);
    if (exec_pipe[1] >= 0) close(exec_pipe[1]);
    /* The passed fds are the container process's alone: a foreground helper holding its copies
     * would keep, say, a socket open after the container closed it. A gap's slot may hold an fd of
     * PRE's since, so only the passed ones go. */
    if (passed_fds)
        for (int i = 0; i < (int)N(passed_fds, 0); i++)
            if (!is_gap(passed_fds, 3 + i)) close(PRESERVE_BASE + i);
    /* The child has its copy of a console socket made in PRE: once it sent the pty, the socket closes. */
    if (console_socket_fd >= 0) close(console_socket_fd);
    run_section(1, &sections[1]);
    close(release_pipe[1]);
    if (!(flags & BERTH_PLAN_FOREGROUND)) return 0;
    if (console_relay_fd >= 0) relay_console();
    int status;
    while (waitpid(child_pid, &status, 0) < 0)
        if (errno != EINTR) fail(errno, "wait for the container");
    dprintf(STATUS_FD, "exit %d\n", exit_status(status));
    return 0;
}

/* `enter PID PATH ARGV0 [ARGS]`: join PID's namespaces (those that differ from ours), then run PATH.
 * Both die with their parent (SIGKILL): a hook berth runs this way never outlives berth, nor this. */
static int enter(int argc, char **argv, pid_t caller) {
    if (argc < 5) {
        dprintf(2, "usage: berth-helper enter PID PATH ARGV0 [ARG...]\n");
        return 126;
    }
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() != caller) return 126;
    /* A hook gets stdio only, whatever berth was started with. */
    close_fds(3, ~0U);
    const char *pid = argv[2];
    static const struct { const char *name; int type; } order[] = {
        {"user", CLONE_NEWUSER}, {"cgroup", CLONE_NEWCGROUP}, {"ipc", CLONE_NEWIPC}, {"uts", CLONE_NEWUTS},
        {"net", CLONE_NEWNET}, {"pid", CLONE_NEWPID}, {"time", CLONE_NEWTIME}, {"mnt", CLONE_NEWNS},
    };
    int fds[8];
    /* Open every namespace before joining any: after the mount namespace, /proc may differ. */
    for (int i = 0; i < 8; i++) {
        char theirs[64], ours[64];
        struct stat a, b;
        fds[i] = -1;
        snprintf(theirs, sizeof theirs, "/proc/%s/ns/%s", pid, order[i].name);
        snprintf(ours, sizeof ours, "/proc/self/ns/%s", order[i].name);
        if (stat(theirs, &a) < 0) {
            if (errno == ENOENT && i > 0) continue;
            dprintf(2, "berth-helper enter: %s: %s\n", theirs, strerror(errno));
            return 126;
        }
        if (stat(ours, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev) continue;
        fds[i] = open(theirs, O_RDONLY | O_CLOEXEC);
        if (fds[i] < 0) {
            dprintf(2, "berth-helper enter: open %s: %s\n", theirs, strerror(errno));
            return 126;
        }
    }
    for (int i = 0; i < 8; i++) {
        if (fds[i] < 0) continue;
        if (setns(fds[i], order[i].type) < 0) {
            dprintf(2, "berth-helper enter: join the %s namespace of %s: %s\n", order[i].name, pid, strerror(errno));
            return 126;
        }
        close(fds[i]);
    }
    /* Its write end is ours alone: hung up, we are gone (the child's getppid cannot tell, in a new pid namespace). */
    int alive[2];
    if (pipe2(alive, O_CLOEXEC) < 0) {
        dprintf(2, "berth-helper enter: pipe: %s\n", strerror(errno));
        return 126;
    }
    pid_t child = fork();
    if (child < 0) {
        dprintf(2, "berth-helper enter: fork: %s\n", strerror(errno));
        return 126;
    }
    if (child == 0) {
        close(alive[1]);
        struct pollfd parent = {.fd = alive[0], .events = POLLIN};
        if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || poll(&parent, 1, 0) != 0) _exit(126);
        execv(argv[3], argv + 4);
        dprintf(2, "berth-helper enter: exec %s: %s\n", argv[3], strerror(errno));
        _exit(127);
    }
    close(alive[0]);
    int status;
    while (waitpid(child, &status, 0) < 0)
        if (errno != EINTR) return 126;
    return exit_status(status);
}

/* The name berth's device filters carry: replacing one leaves programs others attached in place. */
#define DEVICE_FILTER_NAME "berth_devices"
/* The kernel attaches at most 64 programs of one attach type to a cgroup. */
#define MAX_CGROUP_PROGRAMS 64

static int bpf(int cmd, union bpf_attr *attr) {
    return (int)syscall(SYS_bpf, cmd, attr, sizeof *attr);
}

static int device_filter_failed(const char *what, const char *dir) {
    dprintf(2, "berth-helper device-filter: %s %s: %s\n", what, dir, strerror(errno));
    return 1;
}

/*
 * `device-filter DIR`: load the BPF_PROG_TYPE_CGROUP_DEVICE program read on fd 0 (struct bpf_insn
 * as plugins/native/cgroups/device-filter.ts compiles it), attach it to the cgroup v2 directory
 * DIR, then detach the device filters berth attached there before. New first, old after: DIR
 * is never without a filter, and both only ever restrict (every attached program must allow).
 */
static int device_filter(int argc, char **argv) {
    if (argc != 3) {
        dprintf(2, "usage: berth-helper device-filter CGROUP-DIR < program\n");
        return 2;
    }
    close_fds(3, ~0U);
    const char *dir_path = argv[2];
    /* A cgroup program has at most 1M instructions of 8 bytes. */
    size_t cap = (size_t)8 << 20, len = 0;
    unsigned char *insns = malloc(cap);
    if (!insns) return device_filter_failed("allocate the program for", dir_path);
    for (;;) {
        ssize_t n = read(0, insns + len, cap - len);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return device_filter_failed("read on fd 0 the program for", dir_path);
        if (n == 0) break;
        len += (size_t)n;
        if (len == cap) {
            errno = EFBIG;
            return device_filter_failed("read on fd 0 the program for", dir_path);
        }
    }
    if (len == 0 || len % 8 != 0) {
        dprintf(2, "berth-helper device-filter: the program on fd 0 must be whole 8-byte instructions, got %zu bytes\n", len);
        return 1;
    }
    int dir = open(dir_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0) return device_filter_failed("open", dir_path);

    /* Listed before attaching, so the new program is not among them. */
    __u32 old_ids[MAX_CGROUP_PROGRAMS];
    union bpf_attr query;
    memset(&query, 0, sizeof query);
    query.query.target_fd = (__u32)dir;
    query.query.attach_type = BPF_CGROUP_DEVICE;
    query.query.prog_ids = (__u64)(uintptr_t)old_ids;
    query.query.prog_cnt = MAX_CGROUP_PROGRAMS;
    if (bpf(BPF_PROG_QUERY, &query) < 0) return device_filter_failed("list the device programs attached to", dir_path);

    /* Before Linux 5.11 a program's memory counts against RLIMIT_MEMLOCK; where it may not be raised, the load says so. */
    struct rlimit unlimited = {RLIM_INFINITY, RLIM_INFINITY};
    setrlimit(RLIMIT_MEMLOCK, &unlimited);

    union bpf_attr load;
    memset(&load, 0, sizeof load);
    load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
    load.expected_attach_type = BPF_CGROUP_DEVICE;
    load.insns = (__u64)(uintptr_t)insns;
    load.insn_cnt = (__u32)(len / 8);
    /* The program calls no kernel helpers, so no GPL-only ones: the project's own license. */
    load.license = (__u64)(uintptr_t)"Apache";
    memcpy(load.prog_name, DEVICE_FILTER_NAME, sizeof DEVICE_FILTER_NAME);
    int prog = bpf(BPF_PROG_LOAD, &load);
    if (prog < 0) {
        int err = errno;
        /* Again with the verifier's log, to say why. */
        static char log[1 << 16];
        load.log_level = 1;
        load.log_buf = (__u64)(uintptr_t)log;
        load.log_size = sizeof log;
        bpf(BPF_PROG_LOAD, &load);
        dprintf(2, "berth-helper device-filter: load the device program for %s: %s%s%s\n", dir_path, strerror(err), log[0] ? "\n" : "", log);
        return 1;
    }
    union bpf_attr attach;
    memset(&attach, 0, sizeof attach);
    attach.target_fd = (__u32)dir;
    attach.attach_bpf_fd = (__u32)prog;
    attach.attach_type = BPF_CGROUP_DEVICE;
    attach.attach_flags = BPF_F_ALLOW_MULTI;
    if (bpf(BPF_PROG_ATTACH, &attach) < 0) return device_filter_failed("attach the device program to", dir_path);

    for (__u32 i = 0; i < query.query.prog_cnt; i++) {
        union bpf_attr by_id;
        memset(&by_id, 0, sizeof by_id);
        by_id.prog_id = old_ids[i];
        int old = bpf(BPF_PROG_GET_FD_BY_ID, &by_id);
        /* Gone meanwhile, or one an LSM keeps from us: not berth's to replace. */
        if (old < 0 && (errno == ENOENT || errno == EPERM || errno == EACCES)) continue;
        if (old < 0) return device_filter_failed("open a device program attached to", dir_path);
        struct bpf_prog_info info;
        memset(&info, 0, sizeof info);
        union bpf_attr get_info;
        memset(&get_info, 0, sizeof get_info);
        get_info.info.bpf_fd = (__u32)old;
        get_info.info.info_len = sizeof info;
        get_info.info.info = (__u64)(uintptr_t)&info;
        if (bpf(BPF_OBJ_GET_INFO_BY_FD, &get_info) < 0) return device_filter_failed("read a device program attached to", dir_path);
        if (strncmp(info.name, DEVICE_FILTER_NAME, sizeof info.name) == 0) {
            union bpf_attr detach;
            memset(&detach, 0, sizeof detach);
            detach.target_fd = (__u32)dir;
            detach.attach_bpf_fd = (__u32)old;
            detach.attach_type = BPF_CGROUP_DEVICE;
            if (bpf(BPF_PROG_DETACH, &detach) < 0 && errno != ENOENT) return device_filter_failed("detach berth's earlier device program from", dir_path);
        }
        close(old);
    }
    return 0;
}

/*
 * Run from a sealed in-memory copy of ourselves (CVE-2019-5736 class): a container process that
 * opens /proc/<helper pid>/exe then gets a memfd that cannot be written, never the binary on
 * the host. Already running from a sealed copy: nothing to do.
 */
static void reexec_from_sealed_copy(char **argv) {
    int self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    if (self < 0) return;
    int seals = fcntl(self, F_GET_SEALS);
    if (seals >= 0 && (seals & F_SEAL_WRITE)) {
        close(self);
        return;
    }
    int copy = memfd_create("berth-helper", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (copy < 0) {
        dprintf(2, "berth-helper: cannot make a sealed copy of itself: %s\n", strerror(errno));
        _exit(126);
    }
    char buf[65536];
    for (;;) {
        ssize_t n = read(self, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            dprintf(2, "berth-helper: cannot read itself: %s\n", strerror(errno));
            _exit(126);
        }
        if (n == 0) break;
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(copy, buf + off, (size_t)(n - off));
            if (w < 0 && errno == EINTR) continue;
            if (w < 0) {
                dprintf(2, "berth-helper: cannot copy itself: %s\n", strerror(errno));
                _exit(126);
            }
            off += w;
        }
    }
    close(self);
    if (fcntl(copy, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0) {
        dprintf(2, "berth-helper: cannot seal its copy: %s\n", strerror(errno));
        _exit(126);
    }
    extern char **environ;
    syscall(SYS_execveat, copy, "", argv, environ, AT_EMPTY_PATH);
    dprintf(2, "berth-helper: cannot run its sealed copy: %s\n", strerror(errno));
    _exit(126);
}

int main(int argc, char **argv) {
    /* Before anything else, so that a parent gone since the start is noticed (enter). */
    pid_t caller = getppid();
    reexec_from_sealed_copy(argv);
    /* Not dumpable: no other process can ptrace us or open /proc/<pid>/exe (CVE-2019-5736 class). */
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    umask(0);
    if (argc >= 2 && strcmp(argv[1], "enter") == 0) return enter(argc, argv, caller);
    if (argc >= 2 && strcmp(argv[1], "device-filter") == 0) return device_filter(argc, argv);
    if (argc >= 2 && strcmp(argv[1], "exec") != 0) {
        dprintf(2, "usage: berth-helper exec | enter PID PATH ARGV0 [ARG...] | device-filter CGROUP-DIR\n");
        return 2;
    }
    return run_plan();
}

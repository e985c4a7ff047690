/*
 * berth-probe: a container payload that prints, as one JSON object on stdout, what the process
 * really sees: ids, groups, umask, cwd, names, env, args, capabilities, limits, namespaces,
 * mounts, fds, cgroups, and the sysctls, files and contents asked for. Tests assert on this
 * observation instead of on the plan berth meant to execute. Built static (native/build-probe.sh)
 * so it runs in any rootfs, even an empty one.
 *
 *   berth-probe [--sysctl NAME]... [--stat PATH]... [--read PATH]... [--write PATH TEXT]...
 *               [--sleep SECONDS] [--exit N] [--] [ARG...]
 *
 * Writes happen first, then the observation is printed, then the probe sleeps, then it exits
 * with N (default 0). Arguments that do not start with "--" are only reported in "args".
 *
 * JSON strings: '"' and '\' are escaped, bytes below 0x20 become \u00XX, valid UTF-8 is passed
 * through, and every byte that is not part of a valid UTF-8 sequence becomes U+FFFD, so the
 * output is always valid UTF-8 and valid JSON whatever bytes the kernel or caller hands us.
 * Absent observations (no such /proc field, unreadable file, lstat failure) are null.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* ---- JSON emitter: one comma rule for every container ---- */

static int first = 1; /* the next value is the first in its object or array (or follows a key) */

static void sep(void) {
    if (!first) putchar(',');
    first = 0;
}

static void open_(char c) {
    sep();
    putchar(c);
    first = 1;
}

static void close_(char c) {
    putchar(c);
    first = 0;
}

/* Length of the valid UTF-8 sequence at s (n bytes available), or 0 if it is not one. */
static size_t utf8_seq(const unsigned char *s, size_t n) {
    size_t len;
    uint32_t cp, min;
    if (s[0] < 0x80) return 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf) len = 2, cp = s[0] & 0x1f, min = 0x80;
    else if ((s[0] & 0xf0) == 0xe0) len = 3, cp = s[0] & 0x0f, min = 0x800;
    else if (s[0] >= 0xf0 && s[0] <= 0xf4) len = 4, cp = s[0] & 0x07, min = 0x10000;
    else return 0;
    if (n < len) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    return len;
}

static void jstrn(const char *str, size_t n) {
    const unsigned char *s = (const unsigned char *)str;
    sep();
    putchar('"');
    for (size_t i = 0; i < n;) {
        size_t len = utf8_seq(s + i, n - i);
        if (len == 0) {
            fputs("\\ufffd", stdout);
            i++;
        } else if (s[i] == '"' || s[i] == '\\') {
            putchar('\\');
            putchar(s[i++]);
        } else if (s[i] < 0x20) {
            printf("\\u%04x", s[i++]);
        } else {
            fwrite(s + i, 1, len, stdout);
            i += len;
        }
    }
    putchar('"');
}

static void jraw(const char *s) {
    sep();
    fputs(s, stdout);
}

static void jstr(const char *s) {
    if (s) jstrn(s, strlen(s));
    else jraw("null");
}

static void jnum(long long v) {
    sep();
    printf("%lld", v);
}

/* rlim_t is unsigned: a limit of 2^63 or more is no negative number. */
static void junum(unsigned long long v) {
    sep();
    printf("%llu", v);
}

static void jbool(int v) { jraw(v ? "true" : "false"); }

static void key(const char *k) {
    jstr(k);
    putchar(':');
    first = 1;
}

/* ---- reading files ---- */

/* Reads at most max bytes of path (whole file when max is 0) into a NUL-terminated buffer. */
static char *slurp(const char *path, size_t max, size_t *out_len) {
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK); /* O_NONBLOCK: a fifo must not hang us */
    if (fd < 0) return NULL;
    size_t cap = max ? max + 1 : 4096, len = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (!buf) break;
        if (len + 1 == cap) {
            if (max) break;
            char *bigger = realloc(buf, cap *= 2);
            if (!bigger) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = bigger;
        }
        ssize_t got = read(fd, buf + len, cap - 1 - len);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) {
            int saved = errno;
            free(buf);
            buf = NULL;
            errno = saved;
            break;
        }
        if (got == 0) break;
        len += (size_t)got;
    }
    int saved = errno;
    close(fd);
    errno = saved;
    if (buf) {
        buf[len] = 0;
        if (out_len) *out_len = len;
    }
    return buf;
}

static char *status; /* /proc/self/status, read once */

/* The value of "Name:" in /proc/self/status, leading whitespace skipped, ending at '\n'; or NULL. */
static const char *status_field(const char *name) {
    size_t n = strlen(name);
    for (const char *line = status; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
        if (strncmp(line, name, n) == 0 && line[n] == ':') {
            const char *v = line + n + 1;
            while (*v == ' ' || *v == '\t') v++;
            return v;
        }
    }
    return NULL;
}

/* ---- sections ---- */

static const char *const cap_names[] = {
    "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID",
    "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW",
    "IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT",
    "SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD",
    "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG",
    "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE",
};
#define CAP_NAMES (sizeof cap_names / sizeof cap_names[0])

static void caps(void) {
    static const char *const sets[][2] = {
        {"inheritable", "CapInh"}, {"permitted", "CapPrm"}, {"effective", "CapEff"},
        {"bounding", "CapBnd"}, {"ambient", "CapAmb"},
    };
    key("caps");
    open_('{');
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) {
        key(sets[i][0]);
        const char *hex = status_field(sets[i][1]);
        if (!hex) {
            jraw("null");
            continue;
        }
        unsigned long long bits = strtoull(hex, NULL, 16);
        open_('[');
        for (unsigned bit = 0; bit < 64; bit++) {
            if (!(bits >> bit & 1)) continue;
            char name[32];
            if (bit < CAP_NAMES) snprintf(name, sizeof name, "CAP_%s", cap_names[bit]);
            else snprintf(name, sizeof name, "CAP_%u", bit);
            jstr(name);
        }
        close_(']');
    }
    close_('}');
}

static void status_number(const char *json_key, const char *field, int base) {
    const char *v = status_field(field);
    key(json_key);
    if (v) jnum(strtoll(v, NULL, base));
    else jraw("null");
}

static void rlimits(void) {
    static const struct { int resource; const char *name; } limits[] = {
        {RLIMIT_CPU, "RLIMIT_CPU"}, {RLIMIT_FSIZE, "RLIMIT_FSIZE"}, {RLIMIT_DATA, "RLIMIT_DATA"},
        {RLIMIT_STACK, "RLIMIT_STACK"}, {RLIMIT_CORE, "RLIMIT_CORE"}, {RLIMIT_RSS, "RLIMIT_RSS"},
        {RLIMIT_NPROC, "RLIMIT_NPROC"}, {RLIMIT_NOFILE, "RLIMIT_NOFILE"},
        {RLIMIT_MEMLOCK, "RLIMIT_MEMLOCK"}, {RLIMIT_AS, "RLIMIT_AS"}, {RLIMIT_LOCKS, "RLIMIT_LOCKS"},
        {RLIMIT_SIGPENDING, "RLIMIT_SIGPENDING"}, {RLIMIT_MSGQUEUE, "RLIMIT_MSGQUEUE"},
        {RLIMIT_NICE, "RLIMIT_NICE"}, {RLIMIT_RTPRIO, "RLIMIT_RTPRIO"}, {RLIMIT_RTTIME, "RLIMIT_RTTIME"},
    };
    key("rlimits");
    open_('{');
    for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
        struct rlimit rl;
        key(limits[i].name);
        if (getrlimit(limits[i].resource, &rl) != 0) {
            jraw("null");
            continue;
        }
        open_('{');
        key("soft");
        if (rl.rlim_cur == RLIM_INFINITY) jstr("unlimited");
        else junum((unsigned long long)rl.rlim_cur);
        key("hard");
        if (rl.rlim_max == RLIM_INFINITY) jstr("unlimited");
        else junum((unsigned long long)rl.rlim_max);
        close_('}');
    }
    close_('}');
}

static void namespaces(void) {
    static const char *const kinds[] = {"user", "mnt", "pid", "net", "ipc", "uts", "cgroup", "time"};
    key("namespaces");
    open_('{');
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        char path[64], target[128];
        snprintf(path, sizeof path, "/proc/self/ns/%s", kinds[i]);
        ssize_t n = readlink(path, target, sizeof target - 1);
        key(kinds[i]);
        char *open_bracket = n > 0 ? (target[n] = 0, strchr(target, '[')) : NULL;
        if (open_bracket) jnum(strtoll(open_bracket + 1, NULL, 10));
        else jraw("null");
    }
    close_('}');
}

/* Undoes mountinfo's octal escapes (\040 space, \011 tab, \012 newline, \134 backslash) in place. */
static void unescape(char *s) {
    char *out = s;
    for (; *s; s++) {
        if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
            *out++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
            s += 3;
        } else {
            *out++ = *s;
        }
    }
    *out = 0;
}

static void comma_list(char *s) {
    open_('[');
    for (char *save = NULL, *item = strtok_r(s, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        unescape(item);
        jstr(item);
    }
    close_(']');
}

/* /proc/self/mountinfo: ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS */
static void mounts(void) {
    char *text = slurp("/proc/self/mountinfo", 0, NULL);
    key("mounts");
    if (!text) {
        jraw("null");
        return;
    }
    open_('[');
    for (char *save = NULL, *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *field[16];
        int n = 0, dash = -1;
        for (char *fsave = NULL, *f = strtok_r(line, " ", &fsave); f && n < 16; f = strtok_r(NULL, " ", &fsave)) {
            if (dash < 0 && n >= 6 && strcmp(f, "-") == 0) dash = n;
            field[n++] = f;
        }
        if (dash < 0 || n < dash + 4) continue; /* not a line we understand */
        unescape(field[4]);
        unescape(field[dash + 1]);
        unescape(field[dash + 2]);
        open_('{');
        key("mountPoint"), jstr(field[4]);
        key("fsType"), jstr(field[dash + 1]);
        key("source"), jstr(field[dash + 2]);
        key("options"), comma_list(field[5]);
        key("superOptions"), comma_list(field[dash + 3]);
        close_('}');
    }
    close_(']');
    free(text);
}

static int by_number(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }

static void fds(void) {
    DIR *dir = opendir("/proc/self/fd");
    key("fds");
    if (!dir) {
        jraw("null");
        return;
    }
    int list[1024], count = 0;
    for (struct dirent *entry; (entry = readdir(dir)) && count < 1024;) {
        if (entry->d_name[0] == '.') continue;
        int fd = atoi(entry->d_name);
        if (fd != dirfd(dir)) list[count++] = fd;
    }
    qsort(list, (size_t)count, sizeof list[0], by_number);
    open_('[');
    for (int i = 0; i < count; i++) {
        char path[64], target[PATH_MAX];
        snprintf(path, sizeof path, "/proc/self/fd/%d", list[i]);
        ssize_t n = readlink(path, target, sizeof target - 1);
        open_('{');
        key("fd"), jnum(list[i]);
        key("target");
        if (n >= 0) jstrn(target, (size_t)n);
        else jraw("null");
        close_('}');
    }
    close_(']');
    closedir(dir);
}

static void lines(const char *json_key, const char *path) {
    char *text = slurp(path, 0, NULL);
    key(json_key);
    if (!text) {
        jraw("null");
        return;
    }
    open_('[');
    for (char *save = NULL, *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) jstr(line);
    close_(']');
    free(text);
}

/* sysctl(8) naming: net.ipv4.ip_forward is /proc/sys/net/ipv4/ip_forward; '/' in a name stands for '.'. */
static void sysctl_value(const char *name) {
    char path[PATH_MAX] = "/proc/sys/";
    size_t at = strlen(path);
    for (const char *c = name; *c && at < sizeof path - 1; c++) path[at++] = *c == '.' ? '/' : *c == '/' ? '.' : *c;
    path[at] = 0;
    size_t len = 0;
    char *text = slurp(path, 4096, &len);
    key(name);
    if (!text) {
        jraw("null");
        return;
    }
    size_t start = 0;
    while (start < len && strchr(" \t\n", text[start])) start++;
    while (len > start && strchr(" \t\n", text[len - 1])) len--;
    jstrn(text + start, len - start);
    free(text);
}

/* lstat facts; major/minor are the device numbers of char and block devices, null for others. */
static void file_facts(const char *path) {
    struct stat st;
    key(path);
    open_('{');
    int exists = lstat(path, &st) == 0;
    key("exists"), jbool(exists);
    const char *type = NULL;
    if (exists) {
        switch (st.st_mode & S_IFMT) {
        case S_IFREG: type = "file"; break;
        case S_IFDIR: type = "dir"; break;
        case S_IFCHR: type = "char"; break;
        case S_IFBLK: type = "block"; break;
        case S_IFIFO: type = "fifo"; break;
        case S_IFSOCK: type = "socket"; break;
        case S_IFLNK: type = "link"; break;
        }
    }
    key("type"), jstr(type);
    int device = exists && (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode));
    char mode[16];
    snprintf(mode, sizeof mode, "%04o", exists ? (unsigned)(st.st_mode & 07777) : 0);
    key("mode"), jstr(exists ? mode : NULL);
    key("uid"), exists ? jnum(st.st_uid) : jraw("null");
    key("gid"), exists ? jnum(st.st_gid) : jraw("null");
    key("major"), device ? jnum(major(st.st_rdev)) : jraw("null");
    key("minor"), device ? jnum(minor(st.st_rdev)) : jraw("null");
    key("writable"), jbool(access(path, W_OK) == 0);
    key("readable"), jbool(access(path, R_OK) == 0);
    close_('}');
}

static const char *try_write(const char *path, const char *text) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return strerror(errno);
    size_t len = strlen(text), done = 0;
    while (done < len) {
        ssize_t n = write(fd, text + done, len - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            int saved = errno;
            close(fd);
            return strerror(saved);
        }
        done += (size_t)n;
    }
    return close(fd) == 0 ? "ok" : strerror(errno);
}

/* ---- main ---- */

static void usage(const char *why, const char *what) {
    fprintf(stderr, "berth-probe: %s %s\nusage: berth-probe [--sysctl NAME] [--stat PATH] [--read PATH] [--write PATH TEXT] "
                    "[--sleep SECONDS] [--exit N] [--] [ARG...]\n", why, what);
    exit(2);
}

int main(int argc, char **argv) {
    /* Every option argument is an argv slot, so these lists never outgrow argc. */
    const char **sysctls = calloc((size_t)argc, sizeof *sysctls), **stats = calloc((size_t)argc, sizeof *stats);
    const char **reads = calloc((size_t)argc, sizeof *reads), **writes = calloc((size_t)argc, sizeof *writes);
    const char **write_texts = calloc((size_t)argc, sizeof *write_texts);
    const char **write_results = calloc((size_t)argc, sizeof *write_results);
    int nsysctl = 0, nstat = 0, nread = 0, nwrite = 0, exit_code = 0;
    double sleep_seconds = 0;
    if (!sysctls || !stats || !reads || !writes || !write_texts || !write_results) return 1;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        char *end;
        if (strcmp(a, "--") == 0) break;
        if (strncmp(a, "--", 2) != 0) continue;
        int need = strcmp(a, "--write") == 0 ? 2 : 1;
        int known = strcmp(a, "--sysctl") == 0 || strcmp(a, "--stat") == 0 || strcmp(a, "--read") == 0 ||
                    strcmp(a, "--write") == 0 || strcmp(a, "--exit") == 0 || strcmp(a, "--sleep") == 0;
        if (!known) usage("unknown option", a);
        if (i + need >= argc) usage("missing argument to", a);
        if (strcmp(a, "--sysctl") == 0) sysctls[nsysctl++] = argv[++i];
        else if (strcmp(a, "--stat") == 0) stats[nstat++] = argv[++i];
        else if (strcmp(a, "--read") == 0) reads[nread++] = argv[++i];
        else if (strcmp(a, "--write") == 0) writes[nwrite] = argv[i + 1], write_texts[nwrite++] = argv[i + 2], i += 2;
        else if (strcmp(a, "--exit") == 0) {
            long v = strtol(argv[++i], &end, 10);
            if (*end || end == argv[i] || v < 0 || v > 255) usage("not an exit code from 0 to 255:", argv[i]);
            exit_code = (int)v;
        } else {
            sleep_seconds = strtod(argv[++i], &end);
            if (*end || end == argv[i] || !(sleep_seconds >= 0)) usage("not a number of seconds:", argv[i]);
        }
    }
    /* Writes come first so the rest of the observation (--stat, --read) can see their effect. */
    for (int i = 0; i < nwrite; i++) write_results[i] = try_write(writes[i], write_texts[i]);

    static char out[1 << 16];
    setvbuf(stdout, out, _IOFBF, sizeof out);
    status = slurp("/proc/self/status", 0, NULL);

    open_('{');
    key("uid"), jnum(getuid());
    key("gid"), jnum(getgid());
    key("euid"), jnum(geteuid());
    key("egid"), jnum(getegid());

    int ngroups = getgroups(0, NULL);
    gid_t *groups = ngroups > 0 ? calloc((size_t)ngroups, sizeof *groups) : NULL;
    if (groups) ngroups = getgroups(ngroups, groups);
    key("groups"), open_('[');
    for (int i = 0; groups && i < ngroups; i++) jnum(groups[i]);
    close_(']');

    key("umask");
    const char *um = status_field("Umask");
    if (um) jnum(strtol(um, NULL, 8));
    else {
        mode_t m = umask(0);
        umask(m);
        jnum(m);
    }

    static char cwd[PATH_MAX];
    key("cwd"), jstr(getcwd(cwd, sizeof cwd));
    struct utsname uts;
    int have_uts = uname(&uts) == 0;
    key("hostname"), jstr(have_uts ? uts.nodename : NULL);
    key("domainname"), jstr(have_uts ? uts.domainname : NULL);

    key("env"), open_('[');
    for (char **e = environ; e && *e; e++) jstr(*e);
    close_(']');
    key("args"), open_('[');
    for (int i = 0; i < argc; i++) jstr(argv[i]);
    close_(']');
    key("pid"), jnum(getpid());
    key("ppid"), jnum(getppid());

    caps();
    key("noNewPrivs");
    const char *nnp = status_field("NoNewPrivs");
    if (nnp) jbool(*nnp == '1');
    else jraw("null");
    status_number("seccomp", "Seccomp", 10);
    rlimits();

    char *oom = slurp("/proc/self/oom_score_adj", 64, NULL);
    key("oomScoreAdj"), oom ? jnum(strtoll(oom, NULL, 10)) : jraw("null");
    free(oom);

    namespaces();
    mounts();
    fds();
    lines("cgroup", "/proc/self/cgroup");

    key("sysctl"), open_('{');
    for (int i = 0; i < nsysctl; i++) sysctl_value(sysctls[i]);
    close_('}');
    key("files"), open_('{');
    for (int i = 0; i < nstat; i++) file_facts(stats[i]);
    close_('}');

    /* Read errors are collected here and printed as "errors" right after "readFiles". */
    const char **read_errors = calloc((size_t)nread + 1, sizeof *read_errors);
    key("readFiles"), open_('{');
    for (int i = 0; i < nread; i++) {
        size_t len = 0;
        char *text = slurp(reads[i], 4096, &len);
        if (!text && read_errors) read_errors[i] = strerror(errno);
        key(reads[i]);
        if (text) jstrn(text, len);
        else jraw("null");
        free(text);
    }
    close_('}');
    key("errors"), open_('{');
    for (int i = 0; read_errors && i < nread; i++)
        if (read_errors[i]) key(reads[i]), jstr(read_errors[i]);
    close_('}');
    key("writes"), open_('{');
    for (int i = 0; i < nwrite; i++) key(writes[i]), jstr(write_results[i]);
    close_('}');

    key("personality"), jnum((unsigned)personality(0xffffffff));
    close_('}');
    putchar('\n');
    if (fflush(stdout) != 0 || ferror(stdout)) return 1;

    if (sleep_seconds > 0) {
        struct timespec ts = {(time_t)sleep_seconds, (long)((sleep_seconds - (double)(time_t)sleep_seconds) * 1e9)};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
    }
    return exit_code;
}

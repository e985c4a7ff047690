/**
 * The plan wire format between plugins/native (TypeScript, decides everything) and the C helper
 * in native/ (executes, decides nothing). Declared once here and once in native/wire.h; the test
 * wire.test.ts proves the two agree. Bump wireVersion on any change.
 *
 * Encoding (little-endian):
 *   header:  "BRTH" | u32 version | u32 flags | u64 cloneFlags
 *   then three sections, in order PRE, PARENT, CHILD, each: u32 opCount, ops...
 *   op:      u32 code | u32 argc | args...
 *   arg:     u8 0 + u64 integer   |   u8 1 + u32 length + bytes (a string, no NUL inside)
 *            An integer is exact: a bigint, or a number that is a safe integer, in [−2^63, 2^64−1];
 *            a negative one travels as its two's complement (the ops that take one, such as SCHED's
 *            nice, read it as signed). encodePlan throws on anything else rather than wrap it.
 *
 * Execution: the helper runs PRE (in the runtime's namespaces), clones with cloneFlags, then the
 * helper runs PARENT (it knows the child's pid) while the child runs CHILD and finally execs.
 * Control fds of the helper: 3 = plan (read), 4 = status lines to berth, 5 = acks from berth,
 * 6.. = fds to preserve (moved to 3.. by CLOSE_FDS). fd 5's other end is berth's alone (close-on-exec
 * there): its end of file means berth is gone, and whatever waits on it exits. Answers (berth → helper):
 *   "ack" / "abort"            at a sync point
 *   "commit"                   after "ready", once berth recorded the container as created
 * Status lines (helper → berth):
 *   "pid <host pid>"           the container process exists
 *   "sync <tag>"               the child waits at a sync point; berth answers "ack" or "abort" on fd 5
 *   "ready"                    the child is set up; it waits for "commit" on fd 5 (then on the exec fifo)
 *   "running"                  (exec) the child exec'd the program (its close-on-exec status pipe closed)
 *   "exit <status>"            (foreground only) the container exited; 128+N when killed by signal N
 *   "error <section> <index> <op> <errno> <message>"   an op failed; the process exits 1
 */

import { RuntimeError } from '../../core/plugin-api.js';

export const wireVersion = 4;
export const wireMagic = 'BRTH';

/** Header flags. */
export const PlanFlag = {
  /** The helper stays, waits for the container and reports "exit <status>" (run in the foreground). */
  foreground: 1,
} as const;

/**
 * Operation codes, with their arguments (i = integer, s = string). Paths "in root" are
 * resolved inside the rootfs with openat2(RESOLVE_IN_ROOT): a symlink can never lead outside.
 */
export const Op = {
  // PRE: in the helper, before clone.
  /** s path, i nstype: join the namespace at path (EINVAL when it is not of that type). */
  SETNS: 1,
  /** s path, i mode */
  MKFIFO: 2,
  /** i signal: PRE, first: prctl(PR_SET_PDEATHSIG) for the helper (not inherited by the child it clones),
   * then exit at once if berth is already gone (fd 5 hung up). */
  PARENT_DEATH_SIGNAL: 75,
  /** Test only (BERTH_FAULT): stop dead here, SIGKILL (or, for a pid namespace's init, which ignores its own, _exit). */
  FAULT: 98,

  // PARENT: in the helper, after clone.
  /** s name, s content: write content to /proc/<child>/<name> (uid_map, gid_map, setgroups, timens_offsets). */
  WRITE_CHILD_PROC: 10,
  /** Let the child past WAIT_PARENT. */
  RELEASE_CHILD: 11,
  /** Write "pid <child>" to fd 4. */
  REPORT_PID: 12,

  // CHILD: in the container process.
  /** Wait until the helper ran RELEASE_CHILD. */
  WAIT_PARENT: 20,
  /** s hostname */
  SETHOSTNAME: 22,
  /** s domainname */
  SETDOMAINNAME: 23,
  /** s source, s target, s fstype, i flags, s data: mount(2) on absolute host paths. */
  MOUNT: 24,
  /** s rootfs, s dest, s source, s fstype, i flags, s data, i isFile: create dest in root if missing (a file when isFile), mount onto it. */
  MOUNT_IN_ROOT: 25,
  /** s rootfs, s dest, i flags: MS_REMOUNT|MS_BIND|flags, keeping the flags the kernel locked. */
  REMOUNT_IN_ROOT: 26,
  /** s rootfs, s dest, i flags: change propagation (MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE, maybe MS_REC). */
  PROPAGATE_IN_ROOT: 27,
  /** s rootfs, s path, i mode (type|perm), i major, i minor, i uid, i gid */
  MKNOD_IN_ROOT: 28,
  /** s rootfs, s path, s hostPath: bind the host device onto an empty file (inside a user namespace). */
  BIND_DEVICE_IN_ROOT: 29,
  /** s rootfs, s target, s linkPath */
  SYMLINK_IN_ROOT: 30,
  /** s tag: write "sync <tag>", wait for "ack" on fd 5 (anything else: exit 1 quietly). */
  SYNC: 31,
  /** s rootfs: pivot_root into it and detach the old root. */
  PIVOT_ROOT: 32,
  /** s rootfs: MS_MOVE it onto / and chroot (for --no-pivot). */
  MOVE_ROOT: 33,
  /** s path: hide it (a directory gets a read-only tmpfs, anything else /dev/null); a missing path is fine. */
  MASK_PATH: 34,
  /** s path: bind it onto itself read-only; a missing path is fine. */
  READONLY_PATH: 35,
  /** s path: remount the mount at path read-only, keeping locked flags. */
  REMOUNT_RO: 36,
  /** s path, s content: write a file (sysctl under /proc/sys, /proc/self/oom_score_adj, timens_offsets). */
  WRITE_FILE: 37,
  /** i resource, i soft, i hard (2^64-1 is RLIM_INFINITY) */
  SETRLIMIT: 38,
  /** i persona */
  PERSONALITY: 39,
  /** i on: prctl(PR_SET_KEEPCAPS) */
  KEEPCAPS: 40,
  /** i... gids: setgroups (none: an empty list) */
  SETGROUPS: 41,
  /** i gid: setresgid(gid, gid, gid) */
  SETGID: 42,
  /** i uid: setresuid(uid, uid, uid) */
  SETUID: 43,
  /** i keepMask: drop every bounding-set capability whose bit is not in keepMask */
  DROP_BOUNDING: 44,
  /** i effective, i permitted, i inheritable: capset (bit n = capability n) */
  SET_CAPS: 45,
  /** i mask: clear the ambient set, then raise these */
  SET_AMBIENT: 46,
  /** prctl(PR_SET_NO_NEW_PRIVS) */
  NO_NEW_PRIVS: 47,
  /** i mask */
  UMASK: 48,
  /** s path: chdir to path resolved inside this process's root (openat2 RESOLVE_IN_ROOT, no /proc magic links),
   * then verify with getcwd(2) that the working directory lies under that root (CVE-2024-21626 class). */
  CHDIR: 49,
  /** s rootfs, s path, i mode: create the directory (and missing parents) inside the root. */
  MKDIR_IN_ROOT: 50,
  /** i class, i priority: ioprio_set for this process */
  IOPRIO: 51,
  /** s fifo: write "ready" to fd 4, wait for "commit" on fd 5 (anything else or its end: exit quietly), then
   * block opening the fifo for writing until `start` opens it, write one byte. */
  WAIT_START: 53,
  /** i passed, i gap...: move fds 6..6+n-1 to 3..3+n-1, except the gaps (fd numbers in 3..3+n-1 the caller did
   * not have open), which stay closed; close every other fd from 3 up. */
  CLOSE_FDS: 54,
  /** i argc, s argv[argc]..., s env...: execve, args[0] looked up in the env's PATH when it has no '/'. */
  EXEC: 55,
  /** i on: prctl(PR_SET_DUMPABLE) */
  SET_DUMPABLE: 56,
  /** s socketPath: connect to the --console-socket (before pivot_root, while the host path is reachable). */
  CONSOLE_CONNECT: 57,
  /** i rows, i cols, i uid, i gid: open a pty in the container's devpts, send its master over the
   * console socket (data: the pty name; SCM_RIGHTS: the fd), make the slave the controlling
   * terminal and stdio (setsid, TIOCSCTTY), owned by uid:gid. */
  CONSOLE_SETUP: 58,
  /** i defaultAction, i tsync, i log, i specAllow: dlopen libseccomp.so.2 and start a filter (before pivot_root, while the host's library is reachable). */
  SECCOMP_INIT: 59,
  /** s arch: add an architecture by libseccomp name (x86_64, aarch64, ...). */
  SECCOMP_ARCH: 60,
  /** s syscall, i action, i n, then n × (i index, i op, i valueA, i valueB): one rule; a name libseccomp does not know is skipped, as runc does. */
  SECCOMP_RULE: 61,
  /** Load the filter. */
  SECCOMP_LOAD: 62,
  /** s listenerPath: connect to the seccomp agent's socket (before pivot_root) and note our host pid. */
  SECCOMP_LISTENER_CONNECT: 65,
  /** s stateTemplate: after SECCOMP_LOAD, send the container process state (every "%PID%" replaced by the
   * host pid) with the notify fd as SCM_RIGHTS, then close the connection (runtime-spec seccomp listener). */
  SECCOMP_LISTENER_SEND: 66,
  /** PRE, for `run` in the foreground with a terminal and no --console-socket: a socket pair
   * stands in for it; the helper receives the pty master and relays it to its own stdio. */
  CONSOLE_PAIR: 67,
  /** i policy, i flags, i nice (signed), i priority, i runtime, i deadline, i period: sched_setattr for this process. */
  SCHED: 68,
  /** i cpu...: sched_setaffinity for this process (PRE: the runtime's initial affinity; CHILD: the final one). */
  CPU_AFFINITY: 69,
  /** s source, i recursive, i recursiveIdmap, s uidMap, s gidMap: PRE, still in the host's user namespace: a detached
   * copy of source (open_tree) id-mapped through a throwaway user namespace holding the maps (mount_setattr
   * MOUNT_ATTR_IDMAP). Its fd takes the next id-mapped mount slot. */
  IDMAP_PREPARE: 70,
  /** s rootfs, s dest, i slot, i isFile: attach the id-mapped mount of that slot at dest in root (move_mount). */
  MOVE_MOUNT_IN_ROOT: 71,
  /** s path: PRE, first of all (before any setns): open a cgroup.procs file to put the child in. */
  OPEN_CGROUP_PROCS: 72,
  /** PARENT: write the child's pid to every cgroup.procs opened, before it is released. */
  JOIN_CGROUPS: 73,
  /** s name, s path (absent: execvp's default): fail unless name (searched in path when it has no '/') is a file
   * this process may exec: runc's check, so a missing program fails create rather than start. */
  FIND_PROGRAM: 74,
  /** s rootfs, s dest, i flags, s data: a tmpfs on dest in root holding a copy of what dest held (the tmpcopyup option). */
  MOUNT_TMPFS_COPYUP_IN_ROOT: 90,
  /** s path, i nstype, ... (pairs): PRE, for exec: open every namespace first, then join them in the order given
   * (once the mount namespace is joined, host paths stop resolving). */
  JOIN_NAMESPACES: 80,
  /** PRE, for exec: the child reports its errors on a close-on-exec pipe of its own, kept through CLOSE_FDS (above
   * the preserved fds) and used by a failing EXEC too; it closes when the program runs. */
  EXEC_STATUS_PIPE: 81,
  /** PARENT: wait for that pipe to close: forward the child's "error" line, or write "running" when it exec'd. */
  WAIT_EXEC: 82,
  /** i passed, i gap...: PRE, first: close every fd from 6+passed up and the slots of the gaps (6+gap-3), so that
   * nothing the helper was started with but stdio, its control fds and the caller's passed fds stays open. */
  CLOSE_INHERITED_FDS: 83,
  /** i flags: unshare(2) in the helper (PRE: a time namespace, whose offsets must be written before a process enters it). */
  UNSHARE: 63,
  /** s rootfs, s dest, i attrSet, i attrClr, i propagation: mount_setattr(AT_RECURSIVE) on dest in root (recursive r* options). */
  SETATTR_IN_ROOT: 64,
} as const;

export type OpName = keyof typeof Op;

/** Clone flags (linux/sched.h), the only ones the plan uses. */
export const CloneFlag = {
  CLONE_NEWTIME: 0x00000080,
  CLONE_NEWNS: 0x00020000,
  CLONE_NEWCGROUP: 0x02000000,
  CLONE_NEWUTS: 0x04000000,
  CLONE_NEWIPC: 0x08000000,
  CLONE_NEWUSER: 0x10000000,
  CLONE_NEWPID: 0x20000000,
  CLONE_NEWNET: 0x40000000,
} as const;

export type Arg = number | bigint | string;
export interface PlanOp {
  op: OpName;
  args: Arg[];
  /**
   * Where the op comes from, to name it when it fails: the JSON pointer of its config field
   * (`/process/rlimits/0`; for exec, into the --process file or config.json), or the flag
   * (`--cwd`). Absent for the runtime's own steps. TypeScript only: never on the wire.
   */
  field?: string;
}
export interface Plan {
  flags: number;
  cloneFlags: number;
  pre: PlanOp[];
  parent: PlanOp[];
  child: PlanOp[];
}

/** Encode a plan for the helper. */
export function encodePlan(plan: Plan): Buffer {
  const parts: Buffer[] = [];
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n);
    parts.push(b);
  };
  const u64 = (n: number | bigint, what: string) => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt.asUintN(64, wireInteger(n, what)));
    parts.push(b);
  };
  parts.push(Buffer.from(wireMagic, 'latin1'));
  u32(wireVersion);
  u32(plan.flags);
  u64(plan.cloneFlags, 'the clone flags');
  for (const section of [plan.pre, plan.parent, plan.child]) {
    u32(section.length);
    for (const { op, args, field } of section) {
      u32(Op[op]);
      u32(args.length);
      args.forEach((arg, i) => {
        if (typeof arg === 'string') {
          const bytes = Buffer.from(arg, 'utf8');
          // No system call takes a NUL inside a string: refused at the field it came from.
          if (bytes.includes(0)) throw new RuntimeError('INVALID_SPEC', `${field ?? 'plan'}: contains a NUL byte, which no system call can take (an argument of ${op})`);
          parts.push(Buffer.from([1]));
          u32(bytes.length);
          parts.push(bytes);
        } else {
          parts.push(Buffer.from([0]));
          u64(arg, `${op} argument ${i}`);
        }
      });
    }
  }
  return Buffer.concat(parts);
}

const int64Min = -(2n ** 63n);
const uint64Max = 2n ** 64n - 1n;

/** The exact integer an argument carries; a fraction, a number past 2^53 (it may have lost digits) or a value no u64 slot holds is a bug of the plan, never wrapped. */
export function wireInteger(n: number | bigint, what: string): bigint {
  if (typeof n === 'number' && !Number.isSafeInteger(n)) throw new Error(`plan: ${what} is ${n}, not an integer the wire carries exactly (a safe integer or a bigint)`);
  const value = BigInt(n);
  if (value < int64Min || value > uint64Max) throw new Error(`plan: ${what} is ${value}, outside what the wire carries (-2^63 to 2^64-1)`);
  return value;
}

import { closeSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import type { PassedFds } from '../backend/backend.js';
import { RuntimeError } from '../errors/runtime-error.js';

/**
 * The caller's fds, taken as early as berth starts (berth.ts, before anything else opens one).
 *
 * Node 20 cannot mark an fd close-on-exec, and every process it spawns inherits each fd that is
 * not: a host directory the manager had open as fd 200 would reach the helper, the container's
 * processes and the hooks (CVE-2024-21626 class). So berth closes, at once, every inherited fd
 * that is not passed on (LISTEN_FDS, then --preserve-fds: fds 3 .. 3+N-1). What it may close is
 * known exactly: Node (libuv) makes each fd of its own close-on-exec, so an fd without that flag
 * is the caller's. Fds Node already marked (libuv's uv_disable_stdio_inheritance marks fds 0-15,
 * and on from there while they are open) cannot leak and are left alone.
 *
 * Among the passed range, a number the caller did not have open is a gap, and stays closed in the
 * container; Node's start-up may have put one of its own fds there (an epoll or eventfd, a pipe
 * whose both ends Node holds), which counts as a gap: nothing of berth's own is ever passed.
 */
export function takeCallerFds(verb: string | undefined, preserveFds: number, env: NodeJS.ProcessEnv = process.env): PassedFds {
  const listen = verb === 'create' || verb === 'run' ? listenFdsOf(env) : 0;
  const wanted = listen + preserveFds;
  const highest = highestPossibleFd();
  if (3 + wanted - 1 > highest) {
    const asked = preserveFds > 0 ? `--preserve-fds ${preserveFds}${listen > 0 ? ` (after LISTEN_FDS=${listen})` : ''}` : `LISTEN_FDS=${listen}`;
    throw RuntimeError.usage(`${asked}: fds 3 to ${3 + wanted - 1} cannot exist: this host's highest fd number is ${highest} (/proc/sys/fs/nr_open)`);
  }
  const open = openFds(3 + wanted);
  const gaps: number[] = [];
  let last = 2;
  for (let fd = 3; fd < 3 + wanted; fd++) {
    const entry = open.get(fd);
    if (!entry || isNodeOwn(entry, open)) gaps.push(fd);
    else last = fd;
  }
  for (const [fd, entry] of open) {
    if (fd >= 3 && (fd >= 3 + wanted || gaps.includes(fd)) && !entry.closeOnExec) closeQuietly(fd);
  }
  // Trailing gaps are simply not passed: the count ends at the caller's last passed fd.
  const count = last - 2;
  return { count, listen, gaps: gaps.filter((fd) => fd < 3 + count) };
}

/** LISTEN_FDS, honoured as runc does (go-systemd's activation.Files): only when LISTEN_PID names this process. */
export function listenFdsOf(env: NodeJS.ProcessEnv): number {
  const count = Number(env.LISTEN_FDS);
  if (!/^[0-9]+$/.test(env.LISTEN_FDS ?? '') || !Number.isSafeInteger(count)) return 0;
  return env.LISTEN_PID !== undefined && Number(env.LISTEN_PID) === process.pid ? count : 0;
}

interface OpenFd {
  target: string;
  closeOnExec: boolean;
}

const O_CLOEXEC = 0o2000000;
/** uv_disable_stdio_inheritance marks fds below this close-on-exec unconditionally (and on while they are open). */
const libuvCloseOnExecRange = 16;

/**
 * The open fds from 3 up. libuv marks fds 0-15 close-on-exec whatever they are, so outside the
 * passed range (below `passedEnd`) their flags are not read, nor any target when nothing is
 * passed: this runs on nearly every call, and managers call berth constantly.
 */
function openFds(passedEnd: number): Map<number, OpenFd> {
  const fds = new Map<number, OpenFd>();
  let names: string[];
  try {
    names = readdirSync('/proc/self/fd');
  } catch {
    return fds; // no /proc: nothing to tell, nothing closed
  }
  for (const name of names) {
    const fd = Number(name);
    if (fd < 3) continue;
    const inRange = fd < passedEnd;
    try {
      // Targets tell Node's own fds in the passed range from the caller's (a pipe's other end may be anywhere).
      const target = passedEnd > 3 ? readlinkSync(`/proc/self/fd/${fd}`) : '';
      if (!inRange && fd < libuvCloseOnExecRange) {
        fds.set(fd, { target, closeOnExec: true });
        continue;
      }
      const flags = /^flags:\s*([0-7]+)/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
      fds.set(fd, { target, closeOnExec: flags !== null && (parseInt(flags[1]!, 8) & O_CLOEXEC) !== 0 });
    } catch {
      // The directory listing's own fd, closed by now.
    }
  }
  return fds;
}

/** The kinds of fd Node's start-up makes: libuv's epoll and eventfds, and pipes it holds both ends of. */
function isNodeOwn(entry: OpenFd, open: Map<number, OpenFd>): boolean {
  if (!entry.closeOnExec) return false;
  if (/^anon_inode:\[(eventpoll|eventfd|io_uring|signalfd|timerfd)\]$/.test(entry.target)) return true;
  if (!entry.target.startsWith('pipe:')) return false;
  let ends = 0;
  for (const other of open.values()) if (other.target === entry.target) ends++;
  return ends > 1;
}

function highestPossibleFd(): number {
  try {
    return Number(readFileSync('/proc/sys/fs/nr_open', 'utf8').trim()) - 1;
  } catch {
    return 1024 * 1024 - 1;
  }
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Gone already.
  }
}

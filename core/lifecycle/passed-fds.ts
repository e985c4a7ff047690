import { closeSync } from 'node:fs';
import type { PassedFds } from '../backend/backend.js';

/** No fd passed (no --preserve-fds, no LISTEN_FDS). */
export const noPassedFds: PassedFds = { count: 0, listen: 0, gaps: [] };

/**
 * spawn's stdio entries that put the caller's passed fds at the child's next fds, in order: the
 * caller's fd 3+i, or 'ignore' for a gap (Node leaves that child fd alone; the receiver closes it).
 */
export function passedFdStdio(fds: PassedFds): (number | 'ignore')[] {
  const gaps = new Set(fds.gaps);
  return Array.from({ length: fds.count }, (_, i) => (gaps.has(3 + i) ? 'ignore' : 3 + i));
}

/**
 * Close berth's own copies of the passed fds once the process that hands them to the container
 * has them: Node cannot mark an fd close-on-exec, so a hook (or anything else) berth spawned
 * afterwards would inherit them. Idempotent.
 */
export function releasePassedFds(fds: PassedFds): void {
  const gaps = new Set(fds.gaps);
  for (let fd = 3; fd < 3 + fds.count; fd++) {
    if (gaps.has(fd) || released.has(fd)) continue;
    released.add(fd);
    try {
      closeSync(fd);
    } catch {
      // Already closed: nothing of the caller's is left open here either way.
    }
  }
}

const released = new Set<number>();

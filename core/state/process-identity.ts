import { readFileSync } from 'node:fs';

/**
 * A process named so that pid reuse cannot fool us: the pid plus its start time (field 22 of
 * /proc/<pid>/stat, in clock ticks since boot). A pid whose start time differs is another process.
 */
export interface ProcessIdentity {
  pid: number;
  startTime: string;
}

export type ProcessLiveness = 'alive' | 'zombie' | 'gone';

/** Parse /proc/<pid>/stat: the comm field may hold spaces and parentheses, so split after the last ')'. */
export function parseProcStat(text: string): { state: string; ppid: number; startTime: string } | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const fields = text.slice(close + 2).split(' ');
  // fields[0] is field 3 (state); start time is field 22.
  const state = fields[0];
  const startTime = fields[19];
  if (state === undefined || startTime === undefined) return undefined;
  return { state, ppid: Number(fields[1]), startTime };
}

export function readProcStat(pid: number): ReturnType<typeof parseProcStat> {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'latin1'));
  } catch {
    return undefined;
  }
}

/** The identity of a live process now, or undefined when there is no such process. */
export function identify(pid: number): ProcessIdentity | undefined {
  const stat = readProcStat(pid);
  return stat ? { pid, startTime: stat.startTime } : undefined;
}

/** Whether the recorded process still exists as the same process (a zombie has exited). */
export function liveness(identity: ProcessIdentity): ProcessLiveness {
  if (identity.pid <= 0) return 'gone';
  const stat = readProcStat(identity.pid);
  if (!stat || stat.startTime !== identity.startTime) return 'gone';
  return stat.state === 'Z' || stat.state === 'X' ? 'zombie' : 'alive';
}

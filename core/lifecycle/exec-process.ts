import type { Diagnostic } from '../errors/runtime-error.js';
import { isKnownCapability } from '../spec/capabilities.js';
import type { Process } from '../spec/config.js';

/** The process-shaping flags of `exec` (everything but -p, which replaces them all, as in runc). */
export interface ExecFlags {
  args: string[];
  cwd?: string;
  env: string[];
  tty: boolean;
  /** "uid[:gid]", numeric. */
  user?: string;
  additionalGids: string[];
  caps: string[];
  noNewPrivs?: boolean;
  apparmor?: string;
  processLabel?: string;
}

/**
 * runc's exec process: a copy of the container's process with the command and the flags
 * applied. --env adds or replaces a variable; --cap adds to the bounding, effective and
 * permitted sets (never inheritable or ambient); --user and --additional-gids are numeric, and
 * the gids are added to the container's own (as runc appends them). Pure; every problem names
 * its flag.
 */
export function execProcessFromFlags(base: Process, flags: ExecFlags): { process: Process; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const problem = (flag: string, message: string) => diagnostics.push({ pointer: flag, message });
  const process: Process = structuredClone(base);
  if (flags.args.length === 0) problem('command', 'is required: give the command to run after the container id, or --process');
  process.args = [...flags.args];
  process.terminal = flags.tty;
  delete process.consoleSize;
  if (flags.cwd !== undefined) {
    if (!flags.cwd.startsWith('/')) problem('--cwd', `must be an absolute path inside the container, got ${JSON.stringify(flags.cwd)}`);
    process.cwd = flags.cwd;
  }
  process.env = mergeEnv(process.env ?? [], flags.env, (e) => problem('--env', `must be KEY=VALUE, got ${JSON.stringify(e)}`));
  if (flags.user !== undefined) {
    const match = /^(\d+)(?::(\d+))?$/.exec(flags.user);
    if (!match) problem('--user', `must be a numeric UID or UID:GID, got ${JSON.stringify(flags.user)}`);
    else process.user = { ...process.user, uid: Number(match[1]), gid: match[2] !== undefined ? Number(match[2]) : process.user.gid };
  }
  if (flags.additionalGids.length > 0) {
    const gids = flags.additionalGids.map(Number);
    const bad = flags.additionalGids.filter((g) => !/^\d+$/.test(g));
    if (bad.length > 0) problem('--additional-gids', `must be numeric GIDs, got ${bad.map((g) => JSON.stringify(g)).join(', ')}`);
    else process.user = { ...process.user, additionalGids: [...new Set([...(process.user.additionalGids ?? []), ...gids])] };
  }
  if (flags.caps.length > 0) {
    const caps = flags.caps.map((c) => (c.toUpperCase().startsWith('CAP_') ? c.toUpperCase() : `CAP_${c.toUpperCase()}`));
    const unknown = caps.filter((c) => !isKnownCapability(c));
    if (unknown.length > 0) problem('--cap', `unknown capability ${unknown.join(', ')}`);
    const sets = (process.capabilities = { ...process.capabilities });
    for (const set of ['bounding', 'effective', 'permitted'] as const) sets[set] = [...new Set([...(sets[set] ?? []), ...caps])];
  }
  if (flags.noNewPrivs !== undefined) process.noNewPrivileges = flags.noNewPrivs;
  if (flags.apparmor !== undefined) process.apparmorProfile = flags.apparmor;
  if (flags.processLabel !== undefined) process.selinuxLabel = flags.processLabel;
  return { process, diagnostics };
}

/** KEY=VALUE entries: a later one replaces an earlier one of the same key, in place. */
function mergeEnv(base: readonly string[], extra: readonly string[], bad: (entry: string) => void): string[] {
  const out = [...base];
  for (const entry of extra) {
    const eq = entry.indexOf('=');
    if (eq <= 0) {
      bad(entry);
      continue;
    }
    const key = entry.slice(0, eq + 1);
    const at = out.findIndex((e) => e.startsWith(key));
    if (at >= 0) out[at] = entry;
    else out.push(entry);
  }
  return out;
}

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
export function execProcessFromFlags(base: Process, flags: ExecFlags): { process: Process; diagnostics: Diagnostic[]; fields: Record<string, string> } {
  const diagnostics: Diagnostic[] = [];
  const problem = (flag: string, message: string) => diagnostics.push({ pointer: flag, message });
  const process: Process = structuredClone(base);
  if (flags.args.length === 0) problem('command', 'is required: give the command to run after the container id, or --process');
  process.args = [...flags.args];
  process.terminal = flags.tty;
  delete process.consoleSize;
  const fields = execFlagFields(flags);
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
  return { process, diagnostics, fields };
}

/** The process's fields the flags set, by pointer in the process, each with its flag (`/cwd` → `--cwd`). */
function execFlagFields(flags: ExecFlags): Record<string, string> {
  const fields: Record<string, string> = { '/args': 'command', '/terminal': '--tty' };
  if (flags.cwd !== undefined) fields['/cwd'] = '--cwd';
  if (flags.env.length > 0) fields['/env'] = '--env';
  if (flags.user !== undefined) Object.assign(fields, { '/user/uid': '--user', '/user/gid': '--user' });
  if (flags.additionalGids.length > 0) fields['/user/additionalGids'] = '--additional-gids';
  if (flags.caps.length > 0) for (const set of ['bounding', 'effective', 'permitted']) fields[`/capabilities/${set}`] = '--cap';
  if (flags.noNewPrivs !== undefined) fields['/noNewPrivileges'] = '--no-new-privs';
  if (flags.apparmor !== undefined) fields['/apparmorProfile'] = '--apparmor';
  if (flags.processLabel !== undefined) fields['/selinuxLabel'] = '--process-label';
  return fields;
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

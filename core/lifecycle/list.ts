import { readFileSync } from 'node:fs';
import type { ContainerState } from '../spec/state.js';
import type { StateStore } from '../state/state-store.js';
import { describeContainer } from './state.js';

/**
 * `list`: every container under --root with its state. A directory without a readable record
 * (a create that crashed before writing one) is skipped, as runc skips it. Reads only.
 */
export function listContainers(store: StateStore, passwd = readPasswd()): ContainerState[] {
  const states: ContainerState[] = [];
  for (const id of store.list()) {
    try {
      const record = store.tryRead(id);
      // `state` keeps the record's owner (runc's too: "" for root); `list` names who owns the directory, as runc's does.
      if (record) states.push({ ...describeContainer(record), owner: ownerName(store.ownerUid(id), passwd) });
    } catch {
      // corrupt or unreadable: `delete --force` is the way out, `list` is not the place to fail.
    }
  }
  return states;
}

/** runc's table: tab-aligned columns ID, PID, STATUS, BUNDLE, CREATED, OWNER. */
export function formatTable(states: readonly ContainerState[]): string {
  const rows = [['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER'], ...states.map((s) => [s.id, String(s.pid), s.status, s.bundle, s.created, s.owner])];
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((r) => r[col]!.length)));
  return rows.map((r) => r.map((cell, col) => (col === r.length - 1 ? cell : cell.padEnd(widths[col]! + 3))).join('').trimEnd() + '\n').join('');
}

/** The host's /etc/passwd, or nothing when it cannot be read (then every owner is "#UID"). */
function readPasswd(): string {
  try {
    return readFileSync('/etc/passwd', 'utf8');
  } catch {
    return '';
  }
}

/** The user name of `uid` in passwd(5) text, or runc's "#UID" when it has none. */
export function ownerName(uid: number, passwd: string): string {
  for (const line of passwd.split('\n')) {
    const [name, , id] = line.split(':');
    if (name && id !== undefined && /^\d+$/.test(id) && Number(id) === uid) return name;
  }
  return `#${uid}`;
}

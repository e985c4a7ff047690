import { posix } from 'node:path';

/**
 * Does what the probe saw (native/probe.c's report, read as the conformance suite's config
 * group reads it) agree with the config the container was created from? The config is the one
 * `evaluate` reads from the case's text: integers exact (bigint beyond 2^53), the last of
 * duplicate keys. Only what the probe can see is compared; the first disagreement is returned.
 */

type Json = Record<string, unknown>;
const uint64Max = (1n << 64n) - 1n;

/** The probe's one-line report, with integers beyond 2^53 kept exact (as strings). */
export function parseProbeReport(line: string): Json {
  return JSON.parse(line.replace(/([:[,]\s*)(-?\d{16,})(?=\s*[,\]}])/g, '$1"$2"')) as Json;
}

const exact = (v: unknown): bigint | undefined => {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return BigInt(v);
  return undefined;
};
const show = (v: unknown) => JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? `${x}` : x));

/** The first field where the report disagrees with the config, as a sentence; undefined when all agree. */
export function disagreement(config: unknown, report: Json): string | undefined {
  const c = (config ?? {}) as Json;
  const process = (c.process ?? {}) as Json;
  const user = (process.user ?? {}) as Json;
  const differs = (field: string, want: unknown, seen: unknown) => `${field}: the config says ${show(want)}, the container has ${show(seen)}`;

  if (Array.isArray(process.args) && show(report.args) !== show(process.args)) return differs('/process/args', process.args, report.args);
  if (Array.isArray(process.env)) {
    const env = process.env as string[];
    // HOME is added when the config has none (as runc does): anything else must be as configured.
    const seen = ((report.env ?? []) as string[]).filter((e, i, all) => env.some((x) => x.startsWith('HOME=')) || !e.startsWith('HOME=') || all.findIndex((x) => x.startsWith('HOME=')) !== i);
    if (show(seen) !== show(env)) return differs('/process/env', env, report.env);
  }
  for (const [field, seenKey] of [['uid', 'uid'], ['uid', 'euid'], ['gid', 'gid'], ['gid', 'egid']] as const) {
    if (user[field] !== undefined && exact(user[field]) !== exact(report[seenKey])) return differs(`/process/user/${field}`, user[field], report[seenKey]);
  }
  if (Array.isArray(user.additionalGids)) {
    const want = [...new Set((user.additionalGids as unknown[]).map((g) => String(exact(g))))].sort();
    const seen = [...new Set(((report.groups ?? []) as unknown[]).map((g) => String(exact(g))))].sort();
    if (show(want) !== show(seen)) return differs('/process/user/additionalGids', user.additionalGids, report.groups);
  }
  // umask(2) keeps the permission bits only (runc passes the rest along the same way).
  const umask = user.umask ?? 0o022;
  const wantUmask = exact(umask);
  if (wantUmask === undefined || (wantUmask & 0o777n) !== exact(report.umask)) return differs('/process/user/umask', umask, report.umask);
  if (typeof process.cwd === 'string') {
    const want = posix.normalize(process.cwd).replace(/(.)\/$/, '$1');
    if (report.cwd !== want) return differs('/process/cwd', process.cwd, report.cwd);
  }
  if (typeof c.hostname === 'string' && report.hostname !== c.hostname) return differs('/hostname', c.hostname, report.hostname);
  if (process.oomScoreAdj !== undefined && exact(process.oomScoreAdj) !== exact(report.oomScoreAdj)) return differs('/process/oomScoreAdj', process.oomScoreAdj, report.oomScoreAdj);
  const limits = (report.rlimits ?? {}) as Record<string, { soft: unknown; hard: unknown } | null>;
  for (const [i, r] of ((Array.isArray(process.rlimits) ? process.rlimits : []) as Json[]).entries()) {
    const seen = limits[String(r.type)];
    const asSeen = (v: unknown) => (v === 'unlimited' ? uint64Max : exact(v));
    if (!seen || asSeen(seen.soft) !== exact(r.soft) || asSeen(seen.hard) !== exact(r.hard)) return differs(`/process/rlimits/${i}`, { soft: r.soft, hard: r.hard }, seen);
  }
  const root = (c.root ?? {}) as Json;
  if (root.readonly === true) {
    const mount = ((report.mounts ?? []) as { mountPoint: string; options: string[] }[]).filter((m) => m.mountPoint === '/').at(-1);
    if (!mount?.options.includes('ro')) return differs('/root/readonly', true, mount?.options);
  }
  return undefined;
}

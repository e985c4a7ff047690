import type { Diagnostic } from '../errors/runtime-error.js';
import { isKnownCapability } from './capabilities.js';
import { pointerOf } from './json-pointer.js';
import { ociVersionProblem } from './oci-version.js';
import { show } from './schema-diagnostics.js';

/**
 * What the JSON schema cannot say but the spec (or runc, where managers rely on it) does.
 * Runs on any document, even one that failed the schema: every check first makes sure the
 * value has the shape it inspects, so all problems are reported in one pass.
 * Backend-specific rules (sysctl namespacing, hostname without a UTS namespace, ...) belong to
 * the backend's own validation, not here.
 */
export function semanticDiagnostics(doc: unknown): Diagnostic[] {
  const out: Diagnostic[] = [];
  if (!isObject(doc)) return out;
  const report = (message: string, ...path: (string | number)[]) => out.push({ pointer: pointerOf(...path), message });

  if (typeof doc.ociVersion === 'string') {
    const problem = ociVersionProblem(doc.ociVersion);
    if (problem) report(problem, 'ociVersion');
  }

  // Linux needs a root filesystem and something to run (runc requires both at create).
  if (doc.root === undefined) report('is required: the container needs a root filesystem', 'root');
  else if (isObject(doc.root) && doc.root.path === '') report('must not be empty', 'root', 'path');
  if (doc.process === undefined) report('is required: the container needs a process to run', 'process');
  if (isObject(doc.process)) checkProcess(doc.process, report);

  if (Array.isArray(doc.mounts)) {
    doc.mounts.forEach((mount, i) => {
      if (!isObject(mount)) return;
      if (mount.destination === '') report('must not be empty', 'mounts', i, 'destination');
      if (typeof mount.destination === 'string' && mount.destination.includes('\0')) report('must not contain a NUL byte', 'mounts', i, 'destination');
      // config.md: each of a mount's uidMappings and gidMappings MUST come with the other.
      const uid = mount.uidMappings !== undefined;
      const gid = mount.gidMappings !== undefined;
      if (uid && !gid) report('is required along with uidMappings', 'mounts', i, 'gidMappings');
      if (gid && !uid) report('is required along with gidMappings', 'mounts', i, 'uidMappings');
    });
  }

  if (isObject(doc.hooks)) {
    for (const [kind, hooks] of Object.entries(doc.hooks)) {
      if (!Array.isArray(hooks)) continue;
      hooks.forEach((hook, i) => {
        if (!isObject(hook)) return;
        if (typeof hook.path === 'string' && !hook.path.startsWith('/')) {
          report(`must be an absolute path on the host, got ${show(hook.path)}`, 'hooks', kind, i, 'path');
        }
        checkEnv(hook.env, report, 'hooks', kind, i, 'env');
      });
    }
  }

  if (isObject(doc.linux)) checkLinux(doc.linux, report);
  return out;
}

type Report = (message: string, ...path: (string | number)[]) => void;

function checkProcess(process: Record<string, unknown>, report: Report): void {
  if (Array.isArray(process.args) && process.args.length === 0) report('must have at least one entry: the program to run', 'process', 'args');
  if (process.args === undefined) report('is required: the program to run and its arguments', 'process', 'args');
  if (typeof process.cwd === 'string' && !process.cwd.startsWith('/')) {
    report(`must be an absolute path, got ${show(process.cwd)}`, 'process', 'cwd');
  }
  checkEnv(process.env, report, 'process', 'env');

  if (isObject(process.capabilities)) {
    for (const [set, names] of Object.entries(process.capabilities)) {
      if (!Array.isArray(names)) continue;
      names.forEach((name, i) => {
        if (typeof name === 'string' && !isKnownCapability(name)) {
          const hint = isKnownCapability(`CAP_${name.toUpperCase()}`) ? ` (did you mean "CAP_${name.toUpperCase()}"?)` : '';
          report(`unknown capability ${show(name)}${hint}`, 'process', 'capabilities', set, i);
        }
      });
    }
  }

  if (Array.isArray(process.rlimits)) {
    const seen = new Map<string, number>();
    process.rlimits.forEach((rlimit, i) => {
      if (!isObject(rlimit)) return;
      if (typeof rlimit.type === 'string') {
        if (!rlimitTypes.has(rlimit.type)) report(`unknown rlimit type ${show(rlimit.type)}`, 'process', 'rlimits', i, 'type');
        const first = seen.get(rlimit.type);
        if (first !== undefined) report(`duplicate rlimit type ${show(rlimit.type)}, first given at /process/rlimits/${first}`, 'process', 'rlimits', i, 'type');
        else seen.set(rlimit.type, i);
      }
      // Integers may be bigints (uint64 beyond 2^53): compared exactly, as bigints compare with numbers.
      if (isInteger(rlimit.soft) && isInteger(rlimit.hard) && rlimit.soft > rlimit.hard) {
        report(`soft limit ${rlimit.soft} is above hard limit ${rlimit.hard}`, 'process', 'rlimits', i, 'soft');
      }
    });
  }

  if (typeof process.oomScoreAdj === 'number' && (process.oomScoreAdj < -1000 || process.oomScoreAdj > 1000)) {
    report(`must be between -1000 and 1000, got ${process.oomScoreAdj}`, 'process', 'oomScoreAdj');
  }
  if (isObject(process.ioPriority) && typeof process.ioPriority.priority === 'number') {
    const p = process.ioPriority.priority;
    if (p < 0 || p > 7) report(`must be between 0 and 7, got ${p}`, 'process', 'ioPriority', 'priority');
  }
  // config.md: user, and its uid and gid, are REQUIRED on POSIX platforms (the schema does not say so).
  if (process.user === undefined) report('is required: the uid and gid the process runs as', 'process', 'user');
  else if (isObject(process.user)) for (const id of ['uid', 'gid']) if (process.user[id] === undefined) report('is required', 'process', 'user', id);
  if (isObject(process.user) && typeof process.user.umask === 'number' && process.user.umask > 0o7777) {
    report(`must be at most 0o7777 (4095), got ${process.user.umask}`, 'process', 'user', 'umask');
  }
  if (process.terminal !== true && process.consoleSize !== undefined) {
    report('is only meaningful with "terminal": true', 'process', 'consoleSize');
  }
}

/** Environment entries are `KEY=value` with a non-empty KEY and no NUL byte (runc refuses both). */
function checkEnv(env: unknown, report: Report, ...path: (string | number)[]): void {
  if (!Array.isArray(env)) return;
  env.forEach((entry, i) => {
    if (typeof entry !== 'string') return;
    const eq = entry.indexOf('=');
    if (eq < 0) report(`must be KEY=value, got ${show(entry)}`, ...path, i);
    else if (eq === 0) report(`has an empty variable name: ${show(entry)}`, ...path, i);
    if (entry.includes('\0')) report('must not contain a NUL byte', ...path, i);
  });
}

function checkLinux(linux: Record<string, unknown>, report: Report): void {
  const namespaceTypes = new Map<string, number>();
  let newUserNamespace = false;
  if (Array.isArray(linux.namespaces)) {
    linux.namespaces.forEach((ns, i) => {
      if (!isObject(ns) || typeof ns.type !== 'string') return;
      const first = namespaceTypes.get(ns.type);
      if (first !== undefined) report(`namespace type ${show(ns.type)} is given twice (first at /linux/namespaces/${first})`, 'linux', 'namespaces', i, 'type');
      else namespaceTypes.set(ns.type, i);
      if (typeof ns.path === 'string' && ns.path !== '' && !ns.path.startsWith('/')) {
        report(`must be an absolute path to a namespace file, got ${show(ns.path)}`, 'linux', 'namespaces', i, 'path');
      }
      if (ns.type === 'user' && (ns.path === undefined || ns.path === '')) newUserNamespace = true;
    });
  }

  const hasMappings = (m: unknown) => Array.isArray(m) && m.length > 0;
  for (const field of ['uidMappings', 'gidMappings'] as const) {
    if (hasMappings(linux[field]) && !namespaceTypes.has('user')) {
      report('requires a user namespace in /linux/namespaces', 'linux', field);
    }
    if (newUserNamespace && !hasMappings(linux[field])) {
      report('is required when a new user namespace is created', 'linux', field);
    }
    if (Array.isArray(linux[field])) {
      (linux[field] as unknown[]).forEach((m, i) => {
        if (isObject(m) && m.size === 0) report('must be at least 1', 'linux', field, i, 'size');
      });
    }
  }
  if (isObject(linux.timeOffsets) && Object.keys(linux.timeOffsets).length > 0 && !namespaceTypes.has('time')) {
    report('requires a time namespace in /linux/namespaces', 'linux', 'timeOffsets');
  }

  if (Array.isArray(linux.devices)) {
    linux.devices.forEach((device, i) => {
      if (!isObject(device)) return;
      if (typeof device.path === 'string' && !device.path.startsWith('/')) {
        report(`must be an absolute path, got ${show(device.path)}`, 'linux', 'devices', i, 'path');
      }
      if (device.type !== 'p') {
        for (const number of ['major', 'minor'] as const) {
          if (device[number] === undefined) report(`is required for a device of type ${show(device.type)}`, 'linux', 'devices', i, number);
        }
      }
    });
  }

  for (const field of ['maskedPaths', 'readonlyPaths'] as const) {
    const paths = linux[field];
    if (!Array.isArray(paths)) continue;
    paths.forEach((p, i) => {
      if (typeof p === 'string' && !p.startsWith('/')) report(`must be an absolute path, got ${show(p)}`, 'linux', field, i);
    });
  }

  if (isObject(linux.sysctl)) {
    for (const key of Object.keys(linux.sysctl)) {
      if (!/^[A-Za-z0-9_.\-/]+$/.test(key) || key.includes('..')) report(`is not a valid sysctl name`, 'linux', 'sysctl', key);
    }
  }

  if (typeof linux.cgroupsPath === 'string' && linux.cgroupsPath.split('/').includes('..')) {
    report('must not contain ".." components', 'linux', 'cgroupsPath');
  }

  if (isObject(linux.seccomp) && Array.isArray(linux.seccomp.syscalls)) {
    linux.seccomp.syscalls.forEach((rule, i) => {
      if (isObject(rule) && Array.isArray(rule.names) && rule.names.length === 0) {
        report('must name at least one syscall', 'linux', 'seccomp', 'syscalls', i, 'names');
      }
    });
  }
}

const rlimitTypes = new Set([
  'RLIMIT_AS', 'RLIMIT_CORE', 'RLIMIT_CPU', 'RLIMIT_DATA', 'RLIMIT_FSIZE', 'RLIMIT_LOCKS', 'RLIMIT_MEMLOCK',
  'RLIMIT_MSGQUEUE', 'RLIMIT_NICE', 'RLIMIT_NOFILE', 'RLIMIT_NPROC', 'RLIMIT_RSS', 'RLIMIT_RTPRIO',
  'RLIMIT_RTTIME', 'RLIMIT_SIGPENDING', 'RLIMIT_STACK',
]);

function isInteger(value: unknown): value is number | bigint {
  return typeof value === 'bigint' || Number.isInteger(value);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

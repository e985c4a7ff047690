import { pointerOf, type Diagnostic, type Spec } from '../../core/plugin-api.js';
import { MS, parseMountOptions } from './mount-options.js';
import { seccompProblems } from './seccomp.js';

/** sysctl keys that belong to a namespace, and which one (runc's list). */
export function sysctlNamespace(key: string): 'ipc' | 'network' | 'uts' | undefined {
  if (['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced'].includes(key)) return 'ipc';
  if (key.startsWith('fs.mqueue.')) return 'ipc';
  if (key.startsWith('net.')) return 'network';
  if (key === 'kernel.hostname' || key === 'kernel.domainname') return 'uts';
  return undefined;
}

/** The kernel's limit on one execve string, its NUL included (32 pages of 4 KiB). */
const maxArgStrlen = 32 * 4096;

/**
 * The native backend's own rules, pure: what it needs (a mount namespace), what would change the
 * host (a sysctl outside the container's namespaces), and what it does not implement yet, each
 * refused with its pointer rather than silently ignored.
 */
export function validateForNative(spec: Spec): Diagnostic[] {
  const out: Diagnostic[] = [];
  const report = (message: string, ...path: (string | number)[]) => out.push({ pointer: pointerOf(...path), message });
  const linux = spec.linux ?? {};
  const namespaces = linux.namespaces ?? [];
  const has = (type: string) => namespaces.some((n) => n.type === type);

  if (!has('mount')) report('the native backend needs a mount namespace: add {"type": "mount"}', 'linux', 'namespaces');
  if (spec.hostname !== undefined && !has('uts')) report('cannot set the hostname without a private UTS namespace', 'hostname');
  if (spec.domainname !== undefined && !has('uts')) report('cannot set the domainname without a private UTS namespace', 'domainname');

  for (const key of Object.keys(linux.sysctl ?? {})) {
    const ns = sysctlNamespace(key);
    if (!ns) report('is not namespaced: setting it would change the host for everyone', 'linux', 'sysctl', key);
    // A namespace joined by path is the container's too (podman's network namespace is one);
    // compilePlan refuses a path that is the host's own, which only the host can tell.
    else if (!has(ns)) report(`needs the container to have its own ${ns} namespace, or it would change the host's`, 'linux', 'sysctl', key);
  }

  // Numbers the kernel holds in fewer bits than the schema allows: refused, never truncated.
  // A device node's number is 12 bits of major and 20 of minor (mknod(2) takes a 32-bit dev_t).
  (linux.devices ?? []).forEach((device, i) => {
    if (device.type === 'p') return;
    for (const [field, max] of [['major', 4095], ['minor', 1048575]] as const) {
      const n = device[field];
      if (n !== undefined && (n < 0 || n > max)) report(`must be between 0 and ${max} for a device node (the kernel's ${field} numbers have ${field === 'major' ? 12 : 20} bits), got ${n}`, 'linux', 'devices', i, field);
    }
  });
  // struct winsize holds 16-bit rows and columns.
  for (const field of ['height', 'width'] as const) {
    const n = spec.process?.consoleSize?.[field];
    if (n !== undefined && n > 65535) report(`must be at most 65535 (a terminal's size is 16 bits), got ${n}`, 'process', 'consoleSize', field);
  }
  // execve takes no single argument or environment string of MAX_ARG_STRLEN (32 pages) bytes or
  // more, NUL included: the program would fail to start after `start`, so create refuses it.
  for (const field of ['args', 'env'] as const) {
    (spec.process?.[field] ?? []).forEach((entry, i) => {
      const bytes = typeof entry === 'string' ? Buffer.byteLength(entry) : 0;
      if (bytes >= maxArgStrlen) report(`is ${bytes} bytes: execve takes at most ${maxArgStrlen - 1} in one ${field === 'args' ? 'argument' : 'environment entry'} (MAX_ARG_STRLEN)`, 'process', field, i);
    });
  }

  // Not implemented yet by the native backend: refused, never silently ignored.
  const notYet = (what: string, ...path: (string | number)[]) => report(`${what} is not implemented by the native backend yet`, ...path);
  if (linux.seccomp) out.push(...seccompProblems(linux.seccomp));
  for (const key of ['initial', 'final'] as const) {
    const list = spec.process?.execCPUAffinity?.[key];
    if (list !== undefined && !/^\s*\d+(-\d+)?(\s*,\s*\d+(-\d+)?)*\s*$/.test(list)) report(`must be a CPU list such as "0-3,7", got ${JSON.stringify(list)}`, 'process', 'execCPUAffinity', key);
  }
  if (linux.intelRdt) notYet('Intel RDT', 'linux', 'intelRdt');
  // config-linux.md: "Currently no flag values are supported."
  if (linux.personality?.flags && linux.personality.flags.length > 0) report('the runtime spec defines no personality flags yet; refused rather than ignored', 'linux', 'personality', 'flags');
  (spec.mounts ?? []).forEach((mount, i) => {
    const parsed = parseMountOptions(mount.options);
    if (parsed.copyUp && mount.type !== 'tmpfs') report('"tmpcopyup" applies to tmpfs mounts only', 'mounts', i, 'options');
    if (!parsed.idmap && !mount.uidMappings && !mount.gidMappings) return;
    const isBind = mount.type === 'bind' || (parsed.flags & MS.BIND) !== 0;
    if (!isBind) report('an id-mapped mount must be a bind mount (add "bind" or "rbind" to its options)', 'mounts', i, 'options');
    if (!mount.uidMappings && !(linux.uidMappings?.length && linux.gidMappings?.length)) {
      report(`"${parsed.idmap}" without uidMappings/gidMappings takes the container's user namespace mappings, and there are none`, 'mounts', i, 'options');
    }
  });
  return out;
}

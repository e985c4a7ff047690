import { chmodSync, copyFileSync, linkSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { SuiteAssets } from './property.js';

/**
 * config.json as the suite writes it: the fields it sets, anything else passed through. Declared
 * here rather than taken from core/spec: the suite tests berth from outside and imports nothing of it.
 */
export interface OciConfig {
  ociVersion?: unknown;
  process?: OciProcess;
  root?: { path: string; readonly?: boolean };
  hostname?: string;
  domainname?: string;
  mounts?: OciMount[];
  hooks?: Partial<Record<HookKind, OciHook[]>>;
  linux?: OciLinux;
  annotations?: Record<string, string>;
  [key: string]: unknown;
}
export interface OciProcess {
  terminal?: boolean;
  user: { uid: number; gid: number; umask?: number; additionalGids?: number[] };
  args: string[];
  env?: string[];
  cwd: string;
  capabilities?: Partial<Record<CapabilitySet, string[]>>;
  rlimits?: { type: string; soft: number; hard: number }[];
  noNewPrivileges?: boolean;
  oomScoreAdj?: number;
  [key: string]: unknown;
}
export interface OciMount {
  destination: string;
  type?: string;
  source?: string;
  options?: string[];
}
export interface OciLinux {
  namespaces?: { type: string; path?: string }[];
  maskedPaths?: string[];
  readonlyPaths?: string[];
  sysctl?: Record<string, string>;
  devices?: { path: string; type: string; major?: number; minor?: number; fileMode?: number; uid?: number; gid?: number }[];
  cgroupsPath?: string;
  [key: string]: unknown;
}
export interface OciHook {
  path: string;
  args?: string[];
  env?: string[];
  timeout?: number;
}
export const hookKinds = ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'] as const;
export type HookKind = (typeof hookKinds)[number];
export type CapabilitySet = 'bounding' | 'effective' | 'permitted' | 'inheritable' | 'ambient';

/** Where the payloads sit inside every rootfs the suite makes. */
export const probeInRootfs = '/berth-probe';
export const busyboxInRootfs = '/bin/busybox';

/** runc's default capability set: enough for the payloads, small enough to be unremarkable. */
export const defaultCapabilities = ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];

/**
 * A plain, valid Linux config every runtime accepts: no terminal, runc's default mounts and
 * namespaces, and `args` as the payload. Properties change only what they check.
 */
export function baseConfig(ociVersion: string, args: string[]): OciConfig {
  return {
    ociVersion,
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args,
      env: ['PATH=/bin', 'HOME=/'],
      cwd: '/',
      capabilities: { bounding: [...defaultCapabilities], effective: [...defaultCapabilities], permitted: [...defaultCapabilities] },
      noNewPrivileges: true,
    },
    root: { path: 'rootfs', readonly: false },
    hostname: 'conformance',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620'] },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    ],
    linux: { namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }] },
  };
}

/** A file or directory a case adds, relative to the bundle directory (`rootfs/...` for the container's). */
export interface BundleFile {
  path: string;
  /** Absent: a directory. */
  content?: string;
  mode?: number;
}

/**
 * Writes a bundle: config.json, a rootfs with the probe and busybox (hard links to the suite's
 * copies when the filesystem allows, so a case costs no copying), and the case's own files.
 * Every directory is 0755 so a container running as any uid can reach its program.
 */
export function writeBundle(dir: string, config: OciConfig, assets: SuiteAssets, files: readonly BundleFile[] = []): string {
  const rootfs = join(dir, 'rootfs');
  for (const d of ['', 'bin', 'tmp', 'proc', 'sys', 'dev', 'etc']) mkdirSync(join(rootfs, d), { recursive: true, mode: 0o755 });
  chmodSync(dir, 0o755);
  chmodSync(rootfs, 0o755);
  chmodSync(join(rootfs, 'tmp'), 0o1777);
  linkOrCopy(assets.probe, join(rootfs, probeInRootfs));
  linkOrCopy(assets.busybox, join(rootfs, busyboxInRootfs));
  for (const applet of ['sh', 'sleep', 'cat', 'echo', 'readlink']) symlinkSync('busybox', join(rootfs, 'bin', applet));
  for (const file of files) {
    const path = join(dir, file.path);
    mkdirSync(file.content === undefined ? path : dirname(path), { recursive: true, mode: 0o755 });
    if (file.content !== undefined) writeFileSync(path, file.content);
    chmodSync(path, file.mode ?? (file.content === undefined ? 0o755 : 0o644));
  }
  writeFileSync(join(dir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
  return dir;
}

function linkOrCopy(from: string, to: string): void {
  try {
    linkSync(from, to);
  } catch {
    copyFileSync(from, to);
    chmodSync(to, 0o755);
  }
}

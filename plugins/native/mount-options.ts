/**
 * runc's mount option table: how each config.json mount option maps to mount(2) flags,
 * propagation changes, or filesystem data. Pure data and one parser.
 */

export const MS = {
  RDONLY: 1,
  NOSUID: 2,
  NODEV: 4,
  NOEXEC: 8,
  SYNCHRONOUS: 16,
  REMOUNT: 32,
  MANDLOCK: 64,
  DIRSYNC: 128,
  NOSYMFOLLOW: 256,
  NOATIME: 1024,
  NODIRATIME: 2048,
  BIND: 4096,
  MOVE: 8192,
  REC: 16384,
  SILENT: 32768,
  POSIXACL: 1 << 16,
  UNBINDABLE: 1 << 17,
  PRIVATE: 1 << 18,
  SLAVE: 1 << 19,
  SHARED: 1 << 20,
  RELATIME: 1 << 21,
  I_VERSION: 1 << 23,
  STRICTATIME: 1 << 24,
  LAZYTIME: 1 << 25,
} as const;

/** Options that set (clear: false) or clear (clear: true) a flag. */
const flagOptions: Record<string, { clear: boolean; flag: number }> = {
  acl: { clear: false, flag: MS.POSIXACL },
  async: { clear: true, flag: MS.SYNCHRONOUS },
  atime: { clear: true, flag: MS.NOATIME },
  bind: { clear: false, flag: MS.BIND },
  defaults: { clear: false, flag: 0 },
  dev: { clear: true, flag: MS.NODEV },
  diratime: { clear: true, flag: MS.NODIRATIME },
  dirsync: { clear: false, flag: MS.DIRSYNC },
  exec: { clear: true, flag: MS.NOEXEC },
  iversion: { clear: false, flag: MS.I_VERSION },
  lazytime: { clear: false, flag: MS.LAZYTIME },
  loud: { clear: true, flag: MS.SILENT },
  mand: { clear: false, flag: MS.MANDLOCK },
  noacl: { clear: true, flag: MS.POSIXACL },
  noatime: { clear: false, flag: MS.NOATIME },
  nodev: { clear: false, flag: MS.NODEV },
  nodiratime: { clear: false, flag: MS.NODIRATIME },
  noexec: { clear: false, flag: MS.NOEXEC },
  noiversion: { clear: true, flag: MS.I_VERSION },
  nolazytime: { clear: true, flag: MS.LAZYTIME },
  nomand: { clear: true, flag: MS.MANDLOCK },
  norelatime: { clear: true, flag: MS.RELATIME },
  nostrictatime: { clear: true, flag: MS.STRICTATIME },
  nosuid: { clear: false, flag: MS.NOSUID },
  nosymfollow: { clear: false, flag: MS.NOSYMFOLLOW },
  rbind: { clear: false, flag: MS.BIND | MS.REC },
  relatime: { clear: false, flag: MS.RELATIME },
  remount: { clear: false, flag: MS.REMOUNT },
  ro: { clear: false, flag: MS.RDONLY },
  rw: { clear: true, flag: MS.RDONLY },
  silent: { clear: false, flag: MS.SILENT },
  strictatime: { clear: false, flag: MS.STRICTATIME },
  suid: { clear: true, flag: MS.NOSUID },
  sync: { clear: false, flag: MS.SYNCHRONOUS },
};

const propagationOptions: Record<string, number> = {
  private: MS.PRIVATE,
  rprivate: MS.PRIVATE | MS.REC,
  shared: MS.SHARED,
  rshared: MS.SHARED | MS.REC,
  slave: MS.SLAVE,
  rslave: MS.SLAVE | MS.REC,
  unbindable: MS.UNBINDABLE,
  runbindable: MS.UNBINDABLE | MS.REC,
};

/** mount_setattr(2) attributes (linux/mount.h). */
export const MOUNT_ATTR = { RDONLY: 0x1, NOSUID: 0x2, NODEV: 0x4, NOEXEC: 0x8, ATIME_MASK: 0x70, RELATIME: 0x0, NOATIME: 0x10, STRICTATIME: 0x20, NODIRATIME: 0x80, NOSYMFOLLOW: 0x200000 } as const;

/** Recursive variants, applied to the whole mount tree with mount_setattr(AT_RECURSIVE) as runc does. */
const recursiveTable: Record<string, { clear: boolean; attr: number; atime?: boolean }> = {
  rro: { clear: false, attr: MOUNT_ATTR.RDONLY },
  rrw: { clear: true, attr: MOUNT_ATTR.RDONLY },
  rnosuid: { clear: false, attr: MOUNT_ATTR.NOSUID },
  rsuid: { clear: true, attr: MOUNT_ATTR.NOSUID },
  rnodev: { clear: false, attr: MOUNT_ATTR.NODEV },
  rdev: { clear: true, attr: MOUNT_ATTR.NODEV },
  rnoexec: { clear: false, attr: MOUNT_ATTR.NOEXEC },
  rexec: { clear: true, attr: MOUNT_ATTR.NOEXEC },
  rnodiratime: { clear: false, attr: MOUNT_ATTR.NODIRATIME },
  rdiratime: { clear: true, attr: MOUNT_ATTR.NODIRATIME },
  rrelatime: { clear: false, attr: MOUNT_ATTR.RELATIME, atime: true },
  rnorelatime: { clear: true, attr: MOUNT_ATTR.RELATIME, atime: true },
  rnoatime: { clear: false, attr: MOUNT_ATTR.NOATIME, atime: true },
  ratime: { clear: true, attr: MOUNT_ATTR.NOATIME, atime: true },
  rstrictatime: { clear: false, attr: MOUNT_ATTR.STRICTATIME, atime: true },
  rnostrictatime: { clear: true, attr: MOUNT_ATTR.STRICTATIME, atime: true },
  rnosymfollow: { clear: false, attr: MOUNT_ATTR.NOSYMFOLLOW },
  rsymfollow: { clear: true, attr: MOUNT_ATTR.NOSYMFOLLOW },
};

/** The mount_setattr set and clear masks for recursive options. */
export function recursiveAttributes(options: readonly string[]): { attrSet: number; attrClr: number } {
  let attrSet = 0;
  let attrClr = 0;
  for (const option of options) {
    const entry = recursiveTable[option];
    if (!entry) continue;
    if (entry.clear) {
      attrSet &= ~entry.attr;
      attrClr |= entry.attr;
    } else {
      if (entry.atime) attrClr |= MOUNT_ATTR.ATIME_MASK;
      attrSet |= entry.attr;
      attrClr &= ~entry.attr;
    }
  }
  return { attrSet, attrClr };
}

export const recursiveOptions = new Set([
  'rro', 'rrw', 'rnosuid', 'rsuid', 'rnodev', 'rdev', 'rnoexec', 'rexec', 'rnodiratime', 'rdiratime',
  'rrelatime', 'rnorelatime', 'rnoatime', 'ratime', 'rstrictatime', 'rnostrictatime', 'rnosymfollow', 'rsymfollow',
]);

/** Every option name berth understands (for `features`). */
export const knownMountOptions = [...Object.keys(flagOptions), ...Object.keys(propagationOptions), ...Object.keys(recursiveTable), 'idmap', 'ridmap', 'tmpcopyup'].sort();

/** The flags a bind mount can only get through a remount. */
export const remountableFlags = MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC | MS.NOATIME | MS.NODIRATIME | MS.RELATIME | MS.STRICTATIME | MS.NOSYMFOLLOW;

export interface ParsedMountOptions {
  flags: number;
  propagation: number[];
  /** Options the filesystem interprets (size=, mode=, gid=, ...), comma-joined. */
  data: string;
  recursive: string[];
  /** `idmap` maps the mount itself, `ridmap` every mount below it too. */
  idmap?: 'idmap' | 'ridmap';
  /** tmpcopyup (runc's and crun's extension): a tmpfs starts with a copy of what it covers. */
  copyUp?: boolean;
}

export function parseMountOptions(options: readonly string[] = []): ParsedMountOptions {
  let flags = 0;
  const propagation: number[] = [];
  const data: string[] = [];
  const recursive: string[] = [];
  let idmap: ParsedMountOptions['idmap'];
  let copyUp = false;
  for (const option of options) {
    const known = flagOptions[option];
    if (known) {
      flags = known.clear ? flags & ~known.flag : flags | known.flag;
    } else if (propagationOptions[option] !== undefined) {
      propagation.push(propagationOptions[option]);
    } else if (recursiveOptions.has(option)) {
      recursive.push(option);
    } else if (option === 'idmap' || option === 'ridmap') {
      idmap = option;
    } else if (option === 'tmpcopyup') {
      copyUp = true;
    } else {
      data.push(option);
    }
  }
  return { flags, propagation, data: data.join(','), recursive, ...(idmap ? { idmap } : {}), ...(copyUp ? { copyUp } : {}) };
}

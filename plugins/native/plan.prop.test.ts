import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultSpec } from '../../core/spec/default-spec.js';
import { stringifyExactJson } from '../../core/spec/exact-json.js';
import { parseConfigText, validateConfig } from '../../core/spec/validate-config.js';
import { arbitraryValidConfig } from '../../core/spec/test-support/arbitrary-config.js';
import type { Spec } from '../../core/plugin-api.js';
import { linuxCapabilities, valueAt } from '../../core/plugin-api.js';
import { validateForNative } from './native-validate.js';
import { MS } from './mount-options.js';
import { compilePlan, injectFault, type HostFacts, type PlanInput } from './plan.js';
import { CloneFlag, encodePlan, Op, wireMagic, wireVersion, type Plan, type PlanOp } from './wire.js';

const host: HostFacts = { pathKinds: {}, cgroupV1: [{ dir: 'memory', options: 'memory' }], cgroup2: 'unified' };
const input = (spec: Spec, extra: Partial<PlanInput> = {}): PlanInput => ({
  id: 'c1',
  spec,
  bundle: '/bundle',
  rootfs: '/bundle/rootfs',
  execFifo: '/run/berth/c/exec.fifo',
  noPivot: false,
  passedFds: { count: 0, listen: 0, gaps: [] },
  listenFds: 0,
  foreground: false,
  host,
  ...extra,
});

/**
 * Configs the native backend accepts: valid configs with what it refuses (or does not implement
 * yet) taken out, a mount namespace added, and sysctls only where their namespace is new.
 */
const nativeConfig = arbitraryValidConfig
  .map((original) => {
    const spec = structuredClone(original);
    const linux = (spec.linux ??= {});
    if (linux.seccomp) {
      linux.seccomp.flags = (linux.seccomp.flags ?? []).filter((f) => f !== 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV');
      if (linux.seccomp.defaultAction === 'SCMP_ACT_NOTIFY') linux.seccomp.defaultAction = 'SCMP_ACT_ALLOW';
      for (const rule of linux.seccomp.syscalls ?? []) if (rule.action === 'SCMP_ACT_NOTIFY') rule.action = 'SCMP_ACT_ERRNO';
    }
    delete linux.intelRdt;
    if (linux.personality) delete linux.personality.flags;
    linux.namespaces ??= [];
    if (!linux.namespaces.some((n) => n.type === 'mount')) linux.namespaces.push({ type: 'mount' });
    const fresh = (type: string) => linux.namespaces!.some((n) => n.type === type && !n.path);
    if (!linux.namespaces.some((n) => n.type === 'uts')) {
      delete spec.hostname;
      delete spec.domainname;
    }
    linux.sysctl = Object.fromEntries(Object.entries(linux.sysctl ?? {}).filter(([k]) => (k.startsWith('net.') && fresh('network')) || (k.startsWith('fs.mqueue.') && fresh('ipc'))));
    const process = spec.process!;
    process.terminal = false;
    delete process.consoleSize;
    delete process.execCPUAffinity;
    spec.mounts = (spec.mounts ?? []).map((m) => ({ ...m, options: (m.options ?? []).filter((o) => o !== 'idmap' && o !== 'ridmap') }));
    for (const m of spec.mounts) {
      delete m.uidMappings;
      delete m.gidMappings;
    }
    return spec;
  })
  .filter((spec) => validateForNative(spec).length === 0);
const hostFor = (spec: Spec): HostFacts => ({
  ...host,
  pathKinds: Object.fromEntries((spec.mounts ?? []).map((m) => [m.source?.startsWith('/') ? m.source : `/bundle/${m.source ?? ''}`, 'dir' as const])),
});

const names = (ops: PlanOp[]) => ops.map((o) => o.op);
const index = (ops: PlanOp[], name: keyof typeof Op) => names(ops).indexOf(name);

describe('compilePlan (property)', () => {
  it('keeps runc\'s order and ends with exec of process.args', () => {
    fc.assert(
      fc.property(nativeConfig, (spec) => {
        const { plan, diagnostics } = compilePlan(input(spec, { host: hostFor(spec) }));
        expect(diagnostics).toEqual([]);
        const child = plan.child;
        const last = child.at(-1)!;
        expect(last.op).toBe('EXEC');
        const args = spec.process!.args!;
        expect(last.args[0]).toBe(args.length);
        expect(last.args.slice(1, 1 + args.length)).toEqual(args);
        const env = last.args.slice(1 + args.length);
        for (const e of spec.process!.env ?? []) expect(env).toContain(e);
        expect(env.some((e) => String(e).startsWith('HOME='))).toBe(true);
        // The create/start split: nothing of the user's runs before the exec fifo is released.
        expect(index(child, 'WAIT_START')).toBeLessThan(index(child, 'CLOSE_FDS'));
        expect(index(child, 'CLOSE_FDS')).toBe(child.length - 2);
        // The program is looked up as the process will run it (ids, cwd, the PATH exec searches), at create.
        const find = child[index(child, 'WAIT_START') - 1]!;
        const path = env.findLast((e) => String(e).startsWith('PATH='));
        expect(find).toEqual({ op: 'FIND_PROGRAM', args: path === undefined ? [args[0]] : [args[0], String(path).slice('PATH='.length)], field: '/process/args/0' });
        expect(index(child, 'FIND_PROGRAM')).toBeGreaterThan(child.findLastIndex((o) => o.op === 'SETUID' || o.op === 'CHDIR'));
        // Mounts happen before the hooks' sync point, and that before pivot_root.
        const sync = index(child, 'SYNC');
        const pivot = index(child, 'PIVOT_ROOT');
        expect(sync).toBeLessThan(pivot);
        child.forEach((o, i) => {
          if (['MOUNT_IN_ROOT', 'MOVE_MOUNT_IN_ROOT', 'MOUNT_TMPFS_COPYUP_IN_ROOT', 'MKNOD_IN_ROOT', 'SYMLINK_IN_ROOT', 'BIND_DEVICE_IN_ROOT', 'REMOUNT_IN_ROOT', 'PROPAGATE_IN_ROOT'].includes(o.op)) {
            expect(i).toBeLessThan(sync);
            expect(o.args[0]).toBe('/bundle/rootfs');
          }
          if (['MASK_PATH', 'READONLY_PATH', 'REMOUNT_RO', 'WRITE_FILE'].includes(o.op)) expect(i).toBeGreaterThan(pivot);
        });
        // The bounding set shrinks while still privileged; identity changes before the final capability sets.
        expect(index(child, 'DROP_BOUNDING')).toBeLessThan(child.findLastIndex((o) => o.op === 'SETUID'));
        expect(child.findLastIndex((o) => o.op === 'SETUID')).toBeLessThan(index(child, 'SET_CAPS'));
        // The helper dies with berth (SIGKILL) from its first op on, before it opens or joins anything.
        expect(plan.pre[0]).toEqual({ op: 'PARENT_DEATH_SIGNAL', args: [9] });
        expect(names(plan.pre).lastIndexOf('PARENT_DEATH_SIGNAL')).toBe(0);
      }),
    );
  });

  it('creates exactly the new namespaces and joins the others, user first', () => {
    fc.assert(
      fc.property(nativeConfig, (spec) => {
        const { plan } = compilePlan(input(spec, { host: hostFor(spec) }));
        const namespaces = spec.linux?.namespaces ?? [];
        const flag: Record<string, number> = { mount: CloneFlag.CLONE_NEWNS, pid: CloneFlag.CLONE_NEWPID, network: CloneFlag.CLONE_NEWNET, ipc: CloneFlag.CLONE_NEWIPC, uts: CloneFlag.CLONE_NEWUTS, user: CloneFlag.CLONE_NEWUSER, cgroup: CloneFlag.CLONE_NEWCGROUP };
        const expected = namespaces.filter((n) => !n.path).reduce((acc, n) => acc | (flag[n.type] ?? 0), 0);
        expect(plan.cloneFlags).toBe(expected);
        const joins = plan.pre.filter((o) => o.op === 'SETNS').map((o) => o.args[0]);
        expect(joins.sort()).toEqual(namespaces.filter((n) => n.path).map((n) => n.path).sort());
        const userJoin = namespaces.find((n) => n.type === 'user' && n.path);
        if (userJoin) expect(plan.pre.find((o) => o.op === 'SETNS')!.args[0]).toBe(userJoin.path);
        // A new time namespace is unshared by the helper first, so its offsets can be written.
        expect(plan.pre.some((o) => o.op === 'UNSHARE')).toBe(namespaces.some((n) => n.type === 'time' && !n.path));
        const maps = plan.parent.filter((o) => o.op === 'WRITE_CHILD_PROC').map((o) => o.args[0]);
        expect(maps).toEqual(namespaces.some((n) => n.type === 'user' && !n.path) ? ['uid_map', 'gid_map'] : []);
      }),
    );
  });

  it('prepares id-mapped mounts before joining any namespace and attaches them in order', () => {
    const mapping = fc.array(fc.record({ containerID: fc.nat(70000), hostID: fc.nat(70000), size: fc.integer({ min: 1, max: 65536 }) }), { minLength: 1, maxLength: 3 });
    const idmappedMount = fc.record({
      destination: fc.constantFrom('/a', '/b/c', '/data'),
      source: fc.constantFrom('/srv/one', '/srv/two', 'relative'),
      bind: fc.constantFrom('bind', 'rbind'),
      idmap: fc.constantFrom('idmap', 'ridmap'),
      uidMappings: mapping,
      gidMappings: mapping,
    });
    fc.assert(
      fc.property(nativeConfig, fc.array(idmappedMount, { minLength: 1, maxLength: 4 }), (original, extra) => {
        const spec = structuredClone(original);
        const mounts = extra.map((m) => ({ destination: m.destination, type: 'bind', source: m.source, options: [m.bind, m.idmap], uidMappings: m.uidMappings, gidMappings: m.gidMappings }));
        spec.mounts = [...(spec.mounts ?? []), ...mounts];
        expect(validateForNative(spec)).toEqual([]);
        const { plan, diagnostics } = compilePlan(input(spec, { host: hostFor(spec) }));
        expect(diagnostics).toEqual([]);
        const prepared = plan.pre.filter((o) => o.op === 'IDMAP_PREPARE');
        const mapText = (ms: { containerID: number; hostID: number; size: number }[]) => ms.map((m) => `${m.containerID} ${m.hostID} ${m.size}\n`).join('');
        expect(prepared.map((o) => o.args)).toEqual(
          mounts.map((m) => [m.source.startsWith('/') ? m.source : `/bundle/${m.source}`, m.options[0] === 'rbind' ? 1 : 0, m.options[1] === 'ridmap' ? 1 : 0, mapText(m.uidMappings), mapText(m.gidMappings)]),
        );
        // Still privileged in the host's user namespace: before any setns or unshare.
        const lastPrepare = plan.pre.findLastIndex((o) => o.op === 'IDMAP_PREPARE');
        plan.pre.forEach((o, i) => {
          if (o.op === 'SETNS' || o.op === 'UNSHARE') expect(i).toBeGreaterThan(lastPrepare);
        });
        const attached = plan.child.filter((o) => o.op === 'MOVE_MOUNT_IN_ROOT');
        expect(attached.map((o) => [o.args[1], o.args[2]])).toEqual(mounts.map((m, slot) => [m.destination, slot]));
      }),
    );
  });

  it('labels the process for AppArmor and SELinux before it gives up its privileges', () => {
    fc.assert(
      fc.property(nativeConfig, fc.option(fc.stringMatching(/^[a-z][a-z0-9_-]{0,20}$/)), fc.option(fc.constant('system_u:system_r:container_t:s0:c1,c2')), (original, profile, label) => {
        const spec = structuredClone(original);
        delete spec.process!.apparmorProfile;
        delete spec.process!.selinuxLabel;
        if (profile !== null) spec.process!.apparmorProfile = profile;
        if (label !== null) spec.process!.selinuxLabel = label;
        const { plan } = compilePlan(input(spec, { host: hostFor(spec) }));
        const writes = plan.child.filter((o) => o.op === 'WRITE_FILE' && String(o.args[0]).includes('/attr/'));
        expect(writes.map((o) => o.args)).toEqual([
          ...(profile !== null ? [['/proc/self/attr/apparmor/exec', `exec ${profile}`]] : []),
          ...(label !== null ? [['/proc/self/attr/exec', label]] : []),
        ]);
        for (const w of writes) expect(plan.child.indexOf(w)).toBeLessThan(index(plan.child, 'DROP_BOUNDING'));
      }),
    );
  });

  it('maps capability names to their kernel bit numbers', () => {
    fc.assert(
      fc.property(nativeConfig, (spec) => {
        const { plan } = compilePlan(input(spec, { host: hostFor(spec) }));
        const caps = spec.process!.capabilities ?? {};
        const mask = (names: string[] = []) => names.reduce((m, n) => m | (1n << BigInt(linuxCapabilities.indexOf(n as never))), 0n);
        const set = plan.child.find((o) => o.op === 'SET_CAPS')!;
        expect(set.args).toEqual([mask(caps.effective), mask(caps.permitted), mask(caps.inheritable)]);
        expect(plan.child.find((o) => o.op === 'DROP_BOUNDING')!.args).toEqual([mask(caps.bounding)]);
        expect(plan.child.find((o) => o.op === 'SET_AMBIENT')!.args).toEqual([mask(caps.ambient)]);
      }),
    );
  });

  it('encodes into the wire format and decodes back to the same plan', () => {
    fc.assert(
      fc.property(nativeConfig, fc.boolean(), (spec, foreground) => {
        const { plan } = compilePlan(input(spec, { host: hostFor(spec), foreground }));
        expect(decodePlan(encodePlan(plan))).toEqual(normalise(plan));
      }),
    );
  });
});

describe('compilePlan (examples)', () => {
  it('the default config: runc\'s rootfs sequence', () => {
    const spec = defaultSpec();
    spec.process!.terminal = false;
    const { plan } = compilePlan(input(spec));
    expect(plan.cloneFlags).toBe(CloneFlag.CLONE_NEWPID | CloneFlag.CLONE_NEWNET | CloneFlag.CLONE_NEWIPC | CloneFlag.CLONE_NEWUTS | CloneFlag.CLONE_NEWNS | CloneFlag.CLONE_NEWCGROUP);
    expect(names(plan.pre)).toEqual(['PARENT_DEATH_SIGNAL', 'CLOSE_INHERITED_FDS', 'MKFIFO']);
    expect(names(plan.parent)).toEqual(['REPORT_PID', 'RELEASE_CHILD']);
    const mounts = plan.child.filter((o) => o.op === 'MOUNT_IN_ROOT').map((o) => `${o.args[1]}:${o.args[3]}`);
    expect(mounts).toEqual(['/proc:proc', '/dev:tmpfs', '/dev/pts:devpts', '/dev/shm:tmpfs', '/dev/mqueue:mqueue', '/sys:sysfs', '/sys/fs/cgroup:tmpfs', '/sys/fs/cgroup/memory:cgroup']);
    expect(plan.child.find((o) => o.op === 'MOUNT_IN_ROOT' && o.args[1] === '/dev')!.args[5]).toBe('mode=755,size=65536k');
    expect(plan.child.filter((o) => o.op === 'MKNOD_IN_ROOT').map((o) => o.args[1])).toEqual(['/dev/null', '/dev/zero', '/dev/full', '/dev/random', '/dev/urandom', '/dev/tty']);
    expect(plan.child.find((o) => o.op === 'REMOUNT_RO')!.args).toEqual(['/']);
  });

  it('with shared rootfs propagation, makes the mount holding the rootfs private before binding it (or pivot_root fails)', () => {
    const spec = defaultSpec();
    spec.linux!.rootfsPropagation = 'shared';
    const { plan } = compilePlan(input(spec, { host: { ...host, rootfsMountPoint: '/var/lib/overlay/merged' } }));
    const rootMounts = plan.child.filter((o) => o.op === 'MOUNT').slice(0, 3);
    expect(rootMounts).toEqual([
      { op: 'MOUNT', args: ['', '/', '', MS.SHARED | MS.REC, ''], field: '/linux/rootfsPropagation' },
      { op: 'MOUNT', args: ['', '/var/lib/overlay/merged', '', MS.PRIVATE, ''], field: '/linux/rootfsPropagation' },
      { op: 'MOUNT', args: ['/bundle/rootfs', '/bundle/rootfs', '', MS.BIND | MS.REC, ''], field: '/root/path' },
    ]);
    // Slave (the default) or private propagation leaves no parent shared: nothing more to do.
    const slave = compilePlan(input(defaultSpec(), { host: { ...host, rootfsMountPoint: '/var/lib/overlay/merged' } })).plan;
    expect(slave.child.filter((o) => o.op === 'MOUNT' && o.args[3] === MS.PRIVATE)).toEqual([]);
  });

  it('the runtime\'s own devices are named by the mount that holds /dev: the /dev tmpfs, or one mounted over it later', () => {
    const spec = defaultSpec();
    const dev = spec.mounts!.findIndex((m) => m.destination === '/dev');
    const mknod = (s: Spec) => compilePlan(input(s)).plan.child.find((o) => o.op === 'MKNOD_IN_ROOT' && o.args[1] === '/dev/null')!.field;
    expect(mknod(spec)).toBe(`/mounts/${dev}`);
    spec.mounts!.push({ destination: '/', type: 'tmpfs', source: 'tmpfs', options: ['ro'] });
    expect(mknod(spec)).toBe(`/mounts/${spec.mounts!.length - 1}`);
    expect(mknod({ ...spec, mounts: [] })).toBe('/root/path');
  });

  it('a missing bind source is a diagnostic at its pointer', () => {
    const spec = defaultSpec();
    spec.mounts!.push({ destination: '/data', type: 'bind', source: 'data', options: ['rbind', 'ro'] });
    const { diagnostics } = compilePlan(input(spec, { host: { ...host, pathKinds: { '/bundle/data': 'missing' } } }));
    expect(diagnostics).toEqual([{ pointer: '/mounts/7/source', message: '/bundle/data does not exist on the host' }]);
  });

  it('a read-only bind mount is a bind then a remount, a file source is mounted on a file', () => {
    const spec = defaultSpec();
    spec.mounts = [{ destination: '/etc/resolv.conf', type: 'bind', source: '/etc/resolv.conf', options: ['rbind', 'ro', 'nosuid', 'rprivate'] }];
    const { plan } = compilePlan(input(spec, { host: { ...host, pathKinds: { '/etc/resolv.conf': 'file' } } }));
    const ops = plan.child.filter((o) => o.args[1] === '/etc/resolv.conf');
    expect(ops).toEqual([
      { op: 'MOUNT_IN_ROOT', args: ['/bundle/rootfs', '/etc/resolv.conf', '/etc/resolv.conf', '', 4096 | 16384, '', 1], field: '/mounts/0' },
      { op: 'REMOUNT_IN_ROOT', args: ['/bundle/rootfs', '/etc/resolv.conf', 1 | 2], field: '/mounts/0' },
      { op: 'PROPAGATE_IN_ROOT', args: ['/bundle/rootfs', '/etc/resolv.conf', (1 << 18) | 16384], field: '/mounts/0' },
    ]);
  });

  it('LISTEN_FDS and --preserve-fds are passed through (a gap stays closed), and the container is told', () => {
    const spec = defaultSpec();
    const { plan } = compilePlan(input(spec, { listenFds: 2, passedFds: { count: 4, listen: 2, gaps: [5] } }));
    expect(plan.pre.find((o) => o.op === 'CLOSE_INHERITED_FDS')).toEqual({ op: 'CLOSE_INHERITED_FDS', args: [4, 5] });
    expect(plan.child.find((o) => o.op === 'CLOSE_FDS')!.args).toEqual([4, 5]);
    const exec = plan.child.at(-1)!;
    expect(exec.args).toContain('LISTEN_FDS=2');
    expect(exec.args).toContain('LISTEN_PID=1');
  });
});

describe('injectFault (BERTH_FAULT plan:<section>:<index>, test only)', () => {
  const compiled = () => compilePlan(input(defaultSpec())).plan;

  it('puts a FAULT before the op at that index of that section, or after its last op', () => {
    fc.assert(
      fc.property(fc.constantFrom('pre' as const, 'parent' as const, 'child' as const), fc.nat(), (section, n) => {
        const plan = compiled();
        const before = structuredClone(plan);
        const at = n % (before[section].length + 1);
        injectFault(plan, `${section}:${at}`);
        expect(plan[section]).toEqual([...before[section].slice(0, at), { op: 'FAULT', args: [] }, ...before[section].slice(at)]);
        for (const other of (['pre', 'parent', 'child'] as const).filter((s) => s !== section)) expect(plan[other]).toEqual(before[other]);
      }),
    );
  });

  it('changes nothing without one, and refuses one that names no place in the plan', () => {
    const plan = compiled();
    injectFault(plan, undefined);
    expect(plan).toEqual(compiled());
    for (const point of ['child', 'child:x', 'child:-1', `child:${plan.child.length + 1}`, 'middle:0', 'pre:0:1']) {
      expect(() => injectFault(compiled(), point)).toThrow(`BERTH_FAULT plan:${point}: expected plan:<pre|parent|child>:<index>`);
    }
  });
});

/** Seccomp profiles the native backend compiles (no notify), to tag their ops too. */
const seccompProfile = fc.record({
  defaultAction: fc.constantFrom('SCMP_ACT_ALLOW', 'SCMP_ACT_ERRNO'),
  architectures: fc.subarray(['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86']),
  syscalls: fc.array(fc.record({ names: fc.subarray(['mkdir', 'chmod', 'ptrace'], { minLength: 1 }), action: fc.constantFrom('SCMP_ACT_ALLOW', 'SCMP_ACT_ERRNO', 'SCMP_ACT_LOG') }), { maxLength: 3 }),
});

/** The runtime's own steps: no config field asked for them. */
const ownOps = new Set(['PARENT_DEATH_SIGNAL', 'CLOSE_INHERITED_FDS', 'MKFIFO', 'REPORT_PID', 'RELEASE_CHILD', 'WAIT_PARENT', 'SYNC', 'WAIT_START']);

describe('compilePlan: every op names the config field it comes from', () => {
  it('a pointer that resolves in the config (the field itself, or the nearest part it has), or the flag', () => {
    fc.assert(
      fc.property(
        nativeConfig,
        fc.option(seccompProfile, { nil: undefined }),
        fc.option(fc.constant('/run/console.sock'), { nil: undefined }),
        fc.nat(3),
        fc.boolean(),
        (original, seccomp, consoleSocket, preserveFds, withCgroups) => {
          const spec = structuredClone(original);
          if (seccomp) spec.linux!.seccomp = seccomp;
          const { plan, diagnostics } = compilePlan(input(spec, { host: hostFor(spec), consoleSocket, passedFds: { count: preserveFds, listen: 0, gaps: [] }, cgroupProcs: withCgroups ? ['/sys/fs/cgroup/memory/c/cgroup.procs'] : [] }));
          expect(diagnostics).toEqual([]);
          const flags = [...(consoleSocket && spec.process!.terminal ? ['--console-socket'] : []), ...(preserveFds > 0 ? ['--preserve-fds'] : [])];
          const defaultPaths = new Set(['/dev/null', '/dev/zero', '/dev/full', '/dev/random', '/dev/urandom', '/dev/tty']);
          for (const o of [...plan.pre, ...plan.parent, ...plan.child]) {
            if (o.field === undefined) {
              // Without a field: the runtime's own steps, and what the config leaves to the runtime.
              const own =
                ownOps.has(o.op) ||
                (o.op === 'CLOSE_FDS' && preserveFds === 0) ||
                (['OPEN_CGROUP_PROCS', 'JOIN_CGROUPS'].includes(o.op) && spec.linux?.cgroupsPath === undefined) ||
                (o.op === 'MOUNT' && o.args[1] === '/' && spec.linux?.rootfsPropagation === undefined);
              expect({ op: o.op, own }).toEqual({ op: o.op, own: true });
            } else if (o.field.startsWith('/')) {
              expect({ op: o.op, field: o.field, resolves: valueAt(spec, o.field) !== undefined }).toEqual({ op: o.op, field: o.field, resolves: true });
            } else {
              expect(flags).toContain(o.field);
            }
          }
          // The right field: each op's arguments come from the value its pointer names.
          const value = (o: PlanOp) => valueAt(spec, o.field!) as Record<string, unknown> & string;
          for (const o of plan.child) {
            if (o.op === 'SETRLIMIT') expect(o.args).toEqual([expect.any(Number), BigInt(value(o).soft as number), BigInt(value(o).hard as number)]);
            if (o.op === 'MASK_PATH' || o.op === 'READONLY_PATH' || o.op === 'SETHOSTNAME' || o.op === 'SETDOMAINNAME') expect(o.args[0]).toBe(value(o));
            if (o.op === 'WRITE_FILE' && o.field!.startsWith('/linux/sysctl/')) expect(o.args[1]).toBe(value(o));
            if (o.op === 'MKNOD_IN_ROOT' && o.field!.startsWith('/linux/devices/')) expect(o.args[1]).toBe(value(o).path);
            // The runtime's own devices and links are named by where /dev lives: a mount at or above them, else the rootfs.
            if ((o.op === 'MKNOD_IN_ROOT' || o.op === 'BIND_DEVICE_IN_ROOT' || o.op === 'SYMLINK_IN_ROOT') && defaultPaths.has(String(o.args[1]))) {
              expect(o.field === '/root/path' || o.field!.startsWith('/mounts/')).toBe(true);
            }
            if (o.op === 'MOUNT_IN_ROOT' && o.field!.startsWith('/mounts/')) {
              const destination = String(value(o).destination).replace(/^(?!\/)/, '/');
              expect(o.args[1] === destination || String(o.args[1]).startsWith(`${destination}/`)).toBe(true);
            }
            if (o.op === 'CHDIR' || o.op === 'SETUID' || o.op === 'SETGID') {
              if (o.field === '/process/cwd' || o.field === '/process/user/uid' || o.field === '/process/user/gid') expect(o.args[0]).toBe(value(o));
              else expect(o.field).toBe('/linux/namespaces/' + spec.linux!.namespaces!.findIndex((n) => n.type === 'user'));
            }
            if (o.op === 'SECCOMP_RULE') expect(value(o)).toBe(o.args[0]);
            if (o.op === 'FIND_PROGRAM') expect(o.field).toBe('/process/args/0');
          }
          for (const o of plan.pre) if (o.op === 'SETNS') expect(o.args[0]).toBe(value(o));
          expect(plan.child.filter((o) => o.op === 'SETRLIMIT').map((o) => o.field)).toEqual((spec.process!.rlimits ?? []).map((_, i) => `/process/rlimits/${i}`));
        },
      ),
    );
  });
});

describe('names in a UTS namespace joined by path', () => {
  it('a hostname or domainname in the host\'s own UTS namespace is refused at its pointer; in another one it is set', () => {
    for (const name of ['hostname', 'domainname'] as const) {
      const spec = defaultSpec();
      spec.linux!.namespaces = [...spec.linux!.namespaces!.filter((n) => n.type !== 'uts'), { type: 'uts', path: '/proc/1/ns/uts' }];
      delete spec.hostname;
      delete spec.domainname;
      spec[name] = 'changed';
      const own = compilePlan(input(spec, { host: { ...host, ownNamespacePaths: ['/proc/1/ns/uts'] } }));
      expect(own.diagnostics).toEqual([{ pointer: `/${name}`, message: `would change the host's ${name}: the uts namespace the container joins (/proc/1/ns/uts) is the host's` }]);
      const other = compilePlan(input(spec, { host: { ...host, ownNamespacePaths: [] } }));
      expect(other.diagnostics).toEqual([]);
      expect(other.plan.child.some((o) => o.op === (name === 'hostname' ? 'SETHOSTNAME' : 'SETDOMAINNAME') && o.args[0] === 'changed')).toBe(true);
    }
  });
});

describe('sysctls in a namespace joined by path', () => {
  // podman's network namespace, made by netavark, is joined by path and carries podman's sysctls.
  const joiningNetwork = (path: string) => {
    const spec = defaultSpec();
    spec.linux!.namespaces = [...spec.linux!.namespaces!.filter((n) => n.type !== 'network'), { type: 'network', path }];
    spec.linux!.sysctl = { 'net.ipv4.ping_group_range': '0 0' };
    return spec;
  };

  it('are the container\'s: accepted, and written after pivot_root', () => {
    const spec = joiningNetwork('/run/netns/netns-1');
    expect(validateForNative(spec)).toEqual([]);
    const { plan, diagnostics } = compilePlan(input(spec));
    expect(diagnostics).toEqual([]);
    expect(plan.child).toContainEqual({ op: 'WRITE_FILE', args: ['/proc/sys/net/ipv4/ping_group_range', '0 0'], field: '/linux/sysctl/net.ipv4.ping_group_range' });
  });

  it('are refused when the path is the host\'s own namespace', () => {
    const { diagnostics } = compilePlan(input(joiningNetwork('/proc/1/ns/net'), { host: { ...host, ownNamespacePaths: ['/proc/1/ns/net'] } }));
    expect(diagnostics).toEqual([{ pointer: '/linux/sysctl/net.ipv4.ping_group_range', message: 'would change the host\'s: the network namespace the container joins (/proc/1/ns/net) is the host\'s' }]);
  });
});

describe('validateForNative', () => {
  it('refuses an argument or environment entry execve cannot take (MAX_ARG_STRLEN), at its pointer', () => {
    const spec = defaultSpec();
    spec.process!.args = ['sh', 'x'.repeat(131071), 'y'.repeat(131072)];
    spec.process!.env = [`A=${'é'.repeat(65535)}`];
    expect(validateForNative(spec)).toEqual([
      { pointer: '/process/args/2', message: 'is 131072 bytes: execve takes at most 131071 in one argument (MAX_ARG_STRLEN)' },
      { pointer: '/process/env/0', message: 'is 131072 bytes: execve takes at most 131071 in one environment entry (MAX_ARG_STRLEN)' },
    ]);
  });

  it('refuses what it would apply to the host, or cannot apply yet, naming the field', () => {
    const spec = defaultSpec();
    spec.linux!.sysctl = { 'kernel.panic': '1', 'net.ipv4.ip_forward': '1', 'kernel.shmmax': '1' };
    spec.linux!.namespaces = spec.linux!.namespaces!.filter((n) => n.type !== 'ipc' && n.type !== 'uts');
    spec.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mknod'], action: 'SCMP_ACT_NOTIFY' }] };
    expect(validateForNative(spec)).toEqual([
      { pointer: '/hostname', message: 'cannot set the hostname without a private UTS namespace' },
      { pointer: '/linux/sysctl/kernel.panic', message: 'is not namespaced: setting it would change the host for everyone' },
      { pointer: '/linux/sysctl/kernel.shmmax', message: 'needs the container to have its own ipc namespace, or it would change the host\'s' },
      { pointer: '/linux/seccomp/syscalls/0/action', message: 'SCMP_ACT_NOTIFY needs /linux/seccomp/listenerPath: the seccomp agent that answers' },
    ]);
  });
});

describe('compilePlan keeps 64-bit values exact, from config.json text to the wire', () => {
  const uint64 = fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.constantFrom(0n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 63n - 1n, 2n ** 63n, 2n ** 64n - 2n, 2n ** 64n - 1n));
  const int64 = fc.oneof(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.constantFrom(-(2n ** 63n), -(2n ** 53n) - 1n, -1n, 0n, 2n ** 53n, 2n ** 63n - 1n));
  /** What the helper reads: the u64 the value is sent as. */
  const wire = (n: bigint) => BigInt.asUintN(64, n);

  it('rlimits, seccomp argument values, scheduler times and time offsets', () => {
    fc.assert(
      fc.property(uint64, uint64, uint64, uint64, fc.tuple(uint64, uint64, uint64), int64, (a, b, value, valueTwo, [runtime, deadline, period], secs) => {
        const [soft, hard] = a <= b ? [a, b] : [b, a];
        const spec = defaultSpec();
        spec.process!.rlimits = [{ type: 'RLIMIT_CORE', soft, hard }];
        spec.process!.scheduler = { policy: 'SCHED_DEADLINE', nice: -5, runtime, deadline, period };
        spec.linux!.namespaces!.push({ type: 'time' });
        spec.linux!.timeOffsets = { monotonic: { secs, nanosecs: 7 } };
        spec.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['kill'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value, valueTwo, op: 'SCMP_CMP_MASKED_EQ' }] }] };
        // Through the text, as config.json arrives: bigints beyond 2^53, numbers below.
        const { document } = parseConfigText(stringifyExactJson(spec));
        expect(validateConfig(document)).toEqual([]);
        const { plan, diagnostics } = compilePlan(input(document as Spec));
        expect(diagnostics).toEqual([]);
        const decoded = decodePlan(encodePlan(plan));
        const only = (list: PlanOp[], op: keyof typeof Op) => list.filter((o) => o.op === op).map((o) => o.args);
        expect(only(decoded.child, 'SETRLIMIT')).toEqual([[4n, wire(soft), wire(hard)]]);
        expect(only(decoded.child, 'SECCOMP_RULE')).toEqual([['kill', BigInt(0x00050001), 1n, 0n, 7n, wire(value), wire(valueTwo)]]);
        expect(only(decoded.child, 'SCHED')).toEqual([[6n, 0n, wire(-5n), 0n, wire(runtime), wire(deadline), wire(period)]]);
        expect(only(decoded.pre, 'WRITE_FILE')).toEqual([['/proc/self/timens_offsets', `monotonic ${secs} 7\n`]]);
      }),
      { numRuns: 300 },
    );
  });

  it('device numbers up to the kernel\'s widths reach mknod exactly; beyond them the native backend refuses at the pointer', () => {
    fc.assert(
      // Half of them near the kernel's widths, so both sides of each bound are seen.
      fc.property(fc.oneof(int64, fc.bigInt({ min: -1n, max: 4096n })), fc.oneof(int64, fc.bigInt({ min: -1n, max: 2n ** 20n })), (major, minor) => {
        const spec = defaultSpec();
        spec.linux!.devices = [{ type: 'c', path: '/dev/x', major, minor }];
        const { document } = parseConfigText(stringifyExactJson(spec));
        expect(validateConfig(document)).toEqual([]);
        const fits = (n: bigint, bits: bigint) => n >= 0n && n < 2n ** bits;
        const refused = validateForNative(document as Spec).map((d) => d.pointer);
        expect(refused).toEqual([...(fits(major, 12n) ? [] : ['/linux/devices/0/major']), ...(fits(minor, 20n) ? [] : ['/linux/devices/0/minor'])]);
        if (refused.length > 0) return;
        const mknod = decodePlan(encodePlan(compilePlan(input(document as Spec)).plan)).child.filter((o) => o.op === 'MKNOD_IN_ROOT' && o.args[1] === '/dev/x');
        expect(mknod.map((o) => o.args.slice(3, 5))).toEqual([[major, minor]]);
      }),
      { numRuns: 300 },
    );
  });
});

/** A test-side decoder of the wire format: proves encodePlan writes what wire.ts documents. */
function decodePlan(buffer: Buffer): Plan {
  let at = 0;
  const u32 = () => {
    const v = buffer.readUInt32LE(at);
    at += 4;
    return v;
  };
  const u64 = () => {
    const v = buffer.readBigUInt64LE(at);
    at += 8;
    return v;
  };
  expect(buffer.toString('latin1', 0, 4)).toBe(wireMagic);
  at = 4;
  expect(u32()).toBe(wireVersion);
  const flags = u32();
  const cloneFlags = Number(u64());
  const byCode = new Map<number, keyof typeof Op>(Object.entries(Op).map(([name, code]) => [code, name as keyof typeof Op]));
  const section = () => {
    const ops: PlanOp[] = [];
    for (let n = u32(); n > 0; n--) {
      const op = byCode.get(u32())!;
      const args = [];
      for (let argc = u32(); argc > 0; argc--) {
        const type = buffer[at++];
        if (type === 0) args.push(u64());
        else {
          const length = u32();
          args.push(buffer.toString('utf8', at, at + length));
          at += length;
        }
      }
      ops.push({ op, args });
    }
    return ops;
  };
  const plan = { flags, cloneFlags, pre: section(), parent: section(), child: section() };
  expect(at).toBe(buffer.length);
  return plan;
}

/** Integers as the decoder returns them (u64 → bigint). */
function normalise(plan: Plan): Plan {
  const ops = (list: PlanOp[]) => list.map((o) => ({ op: o.op, args: o.args.map((a) => (typeof a === 'string' ? a : BigInt.asUintN(64, BigInt(a)))) }));
  return { ...plan, pre: ops(plan.pre), parent: ops(plan.parent), child: ops(plan.child) };
}

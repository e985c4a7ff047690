import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { execProcessFromFlags, type ExecFlags } from '../../core/lifecycle/exec-process.js';
import { absolutePath, arbitraryProcess, envEntry, namespaceTypes } from '../../core/spec/test-support/arbitrary-config.js';
import { linuxCapabilities, valueAt, type Seccomp } from '../../core/plugin-api.js';
import { compileExecPlan, type ExecPlanInput } from './exec-plan.js';
import { CloneFlag, PlanFlag, type Op, type PlanOp } from './wire.js';

const procName: Record<string, string> = { user: 'user', ipc: 'ipc', uts: 'uts', network: 'net', pid: 'pid', mount: 'mnt', cgroup: 'cgroup', time: 'time' };
const flagOf: Record<string, number> = {
  user: CloneFlag.CLONE_NEWUSER, ipc: CloneFlag.CLONE_NEWIPC, uts: CloneFlag.CLONE_NEWUTS, network: CloneFlag.CLONE_NEWNET,
  pid: CloneFlag.CLONE_NEWPID, mount: CloneFlag.CLONE_NEWNS, cgroup: CloneFlag.CLONE_NEWCGROUP, time: CloneFlag.CLONE_NEWTIME,
};

const seccomp: fc.Arbitrary<Seccomp> = fc.record({
  defaultAction: fc.constantFrom('SCMP_ACT_ALLOW', 'SCMP_ACT_ERRNO', 'SCMP_ACT_KILL_PROCESS'),
  syscalls: fc.array(fc.record({ names: fc.subarray(['mkdir', 'chmod', 'ptrace', 'mount'], { minLength: 1 }), action: fc.constantFrom('SCMP_ACT_ALLOW', 'SCMP_ACT_ERRNO', 'SCMP_ACT_LOG') }), { maxLength: 3 }),
});

/** The container's namespaces: any subset, in any order, each made by create or entered by path. */
const containerNamespaces = fc.shuffledSubarray([...namespaceTypes]).chain((types) =>
  fc.tuple(...types.map((type) => fc.boolean().map((byPath) => (byPath ? { type, path: `/run/netns-like/${type}` } : { type })))),
);

/** The caller's fds passed on: up to 8, some of them gaps. */
const passedFds = fc.nat(8).chain((count) =>
  fc.subarray(Array.from({ length: count }, (_, i) => 3 + i)).map((gaps) => ({ count, listen: 0, gaps })),
);

/** Everything exec may be asked, with the init's namespaces and cgroups as measured (all of the config's differ from berth's). */
const execInput: fc.Arbitrary<ExecPlanInput> = fc.record({
  process: fc.record({
    process: arbitraryProcess,
    selinuxLabel: fc.option(fc.constant('system_u:system_r:container_t:s0'), { nil: undefined }),
    affinity: fc.option(fc.record({ initial: fc.constantFrom('0', '0-1'), final: fc.constantFrom('1', '0,1') }, { requiredKeys: [] }), { nil: undefined }),
  }).map(({ process, selinuxLabel, affinity }) => ({ ...process, ...(selinuxLabel ? { selinuxLabel } : {}), ...(affinity ? { execCPUAffinity: affinity } : {}) })),
  seccomp: fc.option(seccomp, { nil: undefined }),
  detach: fc.boolean(),
  consoleSocket: fc.option(fc.constant('/run/console.sock'), { nil: undefined }),
  passedFds: passedFds,
  containerNamespaces,
  host: fc.record({
    namespaces: fc.constant([]),
    cgroupProcs: fc.subarray(['/sys/fs/cgroup/memory/c/cgroup.procs', '/sys/fs/cgroup/pids/c/sub/cgroup.procs', '/sys/fs/cgroup/unified/c/cgroup.procs']),
    home: fc.option(fc.constantFrom('/root', '/home/user'), { nil: undefined }),
  }, { requiredKeys: ['namespaces', 'cgroupProcs'] }),
}, { requiredKeys: ['process', 'detach', 'passedFds', 'containerNamespaces', 'host'] }).map((input) => ({
  ...input,
  host: { ...input.host, namespaces: input.containerNamespaces.map((n) => ({ type: n.type, path: `/proc/4242/ns/${procName[n.type]}` })) },
}));

const names = (ops: PlanOp[]) => ops.map((o) => o.op);
const at = (ops: PlanOp[], name: keyof typeof Op) => names(ops).indexOf(name);
const lastAt = (ops: PlanOp[], name: keyof typeof Op) => names(ops).lastIndexOf(name);
const mask = (list: readonly string[] = []) => list.reduce((m, n) => m | (1n << BigInt(linuxCapabilities.indexOf(n as never))), 0n);

describe('compileExecPlan (property)', () => {
  it('joins exactly the init\'s namespaces given, user first, once every host path is open, and creates none', () => {
    fc.assert(
      fc.property(execInput, (input) => {
        const { pre, cloneFlags, child, parent } = compileExecPlan(input);
        expect(cloneFlags).toBe(0);
        for (const ops of [pre, parent, child]) expect(names(ops)).not.toContain('SETNS');
        const joinOps = pre.filter((o) => o.op === 'JOIN_NAMESPACES');
        expect(joinOps.length).toBe(input.host.namespaces.length > 0 ? 1 : 0);
        const args = joinOps[0]?.args ?? [];
        const joined = Array.from({ length: args.length / 2 }, (_, i) => ({ path: args[2 * i], flag: args[2 * i + 1] }));
        expect(joined.map((j) => j.path).sort()).toEqual(input.host.namespaces.map((n) => n.path).sort());
        for (const n of input.host.namespaces) expect(joined.find((j) => j.path === n.path)!.flag).toBe(flagOf[n.type]);
        // User first, except what create entered or made before it made the user namespace: that
        // belongs to an outer user namespace, which the helper can join only before the container's.
        const user = joined.findIndex((j) => j.flag === CloneFlag.CLONE_NEWUSER);
        const madeUser = input.containerNamespaces.some((n) => n.type === 'user' && !n.path);
        const outer = (type: string) => madeUser && type !== 'user' && input.containerNamespaces.some((n) => n.type === type && (n.path || type === 'time'));
        if (user >= 0) {
          joined.forEach((j, i) => {
            const type = input.host.namespaces.find((n) => n.path === j.path)!.type;
            if (type !== 'user') expect(i < user).toBe(outer(type));
          });
          if (!madeUser) expect(user).toBe(0);
        }
        // The cgroup.procs files, the console socket and libseccomp are reached on host paths: before any join.
        const join = at(pre, 'JOIN_NAMESPACES');
        if (join >= 0) {
          expect(join).toBe(pre.length - 1);
          for (const name of ['OPEN_CGROUP_PROCS', 'CONSOLE_CONNECT', 'SECCOMP_INIT'] as const) expect(lastAt(pre, name)).toBeLessThan(join);
        }
      }),
    );
  });

  it('puts the process in the init\'s cgroups before releasing it, and reports it only once it exec\'d', () => {
    fc.assert(
      fc.property(execInput, (input) => {
        const { pre, parent, flags } = compileExecPlan(input);
        expect(pre.filter((o) => o.op === 'OPEN_CGROUP_PROCS').map((o) => o.args[0])).toEqual(input.host.cgroupProcs);
        const expected = [...(input.host.cgroupProcs.length > 0 ? ['JOIN_CGROUPS'] : []), 'REPORT_PID', 'RELEASE_CHILD', 'WAIT_EXEC'];
        expect(names(parent)).toEqual(expected);
        expect(at(pre, 'EXEC_STATUS_PIPE')).toBeGreaterThanOrEqual(0);
        expect(flags).toBe(input.detach ? 0 : PlanFlag.foreground);
      }),
    );
  });

  it('starts by closing every fd the helper inherited but the passed ones, and ends with CLOSE_FDS keeping only those (gaps closed), then exec of process.args with its env and HOME', () => {
    fc.assert(
      fc.property(execInput, (input) => {
        const { pre, child } = compileExecPlan(input);
        const fds = [input.passedFds.count, ...input.passedFds.gaps];
        expect(pre[0]).toEqual({ op: 'CLOSE_INHERITED_FDS', args: fds });
        expect(child[0]!.op).toBe('WAIT_PARENT');
        expect(child.at(-2)).toEqual({ op: 'CLOSE_FDS', args: fds, ...(input.passedFds.count > 0 ? { field: '--preserve-fds' } : {}) });
        expect(names(child).filter((n) => n === 'CLOSE_FDS' || n === 'EXEC')).toEqual(['CLOSE_FDS', 'EXEC']);
        const exec = child.at(-1)!;
        expect(exec.op).toBe('EXEC');
        const args = input.process.args!;
        expect(exec.args.slice(0, 1 + args.length)).toEqual([args.length, ...args]);
        const env = exec.args.slice(1 + args.length);
        expect(env.slice(0, (input.process.env ?? []).length)).toEqual(input.process.env ?? []);
        const home = (input.process.env ?? []).some((e) => e.startsWith('HOME=')) ? [] : [`HOME=${input.host.home ?? '/'}`];
        expect(env.slice((input.process.env ?? []).length)).toEqual(home);
        // Nothing of create's: no fifo to wait on, no mounts, no new root.
        for (const name of ['WAIT_START', 'MKFIFO', 'MOUNT', 'MOUNT_IN_ROOT', 'PIVOT_ROOT', 'SYNC'] as const) expect(at(child, name)).toBe(-1);
      }),
    );
  });

  it('sets identity and capabilities in create\'s order, with the container\'s seccomp filter', () => {
    fc.assert(
      fc.property(execInput, (input) => {
        const { pre, child } = compileExecPlan(input);
        const { process } = input;
        const caps = process.capabilities ?? {};
        const drop = at(child, 'DROP_BOUNDING');
        const setuid = lastAt(child, 'SETUID');
        expect(drop).toBeLessThan(at(child, 'KEEPCAPS'));
        expect(at(child, 'SETGID')).toBeLessThan(setuid);
        expect(setuid).toBeLessThan(at(child, 'SET_CAPS'));
        expect(at(child, 'SET_CAPS')).toBeLessThan(at(child, 'SET_AMBIENT'));
        expect(child[drop]!.args).toEqual([mask(caps.bounding)]);
        expect(child[at(child, 'SET_CAPS')]!.args).toEqual([mask(caps.effective), mask(caps.permitted), mask(caps.inheritable)]);
        expect(child[at(child, 'SET_AMBIENT')]!.args).toEqual([mask(caps.ambient)]);
        expect(child[at(child, 'SETGROUPS')]!.args).toEqual(process.user.additionalGids ?? []);
        expect(child[setuid]!.args).toEqual([process.user.uid]);
        expect(child[at(child, 'CHDIR')]!.args).toEqual([process.cwd]);
        // LSM labels and the pty while still privileged.
        child.forEach((o, i) => {
          if (o.op === 'WRITE_FILE' && String(o.args[0]).includes('/attr/')) expect(i).toBeLessThan(drop);
        });
        if (at(child, 'CONSOLE_SETUP') >= 0) expect(at(child, 'CONSOLE_SETUP')).toBeLessThan(drop);
        expect(at(child, 'NO_NEW_PRIVS') >= 0).toBe(process.noNewPrivileges === true);
        // The filter is built in PRE (host libseccomp) and loaded in the child: before the capabilities go without no_new_privs, after it with.
        expect(at(pre, 'SECCOMP_INIT') >= 0).toBe(input.seccomp !== undefined);
        const loads = child.filter((o) => o.op === 'SECCOMP_LOAD').length;
        expect(loads).toBe(input.seccomp ? 1 : 0);
        if (input.seccomp && process.noNewPrivileges) expect(at(child, 'SECCOMP_LOAD')).toBeGreaterThan(at(child, 'NO_NEW_PRIVS'));
        if (input.seccomp && !process.noNewPrivileges) expect(at(child, 'SECCOMP_LOAD')).toBeLessThan(drop);
      }),
    );
  });

  it('a terminal goes over the console socket, or through the helper\'s relay in the foreground', () => {
    fc.assert(
      fc.property(execInput, (input) => {
        const { pre, child } = compileExecPlan(input);
        const tty = input.process.terminal === true;
        expect(at(pre, 'CONSOLE_CONNECT') >= 0).toBe(tty && input.consoleSocket !== undefined);
        expect(at(pre, 'CONSOLE_PAIR') >= 0).toBe(tty && input.consoleSocket === undefined && !input.detach);
        const setup = child.find((o) => o.op === 'CONSOLE_SETUP');
        expect(setup !== undefined).toBe(tty && (input.consoleSocket !== undefined || !input.detach));
        if (setup) expect(setup.args.slice(2)).toEqual([input.process.user.uid, input.process.user.gid]);
      }),
    );
  });
});

/** exec's process-shaping flags as a manager may give them (numbers and names valid: bad ones are refused before any plan). */
const execFlags: fc.Arbitrary<ExecFlags> = fc.record({
  args: fc.array(fc.string({ maxLength: 8 }), { minLength: 1, maxLength: 3 }),
  cwd: fc.option(absolutePath, { nil: undefined }),
  env: fc.array(envEntry, { maxLength: 3 }),
  tty: fc.boolean(),
  user: fc.option(fc.tuple(fc.nat(70000), fc.option(fc.nat(70000), { nil: undefined })).map(([u, g]) => (g === undefined ? `${u}` : `${u}:${g}`)), { nil: undefined }),
  additionalGids: fc.array(fc.nat(70000).map(String), { maxLength: 3 }),
  caps: fc.subarray(['CAP_KILL', 'net_admin', 'CAP_SYS_PTRACE']),
  noNewPrivs: fc.option(fc.boolean(), { nil: undefined }),
  apparmor: fc.option(fc.constant('unconfined'), { nil: undefined }),
  processLabel: fc.option(fc.constant('system_u:system_r:container_t:s0'), { nil: undefined }),
});

/** The flags each given exec flag may name in a plan, and what always comes from the command line. */
function givenFlags(flags: ExecFlags, input: ExecPlanInput): Set<string> {
  const given = new Set(['command', '--tty']);
  const add = (on: boolean, flag: string) => on && given.add(flag);
  add(flags.cwd !== undefined, '--cwd');
  add(flags.env.length > 0, '--env');
  add(flags.user !== undefined, '--user');
  add(flags.additionalGids.length > 0, '--additional-gids');
  add(flags.caps.length > 0, '--cap');
  add(flags.noNewPrivs !== undefined, '--no-new-privs');
  add(flags.apparmor !== undefined, '--apparmor');
  add(flags.processLabel !== undefined, '--process-label');
  add(input.consoleSocket !== undefined, '--console-socket');
  add(input.passedFds.count > 0, '--preserve-fds');
  return given;
}

describe('compileExecPlan: every op names where its field came from', () => {
  it('with --process FILE: a pointer into the file (or config.json\'s seccomp), or the flag', () => {
    fc.assert(
      fc.property(execInput, fc.boolean(), (input, cgroupFlag) => {
        const plan = compileExecPlan({ ...input, cgroupFlag });
        const config = { linux: { seccomp: input.seccomp } };
        const flags = new Set([...(input.consoleSocket ? ['--console-socket'] : []), ...(input.passedFds.count > 0 ? ['--preserve-fds'] : []), ...(cgroupFlag ? ['--cgroup'] : [])]);
        for (const o of [...plan.pre, ...plan.parent, ...plan.child]) {
          if (o.field === undefined) {
            // The helper's own steps; and an identity op whose field the file lacks (no capabilities: none kept).
            const identity = { DROP_BOUNDING: ['capabilities'], SET_CAPS: ['capabilities'], SET_AMBIENT: ['capabilities'], UMASK: ['user', 'umask'], SETGROUPS: ['user', 'additionalGids'] }[o.op as string];
            const missing = identity !== undefined && valueAt(input.process, `/${identity.join('/')}`) === undefined;
            expect({ op: o.op, own: missing || ['CLOSE_INHERITED_FDS', 'EXEC_STATUS_PIPE', 'JOIN_NAMESPACES', 'REPORT_PID', 'RELEASE_CHILD', 'WAIT_EXEC', 'WAIT_PARENT', 'CLOSE_FDS', 'OPEN_CGROUP_PROCS', 'JOIN_CGROUPS'].includes(o.op) }).toEqual({ op: o.op, own: true });
          } else if (o.field.startsWith('/linux/seccomp')) {
            expect(valueAt(config, o.field)).toBeDefined();
          } else if (o.field.startsWith('/')) {
            expect({ op: o.op, field: o.field, resolves: valueAt(input.process, o.field) !== undefined }).toEqual({ op: o.op, field: o.field, resolves: true });
          } else {
            expect(flags).toContain(o.field);
          }
        }
        const rlimits = plan.child.filter((o) => o.op === 'SETRLIMIT').map((o) => o.field);
        expect(rlimits).toEqual((input.process.rlimits ?? []).map((_, i) => `/rlimits/${i}`));
        expect(plan.child.find((o) => o.op === 'CHDIR')!.field).toBe('/cwd');
      }),
    );
  });

  it('with flags: the flag that set the field, else its pointer in config.json\'s process', () => {
    fc.assert(
      fc.property(execInput, execFlags, (base, flags) => {
        const built = execProcessFromFlags(base.process, flags);
        expect(built.diagnostics).toEqual([]);
        const input = { ...base, process: built.process, fields: { fromConfig: true, flags: built.fields }, configProcess: base.process };
        const plan = compileExecPlan(input);
        const config = { process: base.process, linux: { seccomp: base.seccomp } };
        const given = givenFlags(flags, input);
        for (const o of [...plan.pre, ...plan.parent, ...plan.child]) {
          if (o.field === undefined) continue;
          if (o.field.startsWith('/')) expect({ op: o.op, field: o.field, resolves: valueAt(config, o.field) !== undefined }).toEqual({ op: o.op, field: o.field, resolves: true });
          else expect([...given]).toContain(o.field);
        }
        const field = (name: keyof typeof Op) => plan.child.find((o) => o.op === name)!.field;
        expect(field('CHDIR')).toBe(flags.cwd !== undefined ? '--cwd' : '/process/cwd');
        expect(plan.child.findLast((o) => o.op === 'SETUID')!.field).toBe(flags.user !== undefined ? '--user' : '/process/user/uid');
        expect(field('EXEC')).toBe('command');
        expect(plan.child.filter((o) => o.op === 'SETRLIMIT').map((o) => o.field)).toEqual((base.process.rlimits ?? []).map((_, i) => `/process/rlimits/${i}`));
      }),
    );
  });
});

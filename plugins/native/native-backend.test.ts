import { describe, expect, it } from 'vitest';
import { defaultSpec } from '../../core/spec/default-spec.js';
import { helperError } from './native-backend.js';
import { compilePlan } from './plan.js';
import { encodePlan } from './wire.js';
import { RuntimeError } from '../../core/plugin-api.js';

const spec = defaultSpec();
spec.process!.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 20001, hard: 20001 }];
const planInput = {
  id: 'c1',
  spec,
  bundle: '/bundle',
  rootfs: '/bundle/rootfs',
  execFifo: '/run/berth/c1/exec.fifo',
  noPivot: false,
  passedFds: { count: 0, listen: 0, gaps: [] },
  listenFds: 0,
  foreground: false,
  host: { pathKinds: {}, cgroupV1: [], cgroup2: 'pure' as const },
};
const { plan } = compilePlan(planInput);
const indexOf = (op: string) => plan.child.findIndex((o) => o.op === op);

describe('helperError', () => {
  it('names the config field of the failing op first, then the helper\'s message and where it failed', () => {
    const setrlimit = indexOf('SETRLIMIT');
    const error = helperError('c1', ['child', String(setrlimit), 'SETRLIMIT', '1', 'error', 'setting', 'rlimit', 'type', '7:', 'Operation', 'not', 'permitted'], plan);
    expect(error.message).toBe(`c1: /process/rlimits/0: error setting rlimit type 7: Operation not permitted (SETRLIMIT failed in the child step ${setrlimit}, errno 1)`);
    const find = indexOf('FIND_PROGRAM');
    expect(helperError('c1', ['child', String(find), 'FIND_PROGRAM', '2', 'exec', '"sh":', 'No', 'such', 'file'], plan).message).toBe(`c1: /process/args/0: exec "sh": No such file (FIND_PROGRAM failed in the child step ${find}, errno 2)`);
  });

  it('out of fds after the config\'s RLIMIT_NOFILE took effect names that limit, not the op that met it', () => {
    const nofile = compilePlan({ ...planInput, spec: { ...spec, process: { ...spec.process!, rlimits: [{ type: 'RLIMIT_NOFILE', soft: 3, hard: 3 }] } } }).plan;
    const chdir = nofile.child.findIndex((o) => o.op === 'CHDIR');
    expect(helperError('c1', ['child', String(chdir), 'CHDIR', '24', 'open', '/', 'to', 'resolve', 'the', 'cwd', '/:', 'Too', 'many', 'open', 'files'], nofile).message).toBe(
      `c1: /process/rlimits/0: RLIMIT_NOFILE soft limit 3 leaves too few open files for the container's own setup before its program runs: open / to resolve the cwd /: Too many open files (CHDIR failed in the child step ${chdir}, errno 24)`,
    );
  });

  it('a clone that fails names the namespaces it was to make', () => {
    expect(helperError('c1', ['pre', '3', 'CLONE', '22', 'clone', 'with', 'flags', '0x6c020000:', 'Invalid', 'argument'], plan).message).toBe('c1: /linux/namespaces: clone with flags 0x6c020000: Invalid argument (CLONE failed in the pre step 3, errno 22)');
  });

  it('without a plan, an op of the runtime\'s own, or a report that is not the plan\'s op, names no field', () => {
    const line = ['child', String(indexOf('SETRLIMIT')), 'SETRLIMIT', '1', 'no', 'plan'];
    expect(helperError('c1', line).message).toBe(`c1: no plan (SETRLIMIT failed in the child step ${line[1]}, errno 1)`);
    expect(helperError('c1', ['parent', '0', 'REPORT_PID', '32', 'write:', 'Broken', 'pipe'], plan).message).toBe('c1: write: Broken pipe (REPORT_PID failed in the parent step 0, errno 32)');
    expect(helperError('c1', ['child', '0', 'SETRLIMIT', '1', 'mismatch'], plan).message).toBe('c1: mismatch (SETRLIMIT failed in the child step 0, errno 1)');
    expect(helperError('c1', ['plan', '-1', 'DECODE', '0', 'truncated', 'plan'], plan).message).toBe('c1: truncated plan (DECODE failed in the plan step -1, errno 0)');
  });
});

describe('encodePlan', () => {
  it('refuses a NUL byte in a string at the field it came from', () => {
    const withNul = defaultSpec();
    withNul.mounts!.push({ destination: '/mnt', type: 'tmpfs', source: 'tmpfs', options: ['mode=0755\u0000'] });
    const compiled = compilePlan({ id: 'c1', spec: withNul, bundle: '/b', rootfs: '/b/rootfs', execFifo: '/f', noPivot: false, passedFds: { count: 0, listen: 0, gaps: [] }, listenFds: 0, foreground: false, host: { pathKinds: {}, cgroupV1: [], cgroup2: 'pure' } });
    expect(() => encodePlan(compiled.plan)).toThrow(new RuntimeError('INVALID_SPEC', `/mounts/${withNul.mounts!.length - 1}: contains a NUL byte, which no system call can take (an argument of MOUNT_IN_ROOT)`));
  });
});

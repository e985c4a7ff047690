import { describe, expect, it } from 'vitest';
import type { Process } from '../spec/config.js';
import { execProcessFromFlags, type ExecFlags } from './exec-process.js';

const base: Process = {
  terminal: true,
  consoleSize: { height: 24, width: 80 },
  user: { uid: 0, gid: 0, additionalGids: [10] },
  args: ['/bin/sleep', '100'],
  env: ['PATH=/usr/bin:/bin', 'LANG=C', 'HOME=/root'],
  cwd: '/',
  capabilities: {
    bounding: ['CAP_CHOWN', 'CAP_KILL'],
    effective: ['CAP_CHOWN'],
    permitted: ['CAP_CHOWN'],
    inheritable: ['CAP_KILL'],
    ambient: [],
  },
  noNewPrivileges: true,
};

const flags = (over: Partial<ExecFlags> = {}): ExecFlags => ({ args: ['sh', '-c', 'true'], env: [], tty: false, additionalGids: [], caps: [], ...over });

describe('execProcessFromFlags', () => {
  it('is the container\'s process with the command replaced, no terminal unless --tty, and no console size', () => {
    const { process, diagnostics } = execProcessFromFlags(base, flags());
    expect(diagnostics).toEqual([]);
    expect(process).toEqual({ ...base, args: ['sh', '-c', 'true'], terminal: false, consoleSize: undefined });
    expect(process).not.toHaveProperty('consoleSize');
    expect(execProcessFromFlags(base, flags({ tty: true })).process.terminal).toBe(true);
  });

  it('requires a command', () => {
    expect(execProcessFromFlags(base, flags({ args: [] })).diagnostics).toEqual([
      { pointer: 'command', message: 'is required: give the command to run after the container id, or --process' },
    ]);
  });

  it('--env replaces a variable where it stands and appends a new one; a later --env wins', () => {
    const { process } = execProcessFromFlags(base, flags({ env: ['LANG=en_US.UTF-8', 'NEW=1', 'NEW=2', 'EMPTY=', 'EQ=a=b'] }));
    expect(process.env).toEqual(['PATH=/usr/bin:/bin', 'LANG=en_US.UTF-8', 'HOME=/root', 'NEW=2', 'EMPTY=', 'EQ=a=b']);
  });

  it('--env needs KEY=VALUE', () => {
    expect(execProcessFromFlags(base, flags({ env: ['NOVALUE', '=x'] })).diagnostics).toEqual([
      { pointer: '--env', message: 'must be KEY=VALUE, got "NOVALUE"' },
      { pointer: '--env', message: 'must be KEY=VALUE, got "=x"' },
    ]);
  });

  it('--cap adds to bounding, effective and permitted only, in runc\'s spellings, once each', () => {
    const { process, diagnostics } = execProcessFromFlags(base, flags({ caps: ['sys_admin', 'CAP_NET_RAW', 'cap_chown', 'Kill'] }));
    expect(diagnostics).toEqual([]);
    expect(process.capabilities).toEqual({
      bounding: ['CAP_CHOWN', 'CAP_KILL', 'CAP_SYS_ADMIN', 'CAP_NET_RAW'],
      effective: ['CAP_CHOWN', 'CAP_SYS_ADMIN', 'CAP_NET_RAW', 'CAP_KILL'],
      permitted: ['CAP_CHOWN', 'CAP_SYS_ADMIN', 'CAP_NET_RAW', 'CAP_KILL'],
      inheritable: ['CAP_KILL'],
      ambient: [],
    });
  });

  it('--cap refuses an unknown capability by name', () => {
    expect(execProcessFromFlags(base, flags({ caps: ['CAP_FLY'] })).diagnostics).toEqual([{ pointer: '--cap', message: 'unknown capability CAP_FLY' }]);
  });

  it('--user sets the uid, and the gid when given; otherwise the container\'s gid stays', () => {
    expect(execProcessFromFlags(base, flags({ user: '1000' })).process.user).toEqual({ uid: 1000, gid: 0, additionalGids: [10] });
    expect(execProcessFromFlags(base, flags({ user: '1000:1001' })).process.user).toEqual({ uid: 1000, gid: 1001, additionalGids: [10] });
  });

  it.each(['root', '1000:', ':1000', '-1', '1000:staff', '1 000'])('--user %j is refused: numeric only', (user) => {
    expect(execProcessFromFlags(base, flags({ user })).diagnostics).toEqual([{ pointer: '--user', message: `must be a numeric UID or UID:GID, got ${JSON.stringify(user)}` }]);
  });

  it('--additional-gids are added to the container\'s own, as runc appends them', () => {
    expect(execProcessFromFlags(base, flags({ additionalGids: ['20', '10', '30'] })).process.user.additionalGids).toEqual([10, 20, 30]);
  });

  it('--additional-gids must be numeric', () => {
    expect(execProcessFromFlags(base, flags({ additionalGids: ['20', 'wheel', '-1'] })).diagnostics).toEqual([
      { pointer: '--additional-gids', message: 'must be numeric GIDs, got "wheel", "-1"' },
    ]);
  });

  it('--cwd must be absolute', () => {
    expect(execProcessFromFlags(base, flags({ cwd: '/tmp' })).process.cwd).toBe('/tmp');
    expect(execProcessFromFlags(base, flags({ cwd: 'tmp' })).diagnostics).toEqual([
      { pointer: '--cwd', message: 'must be an absolute path inside the container, got "tmp"' },
    ]);
  });

  it('--no-new-privs, --apparmor and --process-label change their fields only when given', () => {
    expect(execProcessFromFlags(base, flags()).process).toMatchObject({ noNewPrivileges: true });
    expect(execProcessFromFlags(base, flags()).process).not.toHaveProperty('apparmorProfile');
    const { process } = execProcessFromFlags(base, flags({ noNewPrivs: false, apparmor: 'berth-default', processLabel: 'system_u:system_r:container_t:s0' }));
    expect(process).toMatchObject({ noNewPrivileges: false, apparmorProfile: 'berth-default', selinuxLabel: 'system_u:system_r:container_t:s0' });
  });

  it('reports every problem at once and leaves the container\'s process unchanged', () => {
    const copy = structuredClone(base);
    const { diagnostics } = execProcessFromFlags(base, flags({ args: [], cwd: 'x', env: ['y'], user: 'z', additionalGids: ['g'], caps: ['CAP_FLY'] }));
    expect(diagnostics.map((d) => d.pointer)).toEqual(['command', '--cwd', '--env', '--user', '--additional-gids', '--cap']);
    expect(base).toEqual(copy);
  });
});

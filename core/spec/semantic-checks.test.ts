import { describe, expect, it } from 'vitest';
import type { Namespace, Spec } from './config.js';
import { defaultSpec } from './default-spec.js';
import { semanticDiagnostics } from './semantic-checks.js';

type Doc = Spec & Record<string, unknown>;
const base = (): Doc => defaultSpec() as Doc;
const only = (doc: unknown) => semanticDiagnostics(doc);

describe('semanticDiagnostics', () => {
  it('finds nothing wrong with the default config', () => {
    expect(only(defaultSpec())).toEqual([]);
    expect(only(defaultSpec({ rootless: true, uid: 1000, gid: 1000 }))).toEqual([]);
  });

  it('has nothing to say about a document that is not an object', () => {
    for (const doc of [null, undefined, 1, 'x', [], [defaultSpec()]]) expect(only(doc)).toEqual([]);
  });

  it('requires root and process, with the reason', () => {
    expect(only({ ociVersion: '1.0.0' })).toEqual([
      { pointer: '/root', message: 'is required: the container needs a root filesystem' },
      { pointer: '/process', message: 'is required: the container needs a process to run' },
    ]);
  });

  it('requires process.user and its uid and gid (config.md; the schema does not)', () => {
    const noUser = base();
    delete (noUser.process as Partial<typeof noUser.process>)!.user;
    expect(only(noUser)).toEqual([{ pointer: '/process/user', message: 'is required: the uid and gid the process runs as' }]);
    const noIds = base();
    noIds.process!.user = {} as never;
    expect(only(noIds)).toEqual([{ pointer: '/process/user/uid', message: 'is required' }, { pointer: '/process/user/gid', message: 'is required' }]);
  });

  it('requires process.args with at least one entry', () => {
    const doc = base();
    delete doc.process!.args;
    expect(only(doc)).toEqual([{ pointer: '/process/args', message: 'is required: the program to run and its arguments' }]);
    doc.process!.args = [];
    expect(only(doc)).toEqual([{ pointer: '/process/args', message: 'must have at least one entry: the program to run' }]);
  });

  it('requires a mount\'s uidMappings and gidMappings together', () => {
    const map = [{ containerID: 0, hostID: 1000, size: 1 }];
    const withMount = (extra: object) => ({ ...base(), mounts: [{ destination: '/d', type: 'bind', source: '/s', options: ['bind', 'idmap'], ...extra }] });
    expect(only(withMount({ uidMappings: map }))).toEqual([{ pointer: '/mounts/0/gidMappings', message: 'is required along with uidMappings' }]);
    expect(only(withMount({ gidMappings: map }))).toEqual([{ pointer: '/mounts/0/uidMappings', message: 'is required along with gidMappings' }]);
    expect(only(withMount({ uidMappings: map, gidMappings: map }))).toEqual([]);
  });

  it('checks ociVersion', () => {
    expect(only({ ...base(), ociVersion: '2.0.0' })).toEqual([{ pointer: '/ociVersion', message: 'ociVersion 2.0.0 is not supported: berth implements 1.0.0 to 1.3.x' }]);
    expect(only({ ...base(), ociVersion: 2 })).toEqual([]);
  });

  it('refuses an empty root path but accepts a relative one', () => {
    expect(only({ ...base(), root: { path: '' } })).toEqual([{ pointer: '/root/path', message: 'must not be empty' }]);
    expect(only({ ...base(), root: { path: 'rootfs' } })).toEqual([]);
  });

  it('checks env entries of the process and of hooks', () => {
    const doc = base();
    doc.process!.env = ['A=1', 'B', '=x', 'C=a\0b', 'D==', 'E='];
    doc.hooks = { poststop: [{ path: '/bin/true', env: ['OK=1', 'NOPE'] }] };
    expect(only(doc)).toEqual([
      { pointer: '/process/env/1', message: 'must be KEY=value, got "B"' },
      { pointer: '/process/env/2', message: 'has an empty variable name: "=x"' },
      { pointer: '/process/env/3', message: 'must not contain a NUL byte' },
      { pointer: '/hooks/poststop/0/env/1', message: 'must be KEY=value, got "NOPE"' },
    ]);
  });

  it('names unknown capabilities and suggests the CAP_ form', () => {
    const doc = base();
    doc.process!.capabilities = { ambient: ['CAP_KILL', 'kill', 'CAP_FLY'] };
    expect(only(doc)).toEqual([
      { pointer: '/process/capabilities/ambient/1', message: 'unknown capability "kill" (did you mean "CAP_KILL"?)' },
      { pointer: '/process/capabilities/ambient/2', message: 'unknown capability "CAP_FLY"' },
    ]);
  });

  it('checks rlimits: known types, each once, soft not above hard', () => {
    const doc = base();
    doc.process!.rlimits = [
      { type: 'RLIMIT_NOFILE', soft: 10, hard: 10 },
      { type: 'RLIMIT_FOO', soft: 1, hard: 1 },
      { type: 'RLIMIT_NOFILE', soft: 1, hard: 2 },
      { type: 'RLIMIT_CORE', soft: 3, hard: 2 },
    ];
    expect(only(doc)).toEqual([
      { pointer: '/process/rlimits/1/type', message: 'unknown rlimit type "RLIMIT_FOO"' },
      { pointer: '/process/rlimits/2/type', message: 'duplicate rlimit type "RLIMIT_NOFILE", first given at /process/rlimits/0' },
      { pointer: '/process/rlimits/3/soft', message: 'soft limit 3 is above hard limit 2' },
    ]);
  });

  it('bounds oomScoreAdj, ioPriority and umask', () => {
    const doc = base();
    doc.process!.oomScoreAdj = -1001;
    doc.process!.ioPriority = { class: 'IOPRIO_CLASS_BE', priority: 8 };
    doc.process!.user.umask = 0o10000;
    expect(only(doc)).toEqual([
      { pointer: '/process/oomScoreAdj', message: 'must be between -1000 and 1000, got -1001' },
      { pointer: '/process/ioPriority/priority', message: 'must be between 0 and 7, got 8' },
      { pointer: '/process/user/umask', message: 'must be at most 0o7777 (4095), got 4096' },
    ]);
    doc.process!.oomScoreAdj = 1000;
    doc.process!.ioPriority = { class: 'IOPRIO_CLASS_BE', priority: 0 };
    doc.process!.user.umask = 0o7777;
    expect(only(doc)).toEqual([]);
  });

  it('allows consoleSize only with a terminal', () => {
    const doc = base();
    doc.process!.consoleSize = { height: 24, width: 80 };
    expect(only(doc)).toEqual([]);
    doc.process!.terminal = false;
    expect(only(doc)).toEqual([{ pointer: '/process/consoleSize', message: 'is only meaningful with "terminal": true' }]);
  });

  it('checks mount destinations and hook paths', () => {
    const doc = base();
    doc.mounts = [{ destination: '' }, { destination: '/a\0' }, { destination: 'relative' }];
    doc.hooks = { prestart: [{ path: 'hook' }], createRuntime: [{ path: '/ok' }] };
    expect(only(doc)).toEqual([
      { pointer: '/mounts/0/destination', message: 'must not be empty' },
      { pointer: '/mounts/1/destination', message: 'must not contain a NUL byte' },
      { pointer: '/hooks/prestart/0/path', message: 'must be an absolute path on the host, got "hook"' },
    ]);
  });

  it('checks namespaces: each type once, absolute paths', () => {
    const doc = base();
    doc.linux!.namespaces = [{ type: 'pid' }, { type: 'pid', path: '/proc/1/ns/pid' }, { type: 'net', path: 'proc/1/ns/net' }, { type: 'ipc', path: '' }];
    expect(only(doc)).toEqual([
      { pointer: '/linux/namespaces/1/type', message: 'namespace type "pid" is given twice (first at /linux/namespaces/0)' },
      { pointer: '/linux/namespaces/2/path', message: 'must be an absolute path to a namespace file, got "proc/1/ns/net"' },
    ]);
  });

  it('ties id mappings to a user namespace', () => {
    const mapping = [{ containerID: 0, hostID: 1000, size: 1 }];
    const withNamespaces = (namespaces: Namespace[], extra: object = {}) => ({ ...base(), linux: { namespaces, ...extra } });
    expect(only(withNamespaces([{ type: 'user' }], { uidMappings: mapping, gidMappings: mapping }))).toEqual([]);
    expect(only(withNamespaces([{ type: 'user', path: '/proc/1/ns/user' }]))).toEqual([]);
    expect(only(withNamespaces([{ type: 'user', path: '/proc/1/ns/user' }], { uidMappings: mapping }))).toEqual([]);
    expect(only(withNamespaces([{ type: 'user' }]))).toEqual([
      { pointer: '/linux/uidMappings', message: 'is required when a new user namespace is created' },
      { pointer: '/linux/gidMappings', message: 'is required when a new user namespace is created' },
    ]);
    expect(only(withNamespaces([{ type: 'user', path: '' }], { uidMappings: [], gidMappings: mapping }))).toEqual([
      { pointer: '/linux/uidMappings', message: 'is required when a new user namespace is created' },
    ]);
    expect(only(withNamespaces([], { uidMappings: mapping, gidMappings: [] }))).toEqual([{ pointer: '/linux/uidMappings', message: 'requires a user namespace in /linux/namespaces' }]);
    expect(only(withNamespaces([{ type: 'user' }], { uidMappings: [{ containerID: 0, hostID: 0, size: 0 }], gidMappings: mapping }))).toEqual([
      { pointer: '/linux/uidMappings/0/size', message: 'must be at least 1' },
    ]);
  });

  it('ties timeOffsets to a time namespace', () => {
    const offsets = { monotonic: { secs: 10 } };
    expect(only({ ...base(), linux: { namespaces: [{ type: 'time' }], timeOffsets: offsets } })).toEqual([]);
    expect(only({ ...base(), linux: { namespaces: [], timeOffsets: {} } })).toEqual([]);
    expect(only({ ...base(), linux: { timeOffsets: offsets } })).toEqual([{ pointer: '/linux/timeOffsets', message: 'requires a time namespace in /linux/namespaces' }]);
  });

  it('checks devices: absolute path, major and minor unless a FIFO', () => {
    const doc = base();
    doc.linux!.devices = [
      { type: 'p', path: '/dev/fifo' },
      { type: 'c', path: '/dev/null', major: 1, minor: 3 },
      { type: 'b', path: 'dev/sda', major: 8 },
      { type: 'u', path: '/dev/u' },
    ];
    expect(only(doc)).toEqual([
      { pointer: '/linux/devices/2/path', message: 'must be an absolute path, got "dev/sda"' },
      { pointer: '/linux/devices/2/minor', message: 'is required for a device of type "b"' },
      { pointer: '/linux/devices/3/major', message: 'is required for a device of type "u"' },
      { pointer: '/linux/devices/3/minor', message: 'is required for a device of type "u"' },
    ]);
  });

  it('checks masked and readonly paths, sysctl names, cgroupsPath and seccomp rules', () => {
    const doc = base();
    doc.linux!.maskedPaths = ['/ok', 'proc/kcore'];
    doc.linux!.readonlyPaths = ['sys'];
    doc.linux!.sysctl = { 'net.ipv4.ip_forward': '1', 'kernel/shm_rmid_forced': '1', 'net..x': '1', 'a b': '1' };
    doc.linux!.cgroupsPath = '/berth/../escape';
    doc.linux!.seccomp = { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }, { names: [], action: 'SCMP_ACT_ALLOW' }] };
    expect(only(doc)).toEqual([
      { pointer: '/linux/maskedPaths/1', message: 'must be an absolute path, got "proc/kcore"' },
      { pointer: '/linux/readonlyPaths/0', message: 'must be an absolute path, got "sys"' },
      { pointer: '/linux/sysctl/net..x', message: 'is not a valid sysctl name' },
      { pointer: '/linux/sysctl/a b', message: 'is not a valid sysctl name' },
      { pointer: '/linux/cgroupsPath', message: 'must not contain ".." components' },
      { pointer: '/linux/seccomp/syscalls/1/names', message: 'must name at least one syscall' },
    ]);
  });

  it('accepts cgroupsPath forms that only look like ".."', () => {
    for (const cgroupsPath of ['/a..b/c', 'system.slice:berth:abc', '/..x', 'x../y']) {
      expect(only({ ...base(), linux: { cgroupsPath } })).toEqual([]);
    }
  });

  it('leaves backend rules to backends: a hostname without a UTS namespace is fine here', () => {
    expect(only({ ...base(), hostname: 'h', linux: { namespaces: [] } })).toEqual([]);
  });

  it('looks at the shape before inspecting a value, so wrong types never throw', () => {
    const doc = {
      ociVersion: [],
      root: 'x',
      process: { args: 'sh', env: 'A', capabilities: { bounding: 'CAP_KILL' }, rlimits: [null, 1], user: null },
      mounts: [null, 'x'],
      hooks: { prestart: 'x', poststop: [null, { path: 5, env: 'x' }] },
      linux: { namespaces: [null, { type: 5 }], uidMappings: 'x', devices: [null], maskedPaths: [5], sysctl: [], seccomp: { syscalls: [null] } },
    };
    expect(() => only(doc)).not.toThrow();
  });
});

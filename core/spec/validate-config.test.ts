import { describe, expect, it } from 'vitest';
import type { Spec } from './config.js';
import { defaultSpec } from './default-spec.js';
import { asSpec, parseConfigText, validateConfig } from './validate-config.js';

const base = (): Spec => defaultSpec();

describe('validateConfig', () => {
  it('reports every problem of a long array, more than a call could take as arguments', () => {
    const doc = defaultSpec() as unknown as { process: { rlimits: unknown[] } };
    doc.process.rlimits = Array.from({ length: 50_000 }, () => ({ type: 'pid' }));
    const diagnostics = validateConfig(doc);
    expect(diagnostics.length).toBe(150_000);
    expect(diagnostics.at(-1)).toEqual({ pointer: '/process/rlimits/49999/type', message: expect.stringContaining('must match') });
  });

  it('accepts the default config and its rootless variant', () => {
    expect(validateConfig(defaultSpec())).toEqual([]);
    expect(validateConfig(defaultSpec({ rootless: true, uid: 1000, gid: 1000 }))).toEqual([]);
  });

  it('accepts a minimal config: ociVersion, root and a process with args and cwd', () => {
    expect(validateConfig({ ociVersion: '1.0.2-dev', root: { path: 'rootfs' }, process: { cwd: '/', args: ['sh'], user: { uid: 0, gid: 0 } } })).toEqual([]);
  });

  it('accepts a device fileMode with its own file type bits, as podman writes it, and refuses other type bits', () => {
    const doc = base();
    doc.linux!.devices = [
      { type: 'c', path: '/dev/xnull', major: 1, minor: 3, fileMode: 0o020666 },
      { type: 'b', path: '/dev/loop9', major: 7, minor: 9, fileMode: 0o060660 },
      { type: 'c', path: '/dev/odd', major: 1, minor: 5, fileMode: 0o060666 },
      { type: 'p', path: '/dev/fifo', fileMode: 0o024666 },
    ];
    expect(validateConfig(doc)).toEqual([
      { pointer: '/linux/devices/2/fileMode', message: 'must be <= 511, got 25014' },
      { pointer: '/linux/devices/3/fileMode', message: 'must be <= 511, got 10678' },
    ]);
  });

  it('reports a document that is not an object at the root pointer', () => {
    expect(validateConfig(null)).toEqual([{ pointer: '', message: 'must be an object, got null' }]);
    expect(validateConfig([])).toEqual([{ pointer: '', message: 'must be an object, got an array' }]);
    expect(validateConfig('config')).toEqual([{ pointer: '', message: 'must be an object, got "config"' }]);
  });

  it('reports every missing required part at once', () => {
    expect(validateConfig({})).toEqual([
      { pointer: '/ociVersion', message: 'is required' },
      { pointer: '/root', message: 'is required: the container needs a root filesystem' },
      { pointer: '/process', message: 'is required: the container needs a process to run' },
    ]);
  });

  it('says one thing per field when the schema and a semantic check both object', () => {
    const doc = base();
    doc.process!.rlimits = [{ type: 'rlimit_nofile', soft: 1, hard: 1 }];
    expect(validateConfig(doc)).toEqual([{ pointer: '/process/rlimits/0/type', message: 'must match ^RLIMIT_[A-Z]+$, got "rlimit_nofile"' }]);
  });

  it('drops the anyOf summary when the precise error below explains it', () => {
    const doc = base();
    doc.linux!.namespaces!.push({ type: 'foo' });
    expect(validateConfig(doc)).toEqual([
      { pointer: '/linux/namespaces/6/type', message: 'must be one of "mount", "pid", "network", "uts", "ipc", "user", "cgroup", "time"; got "foo"' },
    ]);
  });

  it('writes messages a person can act on', () => {
    const doc = base() as Spec & { process: Record<string, unknown> };
    doc.process.capabilities = { bounding: ['net_admin'] };
    doc.process.cwd = 'tmp';
    doc.process.args = [];
    doc.process.env = ['NOEQUALS'];
    doc.process.oomScoreAdj = 2000;
    doc.ociVersion = '1.4.0';
    (doc.process.user as unknown as Record<string, unknown>).uid = -1;
    expect(validateConfig(doc)).toEqual(
      expect.arrayContaining([
        { pointer: '/process/capabilities/bounding/0', message: 'unknown capability "net_admin" (did you mean "CAP_NET_ADMIN"?)' },
        { pointer: '/process/cwd', message: 'must be an absolute path, got "tmp"' },
        { pointer: '/process/args', message: 'must have at least one entry: the program to run' },
        { pointer: '/process/env/0', message: 'must be KEY=value, got "NOEQUALS"' },
        { pointer: '/process/oomScoreAdj', message: 'must be between -1000 and 1000, got 2000' },
        { pointer: '/ociVersion', message: 'ociVersion 1.4.0 is not supported: berth implements 1.0.0 to 1.3.x' },
        { pointer: '/process/user/uid', message: 'must be >= 0, got -1' },
      ]),
    );
    expect(validateConfig(doc)).toHaveLength(7);
  });

  it('escapes "/" and "~" in pointers to map keys', () => {
    const doc = base();
    doc.linux!.sysctl = { 'net/ipv4/../x': '1' };
    doc.annotations = { 'a~b/c': 1 as unknown as string };
    expect(validateConfig(doc).map((d) => d.pointer).sort()).toEqual(['/annotations/a~0b~1c', '/linux/sysctl/net~1ipv4~1..~1x']);
  });

  it('accepts other platforms’ sections without judging them', () => {
    expect(validateConfig({ ...base(), vm: { hypervisor: { path: '/usr/bin/qemu' }, kernel: { path: '/boot/vmlinuz' } } })).toEqual([]);
  });
});

describe('parseConfigText', () => {
  it('parses JSON text into a document', () => {
    const text = JSON.stringify(defaultSpec());
    expect(parseConfigText(text)).toEqual({ document: defaultSpec(), diagnostics: [] });
  });

  it('turns a syntax error into one diagnostic at the document root', () => {
    const { document, diagnostics } = parseConfigText('{"ociVersion": ');
    expect(document).toBeUndefined();
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]!.pointer).toBe('');
    expect(diagnostics[0]!.message).toMatch(/^is not valid JSON: /);
  });

  it('parses an empty file as a syntax error', () => {
    expect(parseConfigText('').diagnostics[0]!.message).toMatch(/^is not valid JSON/);
  });
});

describe('asSpec', () => {
  it('returns the document itself', () => {
    const doc = defaultSpec();
    expect(asSpec(doc)).toBe(doc);
  });
});

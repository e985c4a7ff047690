import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { validateConfigSchema, validateFeaturesSchema } from '../spec/schema/validators.generated.mjs';
import { runBerth } from './test-support/run-berth.js';

/** The built CLI, driven as a manager or a person would: argv in; exit code, output and files out. */
let dir: string;
let root: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'berth-cli-'));
  root = join(dir, 'root');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function bundleWithSpec(): string {
  const bundle = join(dir, 'bundle');
  mkdirSync(join(bundle, 'rootfs'), { recursive: true });
  expect(runBerth(['spec'], { cwd: bundle }).code).toBe(0);
  return bundle;
}

function rootEntries(): string[] {
  return existsSync(root) ? readdirSync(root) : [];
}

describe('berth CLI', () => {
  it('--version and help exit 0; an unknown verb exits 2 naming it', () => {
    const version = runBerth(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout).toMatch(/^berth version \d+\.\d+\.\d+\nspec: 1\.3\.0\n/);
    expect(runBerth(['--help']).stdout).toContain('usage: berth [global flags] <command>');
    expect(runBerth(['help', 'kill']).stdout).toContain('usage: berth [global flags] kill [flags] <container-id> [signal]');
    const unknown = runBerth(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "frobnicate"');
    expect(runBerth(['create']).code).toBe(2);
  });

  it('spec writes a config that validates against the official schema, and check accepts it', () => {
    const bundle = bundleWithSpec();
    const config = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'));
    expect(validateConfigSchema(config)).toBe(true);
    const check = runBerth(['--root', root, 'check', '--bundle', bundle]);
    expect(check.code).toBe(0);
    expect(check.stdout).toContain('valid; backend native (default)');
    const again = runBerth(['spec', '--bundle', bundle]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('config.json already exists');
  });

  it('spec --rootless writes a valid rootless config with a user namespace', () => {
    const bundle = join(dir, 'rl');
    mkdirSync(bundle);
    expect(runBerth(['spec', '--rootless', '-b', bundle]).code).toBe(0);
    const config = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'));
    expect(validateConfigSchema(config)).toBe(true);
    expect(config.linux.namespaces.map((n: { type: string }) => n.type)).toContain('user');
    expect(config.linux.uidMappings).toHaveLength(1);
  });

  it('features validates against the features schema and advertises every hook kind', () => {
    const r = runBerth(['features']);
    expect(r.code).toBe(0);
    const features = JSON.parse(r.stdout);
    expect(validateFeaturesSchema(features)).toBe(true);
    expect(features.hooks).toEqual(['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop']);
    expect(features.ociVersionMin).toBe('1.0.0');
  });

  it('check prints one line per problem with its JSON pointer, exits 1, and writes nothing', () => {
    const bundle = bundleWithSpec();
    const config = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'));
    config.process.cwd = 'relative';
    config.process.capabilities.bounding.push('CAP_NOT_A_CAP');
    config.process.user.uid = 'zero';
    delete config.root;
    writeFileSync(join(bundle, 'config.json'), JSON.stringify(config));
    const r = runBerth(['--root', root, 'check', '-b', bundle]);
    expect(r.code).toBe(1);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines).toContain('/process/cwd: must be an absolute path, got "relative"');
    expect(lines).toContain('/process/capabilities/bounding/3: unknown capability "CAP_NOT_A_CAP"');
    expect(lines).toContain('/process/user/uid: must be an integer, got "zero"');
    expect(lines).toContain('/root: is required: the container needs a root filesystem');
    expect(r.stderr).toContain('4 problems');
    expect(existsSync(root)).toBe(false);
  });

  it('check reports a config.json that is not JSON, and a missing rootfs', () => {
    const bundle = bundleWithSpec();
    rmSync(join(bundle, 'rootfs'), { recursive: true });
    let r = runBerth(['check', '-b', bundle]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`/root/path: ${bundle}/rootfs does not exist`);
    writeFileSync(join(bundle, 'config.json'), '{"ociVersion": ');
    r = runBerth(['check', '-b', bundle]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^\/: is not valid JSON/);
  });

  it('create with an invalid config fails with every problem, logs one JSON line for the manager, and leaves nothing under --root', () => {
    const bundle = bundleWithSpec();
    const config = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'));
    config.process.args = [];
    config.ociVersion = '1.4.0';
    writeFileSync(join(bundle, 'config.json'), JSON.stringify(config));
    const log = join(dir, 'log.json');
    const r = runBerth(['--root', root, '--log', log, '--log-format', 'json', 'create', '--bundle', bundle, 'c1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('  /process/args: must have at least one entry: the program to run');
    expect(r.stderr).toContain('  /ociVersion: ociVersion 1.4.0 is not supported');
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0]!);
    expect(Object.keys(entry)).toEqual(['level', 'msg', 'time']);
    expect(entry.level).toBe('error');
    expect(entry.msg).toContain('/process/args');
    expect(entry.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$/);
    expect(rootEntries()).toEqual([]);
  });

  it('accepts every ociVersion from 1.0.0 to 1.3.x (crun 1.8 refuses 1.2+)', () => {
    const bundle = bundleWithSpec();
    const config = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'));
    for (const v of ['1.0.0', '1.0.2-dev', '1.1.0', '1.2.0', '1.2.1', '1.3.0']) {
      writeFileSync(join(bundle, 'config.json'), JSON.stringify({ ...config, ociVersion: v }));
      expect(runBerth(['check', '-b', bundle]).code, v).toBe(0);
    }
  });

  it('state, start, kill and delete of an unknown id fail with runc\'s "does not exist"; delete --force succeeds', () => {
    for (const argv of [['state', 'ghost'], ['start', 'ghost'], ['kill', 'ghost'], ['delete', 'ghost']]) {
      const r = runBerth(['--root', root, ...argv]);
      expect(r.code, argv.join(' ')).toBe(1);
      expect(r.stderr).toBe('ghost: container does not exist\n');
    }
    expect(runBerth(['--root', root, 'delete', '--force', 'ghost']).code).toBe(0);
  });

  it('kill refuses an unknown signal naming it', () => {
    const r = runBerth(['--root', root, 'kill', 'c1', 'SIGFOO']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('invalid signal "SIGFOO"');
  });

  it('list of an empty root prints the header, an empty JSON array, or nothing with -q', () => {
    expect(runBerth(['--root', root, 'list']).stdout).toBe('ID   PID   STATUS   BUNDLE   CREATED   OWNER\n');
    expect(runBerth(['--root', root, 'list', '-f', 'json']).stdout).toBe('[]\n');
    expect(runBerth(['--root', root, 'list', '-q']).stdout).toBe('');
  });

  it('a backend refusal at create leaves no state directory behind', () => {
    const bundle = bundleWithSpec();
    const config = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'));
    config.process.terminal = false;
    config.mounts.push({ destination: '/data', type: 'bind', source: 'no-such-dir', options: ['rbind'] });
    writeFileSync(join(bundle, 'config.json'), JSON.stringify(config));
    const r = runBerth(['--root', root, 'create', '-b', bundle, 'c1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`/mounts/7/source: ${bundle}/no-such-dir does not exist on the host`);
    expect(rootEntries()).toEqual([]);
  });

  it('an annotation selecting an unknown backend is reported at its pointer', () => {
    const bundle = bundleWithSpec();
    const config = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'));
    config.annotations = { 'run.berth.backend': 'quantum' };
    writeFileSync(join(bundle, 'config.json'), JSON.stringify(config));
    const r = runBerth(['check', '-b', bundle]);
    expect(r.code).toBe(1);
    // The pointer leads the line once; the message does not repeat it.
    expect(r.stdout).toMatch(/^\/annotations\/run\.berth\.backend: annotation run\.berth\.backend selects backend "quantum", which is not available/);
    const conflict = runBerth(['--backend', 'native', 'check', '-b', bundle]);
    expect(conflict.stdout).toContain('--backend native conflicts with annotation run.berth.backend');
  });
});

describe('the process-management verbs on the command line', () => {
  it.each([
    [['update', '--memory', 'lots', 'c1'], '--memory: must be a size in bytes such as 67108864, 64m or 1g (or -1), got "lots"\n'],
    [['update', '--memory', '1g', '--cpu-quota', '-7', 'c1'], '--cpu-quota: must be an integer of -1 or more, got "-7"\n'],
    [['update', '--l3-cache-schema', 'L3:0=f', 'c1'], '--l3-cache-schema: Intel RDT is not supported by berth\n'],
    [['events', '--interval', 'x', 'c1'], '--interval must be a positive duration such as 5s or 500ms, got "x"\n'],
    [['events', '--interval', '0s', 'c1'], '--interval must be a positive duration such as 5s or 500ms, got "0s"\n'],
    [['ps', '--format', 'xml', 'c1'], '--format must be one of "table", "json", got "xml"\n'],
    [['exec'], '"exec" requires at least 1 argument: <container-id> [command [args...]], got 0\n'],
    [['exec', '--preserve-fds', 'two', 'c1', 'sh'], '--preserve-fds must be a non-negative integer, got "two"\n'],
    [['pause'], '"pause" requires exactly 1 argument: <container-id>, got 0\n'],
    [['resume', 'a', 'b'], '"resume" requires exactly 1 argument: <container-id>, got 2\n'],
  ])('berth %j is a usage error (exit 2) naming the flag or argument, before any container is looked at', (argv, message) => {
    const r = runBerth(['--root', root, ...argv]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(message);
    expect(r.stdout).toBe('');
  });

  it('exec -p with a command after the id is a usage error; a -p file that is not JSON names the flag', () => {
    const file = join(dir, 'process.json');
    writeFileSync(file, '{"args": ');
    const both = runBerth(['--root', root, 'exec', '-p', file, 'c1', 'sh']);
    expect(both.code).toBe(1);
    expect(both.stderr).toMatch(new RegExp(`^--process ${file}: not valid JSON: `));
    writeFileSync(file, JSON.stringify({ cwd: '/', user: { uid: 0, gid: 0 }, args: ['sh'] }));
    const extra = runBerth(['--root', root, 'exec', '-p', file, 'c1', 'sh']);
    expect(extra.code).toBe(2);
    expect(extra.stderr).toBe('exec --process takes the command from the file: give no command after the container id\n');
  });

  it.each([
    ['ps', 'ghost'],
    ['ps', '--format', 'json', 'ghost'],
    ['pause', 'ghost'],
    ['resume', 'ghost'],
    ['exec', 'ghost', 'sh'],
    ['exec', '--env', 'A=1', 'ghost', 'sh'],
    ['update', '--memory', '64m', 'ghost'],
    ['events', '--stats', 'ghost'],
    ['events', 'ghost'],
  ])('berth %s … of an unknown id exits 1 with runc\'s "container does not exist"', (...argv) => {
    const r = runBerth(['--root', root, ...argv]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('ghost: container does not exist\n');
  });

  it('exec -p of an unknown id exits 1 with "container does not exist" too', () => {
    const file = join(dir, 'process.json');
    writeFileSync(file, JSON.stringify({ cwd: '/', user: { uid: 0, gid: 0 }, args: ['sh'] }));
    const r = runBerth(['--root', root, 'exec', '-p', file, 'ghost']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('ghost: container does not exist\n');
  });

  it('help lists the new verbs, and help exec shows its repeatable flags', () => {
    const help = runBerth(['help']).stdout;
    for (const verb of ['exec', 'ps', 'pause', 'resume', 'update', 'events']) expect(help).toMatch(new RegExp(`\\n\\s+${verb}\\s`));
    const exec = runBerth(['help', 'exec']).stdout;
    expect(exec).toContain('usage: berth [global flags] exec [flags] <container-id> [command [args...]]');
    expect(exec).toContain('--env');
    expect(exec).toContain('(repeatable)');
  });
});

import { spawn, spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readlinkSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, machine, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * native/probe.c, the payload that reports what a container really sees. Each fact it prints is
 * checked against the same fact observed another way (Node's own view, /proc of this process,
 * prlimit, a tool that changed the fact on purpose) so tests built on the probe can trust it.
 */

type Limit = { soft: number | 'unlimited'; hard: number | 'unlimited' };
type FileFacts = {
  exists: boolean;
  type: 'file' | 'dir' | 'char' | 'block' | 'fifo' | 'socket' | 'link' | null;
  mode: string | null;
  uid: number | null;
  gid: number | null;
  major: number | null;
  minor: number | null;
  writable: boolean;
  readable: boolean;
};
/** The probe's report, key for key in the order it prints them. */
type ProbeReport = {
  uid: number;
  gid: number;
  euid: number;
  egid: number;
  groups: number[];
  umask: number;
  cwd: string | null;
  hostname: string;
  domainname: string;
  env: string[];
  args: string[];
  pid: number;
  ppid: number;
  caps: Record<'inheritable' | 'permitted' | 'effective' | 'bounding' | 'ambient', string[] | null>;
  noNewPrivs: boolean | null;
  seccomp: number | null;
  rlimits: Record<string, Limit | null>;
  oomScoreAdj: number | null;
  namespaces: Record<'user' | 'mnt' | 'pid' | 'net' | 'ipc' | 'uts' | 'cgroup' | 'time', number | null>;
  mounts: { mountPoint: string; fsType: string; source: string; options: string[]; superOptions: string[] }[];
  fds: { fd: number; target: string | null }[];
  cgroup: string[];
  sysctl: Record<string, string | null>;
  files: Record<string, FileFacts>;
  readFiles: Record<string, string | null>;
  errors: Record<string, string>;
  writes: Record<string, string>;
  personality: number;
};
const keyOrder = [
  'uid', 'gid', 'euid', 'egid', 'groups', 'umask', 'cwd', 'hostname', 'domainname', 'env', 'args', 'pid', 'ppid',
  'caps', 'noNewPrivs', 'seccomp', 'rlimits', 'oomScoreAdj', 'namespaces', 'mounts', 'fds', 'cgroup', 'sysctl',
  'files', 'readFiles', 'errors', 'writes', 'personality',
];
const namespaceKinds = ['user', 'mnt', 'pid', 'net', 'ipc', 'uts', 'cgroup', 'time'] as const;

let dir: string;
let probe: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'berth-probe-'));
  chmodSync(dir, 0o755); // the setpriv test runs the probe as another user
  const built = spawnSync('sh', [join(import.meta.dirname, '..', '..', 'native', 'build-probe.sh'), dir], { encoding: 'utf8' });
  expect({ status: built.status, stdout: built.stdout, stderr: built.stderr }).toEqual({ status: 0, stdout: `built ${dir}/berth-probe\n`, stderr: '' });
  probe = join(dir, 'berth-probe');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs a command whose stdout is one probe report, and parses it strictly (valid UTF-8, one line). */
function run(command: string[], options: SpawnSyncOptions = {}) {
  const result = spawnSync(command[0], command.slice(1), { cwd: dir, ...options, encoding: 'buffer' });
  const stdout = new TextDecoder('utf-8', { fatal: true }).decode(result.stdout as Buffer);
  const stderr = (result.stderr as Buffer).toString();
  expect(stdout.indexOf('\n'), `one newline-terminated line; stderr: ${stderr}`).toBe(stdout.length - 1);
  return { status: result.status, pid: result.pid, stderr, report: JSON.parse(stdout) as ProbeReport };
}
const runProbe = (args: string[], options: SpawnSyncOptions = {}) => run([probe, ...args], options);

const ownStatus = (field: string) => readFileSync('/proc/self/status', 'utf8').match(new RegExp(`^${field}:\\s*(\\S+)`, 'm'))?.[1];
const popcount = (hex: string) => [...BigInt(`0x${hex}`).toString(2)].filter((b) => b === '1').length;
const hostNamespace = (kind: string) => Number(readlinkSync(`/proc/self/ns/${kind}`).match(/\[(\d+)\]/)![1]);

describe('berth-probe on the host', () => {
  it('prints every key, in order, and ids, cwd, names, args and env as the process got them', () => {
    const args = ['plain', 'quote " backslash \\ newline \n tab \t control \x01 del \x7f é 🚀', '--', '--not-an-option'];
    const env = { ALPHA: '1', ODD: 'a"b\\c\nd\x01é' };
    const { status, pid, stderr, report } = runProbe(args, { env });
    expect({ status, stderr }).toEqual({ status: 0, stderr: '' });
    expect(Object.keys(report)).toEqual(keyOrder);
    expect(report).toMatchObject({
      uid: process.getuid!(),
      gid: process.getgid!(),
      euid: process.geteuid!(),
      egid: process.getegid!(),
      cwd: realpathSync(dir),
      hostname: hostname(),
      args: [probe, ...args],
      env: ['ALPHA=1', 'ODD=a"b\\c\nd\x01é'],
      pid,
      ppid: process.pid,
    });
    // Node's getgroups() always adds the effective gid; getgroups(2) need not.
    expect(new Set([...report.groups, process.getegid!()])).toEqual(new Set(process.getgroups!()));
    expect(typeof report.domainname).toBe('string');
  });

  it('reads the umask, oom_score_adj, seccomp and no_new_privs the process really has', () => {
    const plain = runProbe([]).report;
    expect(plain.noNewPrivs).toBe(ownStatus('NoNewPrivs') === '1');
    expect(plain.seccomp).toBe(Number(ownStatus('Seccomp')));
    expect(plain.oomScoreAdj).toBe(Number(readFileSync('/proc/self/oom_score_adj', 'utf8')));
    expect(plain.personality).toBe(parseInt(readFileSync('/proc/self/personality', 'utf8'), 16));

    const changed = run(['sh', '-c', 'umask 027 && echo 500 > /proc/self/oom_score_adj && exec "$0"', probe]).report;
    expect({ umask: changed.umask, oomScoreAdj: changed.oomScoreAdj }).toEqual({ umask: 0o27, oomScoreAdj: 500 });
    expect(run(['setpriv', '--no-new-privs', probe]).report.noNewPrivs).toBe(true);
    // ADDR_NO_RANDOMIZE is 0x0040000.
    expect(run(['setarch', machine(), '-R', probe]).report.personality & 0x0040000).toBe(0x0040000);
  });

  it('names capabilities from the /proc bit sets', () => {
    const { caps } = runProbe([]).report;
    for (const set of Object.values(caps)) for (const name of set!) expect(name).toMatch(/^CAP_([A-Z_]+|\d+)$/);
    // The bounding set passes through exec unchanged, so it has as many names as ours has bits.
    expect(caps.bounding!.length).toBe(popcount(ownStatus('CapBnd')!));
    expect(new Set(caps.bounding).size).toBe(caps.bounding!.length);
  });

  it('reports all 16 resource limits as prlimit sees them, infinity as "unlimited"', () => {
    const raw = spawnSync('prlimit', ['--pid', String(process.pid), '--raw', '--noheadings', '-o', 'RESOURCE,SOFT,HARD'], { encoding: 'utf8' }).stdout;
    const value = (v: string) => (v === 'unlimited' ? v : Number(v));
    const expected = Object.fromEntries(raw.trim().split('\n').map((line) => {
      const [name, soft, hard] = line.trim().split(/\s+/);
      return [`RLIMIT_${name}`, { soft: value(soft), hard: value(hard) }];
    }));
    const { rlimits } = runProbe([]).report;
    expect(Object.keys(rlimits)).toHaveLength(16);
    expect(rlimits).toEqual(expected);
    expect(run(['prlimit', '--nofile=64:128', probe]).report.rlimits.RLIMIT_NOFILE).toEqual({ soft: 64, hard: 128 });
  });

  it('sees the same namespaces, cgroups and root mount as this process', () => {
    const report = runProbe([]).report;
    for (const kind of namespaceKinds) expect(report.namespaces[kind]).toBe(hostNamespace(kind));
    expect(report.cgroup).toEqual(readFileSync('/proc/self/cgroup', 'utf8').trim().split('\n'));
    const root = report.mounts.find((m) => m.mountPoint === '/');
    expect(root).toBeDefined();
    expect(root!.fsType).not.toBe('');
    expect(root!.options[0]).toMatch(/^r[ow]$/);
    expect(report.mounts.find((m) => m.mountPoint === '/proc')).toMatchObject({ fsType: 'proc' });
  });

  it('lists inherited fds with their targets, sorted, without the directory it reads them from', () => {
    const file = join(dir, 'inherited');
    writeFileSync(file, '');
    const fd = openSync(file, 'r');
    try {
      const { fds } = runProbe([], { stdio: ['ignore', 'pipe', 'pipe', fd] }).report;
      // libuv makes stdio pipes from socketpairs, so either kind may show up on 1 and 2.
      expect(fds.slice(0, 4)).toEqual([
        { fd: 0, target: '/dev/null' },
        { fd: 1, target: expect.stringMatching(/^(pipe|socket):\[\d+\]$/) },
        { fd: 2, target: expect.stringMatching(/^(pipe|socket):\[\d+\]$/) },
        { fd: 3, target: realpathSync(file) },
      ]);
      expect(fds.map((f) => f.fd)).toEqual([...fds.map((f) => f.fd)].sort((a, b) => a - b));
      expect(fds.filter((f) => /\/fd$/.test(f.target ?? ''))).toEqual([]);
    } finally {
      closeSync(fd);
    }
  });

  it('--stat and --sysctl report what lstat and /proc/sys say', () => {
    const link = join(dir, 'link');
    spawnSync('ln', ['-sf', '/dev/null', link]);
    const missing = join(dir, 'missing');
    const { report } = runProbe(['--stat', '/dev/null', '--stat', dir, '--stat', link, '--stat', missing, '--sysctl', 'kernel.hostname', '--sysctl', 'kernel.no_such_knob']);
    expect(report.files['/dev/null']).toEqual({ exists: true, type: 'char', mode: '0666', uid: 0, gid: 0, major: 1, minor: 3, writable: true, readable: true });
    expect(report.files[dir]).toMatchObject({ exists: true, type: 'dir', mode: '0755', uid: process.getuid!(), major: null, minor: null });
    expect(report.files[link]).toMatchObject({ exists: true, type: 'link', mode: '0777' });
    expect(report.files[missing]).toEqual({ exists: false, type: null, mode: null, uid: null, gid: null, major: null, minor: null, writable: false, readable: false });
    expect(report.sysctl).toEqual({ 'kernel.hostname': hostname(), 'kernel.no_such_knob': null });
  });

  it('--read returns the first 4096 bytes as a JSON string, any byte escaped or replaced, and errors by path', () => {
    const bytes = join(dir, 'bytes');
    writeFileSync(bytes, Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), Buffer.from('é🚀')]));
    const big = join(dir, 'big');
    writeFileSync(big, 'x'.repeat(5000));
    const missing = join(dir, 'missing');
    const { report } = runProbe(['--read', bytes, '--read', big, '--read', missing, '--read', dir]);
    const ascii = String.fromCharCode(...Array.from({ length: 128 }, (_, i) => i));
    expect(report.readFiles[bytes]).toBe(`${ascii}${'\ufffd'.repeat(128)}é🚀`);
    expect(report.readFiles[big]).toBe('x'.repeat(4096));
    expect(report.readFiles[missing]).toBeNull();
    expect(report.readFiles[dir]).toBeNull();
    expect(report.errors).toEqual({ [missing]: 'No such file or directory', [dir]: 'Is a directory' });
  });

  it('--write records "ok" or the error, before the rest is observed', () => {
    const target = join(dir, 'written');
    const { report } = runProbe(['--write', target, 'hello', '--write', '/proc/version', 'x', '--write', join(dir, 'no', 'such'), 'x', '--stat', target, '--read', target]);
    expect(report.writes[target]).toBe('ok');
    expect(report.writes['/proc/version']).toMatch(/^[A-Z][a-z].+/);
    expect(report.writes['/proc/version']).not.toBe('ok');
    expect(report.writes[join(dir, 'no', 'such')]).toBe('No such file or directory');
    expect(report.files[target]).toMatchObject({ exists: true, type: 'file' });
    expect(report.readFiles[target]).toBe('hello');
    expect(readFileSync(target, 'utf8')).toBe('hello');
  });

  it('--exit sets the exit code after printing; bad options exit 2 with a usage line', () => {
    expect(runProbe(['--exit', '7']).status).toBe(7);
    for (const [args, why] of [[['--bogus'], 'unknown option --bogus'], [['--stat'], 'missing argument to --stat'], [['--write', 'x'], 'missing argument to --write'], [['--exit', 'x'], 'not an exit code']] as const) {
      const result = spawnSync(probe, args, { encoding: 'utf8' });
      expect({ status: result.status, stdout: result.stdout }).toEqual({ status: 2, stdout: '' });
      expect(result.stderr).toContain(why);
      expect(result.stderr).toContain('usage: berth-probe');
    }
  });

  it('--sleep keeps running after the report is out', async () => {
    const child = spawn(probe, ['--sleep', '30'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const line = await new Promise<string>((resolve) => {
      let text = '';
      child.stdout.on('data', (chunk) => (text += chunk).includes('\n') && resolve(text));
    });
    expect((JSON.parse(line) as ProbeReport).pid).toBe(child.pid);
    expect(child.exitCode).toBeNull();
    expect(existsSync(`/proc/${child.pid}`)).toBe(true);
    const ended = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    child.kill('SIGTERM');
    expect(await ended).toEqual({ code: null, signal: 'SIGTERM' });
  });
});

const isRoot = process.getuid?.() === 0;
const canUnshare = isRoot && spawnSync('unshare', ['--uts', '--pid', '--fork', '--mount-proc', 'true']).status === 0;
const skipReason = !isRoot ? 'needs root' : !canUnshare ? 'unshare --uts --pid --mount-proc is not permitted here' : '';
const rootSuite = skipReason ? describe.skip : describe;

rootSuite(`berth-probe in new namespaces${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  it('as root, the effective set includes CAP_SYS_ADMIN and setpriv changes show up in each set', () => {
    expect(runProbe([]).report.caps.effective).toContain('CAP_SYS_ADMIN');
    const { caps } = run(['setpriv', '--bounding-set', '-sys_admin', '--inh-caps', '+net_raw', '--ambient-caps', '+net_raw', probe]).report;
    expect(caps.bounding).not.toContain('CAP_SYS_ADMIN');
    expect(caps.bounding).toContain('CAP_CHOWN');
    expect(caps.inheritable).toEqual(['CAP_NET_RAW']);
    expect(caps.ambient).toEqual(['CAP_NET_RAW']);

    const user = run(['setpriv', '--reuid', '1000', '--regid', '1000', '--clear-groups', probe], { cwd: '/' }).report;
    expect(user).toMatchObject({ uid: 1000, euid: 1000, gid: 1000, egid: 1000, groups: [] });
    expect({ permitted: user.caps.permitted, effective: user.caps.effective }).toEqual({ permitted: [], effective: [] });
  });

  it('reports the hostname set inside a new UTS namespace', () => {
    const { report } = run(['unshare', '--uts', 'sh', '-c', 'hostname probe-host && exec "$0" --sysctl kernel.hostname', probe]);
    expect(report.hostname).toBe('probe-host');
    expect(report.sysctl['kernel.hostname']).toBe('probe-host');
    expect(report.namespaces.uts).not.toBe(hostNamespace('uts'));
    expect(report.namespaces.mnt).toBe(hostNamespace('mnt'));
  });

  it('is pid 1 with ppid 0 under --pid --fork, with the new /proc mounted', () => {
    const { report } = run(['unshare', '--uts', '--pid', '--fork', '--mount-proc', probe]);
    expect({ pid: report.pid, ppid: report.ppid }).toEqual({ pid: 1, ppid: 0 });
    expect(report.namespaces.pid).not.toBe(hostNamespace('pid'));
    expect(report.namespaces.mnt).not.toBe(hostNamespace('mnt'));
    expect(report.mounts.filter((m) => m.mountPoint === '/proc').at(-1)).toMatchObject({ fsType: 'proc', source: 'proc' });
  });

  it('sees a read-only mount as one: writes fail with EROFS, names with spaces unescaped', () => {
    const target = join(dir, 'read only');
    mkdirSync(target, { recursive: true });
    const { report } = run(['unshare', '--mount', 'sh', '-c', 'mount -t tmpfs -o ro,nosuid,size=1m "probe src" "$1" && exec "$0" --write "$1/f" x --stat "$1"', probe, target]);
    expect(report.writes[join(target, 'f')]).toBe('Read-only file system');
    expect(report.files[target]).toMatchObject({ exists: true, type: 'dir', writable: false });
    const mount = report.mounts.find((m) => m.mountPoint === target);
    expect(mount).toMatchObject({ fsType: 'tmpfs', source: 'probe src' });
    expect(mount!.options).toEqual(expect.arrayContaining(['ro', 'nosuid']));
    expect(mount!.superOptions).toEqual(expect.arrayContaining(['ro', 'size=1024k']));
  });
});

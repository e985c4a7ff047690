import { chownSync, existsSync, mkdirSync, statSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, chmodSync, writeFileSync } from 'node:fs';
import { tmpdir, hostname } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runBerth } from '../../../core/cli/test-support/run-berth.js';
import { busybox, busyboxBundle } from '../test-support/busybox-bundle.js';

/**
 * Real containers through the native backend and the C helper, driven through the built CLI as a
 * manager would. Root only; the payload is Debian's busybox-static.
 */
const isRoot = process.getuid?.() === 0;
const helperBuilt = existsSync(join(import.meta.dirname, '..', '..', '..', 'dist', 'berth-helper'));
const skipReason = !isRoot ? 'needs root' : !busybox ? 'needs busybox-static' : !helperBuilt ? 'needs the built helper (npm run build)' : '';
const suite = skipReason ? describe.skip : describe;

let dir: string;
let root: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'berth-native-'));
  root = join(dir, 'root');
});
afterEach(() => {
  for (const id of existsSync(root) ? readdirSync(root) : []) runBerth(['--root', root, 'delete', '--force', id]);
  rmSync(dir, { recursive: true, force: true });
});

const berth = (...args: string[]) => runBerth(['--root', root, ...args]);

const bundle = (args: string[], edit?: (config: Record<string, any>) => void) => busyboxBundle(dir, args, edit);

suite(`native backend: real containers${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  it('run in the foreground passes stdout and exits with the container\'s status', () => {
    // Whole results are compared, so a failure shows exit code and both streams.
    expect(berth('run', '-b', bundle(['sh', '-c', 'echo hello from a container']), 'r1')).toEqual({ code: 0, stdout: 'hello from a container\n', stderr: '' });
    expect(berth('run', '-b', bundle(['sh', '-c', 'exit 3']), 'r2')).toEqual({ code: 3, stdout: '', stderr: '' });
    // The container's sh is pid 1, which ignores signals it has no handler for: signal a child.
    expect(berth('run', '-b', bundle(['sh', '-c', "sh -c 'kill -TERM $$'; exit $?"]), 'r3')).toEqual({ code: 143, stdout: '', stderr: 'Terminated\n' });
    expect(existsSync(root) ? readdirSync(root) : []).toEqual([]);
  });

  it('sees its own namespaces, hostname, root filesystem and identity', () => {
    const r = berth('run', '-b', bundle(['sh', '-c', 'echo "pid=$$ host=$(hostname) uid=$(id -u) gid=$(id -g) groups=$(id -G) cwd=$(pwd) home=$HOME"; ls /'], (c) => {
      c.hostname = 'inside';
      c.process.user = { uid: 1000, gid: 1000, additionalGids: [5, 7] };
      c.process.cwd = '/tmp';
    }), 'id1');
    expect(r.stderr).toBe('');
    const [first, ...listing] = r.stdout.trim().split('\n');
    expect(first).toBe('pid=1 host=inside uid=1000 gid=1000 groups=1000 5 7 cwd=/tmp home=/home/user');
    expect(listing).toEqual(expect.arrayContaining(['bin', 'dev', 'etc', 'proc', 'sys', 'tmp']));
    expect(hostname()).not.toBe('inside');
  });

  it('create does not run the program; start does; the status follows the process', async () => {
    const marker = join(dir, 'marker');
    const b = bundle(['sh', '-c', 'echo started > /tmp/started; exec sleep 100'], (c) => {
      c.mounts.push({ destination: '/tmp', type: 'bind', source: dir, options: ['rbind', 'rw'] });
    });
    expect(berth('create', '-b', b, '--pid-file', join(dir, 'pid'), 'c1').code).toBe(0);
    const state = JSON.parse(berth('state', 'c1').stdout);
    expect(state.status).toBe('created');
    expect(readFileSync(join(dir, 'pid'), 'utf8')).toBe(String(state.pid));
    await new Promise((r) => setTimeout(r, 200));
    expect(existsSync(join(dir, 'started'))).toBe(false);
    expect(berth('start', 'c1').code).toBe(0);
    for (let i = 0; i < 100 && !existsSync(join(dir, 'started')); i++) await new Promise((r) => setTimeout(r, 20));
    expect(readFileSync(join(dir, 'started'), 'utf8')).toBe('started\n');
    expect(JSON.parse(berth('state', 'c1').stdout).status).toBe('running');
    expect(berth('kill', 'c1', 'KILL').code).toBe(0);
    for (let i = 0; i < 100 && JSON.parse(berth('state', 'c1').stdout).status !== 'stopped'; i++) await new Promise((r) => setTimeout(r, 20));
    expect(JSON.parse(berth('state', 'c1').stdout).status).toBe('stopped');
    expect(berth('delete', 'c1').code).toBe(0);
    expect(readdirSync(root)).toEqual([]);
    void marker;
  });

  it('a read-only root, masked and read-only paths hold', () => {
    const r = berth('run', '-b', bundle(['sh', '-c', 'touch /x 2>&1; cat /proc/kcore | wc -c; echo 1 > /proc/sys/kernel/hostname 2>&1; echo done']), 'ro1');
    expect(r.stdout).toContain('Read-only file system');
    expect(r.stdout).toContain('done');
  });

  it('only stdio reaches the container: no other fd leaks', () => {
    const r = berth('run', '-b', bundle(['ls', '/proc/self/fd']), 'fd1');
    expect(r.stdout.trim().split('\n').sort()).toEqual(['0', '1', '2', '3']); // 3 is ls's own directory fd
  });

  it('a mount whose destination goes through a symlink out of the rootfs stays inside it', () => {
    const b = bundle(['sh', '-c', 'ls /evil/'], (c) => {
      c.mounts.push({ destination: '/evil/berth-escape', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] });
    });
    symlinkSync('/etc', join(b, 'rootfs', 'evil'));
    const r = berth('run', '-b', b, 'esc1');
    expect(r.code).toBe(0);
    expect(existsSync('/etc/berth-escape')).toBe(false);
  });

  it('createContainer hooks run inside the container\'s namespaces; createRuntime on the host', () => {
    const out = join(dir, 'hooks');
    const b = bundle(['true'], (c) => {
      c.hostname = 'hooked';
      c.hooks = {
        createRuntime: [{ path: '/bin/sh', args: ['sh', '-c', `echo runtime $(cat /proc/sys/kernel/hostname) >> ${out}`] }],
        createContainer: [{ path: '/bin/sh', args: ['sh', '-c', `read -r s; echo container $(cat /proc/sys/kernel/hostname) "$s" >> ${out}`] }],
      };
    });
    expect(berth('run', '-b', b, 'h1').code).toBe(0);
    const [runtime, container] = readFileSync(out, 'utf8').trim().split('\n');
    expect(runtime).toBe(`runtime ${hostname()}`);
    expect(container!.startsWith('container hooked ')).toBe(true);
    // Its state JSON's pid is as seen from inside the container's pid namespace.
    expect(JSON.parse(container!.slice('container hooked '.length))).toMatchObject({ id: 'h1', status: 'creating', pid: 1 });
  });

  it('a failure inside the container setup names the config field first, then the step, and leaves nothing', () => {
    const b = bundle(['true'], (c) => c.mounts.push({ destination: '/bad', type: 'nosuchfs', source: 'none' }));
    const index = JSON.parse(readFileSync(join(b, 'config.json'), 'utf8')).mounts.length - 1;
    const r = berth('create', '-b', b, 'bad1');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^bad1: /mounts/${index}: .*nosuchfs.*\\(MOUNT_IN_ROOT failed in the child step \\d+, errno 19\\)$`, 'm'));
    expect(readdirSync(root)).toEqual([]);
  });

  it('a program that is not there, or not executable, fails create (as runc), not start, and leaves nothing', () => {
    const missing = berth('create', '-b', bundle(['no-such-program']), 'np1');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^np1: \/process\/args\/0: exec "no-such-program": executable file not found in \$PATH \(FIND_PROGRAM failed in the child step \d+, errno 0\)$/m);
    const absent = berth('create', '-b', bundle(['/bin/no-such-program']), 'np2');
    expect(absent.stderr).toMatch(/^np2: \/process\/args\/0: exec "\/bin\/no-such-program": No such file or directory \(FIND_PROGRAM failed in the child step \d+, errno 2\)$/m);
    const notExecutable = berth('create', '-b', bundle(['/etc/passwd']), 'np3');
    expect(notExecutable.stderr).toMatch(/^np3: \/process\/args\/0: exec "\/etc\/passwd": Permission denied \(FIND_PROGRAM failed in the child step \d+, errno 13\)$/m);
    const directory = berth('create', '-b', bundle(['/bin']), 'np5');
    expect(directory.stderr).toMatch(/^np5: \/process\/args\/0: exec "\/bin": Permission denied \(FIND_PROGRAM failed in the child step \d+, errno 13\)$/m);
    // Searched in the process's own PATH, relative to its cwd.
    const found = berth('run', '-b', bundle(['busybox', 'echo', 'found'], (c) => {
      c.process.env = ['PATH=/nowhere:bin'];
      c.process.cwd = '/';
    }), 'np4');
    expect(found).toMatchObject({ code: 0, stdout: 'found\n' });
    expect(readdirSync(root)).toEqual([]);
  });

  it('applies rlimits, oom_score_adj, sysctl, umask and env, and refuses an rlimit the host cannot give, naming the field', () => {
    const r = berth('run', '-b', bundle(['sh', '-c', 'ulimit -n; ulimit -Hn; cat /proc/self/oom_score_adj; cat /proc/sys/net/ipv4/ip_forward; umask; echo $FOO'], (c) => {
      c.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 512, hard: 1000 }];
      c.process.oomScoreAdj = 100;
      c.process.user.umask = 0o027;
      c.process.env.push('FOO=bar');
      c.linux.sysctl = { 'net.ipv4.ip_forward': '1' };
    }), 'k1');
    expect(r.stderr).toBe('');
    expect(r.stdout.trim().split('\n')).toEqual(['512', '1000', '100', '1', '0027', 'bar']);
    // This VM lacks CAP_SYS_RESOURCE: a hard limit above the host's is refused before anything is made, naming the field.
    const refused = berth('run', '-b', bundle(['true'], (c) => (c.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 1048576, hard: 1048576 }])), 'k2');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/\/process\/rlimits\/0\/hard: RLIMIT_NOFILE hard limit 1048576 is above the host's hard limit \d+, and berth lacks CAP_SYS_RESOURCE to raise it \(setting it would fail: operation not permitted\)/);
    expect(readdirSync(root)).toEqual([]);
  });

  it('drops capabilities as configured, and sets no_new_privs', () => {
    const r = berth('run', '-b', bundle(['sh', '-c', 'grep -E "^(CapEff|CapBnd|NoNewPrivs)" /proc/self/status'], (c) => {
      c.process.capabilities = { bounding: ['CAP_KILL', 'CAP_NET_BIND_SERVICE'], effective: ['CAP_KILL'], permitted: ['CAP_KILL'] };
    }), 'cap1');
    expect(r.stdout).toMatch(/CapEff:\s+0000000000000020/);
    expect(r.stdout).toMatch(/CapBnd:\s+0000000000000420/);
    expect(r.stdout).toMatch(/NoNewPrivs:\s+1/);
  });

  it('maps ids in a new user namespace', () => {
    // The mapped root (host uid 100000) must be able to reach the rootfs, as with runc.
    chmodSync(dir, 0o755);
    const r = berth('run', '-b', bundle(['sh', '-c', 'id -u; cat /proc/self/uid_map'], (c) => {
      c.linux.namespaces.push({ type: 'user' });
      c.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      c.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      c.mounts = c.mounts.filter((m: { type: string }) => m.type !== 'sysfs' && m.type !== 'cgroup');
      c.mounts.push({ destination: '/sys', type: 'bind', source: '/sys', options: ['rbind', 'ro', 'nosuid', 'noexec', 'nodev'] });
    }), 'u1');
    expect(r.stderr).toBe('');
    const [uid, map] = r.stdout.trim().split('\n');
    expect(uid).toBe('0');
    expect(map!.trim().split(/\s+/)).toEqual(['0', '100000', '65536']);
  });

  it('id-maps a bind mount: with its own mappings, and with "idmap" taking the container\'s', () => {
    chmodSync(dir, 0o755);
    const data = join(dir, 'data');
    mkdirSync(data);
    writeFileSync(join(data, 'by-root'), '');
    writeFileSync(join(data, 'by-1234'), '');
    chownSync(join(data, 'by-1234'), 1234, 1234);
    const show = 'stat -c "%n %u %g" /data/by-root /data/by-1234';
    // Own mappings, no user namespace: on-disk 0 shows as 5000, 1234 as 6234.
    const own = berth('run', '-b', bundle(['sh', '-c', show], (c) => {
      const map = [{ containerID: 0, hostID: 5000, size: 65536 }];
      c.mounts.push({ destination: '/data', type: 'bind', source: data, options: ['bind', 'idmap'], uidMappings: map, gidMappings: map });
    }), 'idm1');
    expect(own).toEqual({ code: 0, stdout: '/data/by-root 5000 5000\n/data/by-1234 6234 6234\n', stderr: '' });
    // "idmap" alone in a user namespace mapping 0 → 100000: the host's files look as they do on
    // the host, and what the container's root writes lands on disk as the host's root.
    const mapped = bundle(['sh', '-c', `${show}; touch /data/from-inside`], (c) => {
      c.linux.namespaces.push({ type: 'user' });
      c.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      c.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      c.mounts = c.mounts.filter((m: { type: string }) => m.type !== 'sysfs' && m.type !== 'cgroup');
      c.mounts.push({ destination: '/data', type: 'bind', source: data, options: ['rbind', 'idmap'] });
    });
    // The mapped root cannot create the mount point in a rootfs the host's root owns (as with runc).
    mkdirSync(join(mapped, 'rootfs', 'data'));
    const userns = berth('run', '-b', mapped, 'idm2');
    expect(userns).toEqual({ code: 0, stdout: '/data/by-root 0 0\n/data/by-1234 1234 1234\n', stderr: '' });
    expect(statSync(join(data, 'from-inside')).uid).toBe(0);
    // The host's view of the directory is untouched.
    expect(statSync(join(data, 'by-1234')).uid).toBe(1234);
  });

  it('refuses an id-mapped mount it cannot make, naming the mount', () => {
    const notBind = berth('create', '-b', bundle(['true'], (c) => {
      c.mounts.push({ destination: '/t', type: 'tmpfs', source: 'tmpfs', options: ['idmap'], uidMappings: [{ containerID: 0, hostID: 1, size: 1 }], gidMappings: [{ containerID: 0, hostID: 1, size: 1 }] });
    }), 'idm3');
    expect(notBind.code).toBe(1);
    expect(notBind.stderr).toMatch(/\/mounts\/\d+\/options: an id-mapped mount must be a bind mount/);
    const noMaps = berth('create', '-b', bundle(['true'], (c) => {
      c.mounts.push({ destination: '/d', type: 'bind', source: dir, options: ['rbind', 'ridmap'] });
    }), 'idm4');
    expect(noMaps.code).toBe(1);
    expect(noMaps.stderr).toMatch(/\/mounts\/\d+\/options: "ridmap" without uidMappings\/gidMappings takes the container's user namespace mappings, and there are none/);
    expect(existsSync(root) ? readdirSync(root) : []).toEqual([]);
  });

  it('tmpcopyup: a tmpfs starts with a copy of the directory it covers, modes and owners kept', () => {
    const b = bundle(['sh', '-c', 'stat -c "%n %a %u %g" /etc/passwd /etc/sub /etc/link; cat /etc/sub/f; readlink /etc/link; echo new > /etc/sub/f && cat /etc/sub/f; grep " /etc " /proc/self/mountinfo | cut -d" " -f9'], (c) => {
      c.mounts.push({ destination: '/etc', type: 'tmpfs', source: 'tmpfs', options: ['tmpcopyup', 'mode=755'] });
    });
    mkdirSync(join(b, 'rootfs', 'etc', 'sub'));
    writeFileSync(join(b, 'rootfs', 'etc', 'sub', 'f'), 'original\n');
    chmodSync(join(b, 'rootfs', 'etc', 'passwd'), 0o640);
    chownSync(join(b, 'rootfs', 'etc', 'sub'), 1000, 1000);
    symlinkSync('sub/f', join(b, 'rootfs', 'etc', 'link'));
    const r = berth('run', '-b', b, 'copyup');
    expect(r).toEqual({ code: 0, stdout: '/etc/passwd 640 0 0\n/etc/sub 755 1000 1000\n/etc/link 777 0 0\noriginal\nsub/f\nnew\ntmpfs\n', stderr: '' });
    // The writes went to the tmpfs: the bundle's file is untouched.
    expect(readFileSync(join(b, 'rootfs', 'etc', 'sub', 'f'), 'utf8')).toBe('original\n');
  });

  it('joins an existing namespace given by path', () => {
    const first = bundle(['sleep', '100'], (c) => (c.hostname = 'shared-uts'));
    expect(berth('run', '-d', '-b', first, 'owner').code).toBe(0);
    const pid = JSON.parse(berth('state', 'owner').stdout).pid;
    const r = berth('run', '-b', bundle(['hostname'], (c) => {
      delete c.hostname;
      c.linux.namespaces = c.linux.namespaces.map((n: { type: string }) => (n.type === 'uts' ? { type: 'uts', path: `/proc/${pid}/ns/uts` } : n));
    }), 'joiner');
    expect(r.stdout.trim()).toBe('shared-uts');
    const wrongType = berth('create', '-b', bundle(['true'], (c) => {
      c.linux.namespaces = c.linux.namespaces.map((n: { type: string }) => (n.type === 'ipc' ? { type: 'ipc', path: `/proc/${pid}/ns/uts` } : n));
    }), 'wrong');
    expect(wrongType.code).toBe(1);
    expect(wrongType.stderr).toContain(`join namespace /proc/${pid}/ns/uts (is it a namespace of that type?): Invalid argument`);
  });

  it('a read-only path keeps the nosuid, nodev and noexec of the mount it lies on (/proc), as runc\'s', () => {
    const r = berth('run', '-b', bundle(['sh', '-c', 'grep " /proc/sys " /proc/self/mounts | cut -d" " -f4'], (c) => {
      c.linux.readonlyPaths = ['/proc/sys'];
      c.mounts.find((m: { destination: string }) => m.destination === '/proc').options = ['nosuid', 'nodev', 'noexec']; // as podman mounts it
    }), 'ro1');
    expect(r).toEqual({ code: 0, stdout: 'ro,nosuid,nodev,noexec,relatime\n', stderr: '' });
  });

  it('runs with shared rootfs propagation (podman\'s for an rshared volume): the root is shared inside', () => {
    // mountinfo's fifth field is the mount point; "shared:N" among the optional fields after it.
    const r = berth('run', '-b', bundle(['sh', '-c', 'cut -d" " -f5- /proc/self/mountinfo | grep "^/ " | grep -c shared:'], (c) => (c.linux.rootfsPropagation = 'shared')), 'shared1');
    expect(r).toEqual({ code: 0, stdout: '1\n', stderr: '' });
  });

  it('the container process leads a session of its own (a manager kills its process group), as runc\'s', () => {
    expect(berth('run', '-d', '-b', bundle(['sleep', '100']), 'sess1').code).toBe(0);
    const pid = JSON.parse(berth('state', 'sess1').stdout).pid;
    // /proc/PID/stat: pid (comm) state ppid pgrp session ...
    const [pgrp, session] = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ').slice(2, 4).map(Number);
    expect({ pgrp, session }).toEqual({ pgrp: pid, session: pid });
    expect(berth('exec', 'sess1', 'sh', '-c', 'cut -d" " -f5,6 /proc/self/stat; echo $$')).toMatchObject({ code: 0, stdout: expect.stringMatching(/^(\d+) \1\n\1\n$/) });
  });

  it('a sysctl in a network namespace joined by path applies there (podman\'s shape); the host\'s own is refused', () => {
    expect(berth('run', '-d', '-b', bundle(['sleep', '100']), 'netowner').code).toBe(0);
    const pid = JSON.parse(berth('state', 'netowner').stdout).pid;
    const hostValue = readFileSync('/proc/sys/net/ipv4/ping_group_range', 'utf8');
    const joinNetwork = (path: string) => (c: Record<string, any>) => {
      c.linux.namespaces = c.linux.namespaces.map((n: { type: string }) => (n.type === 'network' ? { type: 'network', path } : n));
      c.linux.sysctl = { 'net.ipv4.ping_group_range': '0 2000' };
    };
    const r = berth('run', '-b', bundle(['cat', '/proc/sys/net/ipv4/ping_group_range'], joinNetwork(`/proc/${pid}/ns/net`)), 'netjoiner');
    expect(r).toEqual({ code: 0, stdout: '0\t2000\n', stderr: '' });
    expect(readFileSync('/proc/sys/net/ipv4/ping_group_range', 'utf8')).toBe(hostValue);
    const own = `/proc/${process.pid}/ns/net`;
    const refused = berth('create', '-b', bundle(['true'], joinNetwork(own)), 'nethost');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`/linux/sysctl/net.ipv4.ping_group_range: would change the host's: the network namespace the container joins (${own}) is the host's`);
    expect(readFileSync('/proc/sys/net/ipv4/ping_group_range', 'utf8')).toBe(hostValue);
  });

  it('refuses a hostname or domainname in the host\'s own UTS namespace joined by path, and the host keeps its names', () => {
    const hostName = hostname();
    const own = `/proc/${process.pid}/ns/uts`;
    const joinHostUts = (c: Record<string, any>) => {
      c.linux.namespaces = c.linux.namespaces.filter((n: { type: string }) => n.type !== 'uts').concat({ type: 'uts', path: own });
      c.hostname = 'not-the-host';
      c.domainname = 'not-the-host-domain';
    };
    const refused = berth('run', '-b', bundle(['true'], joinHostUts), 'utshost');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`/hostname: would change the host's hostname: the uts namespace the container joins (${own}) is the host's`);
    expect(refused.stderr).toContain(`/domainname: would change the host's domainname: the uts namespace the container joins (${own}) is the host's`);
    expect(hostname()).toBe(hostName);
    expect(readdirSync(root)).toEqual([]);
  });

  it('passes --preserve-fds to the container at fd 3', () => {
    const out = join(dir, 'fd3');
    const fd = require('node:fs').openSync(out, 'w');
    const r = require('node:child_process').spawnSync(process.execPath, [join(import.meta.dirname, '..', '..', '..', 'dist', 'berth.cjs'), '--root', root, 'run', '--preserve-fds', '1', '-b', bundle(['sh', '-c', 'echo via-fd3 >&3; ls /proc/self/fd']), 'pf'], { stdio: ['ignore', 'pipe', 'pipe', fd], encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe('via-fd3\n');
    expect(r.stdout.trim().split('\n').sort()).toEqual(['0', '1', '2', '3', '4']);
  });

  it('refuses an AppArmor profile or SELinux label on a host without the module, naming the field', () => {
    const a = berth('create', '-b', bundle(['true'], (c) => (c.process.apparmorProfile = 'berth-default')), 'aa');
    expect(a.code).toBe(1);
    expect(a.stderr).toContain('/process/apparmorProfile: AppArmor is not enabled on this host');
    const s = berth('create', '-b', bundle(['true'], (c) => (c.process.selinuxLabel = 'system_u:system_r:container_t:s0')), 'se');
    expect(s.stderr).toContain('/process/selinuxLabel: SELinux is not enabled on this host');
    expect(readdirSync(root)).toEqual([]);
  });

  it('with a terminal, hands the pty master to --console-socket as runc does', async () => {
    const socketPath = join(dir, 'console.sock');
    const receiver = spawn('python3', [join(import.meta.dirname, '..', 'test-support', 'console-receiver.py'), socketPath], { stdio: ['ignore', 'pipe', 'inherit'] });
    let report = '';
    receiver.stdout.setEncoding('utf8').on('data', (d: string) => (report += d));
    while (!report.includes('listening')) await new Promise((r) => setTimeout(r, 20));
    const b = bundle(['sh', '-c', 'tty; stty size; echo in-tty'], (c) => {
      c.process.terminal = true;
      c.process.consoleSize = { height: 30, width: 100 };
    });
    const created = berth('create', '-b', b, '--console-socket', socketPath, 't1');
    expect(created.stderr).toBe('');
    expect(berth('start', 't1').code).toBe(0);
    await new Promise<void>((resolve) => receiver.on('close', () => resolve()));
    const result = JSON.parse(report.slice(report.indexOf('{')));
    expect(result.fds).toBe(1);
    expect(result.name).toMatch(/^\/dev\/pts\/\d+$/);
    expect(result.output.replace(/\r/g, '').split('\n').slice(0, 3)).toEqual([result.name, '30 100', 'in-tty']);
  });

  it('loads a seccomp filter: a denied syscall fails with the configured errno, with and without no_new_privs', () => {
    for (const noNewPrivileges of [true, false]) {
      const r = berth('run', '-b', bundle(['sh', '-c', 'grep Seccomp: /proc/self/status; mkdir /tmp/denied 2>&1; echo still-running'], (c) => {
        c.process.noNewPrivileges = noNewPrivileges;
        c.linux.seccomp = {
          defaultAction: 'SCMP_ACT_ALLOW',
          architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86'],
          syscalls: [
            { names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 },
            { names: ['not_a_syscall_anywhere'], action: 'SCMP_ACT_KILL' },
          ],
        };
      }), `sc-${noNewPrivileges}`);
      expect(r.stderr).toBe('');
      const lines = r.stdout.trim().split('\n');
      expect(lines[0]).toMatch(/^Seccomp:\s+2$/);
      expect(lines[1]).toMatch(/Permission denied/);
      expect(lines[2]).toBe('still-running');
    }
  });

  it('hands the seccomp notify fd and the container process state to the listener', async () => {
    for (const noNewPrivileges of [false, true]) {
      const socketPath = join(dir, `agent-${noNewPrivileges}.sock`);
      const agent = spawn('python3', [join(import.meta.dirname, '..', 'test-support', 'seccomp-agent.py'), socketPath], { stdio: ['ignore', 'pipe', 'inherit'] });
      let report = '';
      agent.stdout.setEncoding('utf8').on('data', (d: string) => (report += d));
      while (!report.includes('listening')) await new Promise((r) => setTimeout(r, 20));
      const id = `agent-${noNewPrivileges}`;
      const b = bundle(['true'], (c) => {
        c.process.noNewPrivileges = noNewPrivileges;
        c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', listenerPath: socketPath, listenerMetadata: 'from-test', syscalls: [{ names: ['mknodat'], action: 'SCMP_ACT_NOTIFY' }] };
      });
      expect(berth('create', '-b', b, id).stderr).toBe('');
      const pid = JSON.parse(berth('state', id).stdout).pid;
      expect(berth('start', id).code).toBe(0);
      await new Promise<void>((resolve) => agent.on('close', () => resolve()));
      const got = JSON.parse(report.slice(report.indexOf('{')));
      expect(got).toMatchObject({ fds: 1, fd: 'anon_inode:seccomp notify', closed: true });
      expect(got.state).toEqual({
        ociVersion: '1.3.0',
        fds: ['seccompFd'],
        pid,
        metadata: 'from-test',
        state: { ociVersion: '1.3.0', id, status: noNewPrivileges ? 'created' : 'creating', pid, bundle: b },
      });
    }
  });

  it('SCMP_ACT_NOTIFY without a listener is refused at its pointer', () => {
    const r = berth('create', '-b', bundle(['true'], (c) => (c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mknodat'], action: 'SCMP_ACT_NOTIFY' }] })), 'nolistener');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('/linux/seccomp/syscalls/0/action: SCMP_ACT_NOTIFY needs /linux/seccomp/listenerPath');
  });

  it('a seccomp rule with argument conditions filters only matching calls', () => {
    // open/openat with O_TRUNC (0o1000) in their flags are denied; a plain read is not.
    const r = berth('run', '-b', bundle(['sh', '-c', 'echo x > /tmp/f || echo trunc-denied; head -c 5 /proc/self/status | grep -q Name && echo read-ok'], (c) => {
      c.linux.seccomp = {
        defaultAction: 'SCMP_ACT_ALLOW',
        syscalls: [
          { names: ['openat'], action: 'SCMP_ACT_ERRNO', errnoRet: 1, args: [{ index: 2, value: 0o1000, valueTwo: 0o1000, op: 'SCMP_CMP_MASKED_EQ' }] },
          { names: ['open'], action: 'SCMP_ACT_ERRNO', errnoRet: 1, args: [{ index: 1, value: 0o1000, valueTwo: 0o1000, op: 'SCMP_CMP_MASKED_EQ' }] },
        ],
      };
    }), 'sc-args');
    expect(r.stdout.trim().split('\n')).toEqual(['trunc-denied', 'read-ok']);
    expect(r.stderr).toContain("can't create /tmp/f: Operation not permitted");
  });

  it('a new time namespace gets its offsets', () => {
    const r = berth('run', '-b', bundle(['cat', '/proc/uptime'], (c) => {
      c.linux.namespaces.push({ type: 'time' });
      c.linux.timeOffsets = { boottime: { secs: 8640000 }, monotonic: { secs: 100 } };
    }), 'time1');
    expect(r.stderr).toBe('');
    expect(Number(r.stdout.split(' ')[0])).toBeGreaterThan(8640000);
  });

  it('recursive options reach submounts of a bind mount (rro), plain ro does not', () => {
    const source = join(dir, 'tree');
    mkdirSync(join(source, 'sub'), { recursive: true });
    expect(require('node:child_process').spawnSync('mount', ['-t', 'tmpfs', 'tmpfs', join(source, 'sub')]).status).toBe(0);
    try {
      for (const [options, expected] of [[['rbind', 'rro'], 'ro'], [['rbind', 'ro'], 'rw']] as const) {
        const r = berth('run', '-b', bundle(['sh', '-c', 'touch /data/sub/x 2>/dev/null && echo rw || echo ro'], (c) => {
          c.mounts.push({ destination: '/data', type: 'bind', source, options });
        }), `rro-${options.join('-')}`);
        expect(r.stdout.trim(), options.join(',')).toBe(expected);
      }
    } finally {
      require('node:child_process').spawnSync('umount', [join(source, 'sub')]);
    }
  });

  it('the container process runs from a sealed copy of the helper, never the host binary (CVE-2019-5736 class)', () => {
    const out = join(dir, 'exe');
    const script = `read -r s; pid=$(echo "$s" | sed 's/.*"pid":\\([0-9]*\\).*/\\1/'); readlink /proc/$pid/exe > ${out}; (echo x >> /proc/$pid/exe) 2>> ${out} || echo write-refused >> ${out}`;
    const r = berth('run', '-b', bundle(['true'], (c) => (c.hooks = { createRuntime: [{ path: '/bin/sh', args: ['sh', '-c', script] }] })), 'exe1');
    expect(r.code).toBe(0);
    const [link, ...rest] = readFileSync(out, 'utf8').trim().split('\n');
    expect(link).toBe('/memfd:berth-helper (deleted)');
    expect(rest.at(-1)).toBe('write-refused');
  });

  it('a bundle made by runc spec runs the same under berth and runc: identity, capabilities, limits, env, mounts, /dev, fds', () => {
    const runc = ['/usr/sbin/runc', '/usr/bin/runc'].find((p) => existsSync(p));
    if (!runc) return void expect.fail('runc is needed for this comparison (apt-get install runc)');
    const b = bundle(['true']);
    rmSync(join(b, 'config.json'));
    expect(require('node:child_process').spawnSync(runc, ['spec'], { cwd: b }).status).toBe(0);
    const config = JSON.parse(readFileSync(join(b, 'config.json'), 'utf8'));
    config.process.terminal = false;
    config.process.args = ['sh', '-c', 'hostname; id; grep -E "^(Cap|NoNewPrivs|Seccomp)" /proc/self/status; ulimit -n; ulimit -Hn; umask; pwd; env | sort; cut -d" " -f2,3,4 /proc/self/mounts | sort; ls -la /dev | sed -E "s/ +/ /g" | cut -d" " -f1,3,4,5,10- | sort; ls /proc/self/fd'];
    writeFileSync(join(b, 'config.json'), JSON.stringify(config));
    const env = { ...process.env };
    delete env.NODE_EXTRA_CA_CERTS;
    const theirs = require('node:child_process').spawnSync(runc, ['--root', join(dir, 'runc-root'), 'run', 'same'], { cwd: b, encoding: 'utf8', env });
    const ours = berth('run', '-b', b, 'same');
    expect(theirs.status).toBe(0);
    expect(ours).toEqual({ code: 0, stdout: theirs.stdout, stderr: theirs.stderr });
  });

  it('makes configured devices; a fileMode with its type bits (as podman writes it) gives the same node', () => {
    const r = berth('run', '-b', bundle(['stat', '-c', '%n %F %a %t,%T %u', '/dev/xnull', '/dev/xzero'], (c) => {
      c.linux.devices = [
        { type: 'c', path: '/dev/xnull', major: 1, minor: 3, fileMode: 0o020640, uid: 1000, gid: 0 },
        { type: 'c', path: '/dev/xzero', major: 1, minor: 5, fileMode: 0o640, uid: 1000, gid: 0 },
      ];
    }), 'dev1');
    expect(r).toEqual({ code: 0, stdout: '/dev/xnull character special file 640 1,3 1000\n/dev/xzero character special file 640 1,5 1000\n', stderr: '' });
  });

  it('the probe inside a container reports its own namespaces, identity and mounts', () => {
    const b = bundle(['/probe', '--stat', '/dev/null', '--write', '/ro-test', 'x'], (c) => {
      c.hostname = 'probed';
      c.process.user = { uid: 1000, gid: 1000, additionalGids: [3] };
    });
    expect(require('node:child_process').spawnSync('sh', [join(import.meta.dirname, '..', '..', '..', 'native', 'build-probe.sh'), join(b, 'rootfs')]).status).toBe(0);
    require('node:fs').renameSync(join(b, 'rootfs', 'berth-probe'), join(b, 'rootfs', 'probe'));
    const r = berth('run', '-b', b, 'probe1');
    expect(r.stderr).toBe('');
    const seen = JSON.parse(r.stdout);
    expect(seen).toMatchObject({ uid: 1000, gid: 1000, groups: [3], hostname: 'probed', pid: 1, cwd: '/', noNewPrivs: true, writes: { '/ro-test': 'Read-only file system' } });
    expect(seen.files['/dev/null']).toMatchObject({ type: 'char', major: 1, minor: 3, mode: '0666' });
    const host = (ns: string) => Number(/\[(\d+)\]/.exec(require('node:fs').readlinkSync(`/proc/self/ns/${ns}`))![1]);
    for (const ns of ['mnt', 'pid', 'net', 'ipc', 'uts', 'cgroup']) expect(seen.namespaces[ns], ns).not.toBe(host(ns));
    expect(seen.namespaces.user).toBe(host('user'));
    expect(seen.fds.map((f: { fd: number }) => f.fd)).toEqual([0, 1, 2]);
    expect(seen.caps.effective).toEqual([]);
    expect(seen.mounts.find((m: { mountPoint: string }) => m.mountPoint === '/')).toMatchObject({ options: expect.arrayContaining(['ro']) });
  });

  it('run in the foreground with a terminal and no console socket relays the pty, as runc run does', () => {
    const r = berth('run', '-b', bundle(['sh', '-c', 'tty; echo in-tty; exit 4'], (c) => (c.process.terminal = true)), 'tty-fg');
    expect(r.code).toBe(4);
    expect(r.stdout.replace(/\r/g, '')).toMatch(/^\/dev\/pts\/\d+\nin-tty\n$/);
    expect(existsSync(root) ? readdirSync(root) : []).toEqual([]);
  });

  it('applies the scheduler policy and the final CPU affinity', () => {
    const r = berth('run', '-b', bundle(['sh', '-c', "cut -d' ' -f19,41 /proc/self/stat; grep Cpus_allowed_list /proc/self/status"], (c) => {
      c.process.scheduler = { policy: 'SCHED_BATCH', nice: 5 };
      c.process.execCPUAffinity = { initial: '0-1', final: '0' };
    }), 'sched1');
    expect(r.stderr).toBe('');
    const [stat, cpus] = r.stdout.trim().split('\n');
    expect(stat).toBe('5 3');
    expect(cpus).toMatch(/^Cpus_allowed_list:\s+0$/);
  });

  it('README\'s first command: the demo bundle built from the probe runs', () => {
    const demo = join(dir, 'probe-demo');
    const made = require('node:child_process').spawnSync('sh', [join(import.meta.dirname, '..', '..', '..', 'native', 'demo-bundle.sh'), demo], { encoding: 'utf8' });
    expect(made.status, made.stderr).toBe(0);
    const r = berth('run', '-b', demo, 'demo');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ pid: 1, hostname: 'berth', uid: 0, files: { '/dev/null': { type: 'char' } } });
  });

  it('kill --all signals every process of the container; kill signals only its init', async () => {
    // Children that ignore nothing: TERM kills them; the init (sh as pid 1) ignores TERM.
    const b = bundle(['sh', '-c', 'sleep 100 & sleep 100 & wait']);
    expect(berth('run', '-d', '-b', b, 'all1').code).toBe(0);
    const init = JSON.parse(berth('state', 'all1').stdout).pid;
    const ns = require('node:fs').readlinkSync(`/proc/${init}/ns/pid`);
    const members = () => readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
      try {
        return require('node:fs').readlinkSync(`/proc/${p}/ns/pid`) === ns && !/\) Z /.test(readFileSync(`/proc/${p}/stat`, 'utf8'));
      } catch {
        return false;
      }
    });
    for (let i = 0; i < 50 && members().length < 3; i++) await new Promise((r) => setTimeout(r, 20));
    expect(members()).toHaveLength(3);
    expect(berth('kill', 'all1', 'TERM').code).toBe(0);
    await new Promise((r) => setTimeout(r, 200));
    expect(members()).toHaveLength(3); // pid 1 ignores TERM; its children were not signalled
    expect(berth('kill', '--all', 'all1', 'TERM').code).toBe(0);
    // The children die of it; then the init's `wait` returns and the container ends.
    for (let i = 0; i < 100 && members().length > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(members()).toEqual([]);
    expect(JSON.parse(berth('state', 'all1').stdout).status).toBe('stopped');
  });

  it('berth plan shows the plan without running anything, each op with the config field it comes from', () => {
    const r = runBerth(['plan', '-b', bundle(['true'], (c) => (c.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 512, hard: 1024 }]))]);
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout);
    expect(plan.backend).toBe('native');
    expect(plan.plan.child.at(-1)).toMatchObject({ op: 'EXEC', field: '/process/args' });
    expect(plan.plan.child.find((o: { op: string }) => o.op === 'SETRLIMIT')).toEqual({ op: 'SETRLIMIT', args: [7, '512', '1024'], field: '/process/rlimits/0' });
    expect(plan.plan.child.find((o: { op: string }) => o.op === 'CHDIR')).toEqual({ op: 'CHDIR', args: ['/'], field: '/process/cwd' });
  });
});

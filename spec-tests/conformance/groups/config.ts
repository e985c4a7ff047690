import fc from 'fast-check';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BundleFile } from '../bundle.js';
import { clauses } from '../clauses.js';
import { expectThat, property, type CaseContext } from '../property.js';
import { namespaceInode } from '../residue.js';
import { sleep } from '../runtime-driver.js';
import {
  argsEnvCase,
  capabilitiesCase,
  cwdCase,
  defaultDevices,
  devicesCase,
  envVerbatimCase,
  expectedCapabilities,
  expectedMount,
  joinableNamespaces,
  mountOptions,
  mountsCase,
  namespacesCase,
  newableNamespaces,
  oomScoreAdjCase,
  pathsCase,
  probeNamespaceName,
  rlimitsCase,
  secretFile,
  sysctlCase,
  umaskCase,
  userCase,
  utsCase,
  type MountCase,
  type PathsCase,
} from './config-gen.js';
import { probeArgs, probeConfig, runProbe, show, type ProbeReport } from './probe-run.js';

/**
 * "Config applied": generated valid configs run with berth-probe as the program, and what the
 * probe sees must be what the config asks for (runtime.md Create: "All of the properties
 * configured in config.json except for process MUST be applied", and the process when started).
 */

const sorted = (xs: readonly string[] | null | undefined) => [...(xs ?? [])].sort();

export const processArgsEnv = property({
  id: 'config/process-args-env',
  group: 'config',
  title: 'the program gets exactly the configured argv and environment',
  clauses: [clauses.processArgsEnv],
  arbitrary: () => argsEnvCase,
  describe: (c) => `args ${show(c.args)}, env ${show(c.env)}`,
  check: async (c, ctx) => {
    const config = probeConfig(ctx, [], (cfg) => {
      cfg.process!.args = probeArgs([], c.args);
      cfg.process!.env = c.env;
    });
    const report = await runProbe(ctx, config);
    expectThat(show(report.args) === show(config.process!.args), clauses.processArgsEnv, () => `argv is ${show(report.args)}, config args ${show(config.process!.args)}`);
    expectThat(show(report.env) === show(c.env), clauses.processArgsEnv, () => `environ is ${show(report.env)}, config env ${show(c.env)}`);
  },
});

export const processEnvVerbatim = property({
  id: 'config/process-env-verbatim',
  group: 'config',
  title: 'an environment without HOME reaches the program as it is: nothing added',
  clauses: [clauses.processArgsEnv],
  arbitrary: () => envVerbatimCase,
  describe: (env) => `env ${show(env)}`,
  check: async (env, ctx) => {
    const report = await runProbe(ctx, probeConfig(ctx, [], (cfg) => (cfg.process!.env = env)));
    expectThat(show(report.env) === show(env), clauses.processArgsEnv, () => `environ is ${show(report.env)}, config env ${show(env)}`);
  },
});

export const processCwd = property({
  id: 'config/process-cwd',
  group: 'config',
  title: 'the program starts in the configured working directory',
  clauses: [clauses.processCwd],
  arbitrary: () => cwdCase,
  describe: (cwd) => `cwd ${show(cwd)}`,
  check: async (cwd, ctx) => {
    const report = await runProbe(ctx, probeConfig(ctx, [], (cfg) => (cfg.process!.cwd = cwd)), [{ path: `rootfs${cwd}` }]);
    expectThat(report.cwd === cwd, clauses.processCwd, () => `the working directory is ${show(report.cwd)}, config cwd ${show(cwd)}`);
  },
});

export const processUser = property({
  id: 'config/process-user',
  group: 'config',
  title: 'the program runs with the configured uid, gid and additional gids',
  clauses: [clauses.processUser],
  arbitrary: () => userCase,
  describe: (u) => `user ${show(u)}`,
  check: async (u, ctx) => {
    const report = await runProbe(ctx, probeConfig(ctx, [], (cfg) => (cfg.process!.user = { ...u })));
    const ids = { uid: report.uid, euid: report.euid, gid: report.gid, egid: report.egid };
    expectThat(show(ids) === show({ uid: u.uid, euid: u.uid, gid: u.gid, egid: u.gid }), clauses.processUser, () => `ids are ${show(ids)}, config user ${show(u)}`);
    const groups = [...new Set(report.groups)].sort((a, b) => a - b);
    const wanted = [...u.additionalGids].sort((a, b) => a - b);
    expectThat(show(groups) === show(wanted), clauses.processUser, () => `supplementary groups are ${show(groups)}, config additionalGids ${show(u.additionalGids)}`);
  },
});

export const processUmask = property({
  id: 'config/process-umask',
  group: 'config',
  title: 'the program runs with the configured umask',
  clauses: [clauses.processUmask],
  arbitrary: () => umaskCase,
  describe: (m) => `umask 0${m.toString(8)}`,
  check: async (umask, ctx) => {
    const report = await runProbe(ctx, probeConfig(ctx, [], (cfg) => (cfg.process!.user.umask = umask)));
    expectThat(report.umask === umask, clauses.processUmask, () => `the umask is 0${report.umask.toString(8)}, config umask 0${umask.toString(8)}`);
  },
});

export const processCapabilities = property({
  id: 'config/process-capabilities',
  group: 'config',
  title: 'a non-root program keeps exactly the configured bounding, inheritable and ambient capabilities (and ambient as permitted and effective)',
  clauses: [clauses.processCapabilities],
  arbitrary: (assets) => capabilitiesCase(assets.host),
  describe: (c) => show(c),
  check: async (c, ctx) => {
    const { uid, ...sets } = c;
    const report = await runProbe(ctx, probeConfig(ctx, [], (cfg) => {
      cfg.process!.user = { uid, gid: uid };
      cfg.process!.capabilities = sets;
    }));
    const expected = expectedCapabilities(c);
    for (const set of ['bounding', 'inheritable', 'ambient', 'permitted', 'effective'] as const) {
      expectThat(show(sorted(report.caps[set])) === show(expected[set]), clauses.processCapabilities, () => `${set} is ${show(sorted(report.caps[set]))}; with these sets a non-root program must have ${show(expected[set])}`);
    }
  },
});

export const processRlimits = property({
  id: 'config/process-rlimits',
  group: 'config',
  title: 'the program has exactly the configured soft and hard resource limits',
  clauses: [clauses.processRlimits],
  arbitrary: (assets) => rlimitsCase(assets.host),
  describe: (r) => show(r),
  check: async (rlimits, ctx) => {
    const report = await runProbe(ctx, probeConfig(ctx, [], (cfg) => (cfg.process!.rlimits = rlimits)));
    for (const r of rlimits) {
      const seen = report.rlimits[r.type];
      expectThat(seen?.soft === r.soft && seen?.hard === r.hard, clauses.processRlimits, () => `${r.type} is ${show(seen)}, config ${show({ soft: r.soft, hard: r.hard })}`);
    }
  },
});

export const hostAndDomainName = property({
  id: 'config/hostname',
  group: 'config',
  title: 'the container sees the configured hostname and domainname',
  clauses: [clauses.hostname, clauses.domainname],
  arbitrary: () => utsCase,
  describe: (u) => show(u),
  check: async (u, ctx) => {
    const report = await runProbe(ctx, probeConfig(ctx, [], (cfg) => {
      cfg.hostname = u.hostname;
      if (u.domainname !== undefined) cfg.domainname = u.domainname;
    }));
    expectThat(report.hostname === u.hostname, clauses.hostname, () => `the hostname is ${show(report.hostname)}, config ${show(u.hostname)}`);
    if (u.domainname !== undefined) expectThat(report.domainname === u.domainname, clauses.domainname, () => `the domainname is ${show(report.domainname)}, config ${show(u.domainname)}`);
  },
});

const mountDestination = (m: MountCase, i: number) => `/mnt/${m.kind}${i}`;

export const mounts = property({
  id: 'config/mounts',
  group: 'config',
  title: 'tmpfs and bind mounts appear where configured, with their ro/nosuid/nodev/noexec flags, tmpfs size and mode, and the bound content',
  clauses: [clauses.mountsApplied],
  arbitrary: () => mountsCase,
  describe: (ms) => ms.map((m, i) => `${mountDestination(m, i)} ${m.kind} [${mountOptions(m).join(',')}]`).join('; '),
  check: async (ms, ctx) => {
    const files: BundleFile[] = [];
    const options: string[] = [];
    const config = probeConfig(ctx, [], () => {});
    ms.forEach((m, i) => {
      const dest = mountDestination(m, i);
      files.push({ path: `rootfs${dest}` });
      options.push('--stat', dest, '--write', `${dest}/written`, 'x');
      if (m.kind === 'bind') {
        files.push({ path: `volumes/v${i}/data`, content: m.content });
        options.push('--read', `${dest}/data`);
        config.mounts!.push({ destination: dest, type: 'none', source: join(ctx.dir, `volumes/v${i}`), options: mountOptions(m) });
      } else {
        config.mounts!.push({ destination: dest, type: 'tmpfs', source: 'tmpfs', options: mountOptions(m) });
      }
    });
    config.process!.args = probeArgs(options);
    const report = await runProbe(ctx, config, files);
    ms.forEach((m, i) => {
      const dest = mountDestination(m, i);
      const mount = report.mounts.filter((x) => x.mountPoint === dest).at(-1);
      expectThat(mount !== undefined, clauses.mountsApplied, () => `nothing is mounted at ${dest}`);
      const want = expectedMount(m);
      if (m.kind === 'tmpfs') expectThat(mount.fsType === 'tmpfs', clauses.mountsApplied, () => `${dest} is ${mount.fsType}, not tmpfs`);
      const missing = [...want.options.filter((o) => !mount.options.includes(o)), ...want.superOptions.filter((o) => !mount.superOptions.includes(o))];
      const extra = want.absentOptions.filter((o) => mount.options.includes(o));
      expectThat(missing.length === 0 && extra.length === 0, clauses.mountsApplied, () =>
        `${dest} (options ${show(mountOptions(m))}) is mounted ${show(mount.options)} ${show(mount.superOptions)}: ${[...missing.map((o) => `missing ${o}`), ...extra.map((o) => `unasked ${o}`)].join(', ')}`);
      const write = report.writes[`${dest}/written`];
      const readOnly = m.flags.includes('ro');
      expectThat(readOnly ? write === 'Read-only file system' : write === 'ok', clauses.mountsApplied, () => `writing into ${dest} (${readOnly ? 'ro' : 'rw'}) gave ${show(write)}`);
      if (m.kind === 'bind') expectThat(report.readFiles[`${dest}/data`] === m.content, clauses.mountsApplied, () => `${dest}/data reads ${show(report.readFiles[`${dest}/data`])}, the bound file holds ${show(m.content)}`);
    });
  },
});

export const readonlyRoot = property({
  id: 'config/readonly-root',
  group: 'config',
  title: 'root.readonly makes the root filesystem read-only, and only then',
  clauses: [clauses.rootReadonly],
  arbitrary: () => fc.boolean(),
  describe: (ro) => `root.readonly ${ro}`,
  check: async (ro, ctx) => {
    const report = await runProbe(ctx, probeConfig(ctx, ['--write', '/tmp/written', 'x'], (cfg) => (cfg.root!.readonly = ro)));
    const root = report.mounts.filter((m) => m.mountPoint === '/').at(-1);
    expectThat(root?.options.includes(ro ? 'ro' : 'rw') === true, clauses.rootReadonly, () => `/ is mounted ${show(root?.options)} with root.readonly ${ro}`);
    const write = report.writes['/tmp/written'];
    expectThat(ro ? write === 'Read-only file system' : write === 'ok', clauses.rootReadonly, () => `writing /tmp/written on a ${ro ? 'read-only' : 'writable'} root gave ${show(write)}`);
  },
});

/** Files (and directories holding a file) with a secret line, for maskedPaths and readonlyPaths. */
function pathFiles(c: PathsCase): BundleFile[] {
  return c.entries.map((e) => ({ path: `rootfs${secretFile(e)}`, content: e.secret }));
}
const listedPaths = (c: PathsCase) => c.entries.filter((_, i) => c.listed[i]).map((e) => e.path);
const describePaths = (field: string) => (c: PathsCase) => `${field} ${show(listedPaths(c))} of ${show(c.entries.map((e) => `${e.path}${e.dir ? '/' : ''}`))}`;

export const maskedPaths = property({
  id: 'config/masked-paths',
  group: 'config',
  title: 'maskedPaths cannot be read (files nor what a masked directory holds); paths not listed still can',
  clauses: [clauses.maskedPaths],
  arbitrary: () => pathsCase,
  describe: describePaths('maskedPaths'),
  check: async (c, ctx) => {
    const config = probeConfig(ctx, c.entries.flatMap((e) => ['--read', secretFile(e)]), (cfg) => (cfg.linux!.maskedPaths = listedPaths(c)));
    const report = await runProbe(ctx, config, pathFiles(c));
    c.entries.forEach((e, i) => {
      const seen = report.readFiles[secretFile(e)];
      if (c.listed[i]) expectThat(seen !== e.secret, clauses.maskedPaths, () => `${secretFile(e)} under masked ${e.path} still reads ${show(seen)}`);
      else expectThat(seen === e.secret, clauses.maskedPaths, () => `${secretFile(e)} is not under a masked path but reads ${show(seen)} (error ${show(report.errors[secretFile(e)])})`);
    });
  },
});

export const readonlyPaths = property({
  id: 'config/readonly-paths',
  group: 'config',
  title: 'readonlyPaths cannot be written (but can be read); paths not listed still can',
  clauses: [clauses.readonlyPaths],
  arbitrary: () => pathsCase,
  describe: describePaths('readonlyPaths'),
  check: async (c, ctx) => {
    const target = (e: PathsCase['entries'][number]) => (e.dir ? `${e.path}/new` : e.path);
    const config = probeConfig(ctx, c.entries.flatMap((e) => ['--write', target(e), 'changed', '--read', secretFile(e)]), (cfg) => (cfg.linux!.readonlyPaths = listedPaths(c)));
    const report = await runProbe(ctx, config, pathFiles(c));
    c.entries.forEach((e, i) => {
      const write = report.writes[target(e)];
      if (c.listed[i]) {
        expectThat(write === 'Read-only file system', clauses.readonlyPaths, () => `writing ${target(e)} under read-only ${e.path} gave ${show(write)}`);
        expectThat(report.readFiles[secretFile(e)] === e.secret, clauses.readonlyPaths, () => `read-only ${secretFile(e)} reads ${show(report.readFiles[secretFile(e)])}, it holds ${show(e.secret)}`);
      } else {
        expectThat(write === 'ok', clauses.readonlyPaths, () => `writing ${target(e)}, which no readonlyPaths entry covers, gave ${show(write)}`);
      }
    });
  },
});

/** A process in new network, IPC and UTS namespaces whose /proc/PID/ns files a config can name. */
export async function namespaceHolder(ctx: CaseContext): Promise<{ pid: number; inode: (kind: string) => number | null; stop: () => void }> {
  const child = spawn('unshare', ['--net', '--ipc', '--uts', '/bin/sleep', '600'], { stdio: 'ignore', detached: false });
  const pid = child.pid!;
  // unshare execs sleep once the namespaces exist: wait until its net namespace is not ours.
  const inode = (kind: string) => namespaceInode(pid, probeNamespaceName(kind));
  for (let i = 0; i < 100 && inode('network') === ctx.assets.host.namespaces.net; i++) await sleep(20);
  ctx.runtime.note('config.json joins namespaces of a process the suite started with `unshare --net --ipc --uts sleep 600`; replay makes a new one:');
  ctx.runtime.shell(`unshare --net --ipc --uts /bin/sleep 600 & holder=$!; sleep 0.2; sed -i "s#/proc/[0-9]*/ns/#/proc/$holder/ns/#g" "$here/config.json"; trap 'cleanup; kill $holder' EXIT`);
  return { pid, inode, stop: () => child.kill('SIGKILL') };
}

export const namespaces = property({
  id: 'config/namespaces',
  group: 'config',
  title: 'each listed namespace is new, or the one its path names; each one not listed is the runtime\'s',
  clauses: [clauses.namespacesNew, clauses.namespacesPath],
  arbitrary: () => namespacesCase,
  describe: (c) => `new mount + ${show(c.fresh)}, joined by path ${show(c.joined)}`,
  check: async (c, ctx) => {
    const holder = c.joined.length > 0 ? await namespaceHolder(ctx) : undefined;
    try {
      const config = probeConfig(ctx, [], (cfg) => {
        cfg.linux!.namespaces = [{ type: 'mount' }, ...c.fresh.map((type) => ({ type })), ...c.joined.map((type) => ({ type, path: `/proc/${holder!.pid}/ns/${probeNamespaceName(type)}` }))];
        // Without a UTS namespace of its own, setting a hostname would change the host's: runtimes refuse it.
        if (!c.fresh.includes('uts') && !c.joined.includes('uts')) delete cfg.hostname;
      });
      const report = await runProbe(ctx, config);
      const host = ctx.assets.host.namespaces as Record<string, number | null>;
      for (const type of ['mount', ...newableNamespaces]) {
        const kind = probeNamespaceName(type);
        const seen = report.namespaces[kind];
        if (c.joined.includes(type as (typeof joinableNamespaces)[number])) {
          expectThat(seen === holder!.inode(type), clauses.namespacesPath, () => `${type} namespace is ${seen}, the path names ${holder!.inode(type)}`);
        } else if (type === 'mount' || c.fresh.includes(type as (typeof newableNamespaces)[number])) {
          expectThat(seen !== null && seen !== host[kind], clauses.namespacesNew, () => `${type} is listed without a path, but the container is in the runtime's ${type} namespace (${seen})`);
        } else {
          expectThat(seen === host[kind], clauses.namespacesNew, () => `${type} is not listed, but the container's ${type} namespace (${seen}) is not the runtime's (${host[kind]})`);
        }
      }
    } finally {
      holder?.stop();
    }
  },
});

export const oomScoreAdj = property({
  id: 'config/oom-score-adj',
  group: 'config',
  title: 'oom_score_adj is the configured value, or the runtime\'s own when none is set',
  clauses: [clauses.processOomScoreAdj],
  arbitrary: (assets) => oomScoreAdjCase(assets.host),
  describe: (v) => (v === undefined ? 'oomScoreAdj not set' : `oomScoreAdj ${v}`),
  check: async (value, ctx) => {
    const report = await runProbe(ctx, probeConfig(ctx, [], (cfg) => {
      if (value !== undefined) cfg.process!.oomScoreAdj = value;
    }));
    const wanted = value ?? ctx.assets.host.oomScoreAdj;
    expectThat(report.oomScoreAdj === wanted, clauses.processOomScoreAdj, () => `oom_score_adj is ${report.oomScoreAdj}, ${value === undefined ? 'unset in the config, so the runtime\'s own' : 'config'} ${wanted}`);
  },
});

export const sysctl = property({
  id: 'config/sysctl',
  group: 'config',
  title: 'namespaced sysctls (net.* in a new network namespace, kernel.msg*/shm* in a new IPC one) have the configured values inside, the host keeps its own',
  clauses: [clauses.sysctl],
  arbitrary: () => sysctlCase,
  describe: (s) => show(s),
  check: async (values, ctx) => {
    const report = await runProbe(ctx, probeConfig(ctx, Object.keys(values).flatMap((k) => ['--sysctl', k]), (cfg) => (cfg.linux!.sysctl = values)));
    for (const [key, value] of Object.entries(values)) {
      expectThat(report.sysctl[key] === value, clauses.sysctl, () => `${key} is ${show(report.sysctl[key])} inside, config ${show(value)}`);
      const host = readFileSync(`/proc/sys/${key.replaceAll('.', '/')}`, 'utf8').trim();
      expectThat(host === ctx.assets.host.sysctls[key], clauses.sysctl, () => `${key} changed on the host: ${show(ctx.assets.host.sysctls[key])} became ${show(host)}`);
    }
  },
});

export const devices = property({
  id: 'config/devices',
  group: 'config',
  title: 'the default devices and the configured ones exist with their type, numbers, mode and owner',
  clauses: [clauses.defaultDevices, clauses.devices],
  arbitrary: () => devicesCase,
  describe: (ds) => show(ds),
  check: async (ds, ctx) => {
    const paths = [...Object.keys(defaultDevices), '/dev/ptmx', ...ds.map((d) => d.path)];
    const config = probeConfig(ctx, paths.flatMap((p) => ['--stat', p]), (cfg) => {
      cfg.linux!.devices = ds.map((d) => ({ path: d.path, type: 'c', major: 1, minor: d.minor, fileMode: d.fileMode, uid: d.uid, gid: d.gid }));
    });
    const report: ProbeReport = await runProbe(ctx, config);
    for (const [path, [type, major, minor]] of Object.entries(defaultDevices)) {
      const f = report.files[path];
      expectThat(f?.type === type && f.major === major && f.minor === minor, clauses.defaultDevices, () => `${path} is ${show(f)}, not a ${type} device ${major}:${minor}`);
    }
    const ptmx = report.files['/dev/ptmx'];
    expectThat(ptmx?.type === 'link' || (ptmx?.type === 'char' && ptmx.major === 5 && ptmx.minor === 2), clauses.defaultDevices, () => `/dev/ptmx is ${show(ptmx)}`);
    for (const d of ds) {
      const f = report.files[d.path];
      const want = { type: 'char', major: 1, minor: d.minor, mode: d.fileMode.toString(8).padStart(4, '0'), uid: d.uid, gid: d.gid };
      const seen = f && { type: f.type, major: f.major, minor: f.minor, mode: f.mode, uid: f.uid, gid: f.gid };
      expectThat(show(seen) === show(want), clauses.devices, () => `${d.path} is ${show(seen)}, config ${show(want)}`);
    }
  },
});

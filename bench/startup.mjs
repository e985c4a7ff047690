#!/usr/bin/env node
// Start-up time of the built berth CLI next to bare node, runc and crun (see bench/README.md).
//
//   node bench/startup.mjs [--install] [--json FILE] [--runs N] [--no-hyperfine]
//
// Builds nothing: it measures dist/berth.cjs as it is. Uses hyperfine (-N, no shell) when it is
// on PATH, else its own loop of spawnSync calls. NODE_EXTRA_CA_CERTS is removed from the
// environment of every measured command (it adds ~70 ms to each node start on some machines).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const WARMUP = 5;
const MIN_RUNS = 30;
const TARGET_MS = 10;
const NODE = process.execPath;
const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const berthBin = path.join(projectRoot, 'dist', 'berth.cjs');

// ---------------------------------------------------------------------------------------------
// Arguments

function usage(code) {
  (code === 0 ? process.stdout : process.stderr).write(
    'usage: node bench/startup.mjs [--install] [--json FILE] [--runs N] [--no-hyperfine]\n' +
      '  --install       apt-get install busybox-static if /bin/busybox is missing (root only)\n' +
      '  --json FILE     also write the raw results to FILE\n' +
      `  --runs N        measured runs per command (default and minimum ${MIN_RUNS}; ${WARMUP} warmups each)\n` +
      '  --no-hyperfine  use the built-in spawnSync timing loop even if hyperfine is installed\n',
  );
  process.exit(code);
}

const opts = { install: false, json: undefined, runs: MIN_RUNS, hyperfine: true };
{
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const eq = a.indexOf('=');
      if (eq >= 0) return a.slice(eq + 1);
      if (i + 1 >= argv.length) usage(2);
      return argv[++i];
    };
    if (a === '--install') opts.install = true;
    else if (a === '--no-hyperfine') opts.hyperfine = false;
    else if (a === '--json' || a.startsWith('--json=')) opts.json = path.resolve(value());
    else if (a === '--runs' || a.startsWith('--runs=')) {
      opts.runs = Number(value());
      if (!Number.isInteger(opts.runs) || opts.runs < MIN_RUNS) {
        process.stderr.write(`--runs must be an integer >= ${MIN_RUNS}\n`);
        process.exit(2);
      }
    } else if (a === '-h' || a === '--help') usage(0);
    else {
      process.stderr.write(`unknown argument: ${a}\n`);
      usage(2);
    }
  }
}

if (!fs.existsSync(berthBin)) {
  process.stderr.write(`${berthBin} not found: run npm run build first\n`);
  process.exit(1);
}

// ---------------------------------------------------------------------------------------------
// Environment of every measured command

const caCerts = process.env.NODE_EXTRA_CA_CERTS;
const benchEnv = { ...process.env };
delete benchEnv.NODE_EXTRA_CA_CERTS;

const isRoot = process.getuid?.() === 0;
const notes = [];
const say = (line) => process.stdout.write(`${line}\n`);

function which(cmd) {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (!dir) continue;
    const p = path.join(dir, cmd);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      if (fs.statSync(p).isFile()) return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

function run(argv, options = {}) {
  return spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', env: benchEnv, timeout: 60_000, ...options });
}

function firstLine(text) {
  return (text ?? '').trim().split('\n')[0] ?? '';
}

function describeFailure(r) {
  if (r.error) return r.error.message;
  const out = `${r.stderr ?? ''}${r.stdout ?? ''}`.trim().replace(/\s+/g, ' ');
  return `exit ${r.status ?? `signal ${r.signal}`}${out ? `: ${out.slice(0, 300)}` : ''}`;
}

/** Warn when dist/ is older than a bundled source file: the numbers would describe an old build. */
function staleBuildWarning() {
  const built = fs.statSync(berthBin).mtimeMs;
  let newest;
  const walk = (dir) => {
    let entries;
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== 'test-support' && e.name !== 'node_modules') walk(p);
      } else if (/\.ts$/.test(e.name) && !/\.test\.ts$/.test(e.name)) {
        const m = fs.statSync(p).mtimeMs;
        if (!newest || m > newest.m) newest = { p, m };
      }
    }
  };
  walk(path.join(projectRoot, 'core'));
  walk(path.join(projectRoot, 'plugins'));
  if (newest && newest.m > built) {
    return `warning: ${path.relative(projectRoot, newest.p)} is newer than dist/berth.cjs: run npm run build for current figures`;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Containers for runc and crun to look up

/** Mount points from /proc/self/mountinfo: path -> filesystem type. */
function mounts() {
  const map = new Map();
  try {
    for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
      const [pre, post] = line.split(' - ');
      if (!post) continue;
      const mountPoint = pre.split(' ')[4].replace(/\\040/g, ' ');
      map.set(mountPoint, post.split(' ')[0]);
    }
  } catch {
    // not Linux
  }
  return map;
}

/** /bin/busybox, installing busybox-static first when asked to. Returns a path or a skip reason. */
function findBusybox() {
  const candidates = ['/bin/busybox', '/usr/bin/busybox'];
  const found = () => candidates.find((p) => fs.existsSync(p));
  if (found()) return { path: found() };
  if (!opts.install) return { reason: 'no /bin/busybox for the rootfs (pass --install to apt-get install busybox-static)' };
  if (!isRoot) return { reason: 'no /bin/busybox, and --install needs root' };
  say('installing busybox-static (--install): apt-get install -y busybox-static');
  const r = spawnSync('apt-get', ['install', '-y', 'busybox-static'], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (r.status !== 0) return { reason: `apt-get install busybox-static failed (${describeFailure(r)})` };
  return found() ? { path: found() } : { reason: 'busybox-static installed but no /bin/busybox' };
}

/** A bundle whose process is `/bin/busybox sleep 100`, made with `runc spec` (or `crun spec`). */
function makeBundle(dir, busybox, specTool) {
  fs.mkdirSync(path.join(dir, 'rootfs', 'bin'), { recursive: true });
  fs.copyFileSync(busybox, path.join(dir, 'rootfs', 'bin', 'busybox'));
  fs.chmodSync(path.join(dir, 'rootfs', 'bin', 'busybox'), 0o755);
  const r = run([specTool, 'spec'], { cwd: dir });
  if (r.status !== 0) throw new Error(`${specTool} spec failed: ${describeFailure(r)}`);
  const configPath = path.join(dir, 'config.json');
  const config = JSON.parse(fs.readFileSync(configPath, 'utf8'));
  config.process.terminal = false;
  config.process.args = ['/bin/busybox', 'sleep', '100'];
  fs.writeFileSync(configPath, `${JSON.stringify(config, null, 2)}\n`);
}

/**
 * `<runtime> --root ROOT create --bundle B ID`. Its stdio goes to a file, not a pipe: the
 * container's init inherits it and would hold a pipe open until the container is deleted.
 */
function createContainer(runtime, root, bundle, id, logFile) {
  const fd = fs.openSync(logFile, 'w');
  try {
    const r = spawnSync(runtime, ['--root', root, 'create', '--bundle', bundle, id], {
      stdio: ['ignore', fd, fd],
      env: benchEnv,
      timeout: 60_000,
    });
    if (r.status === 0) return undefined;
    const log = fs.readFileSync(logFile, 'utf8').trim().replace(/\s+/g, ' ');
    return r.error ? r.error.message : `exit ${r.status ?? `signal ${r.signal}`}${log ? `: ${log.slice(0, 300)}` : ''}`;
  } finally {
    fs.closeSync(fd);
  }
}

function deleteContainer(runtime, root, id) {
  spawnSync(runtime, ['--root', root, 'delete', '--force', id], { stdio: 'ignore', env: benchEnv, timeout: 30_000 });
}

/**
 * crun refuses a cgroup-v1 hybrid layout while the cgroup2 hierarchy still has a controller
 * ("cgroups in hybrid mode not supported, drop all controllers from cgroupv2"): typically
 * hugetlb, which nothing mounted as v1. Mounting its v1 hierarchy takes it off cgroup2.
 */
function mountHugetlbIfHybrid() {
  const m = mounts();
  const hybrid = m.get('/sys/fs/cgroup') === 'tmpfs' && m.get('/sys/fs/cgroup/unified') === 'cgroup2';
  if (!hybrid) return undefined;
  if (m.has('/sys/fs/cgroup/hugetlb')) return undefined;
  if (!isRoot) return 'not root, so did not mount the v1 hugetlb hierarchy crun may need';
  fs.mkdirSync('/sys/fs/cgroup/hugetlb', { recursive: true });
  const r = spawnSync('mount', ['-t', 'cgroup', '-o', 'hugetlb', 'cgroup', '/sys/fs/cgroup/hugetlb'], { encoding: 'utf8' });
  if (r.status !== 0) return `mount -t cgroup -o hugetlb failed: ${describeFailure(r)}`;
  const line = 'mounted the cgroup-v1 hugetlb hierarchy at /sys/fs/cgroup/hugetlb so crun can create on this hybrid cgroup layout (left mounted; `umount /sys/fs/cgroup/hugetlb` to undo)';
  say(line);
  notes.push(line);
  return 'mounted';
}

// ---------------------------------------------------------------------------------------------
// Timing

function quote(arg) {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

function stats(timesMs) {
  const n = timesMs.length;
  const mean = timesMs.reduce((a, b) => a + b, 0) / n;
  const stddev = n > 1 ? Math.sqrt(timesMs.reduce((a, t) => a + (t - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, stddev, min: Math.min(...timesMs), max: Math.max(...timesMs) };
}

function measureWithHyperfine(hyperfine, row, tmp) {
  const out = path.join(tmp, `hyperfine-${row.key}.json`);
  const args = ['-N', '--style', 'none', '--warmup', String(WARMUP), '--runs', String(opts.runs), '--export-json', out];
  if (row.expectStatus !== 0) args.push('--ignore-failure');
  args.push('--command-name', row.name, row.argv.map(quote).join(' '));
  const r = spawnSync(hyperfine, args, { encoding: 'utf8', env: benchEnv });
  if (r.signal) throw new Error(`hyperfine killed by ${r.signal}`);
  if (r.status !== 0) throw new Error(`hyperfine failed on ${row.name}: ${describeFailure(r)}`);
  const result = JSON.parse(fs.readFileSync(out, 'utf8')).results[0];
  const codes = result.exit_codes ?? [];
  const bad = codes.filter((c) => c !== row.expectStatus);
  if (bad.length > 0) throw new Error(`${row.name}: expected exit ${row.expectStatus} on every run, got ${[...new Set(bad)].join(', ')}`);
  const times = result.times.map((s) => s * 1000);
  return { ...stats(times), mean: result.mean * 1000, stddev: (result.stddev ?? 0) * 1000, times, exitCodes: codes };
}

function measureWithLoop(row) {
  const once = () => {
    const start = process.hrtime.bigint();
    const r = spawnSync(row.argv[0], row.argv.slice(1), { stdio: 'ignore', env: benchEnv });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (r.error) throw r.error;
    if (r.signal) throw new Error(`${row.name}: killed by ${r.signal}`);
    if (r.status !== row.expectStatus) throw new Error(`${row.name}: expected exit ${row.expectStatus}, got ${r.status}`);
    return { ms, status: r.status };
  };
  for (let i = 0; i < WARMUP; i++) once();
  const times = [];
  const exitCodes = [];
  for (let i = 0; i < opts.runs; i++) {
    const { ms, status } = once();
    times.push(ms);
    exitCodes.push(status);
  }
  return { ...stats(times), times, exitCodes };
}

// ---------------------------------------------------------------------------------------------
// Main

const fmt = (x) => (x === undefined ? 'n/a' : x.toFixed(1));
const ratio = (a, b) => (a === undefined || b === undefined ? 'n/a' : `${(a / b).toFixed(2)}x`);

function main(cleanups) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-bench-'));
  cleanups.push(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const hyperfine = opts.hyperfine ? which('hyperfine') : undefined;
  const hyperfineVersion = hyperfine ? firstLine(run([hyperfine, '--version']).stdout) : undefined;
  const timer = hyperfine ? `${hyperfineVersion} (-N, no shell)` : 'built-in loop (spawnSync + process.hrtime; includes spawnSync overhead)';

  say('# berth start-up benchmark');
  say('');
  say(`NODE_EXTRA_CA_CERTS: unset for every measured command (${caCerts === undefined ? 'was not set' : `was ${caCerts}`})`);
  if (process.env.NODE_OPTIONS) say(`warning: NODE_OPTIONS is set (${process.env.NODE_OPTIONS}) and applies to every node row`);
  say(`node: ${NODE} ${process.version}; berth: node ${path.relative(process.cwd(), berthBin) || berthBin}`);
  say(`timer: ${timer}; ${WARMUP} warmups + ${opts.runs} runs per command`);
  say(`machine: ${os.cpus().length} CPUs, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const stale = staleBuildWarning();
  if (stale) say(stale);

  const rows = [];
  const skipped = [];
  const berthRoot = path.join(tmp, 'berth-root');
  fs.mkdirSync(berthRoot);

  rows.push({ key: 'node', name: 'node -e 0', argv: [NODE, '-e', '0'], expectStatus: 0, check: () => true });
  rows.push({
    key: 'berth-version', name: 'berth --version', argv: [NODE, berthBin, '--version'], expectStatus: 0,
    check: (r) => /^berth version /.test(r.stdout),
  });
  rows.push({
    key: 'berth-state', name: 'berth state (unknown id)', argv: [NODE, berthBin, '--root', berthRoot, 'state', 'berth-bench-missing'], expectStatus: 1,
    check: (r) => /does not exist/.test(r.stderr),
  });

  // runc and crun, each with a created (not started) container of its own.
  const runtimes = [
    { key: 'runc', bin: which('runc') ?? (fs.existsSync('/usr/sbin/runc') ? '/usr/sbin/runc' : undefined) },
    { key: 'crun', bin: which('crun') ?? (fs.existsSync('/usr/bin/crun') ? '/usr/bin/crun' : undefined) },
  ];
  let busybox;
  for (const rt of runtimes) {
    const stateName = `${rt.key} state ID`;
    const versionName = `${rt.key} --version`;
    if (!rt.bin) {
      skipped.push({ name: stateName, reason: `${rt.key} not installed` }, { name: versionName, reason: `${rt.key} not installed` });
      continue;
    }
    rt.version = firstLine(run([rt.bin, '--version']).stdout);
    const stateSkip = (reason) => skipped.push({ name: stateName, reason });
    if (!isRoot) {
      stateSkip('creating a container needs root');
    } else {
      busybox ??= findBusybox();
      if (!busybox.path) {
        stateSkip(busybox.reason);
      } else {
        const bundle = path.join(tmp, `bundle-${rt.key}`);
        const root = path.join(tmp, `${rt.key}-root`);
        const id = `berth-bench-${rt.key}-${process.pid}`;
        makeBundle(bundle, busybox.path, rt.bin);
        cleanups.push(() => deleteContainer(rt.bin, root, id));
        const logFile = path.join(tmp, `${rt.key}-create.log`);
        let failure = createContainer(rt.bin, root, bundle, id, logFile);
        if (failure && rt.key === 'crun') {
          const mounted = mountHugetlbIfHybrid();
          if (mounted === 'mounted') {
            deleteContainer(rt.bin, root, id);
            failure = createContainer(rt.bin, root, bundle, id, logFile);
          } else if (mounted) {
            failure += ` (${mounted})`;
          }
        }
        if (failure) {
          stateSkip(`${rt.key} create failed: ${failure}`);
        } else {
          rows.push({
            key: `${rt.key}-state`, name: stateName, argv: [rt.bin, '--root', root, 'state', id], expectStatus: 0,
            check: (r) => {
              const s = JSON.parse(r.stdout);
              return s.id === id && s.status === 'created' && s.pid > 0;
            },
          });
        }
      }
    }
    rows.push({ key: `${rt.key}-version`, name: versionName, argv: [rt.bin, '--version'], expectStatus: 0, check: (r) => r.stdout.length > 0 });
  }

  // berth with a real created container: the delegate backend (runc does the isolation).
  const runcBin = runtimes.find((r) => r.key === 'runc')?.bin;
  const foundName = 'berth state ID (delegate)';
  if (!isRoot) skipped.push({ name: foundName, reason: 'creating a container needs root' });
  else if (!busybox?.path) skipped.push({ name: foundName, reason: busybox?.reason ?? 'no busybox' });
  else if (!runcBin) skipped.push({ name: foundName, reason: 'runc not installed' });
  else {
    const bundle = path.join(tmp, 'bundle-berth');
    const id = `berth-bench-berth-${process.pid}`;
    makeBundle(bundle, busybox.path, runcBin);
    const configPath = path.join(bundle, 'config.json');
    const config = JSON.parse(fs.readFileSync(configPath, 'utf8'));
    config.annotations = { 'run.berth.backend': 'delegate', 'run.berth.delegate.runtime': runcBin };
    fs.writeFileSync(configPath, JSON.stringify(config));
    cleanups.push(() => spawnSync(NODE, [berthBin, '--root', berthRoot, 'delete', '--force', id], { stdio: 'ignore', env: benchEnv, timeout: 30_000 }));
    const logFile = path.join(tmp, 'berth-create.log');
    const fd = fs.openSync(logFile, 'w');
    const r = spawnSync(NODE, [berthBin, '--root', berthRoot, 'create', '--bundle', bundle, id], { stdio: ['ignore', fd, fd], env: benchEnv, timeout: 60_000 });
    fs.closeSync(fd);
    if (r.status !== 0) skipped.push({ name: foundName, reason: `berth create failed: ${fs.readFileSync(logFile, 'utf8').trim().slice(0, 300)}` });
    else {
      rows.push({
        key: 'berth-state-found', name: foundName, argv: [NODE, berthBin, '--root', berthRoot, 'state', id], expectStatus: 0,
        check: (res) => {
          const st = JSON.parse(res.stdout);
          return st.id === id && st.status === 'created' && st.pid > 0;
        },
      });
    }
  }

  // Each command once, checked, before any timing: a fast failure must not pass for a fast start.
  for (const row of rows) {
    const r = run(row.argv);
    let ok = r.status === row.expectStatus;
    try {
      ok &&= row.check(r);
    } catch {
      ok = false;
    }
    if (!ok) throw new Error(`${row.name} (${row.argv.map(quote).join(' ')}) did not behave as expected: ${describeFailure(r)}`);
  }

  // Table order: baseline, berth, runc, crun.
  const order = ['node', 'berth-version', 'berth-state', 'berth-state-found', 'runc-state', 'crun-state', 'runc-version', 'crun-version'];
  rows.sort((a, b) => order.indexOf(a.key) - order.indexOf(b.key));

  say('');
  for (const row of rows) {
    process.stdout.write(`measuring ${row.name} ... `);
    Object.assign(row, hyperfine ? measureWithHyperfine(hyperfine, row, tmp) : measureWithLoop(row));
    say(`${fmt(row.mean)} ms`);
  }

  const byKey = Object.fromEntries(rows.map((r) => [r.key, r]));
  const base = byKey.node?.mean;
  const runcState = byKey['runc-state']?.mean;
  say('');
  say('| command | mean ms | stddev ms | vs `node -e 0` | vs `runc state` |');
  say('|---|---:|---:|---:|---:|');
  for (const row of rows) say(`| ${row.name} | ${fmt(row.mean)} | ${fmt(row.stddev)} | ${ratio(row.mean, base)} | ${ratio(row.mean, runcState)} |`);
  for (const s of skipped) say(`| ${s.name} | skipped | | | |`);
  if (skipped.length > 0) {
    say('');
    for (const s of skipped) say(`skipped ${s.name}: ${s.reason}`);
  }

  // The target is judged on a real container when there is one, else on the lookup-miss path.
  const judged = byKey['berth-state-found'] ?? byKey['berth-state'];
  const delta = judged.mean - base;
  const pass = delta <= TARGET_MS;
  say('');
  say(`target: berth state <= node -e 0 + ${TARGET_MS} ms: ${pass ? 'PASS' : 'FAIL'} (delta ${delta.toFixed(1)} ms, ${judged.name})`);

  if (opts.json) {
    const report = {
      date: new Date().toISOString(),
      node: process.version,
      timer: hyperfine ? 'hyperfine' : 'spawnSync-loop',
      hyperfineVersion: hyperfineVersion ?? null,
      nodeExtraCaCerts: 'unset for every measured command',
      warmup: WARMUP,
      runs: opts.runs,
      cpus: os.cpus().length,
      loadavg: os.loadavg(),
      runtimes: Object.fromEntries(runtimes.filter((r) => r.version).map((r) => [r.key, r.version])),
      notes,
      results: rows.map((r) => ({
        name: r.name, argv: r.argv, meanMs: r.mean, stddevMs: r.stddev, minMs: r.min, maxMs: r.max,
        expectedExit: r.expectStatus, exitCodes: r.exitCodes, timesMs: r.times,
      })),
      skipped,
      target: { rule: `berth state <= node -e 0 + ${TARGET_MS} ms`, deltaMs: delta, pass },
    };
    fs.writeFileSync(opts.json, `${JSON.stringify(report, null, 2)}\n`);
    say(`raw results: ${opts.json}`);
  }
}

// Cleanups run in reverse order (containers before the temp dir), on success, failure or Ctrl-C.
const cleanups = [];
let exitCode = 0;
const onSignal = (sig) => {
  // Everything above runs synchronously, so this runs once cleanup is done: Ctrl-C also stops
  // hyperfine (same process group), which fails the run and reaches the finally block first.
  process.stderr.write(`${sig}: interrupted\n`);
  process.exitCode = 130;
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
try {
  main(cleanups);
} catch (e) {
  process.stderr.write(`bench failed: ${e instanceof Error ? e.message : String(e)}\n`);
  exitCode = 1;
} finally {
  for (const cleanup of cleanups.reverse()) {
    try {
      cleanup();
    } catch (e) {
      process.stderr.write(`cleanup: ${e instanceof Error ? e.message : String(e)}\n`);
    }
  }
}
process.exitCode = exitCode;

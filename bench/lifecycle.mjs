#!/usr/bin/env node
// berth vs runc vs crun on a container's whole life: `run` of /bin/true, and create + start +
// delete, on one bundle made by `runc spec` (terminal off), timed with hyperfine in one run.
// Root only. NODE_EXTRA_CA_CERTS is unset for every command (it adds ~70 ms to each node start
// here, and is not berth's cost). Usage: node bench/lifecycle.mjs [--runs N]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 20;
const berthBin = path.resolve('dist/berth.cjs');
const env = { ...process.env };
delete env.NODE_EXTRA_CA_CERTS;
const which = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).stdout.trim() || undefined;
const fail = (msg) => {
  console.error(msg);
  process.exit(1);
};

if (process.getuid() !== 0) fail('lifecycle bench: needs root (it runs real containers)');
if (!fs.existsSync(berthBin)) fail(`${berthBin} not found: run npm run build first`);
const hyperfine = which('hyperfine');
if (!hyperfine) fail('lifecycle bench: needs hyperfine (apt-get install hyperfine)');
const busybox = ['/bin/busybox', '/usr/bin/busybox'].find((p) => fs.existsSync(p));
if (!busybox) fail('lifecycle bench: needs busybox-static for the rootfs');
const runc = which('runc') ?? '/usr/sbin/runc';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-lifecycle-'));
const bundle = path.join(tmp, 'bundle');
fs.mkdirSync(path.join(bundle, 'rootfs', 'bin'), { recursive: true });
fs.copyFileSync(busybox, path.join(bundle, 'rootfs', 'bin', 'busybox'));
fs.symlinkSync('busybox', path.join(bundle, 'rootfs', 'bin', 'true'));
spawnSync(runc, ['spec'], { cwd: bundle });
const config = JSON.parse(fs.readFileSync(path.join(bundle, 'config.json'), 'utf8'));
config.process.terminal = false;
config.process.args = ['/bin/true'];
fs.writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(config, null, 2));

const runtimes = [
  { name: 'berth', argv: [process.execPath, berthBin] },
  { name: 'runc', argv: [runc] },
  { name: 'crun', argv: [which('crun') ?? '/usr/bin/crun'] },
].filter((r) => fs.existsSync(r.argv.at(-1)));

const quote = (a) => `'${a.replaceAll("'", "'\\''")}'`;
const rows = [];
try {
  for (const rt of runtimes) {
    const base = [...rt.argv, '--root', path.join(tmp, `${rt.name}-root`)].map(quote).join(' ');
    const id = `bench-${rt.name}`;
    const probe = spawnSync('sh', ['-c', `${base} run --bundle ${quote(bundle)} ${id}`], { env, encoding: 'utf8' });
    if (probe.status !== 0) {
      rows.push({ name: rt.name, skipped: `run failed: ${(probe.stderr || probe.stdout).trim().split('\n').pop()}` });
      continue;
    }
    for (const [label, command] of [
      ['run /bin/true', `${base} run --bundle ${quote(bundle)} ${id}`],
      ['create + start + delete', `${base} create --bundle ${quote(bundle)} ${id} && ${base} start ${id} && ${base} delete --force ${id}`],
    ]) {
      const out = path.join(tmp, `${rt.name}-${rows.length}.json`);
      const r = spawnSync(hyperfine, ['--warmup', '3', '--runs', String(runs), '--export-json', out, command], { env, encoding: 'utf8' });
      if (r.status !== 0) {
        rows.push({ name: rt.name, label, skipped: r.stderr.trim().split('\n').pop() });
        continue;
      }
      const result = JSON.parse(fs.readFileSync(out, 'utf8')).results[0];
      rows.push({ name: rt.name, label, mean: result.mean * 1000, stddev: result.stddev * 1000 });
    }
  }
} finally {
  for (const rt of runtimes) spawnSync(rt.argv[0], [...rt.argv.slice(1), '--root', path.join(tmp, `${rt.name}-root`), 'delete', '--force', `bench-${rt.name}`], { env });
  fs.rmSync(tmp, { recursive: true, force: true });
}

console.log(`# container lifecycle: berth vs runc vs crun (${runs} runs each, NODE_EXTRA_CA_CERTS unset; one runc-spec bundle, busybox /bin/true)\n`);
console.log('| runtime | operation | mean ms | stddev ms | vs runc |');
console.log('|---|---|---:|---:|---:|');
for (const row of rows) {
  if (row.skipped) {
    console.log(`| ${row.name} | ${row.label ?? ''} | skipped: ${row.skipped} | | |`);
    continue;
  }
  const runcRow = rows.find((r) => r.name === 'runc' && r.label === row.label && !r.skipped);
  console.log(`| ${row.name} | ${row.label} | ${row.mean.toFixed(1)} | ${row.stddev.toFixed(1)} | ${runcRow ? `${(row.mean / runcRow.mean).toFixed(2)}x` : ''} |`);
}

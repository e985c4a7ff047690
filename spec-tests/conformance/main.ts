import { accessSync, chmodSync, constants, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { findNote, parseDeviations, type DeviationNote } from './deviations.js';
import { renderDocsPage } from './docs.js';
import { allProperties } from './groups/index.js';
import { readHostFacts } from './host-facts.js';
import { parseArgs, usage, type SuiteOptions } from './options.js';
import type { SuiteAssets } from './property.js';
import { renderMarkdown } from './report/markdown.js';
import { unexplainedFailures, type SuiteResults } from './report/results.js';
import { tapHeader } from './report/tap.js';
import { runProperties } from './runner.js';
import { chooseOciVersion, describeRuntime, type RuntimeInfo } from './runtime-info.js';

export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/** This program's directory when it runs as the built bundle (dist/), where berth-probe is built. */
const bundleDir = typeof __dirname === 'string' ? __dirname : undefined;

/**
 * The conformance suite's entry: `node dist/conformance.cjs --runtime PATH ...`, or
 * `berth conformance ...`, which loads this bundle and calls it. Resolves to the exit status:
 * 0 when every failure is explained in deviations.md, 1 otherwise, 2 on a usage error.
 */
export async function conformanceMain(argv: readonly string[], io: Io): Promise<number> {
  const parsed = parseArgs(argv, () => Math.floor(Math.random() * 0x7fffffff));
  if (parsed.kind === 'help') {
    io.stdout(usage);
    return 0;
  }
  if (parsed.kind === 'usage-error') {
    io.stderr(`conformance: ${parsed.message}\n${usage}`);
    return 2;
  }
  const options = parsed.options;
  const deviationsFile = options.deviations ?? (bundleDir ? join(bundleDir, '..', 'spec-tests', 'conformance', 'deviations.md') : undefined);
  const notes = deviationsFile && existsSync(deviationsFile) ? parseDeviations(readFileSync(deviationsFile, 'utf8')) : [];
  if (options.fromResults) return renderAgain(options.fromResults, notes, options, argv, io);
  const probe = resolve(options.probe ?? (bundleDir ? join(bundleDir, 'berth-probe') : 'berth-probe'));
  if (!existsSync(probe)) {
    io.stderr(`conformance: the probe payload ${probe} is missing: build it with \`sh native/build-probe.sh DIR\` and pass --probe DIR/berth-probe\n`);
    return 2;
  }
  const runtimes: RuntimeInfo[] = [];
  for (const path of options.runtimes.map((p) => resolve(p))) {
    try {
      accessSync(path, constants.X_OK);
      const info = describeRuntime(path);
      // Two runtimes that call themselves the same (two runc builds) stay apart in the report.
      const taken = runtimes.filter((r) => r.name === info.name || r.name.startsWith(`${info.name}#`)).length;
      runtimes.push(taken > 0 ? { ...info, name: `${info.name}#${taken + 1}` } : info);
    } catch (e) {
      io.stderr(`conformance: --runtime ${path}: ${e instanceof Error ? e.message : String(e)}\n`);
      return 2;
    }
  }
  const outDir = resolve(options.out);
  mkdirSync(outDir, { recursive: true });
  rmSync(join(outDir, 'failures'), { recursive: true, force: true });
  const workDir = mkdtempSync(join(tmpdir(), 'berth-conformance-'));
  // Interrupted, the suite finishes the case under way (so it cleans up) and reports what ran.
  const stop = { requested: false };
  const onSignal = () => {
    if (stop.requested) process.exit(130);
    stop.requested = true;
    io.stderr('conformance: stopping after the current case (again to quit at once, leaving it behind)\n');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const assets: SuiteAssets = {
      probe: installAsset(probe, workDir),
      busybox: existsSync(options.busybox) ? installAsset(resolve(options.busybox), workDir) : '',
      host: readHostFacts(),
      ociVersion: chooseOciVersion(runtimes.map((r) => r.ociVersions)),
    };
    const properties = allProperties.filter((p) => options.only.length === 0 || options.only.includes(p.group));
    const startedAt = new Date();
    io.stdout(tapHeader(properties.length * runtimes.length, options.seed));
    io.stdout(`# runtimes: ${runtimes.map((r) => `${r.name} ${r.version} (${r.path})`).join(', ')}; config ociVersion ${assets.ociVersion}\n`);
    const { results, disagreements } = await runProperties(
      { runtimes, assets, workDir, outDir, outLabel: options.out, seed: options.seed, runs: options.runs, deadline: startedAt.getTime() + options.budgetSeconds * 1000, notes, print: io.stdout, stop },
      properties,
    );
    const suite: SuiteResults = {
      suite: 'berth-conformance',
      argv: [...argv],
      seed: options.seed,
      budgetSeconds: options.budgetSeconds,
      runs: options.runs,
      startedAt: startedAt.toISOString(),
      durationMs: Date.now() - startedAt.getTime(),
      ociVersion: assets.ociVersion,
      runtimes,
      properties: properties.map((p) => ({ id: p.id, group: p.group, title: p.title, clauses: [...p.clauses] })),
      results,
      disagreements,
    };
    writeReports(suite, notes, options, argv, outDir);
    const unexplained = unexplainedFailures(suite);
    for (const d of disagreements) io.stdout(`# disagreement on ${d.property}: ${Object.entries(d.verdicts).map(([r, v]) => `${r} ${v}`).join(', ')}; case ${d.counterexample}\n`);
    io.stdout(`# ${results.filter((r) => r.verdict === 'pass').length} passed, ${results.filter((r) => r.verdict === 'fail').length} deviations (${unexplained.length} unexplained), ${results.filter((r) => r.verdict === 'skip').length} skipped; report in ${join(options.out, 'results.md')}\n`);
    return unexplained.length > 0 ? 1 : 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    rmSync(workDir, { recursive: true, force: true });
  }
}

/** results.json, results.md, and the docs page when --docs asks for it; `argv` made the results. */
function writeReports(suite: SuiteResults, notes: readonly DeviationNote[], options: SuiteOptions, argv: readonly string[], outDir: string): void {
  writeFileSync(join(outDir, 'results.json'), `${JSON.stringify(suite, null, 2)}\n`);
  writeFileSync(join(outDir, 'results.md'), renderMarkdown(suite, notes, { title: 'OCI conformance results', bundleBase: options.out }));
  if (options.docs) writeFileSync(resolve(options.docs), renderDocsPage(suite, notes, argv, options.out, process.cwd()));
}

/** --from-results: the reports of an earlier run again, each failure explained or not by today's notes. */
function renderAgain(path: string, notes: readonly DeviationNote[], options: SuiteOptions, argv: readonly string[], io: Io): number {
  const earlier = JSON.parse(readFileSync(path, 'utf8')) as SuiteResults;
  const suite: SuiteResults = { ...earlier, results: earlier.results.map((r) => ({ ...r, explained: r.verdict === 'fail' && findNote(notes, r.runtime, r.property) !== undefined })) };
  const outDir = resolve(options.out);
  mkdirSync(outDir, { recursive: true });
  // The page says how the results were made: the earlier run's arguments, not these.
  writeReports(suite, notes, options, earlier.argv ?? argv, outDir);
  const unexplained = unexplainedFailures(suite);
  io.stdout(`rendered ${join(options.out, 'results.md')}${options.docs ? ` and ${options.docs}` : ''} from ${path}: ${unexplained.length} unexplained deviation${unexplained.length === 1 ? '' : 's'}\n`);
  return unexplained.length > 0 ? 1 : 0;
}

/** A private executable copy of a payload: bundles hard-link to it, so the original may live on any filesystem. */
function installAsset(path: string, workDir: string): string {
  const assets = join(workDir, 'assets');
  mkdirSync(assets, { recursive: true });
  const copy = join(assets, path.split('/').pop()!);
  copyFileSync(path, copy);
  chmodSync(copy, 0o755);
  return copy;
}

// Run when executed as the built bundle (node dist/conformance.cjs); stay quiet when berth loads it.
if (typeof require !== 'undefined' && typeof module !== 'undefined' && require.main === module) {
  conformanceMain(process.argv.slice(2), { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) }).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`conformance: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}

import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readHostFacts } from '../conformance/host-facts.js';
import { chooseOciVersion, describeRuntime } from '../conformance/runtime-info.js';
import { runCampaign, type CampaignTotals } from './campaign.js';
import { renderFuzzingPage } from './docs.js';

/**
 * The fuzzer's entry: `node dist/fuzz.cjs [--runtime PATH] [--cases N] [--seed N] [--budget S]
 * [--jobs N] [--out DIR] [--docs FILE]` (`npm run fuzz -- ...`). Exit status 0 when every case
 * ended as a named refusal or an observed container with no residue, 1 when some failed, 2 on
 * a usage error. results.json and failures/ go to --out.
 */

export interface FuzzOptions {
  runtime: string;
  cases: number;
  seed: number;
  budgetSeconds: number;
  jobs: number;
  out: string;
  docs?: string;
  probe?: string;
  busybox: string;
  shrinkSeconds: number;
  /** The most seconds one runtime call may take. */
  timeoutSeconds: number;
}

export const usage = `usage: fuzz [--runtime PATH] [--cases N] [--seed N] [--budget SECONDS] [--jobs N] [--out DIR] [--docs FILE]

Feeds a runtime mutated configs and command lines through its CLI; each case must end as a
refusal naming a field or an argument, or a container that agrees with its config, with
nothing left behind. Failures are shrunk and written to DIR/failures with replay.sh.

  --runtime PATH   the runtime binary (default: this checkout's berth)
  --cases N        how many cases (default 1000)
  --seed N         the seed (default: random, printed)
  --budget S       stop after S seconds even if cases remain (default 3600)
  --jobs N         cases at a time (default 2)
  --shrink S       the most seconds spent shrinking one failure (default 60)
  --timeout S      the most seconds one runtime call may take: a hang (default 60)
  --out DIR        results.json and failures/ (default ./fuzz-results)
  --docs FILE      also write the totals as a documentation page (docs/fuzzing.md)
  --probe PATH     berth-probe (default: beside this program)
  --busybox PATH   a static busybox (default /bin/busybox)
`;

export function parseFuzzArgs(argv: readonly string[], here: string | undefined, randomSeed: () => number): FuzzOptions | string {
  const o: FuzzOptions = { runtime: here ? join(here, '..', 'spec-tests', 'conformance', 'berth-runtime.sh') : 'berth', cases: 1000, seed: randomSeed(), budgetSeconds: 3600, jobs: 2, out: 'fuzz-results', busybox: '/bin/busybox', shrinkSeconds: 60, timeoutSeconds: 60 };
  const numbers: Record<string, keyof FuzzOptions> = { '--cases': 'cases', '--seed': 'seed', '--budget': 'budgetSeconds', '--jobs': 'jobs', '--shrink': 'shrinkSeconds', '--timeout': 'timeoutSeconds' };
  const strings: Record<string, keyof FuzzOptions> = { '--runtime': 'runtime', '--out': 'out', '--docs': 'docs', '--probe': 'probe', '--busybox': 'busybox' };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.includes('=') ? [argv[i]!.slice(0, argv[i]!.indexOf('=')), argv[i]!.slice(argv[i]!.indexOf('=') + 1)] : [argv[i]!, undefined];
    if (flag === '--help' || flag === '-h') return usage;
    const key = numbers[flag] ?? strings[flag];
    if (!key) return `fuzz: unknown flag ${flag}\n${usage}`;
    const value = inline ?? argv[++i];
    if (value === undefined) return `fuzz: ${flag} needs a value\n${usage}`;
    if (numbers[flag]) {
      if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) return `fuzz: ${flag}: expected a non-negative integer, got ${JSON.stringify(value)}\n`;
      (o as unknown as Record<string, number>)[key] = Number(value);
    } else (o as unknown as Record<string, string>)[key] = value;
  }
  return o;
}

const bundleDir = typeof __dirname === 'string' ? __dirname : undefined;

export async function fuzzMain(argv: readonly string[], print: (t: string) => void, printError: (t: string) => void): Promise<number> {
  const parsed = parseFuzzArgs(argv, bundleDir, () => Math.floor(Math.random() * 0x7fffffff));
  if (typeof parsed === 'string') {
    (parsed === usage ? print : printError)(parsed);
    return parsed === usage ? 0 : 2;
  }
  const probe = resolve(parsed.probe ?? (bundleDir ? join(bundleDir, 'berth-probe') : 'berth-probe'));
  if (!existsSync(probe) || !existsSync(parsed.busybox)) {
    printError(`fuzz: needs ${probe} (npm run build) and a static busybox at ${parsed.busybox}\n`);
    return 2;
  }
  // Every runtime call is a Node start for berth: NODE_EXTRA_CA_CERTS would add ~70 ms to each, for nothing here.
  delete process.env.NODE_EXTRA_CA_CERTS;
  const runtime = resolve(parsed.runtime);
  const info = describeRuntime(runtime);
  const work = mkdtempSync(join(tmpdir(), 'berth-fuzz-'));
  // A container's root in a user namespace (a uid the mappings give it) must reach its bundle.
  chmodSync(work, 0o755);
  const assets = { probe: install(probe, work), busybox: install(resolve(parsed.busybox), work), host: readHostFacts(), ociVersion: chooseOciVersion([info.ociVersions]) };
  const out = resolve(parsed.out);
  mkdirSync(out, { recursive: true });
  const command = `npm run fuzz -- --cases ${parsed.cases} --seed ${parsed.seed}${parsed.jobs !== 2 ? ` --jobs ${parsed.jobs}` : ''}`;
  print(`# fuzz: ${info.name} ${info.version} (${runtime}), seed ${parsed.seed}, ${parsed.cases} cases, ${parsed.jobs} at a time, at most ${parsed.budgetSeconds} s\n`);
  let totals: CampaignTotals;
  try {
    totals = await runCampaign({
      runtime, assets, tag: `fz${parsed.seed.toString(16)}${Date.now().toString(16).slice(-4)}`, timeoutMs: parsed.timeoutSeconds * 1000, seed: parsed.seed, cases: parsed.cases,
      budgetMs: parsed.budgetSeconds * 1000, jobs: parsed.jobs, outDir: out, workDir: join(work, 'cases'), shrinkMs: parsed.shrinkSeconds * 1000, command,
      print: (line) => print(`${line}\n`),
    });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  writeFileSync(join(out, 'results.json'), `${JSON.stringify(totals, null, 2)}\n`);
  if (parsed.docs) writeFileSync(resolve(parsed.docs), renderFuzzingPage(totals));
  const refused = Object.values(totals.refusals).reduce((a, b) => a + b, 0);
  print(`# ${totals.cases} cases in ${Math.round(totals.durationMs / 1000)} s (${totals.casesPerSecond}/s): ${refused} refused naming a field or argument, ${totals.observed} observed, ${totals.accepted} accepted, ${totals.crashes} crashes (${totals.failures.length} distinct), ${totals.residue} with residue; ${join(parsed.out, 'results.json')}\n`);
  return totals.crashes > 0 ? 1 : 0;
}

function install(path: string, dir: string): string {
  mkdirSync(join(dir, 'assets'), { recursive: true });
  const copy = join(dir, 'assets', path.split('/').pop()!);
  copyFileSync(path, copy);
  chmodSync(copy, 0o755);
  return copy;
}

if (typeof require !== 'undefined' && typeof module !== 'undefined' && require.main === module) {
  fuzzMain(process.argv.slice(2), (t) => process.stdout.write(t), (t) => process.stderr.write(t)).then(
    (code) => (process.exitCode = code),
    (e: unknown) => {
      process.stderr.write(`fuzz: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}

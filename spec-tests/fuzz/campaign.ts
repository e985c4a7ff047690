import fc from 'fast-check';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { join, relative } from 'node:path';
import { clauses } from '../conformance/clauses.js';
import { renderReplay } from '../conformance/replay.js';
import { propertySeed, slug } from '../conformance/runner.js';
import { describeCase, fuzzCase, type FuzzCase } from './generators.js';
import { runCase, type CaseEnv, type Outcome } from './run-case.js';

/**
 * A seeded fuzz campaign: `cases` generated cases (or as many as `budgetMs` allows) run against
 * one runtime, `jobs` at a time. Every case must end as a named refusal or an observed
 * container, with no residue (run-case.ts); any other end is a failure, shrunk by fast-check
 * (within a time limit of its own), written out as a bundle with replay.sh, and the campaign
 * goes on with the next seed until the cases or the time run out. Deterministic for a seed:
 * job j's k-th round uses propertySeed(seed, `fuzz/j/k`).
 */

export interface CampaignOptions extends CaseEnv {
  seed: number;
  cases: number;
  budgetMs: number;
  jobs: number;
  /** Where failures go (failures/N-kind/ with config.json, rootfs and replay.sh). */
  outDir: string;
  /** Scratch for passing cases, each removed as it ends. */
  workDir: string;
  /** The most time fast-check may spend shrinking one failure. */
  shrinkMs: number;
  /** The command that reruns this campaign, for the report. */
  command: string;
  print?: (line: string) => void;
}

export interface FailureReport {
  crash: string;
  message: string;
  case: string;
  /** Relative to outDir. */
  bundle: string;
  seed: number;
  /** Cases of the campaign that failed the same way (before shrinking). */
  count: number;
  reproduced: boolean;
}

export interface CampaignTotals {
  seed: number;
  command: string;
  runtime: string;
  cases: number;
  refusals: Record<string, number>;
  /** Which config member (or "flag", "argument") each refusal named. */
  refusalsNaming: Record<string, number>;
  observed: number;
  accepted: number;
  crashes: number;
  residue: number;
  failures: FailureReport[];
  durationMs: number;
  casesPerSecond: number;
  machine: string;
  startedAt: string;
}

/** The machine, as the report names it. */
export function machine(): string {
  const cpu = cpus();
  return `${cpu.length} × ${cpu[0]?.model.trim() ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Linux ${release()}, Node ${process.version}`;
}

/**
 * Failures of the same kind and message shape count as one: the message's last line (the error,
 * after any debug or warning lines), its log-line framing, quoted values and digits aside.
 */
export function signature(o: { crash: string; message: string }): string {
  const last = o.message.trim().split('\n').at(-1) ?? '';
  let text = last.replace(/^time="[^"]*" level=\w+ msg=/, '');
  try {
    if (text.startsWith('{')) text = String((JSON.parse(text) as { msg?: unknown }).msg ?? text);
  } catch {
    // not a JSON log line
  }
  return `${o.crash}: ${text.replace(/"[^"]*"/g, '""').replace(/\d+/g, 'N').slice(0, 120)}`;
}

export async function runCampaign(options: CampaignOptions): Promise<CampaignTotals> {
  const started = Date.now();
  const deadline = started + options.budgetMs;
  const totals: CampaignTotals = {
    seed: options.seed, command: options.command, runtime: options.runtime, cases: 0, refusals: {}, refusalsNaming: {}, observed: 0, accepted: 0, crashes: 0, residue: 0,
    failures: [], durationMs: 0, casesPerSecond: 0, machine: machine(), startedAt: new Date(started).toISOString(),
  };
  const bySignature = new Map<string, FailureReport>();
  mkdirSync(options.workDir, { recursive: true });
  let dirs = 0;
  const more = () => totals.cases < options.cases && Date.now() < deadline;

  const job = async (j: number) => {
    for (let round = 0; more(); round++) {
      const seed = propertySeed(options.seed, `fuzz/${j}/${round}`);
      let shrinkUntil: number | undefined;
      let found: FailureReport | undefined;
      const predicate = async (c: FuzzCase) => {
        const shrinking = shrinkUntil !== undefined;
        if (shrinking ? Date.now() > shrinkUntil! : !more()) return;
        const n = shrinking ? 0 : ++totals.cases;
        const { outcome } = await runCase(c, shrinking ? 1_000_000 + dirs : n, join(options.workDir, `case-${++dirs}`), options);
        if (!shrinking) count(totals, outcome);
        if (!shrinking && n % 500 === 0) options.print?.(`# ${n} cases in ${Math.round((Date.now() - started) / 1000)} s: ${totals.observed} observed, ${totals.crashes} crashes`);
        if (outcome.kind !== 'crash') return;
        // While shrinking, only the same kind of failure counts: a smaller case failing otherwise is another finding.
        if (shrinking && outcome.crash !== found?.crash) return;
        if (!shrinking) {
          const known = bySignature.get(signature(outcome));
          if (known) {
            // Known already: counted, not shrunk again.
            known.count++;
            return;
          }
          // A hang costs a whole time limit per try: it is written out as found, not shrunk.
          shrinkUntil = Date.now() + (outcome.crash === 'timeout' ? 0 : options.shrinkMs);
          // Known from now on, so a case of another job failing the same way is only counted.
          found = { crash: outcome.crash, message: outcome.message, case: describeCase(c), bundle: '', seed, count: 1, reproduced: false };
          bySignature.set(signature(outcome), found);
          options.print?.(`# case ${n}: ${outcome.crash}: ${outcome.message.slice(0, 200)} (shrinking)`);
        }
        throw new Error(`${outcome.crash}: ${outcome.message}`);
      };
      const details = await fc.check(fc.asyncProperty(fuzzCase, predicate), { seed, numRuns: options.cases });
      if (details.failed && details.counterexample && found) {
        const [counterexample] = details.counterexample as [FuzzCase];
        const k = totals.failures.push(found);
        const report = await writeFailure(options, counterexample, seed, k, { crash: found.crash, message: String(details.errorInstance) });
        Object.assign(found, { ...report.failure, count: found.count });
        if (!bySignature.has(report.signature)) bySignature.set(report.signature, found);
        options.print?.(`# failure ${k}: ${found.crash}: ${found.case}; replay: sh ${join(options.outDir, found.bundle, 'replay.sh')}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.jobs) }, (_, j) => job(j)));
  totals.durationMs = Date.now() - started;
  totals.casesPerSecond = Math.round((totals.cases / (totals.durationMs / 1000)) * 100) / 100;
  rmSync(options.workDir, { recursive: true, force: true });
  return totals;
}

function count(totals: CampaignTotals, outcome: Outcome): void {
  if (outcome.kind === 'refused') {
    totals.refusals[outcome.refusal] = (totals.refusals[outcome.refusal] ?? 0) + 1;
    totals.refusalsNaming[outcome.named] = (totals.refusalsNaming[outcome.named] ?? 0) + 1;
  } else if (outcome.kind === 'observed') totals.observed++;
  else if (outcome.kind === 'accepted') totals.accepted++;
  else {
    totals.crashes++;
    if (outcome.crash === 'residue') totals.residue++;
  }
}

/** The shrunk case once more, kept where it ran, with replay.sh: the runtime's calls in order. */
async function writeFailure(options: CampaignOptions, c: FuzzCase, seed: number, k: number, seen: { crash: string; message: string }): Promise<{ signature: string; failure: FailureReport }> {
  const dir = join(options.outDir, 'failures', `${k}-${slug(seen.crash).slice(0, 40)}`);
  rmSync(dir, { recursive: true, force: true });
  const kept = await runCase(c, 900_000 + k, dir, options, true);
  const outcome = kept.outcome.kind === 'crash' ? kept.outcome : undefined;
  const crash = outcome?.crash ?? seen.crash;
  const message = outcome?.message ?? seen.message;
  const text = describeCase(c);
  writeFileSync(join(dir, 'counterexample.txt'), `${text}\n${crash}: ${message}\n`);
  const script = join(dir, 'replay.sh');
  writeFileSync(script, renderReplay({
    runtimePath: options.runtime, runtimeName: 'runtime', caseDir: dir, root: kept.driver.root, propertyId: 'fuzz', clause: clauses.errorMessage,
    message: `${crash}: ${message.slice(0, 500)}`, seed, counterexample: text.slice(0, 2000), ids: [kept.id], trace: kept.driver.trace,
  }));
  chmodSync(script, 0o755);
  const failure: FailureReport = { crash, message: message.slice(0, 1000), case: text.slice(0, 1000), bundle: relative(options.outDir, dir), seed, count: 1, reproduced: kept.outcome.kind === 'crash' };
  return { signature: outcome ? signature(outcome) : crash, failure };
}

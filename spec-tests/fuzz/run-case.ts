import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { baseConfig, writeBundle } from '../conformance/bundle.js';
import { probeArgs } from '../conformance/groups/probe-run.js';
import type { SuiteAssets } from '../conformance/property.js';
import { caseProcesses, cgroupDirsOf, hostMountsUnder } from '../conformance/residue.js';
import { RuntimeDriver, sleep, type Invocation } from '../conformance/runtime-driver.js';
import type { FuzzCase } from './generators.js';
import { emit, evaluate, setAt, toNode, type JsonNode } from './json-text.js';
import { disagreement, parseProbeReport } from './observe.js';
import { crashSign, namedField, refusalKind } from './refusal.js';

/**
 * One fuzz case against one runtime binary, through its CLI: write the bundle (the suite's
 * probe bundle, edited), make the call, and judge how it ended. Exactly one of:
 *  - refused: non-zero exit, and the message names a field (a JSON pointer into config.json)
 *    or an argument;
 *  - observed: the container was created, started and deleted, and what the probe saw agrees
 *    with the config;
 *  - accepted: a call that is not create succeeded (delete --force of an unknown id);
 * and in each case nothing is left: no state entry, process, mount or cgroup directory.
 * Anything else is a crash: an internal error, a signal, a timeout, a refusal that names
 * nothing, a container that disagrees with its config, or residue.
 */

export type Outcome =
  | { kind: 'refused'; refusal: string; named: string; message: string }
  | { kind: 'observed' }
  | { kind: 'accepted' }
  | { kind: 'crash'; crash: string; message: string };

export interface CaseResult {
  outcome: Outcome;
  driver: RuntimeDriver;
  /** The container id the case used. */
  id: string;
}

export interface CaseEnv {
  runtime: string;
  assets: SuiteAssets;
  /** This campaign's tag, in every id and cgroupsPath. */
  tag: string;
  timeoutMs: number;
}

/** The config every case starts from: the probe as the program, and a cgroupsPath of the case's own. */
export function baseDocument(env: CaseEnv, cgroupsPath: string): JsonNode {
  const config = baseConfig(env.assets.ociVersion, probeArgs());
  config.linux!.cgroupsPath = cgroupsPath;
  return toNode(config);
}

/** The case's config.json text: the edits applied to the base in order. */
export function caseDocument(c: FuzzCase, base: JsonNode): JsonNode {
  let doc = base;
  for (const edit of c.edits) {
    if (edit.action === 'duplicate') {
      const [key, value] = (edit.value as Extract<JsonNode, { kind: 'object' }>).entries[0]!;
      doc = duplicateIn(doc, edit.path, key, value);
    } else {
      doc = setAt(doc, edit.path, edit.action === 'remove' ? undefined : edit.value);
    }
  }
  return doc;
}

function duplicateIn(doc: JsonNode, path: readonly (string | number)[], key: string, value: JsonNode): JsonNode {
  let target: JsonNode | undefined = doc;
  for (const k of path) target = target?.kind === 'object' ? target.entries.findLast(([e]) => e === k)?.[1] : undefined;
  if (target?.kind !== 'object') return setAt(doc, [...path, key], value);
  return setAt(doc, path, { kind: 'object', entries: [...target.entries, [key, value]] });
}

/** config.json as the case has it: its text, or something no reader should wait on or take. */
function writeConfigFile(path: string, file: FuzzCase['file'], text: string): void {
  rmSync(path, { force: true });
  if (file === 'text') writeFileSync(path, text);
  else if (file === 'dev-zero' || file === 'dev-null') symlinkSync(`/dev/${file.slice(4)}`, path);
  else if (file === 'directory') mkdirSync(path);
  else if (file === 'fifo') spawnSync('mkfifo', [path]);
}

/** The cgroup directories a cgroupsPath (or, without one, the id below the runtime's own cgroup) is on this host. */
export function cgroupCandidates(cgroupsPath: string | undefined, id: string): string[] {
  const own = cgroupDirsOf('self');
  const roots = [...new Set(own.map((d) => d.replace(/^(\/sys\/fs\/cgroup(?:\/[^/]+)?).*$/, '$1')))];
  if (cgroupsPath === undefined || !cgroupsPath.startsWith('/')) return own.map((d) => join(d, cgroupsPath ?? id));
  return roots.map((r) => join(r, cgroupsPath));
}

/** Runs case `c` as the campaign's case number `n` in `dir`; `keep` leaves the bundle there (a counter-example's). */
export async function runCase(c: FuzzCase, n: number, dir: string, env: CaseEnv, keep = false): Promise<CaseResult> {
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const id = `${env.tag}-${n}`;
  // One level, the case's own: no parent shared with a case running beside it.
  const cgroupsPath = `/berth-fuzz-${env.tag}-${n}`;
  const driver = new RuntimeDriver(env.runtime, join(dir, 'root'), join(dir, 'io'), dir);
  const doc = caseDocument(c, baseDocument(env, cgroupsPath));
  writeBundle(dir, baseConfig(env.assets.ociVersion, probeArgs()), env.assets, [{ path: 'volume' }, { path: 'rootfs/mnt' }]);
  writeConfigFile(join(dir, 'config.json'), c.file, emit(doc));
  const config = evaluate(doc) as { linux?: { cgroupsPath?: unknown } } | undefined;
  const fill = (arg: string) => arg.replaceAll('{bundle}', dir).replaceAll('{dir}', dir).replaceAll('{id}', id);
  const args = c.call.args.map(fill);
  const ids = [...new Set(c.call.args.filter((a) => a.includes('{id}')).map(fill))];
  const configuredPath = typeof config?.linux?.cgroupsPath === 'string' ? config.linux.cgroupsPath : undefined;
  const cgroups = [...new Set([...cgroupCandidates(configuredPath, id), ...cgroupCandidates(cgroupsPath, id), ...ids.flatMap((i) => cgroupCandidates(undefined, i))])];

  let outcome: Outcome;
  try {
    outcome = await callAndJudge(driver, args, ids, config, env);
    if (outcome.kind !== 'crash') {
      const left = await residue(dir, driver.root, cgroups);
      if (left.length > 0) outcome = { kind: 'crash', crash: 'residue', message: `${describeOutcome(outcome)}, but left: ${left.join('; ')}` };
    }
  } finally {
    await cleanUp(driver, dir, cgroups, keep);
  }
  return { outcome, driver, id };
}

async function callAndJudge(driver: RuntimeDriver, args: string[], ids: string[], config: unknown, env: CaseEnv): Promise<Outcome> {
  const call = await driver.invoke(args, { timeoutMs: env.timeoutMs });
  const failed = judgeFailure(call, ids);
  if (failed) return failed;
  const verb = args.find((a) => !a.startsWith('-') && ['create', 'state', 'start', 'delete', 'pause', 'resume', 'ps', 'kill', 'events'].includes(a));
  if (verb !== 'create') return { kind: 'accepted' };
  // Created: it must start, run the probe to its end, and be deleted; then what it saw is compared.
  const id = args.at(-1)!;
  const started = await driver.invoke(['start', id], { timeoutMs: env.timeoutMs });
  if (started.exitCode !== 0) {
    // start may refuse too (a failing startContainer or poststart hook destroys the container):
    // then it must name the field, and once the container is deleted nothing may remain.
    const refused = judgeFailure(started, [id]);
    if (refused?.kind !== 'refused') return refused ?? { kind: 'crash', crash: 'start of a created container failed', message: describeCall(started) };
    const deleted = await driver.invoke(['delete', '--force', id], { timeoutMs: env.timeoutMs });
    if (deleted.exitCode !== 0) return { kind: 'crash', crash: 'delete --force after a refused start failed', message: describeCall(deleted) };
    return { ...refused, refusal: `start: ${refused.refusal}` };
  }
  const state = await driver.waitForStatus(id, ['stopped'], env.timeoutMs);
  if (state?.status !== 'stopped') return { kind: 'crash', crash: 'the probe did not stop', message: `state says ${JSON.stringify(state?.status)}` };
  const deleted = await driver.invoke(['delete', id], { timeoutMs: env.timeoutMs });
  if (deleted.exitCode !== 0) return { kind: 'crash', crash: 'delete of the stopped container failed', message: describeCall(deleted) };
  const output = readFileSync(call.stdoutPath, 'utf8');
  const line = output.split('\n').find((l) => l.startsWith('{'));
  if (line === undefined) return { kind: 'crash', crash: 'the probe printed no report', message: `create's stdout ${JSON.stringify(output.slice(0, 300))}` };
  const wrong = disagreement(config, parseProbeReport(line));
  return wrong === undefined ? { kind: 'observed' } : { kind: 'crash', crash: 'the container disagrees with its config', message: wrong };
}

/** A failed call: a refusal that names its field or argument, or a crash; undefined when the call succeeded. */
function judgeFailure(call: Invocation, ids: string[]): Outcome | undefined {
  const message = call.stderr.trim();
  if (call.timedOut) return { kind: 'crash', crash: 'timeout', message: `${call.args.join(' ').slice(0, 200)}: no exit within the time limit` };
  if (call.signal !== null) return { kind: 'crash', crash: `killed by ${call.signal}`, message };
  if (call.exitCode === 0) return undefined;
  const sign = crashSign(message);
  if (sign) return { kind: 'crash', crash: `internal error (${sign})`, message };
  const named = namedField(message, ids);
  if (!named) return { kind: 'crash', crash: message === '' ? 'a refusal that says nothing' : 'a refusal that names no field or argument', message };
  return { kind: 'refused', refusal: refusalKind(call.exitCode, message), named: named.kind === 'pointer' ? `/${named.name.split('/')[1] ?? ''}` : named.kind, message };
}

const describeCall = (i: Invocation) => `exit ${i.exitCode}${i.timedOut ? ' (timed out)' : ''}: ${i.stderr.trim().slice(0, 300)}`;
const describeOutcome = (o: Outcome) => (o.kind === 'refused' ? `refused (${o.message.slice(0, 200)})` : o.kind);

/** What the case left: state entries, processes (given a moment to die), mounts, cgroup directories. */
export async function residue(dir: string, root: string, cgroups: readonly string[]): Promise<string[]> {
  let processes = caseProcesses(dir);
  for (let i = 0; i < 20 && processes.length > 0; i++) {
    await sleep(50);
    processes = caseProcesses(dir);
  }
  return [
    ...(existsSync(root) ? readdirSync(root).map((name) => `state entry ${join(root, name)}`) : []),
    ...processes.map((p) => `process ${p.pid} (${p.command.slice(0, 80)})`),
    ...hostMountsUnder(dir).map((m) => `mount ${m}`),
    ...cgroups.filter((d) => existsSync(d)).map((d) => `cgroup ${d}`),
  ];
}

/** Whatever the case left goes, whether the runtime honoured the rules or not: the next case starts clean. */
export async function cleanUp(driver: RuntimeDriver, dir: string, cgroups: readonly string[], keep = false): Promise<void> {
  const janitor = new RuntimeDriver(driver.path, driver.root, join(dir, '.cleanup'), dir);
  for (const name of existsSync(driver.root) ? readdirSync(driver.root) : []) await janitor.invoke(['delete', '--force', name], { timeoutMs: 15_000 });
  for (const p of caseProcesses(dir)) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
  for (const mount of hostMountsUnder(dir).sort((a, b) => b.length - a.length)) spawnSync('umount', ['-l', mount]);
  for (const d of [...cgroups].sort((a, b) => b.length - a.length)) {
    try {
      rmdirSync(d);
    } catch {
      // absent, or still holding a process the kill above has not reaped yet
    }
  }
  rmSync(keep ? join(dir, '.cleanup') : dir, { recursive: true, force: true });
}

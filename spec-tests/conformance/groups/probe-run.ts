import { readFileSync } from 'node:fs';
import { baseConfig, probeInRootfs, writeBundle, type BundleFile, type OciConfig } from '../bundle.js';
import { clauses } from '../clauses.js';
import { expectThat, type CaseContext } from '../property.js';
import { describeCall } from './calls.js';

/**
 * What berth-probe (native/probe.c) prints: the fields the config properties read. Declared
 * here, not shared with plugins/native/probe.test.ts: the suite imports nothing from berth.
 */
export interface ProbeReport {
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
  caps: Record<'inheritable' | 'permitted' | 'effective' | 'bounding' | 'ambient', string[] | null>;
  rlimits: Record<string, { soft: number | 'unlimited'; hard: number | 'unlimited' } | null>;
  oomScoreAdj: number | null;
  namespaces: Record<string, number | null>;
  mounts: { mountPoint: string; fsType: string; source: string; options: string[]; superOptions: string[] }[];
  sysctl: Record<string, string | null>;
  files: Record<string, { exists: boolean; type: string | null; mode: string | null; uid: number | null; gid: number | null; major: number | null; minor: number | null; writable: boolean; readable: boolean }>;
  readFiles: Record<string, string | null>;
  errors: Record<string, string>;
  writes: Record<string, string>;
}

/** The probe's command line: its options, then `--` and any plain arguments a case adds. */
export function probeArgs(options: readonly string[] = [], extra: readonly string[] = []): string[] {
  return [probeInRootfs, ...options, '--', ...extra];
}

/** baseConfig with the probe as the program, changed by `edit`. */
export function probeConfig(ctx: CaseContext, options: readonly string[], edit: (c: OciConfig) => void): OciConfig {
  const config = baseConfig(ctx.assets.ociVersion, probeArgs(options));
  edit(config);
  return config;
}

/**
 * Writes the bundle in the case directory and runs it through create, start and delete, and
 * returns what the probe saw. A valid config the host can honour must be created and started:
 * a refusal is a violation of "MUST be applied".
 */
export async function runProbe(ctx: CaseContext, config: OciConfig, files: readonly BundleFile[] = []): Promise<ProbeReport> {
  writeBundle(ctx.dir, config, ctx.assets, files);
  const rt = ctx.runtime;
  const id = 'probe';
  const created = await rt.create(id, ctx.dir);
  expectThat(created.exitCode === 0, clauses.createApplies, () => `create refused a valid config: ${describeCall(created)}`);
  const started = await rt.start(id);
  expectThat(started.exitCode === 0, clauses.startRuns, () => `start failed: ${describeCall(started)}`);
  const state = await rt.waitForStatus(id, ['stopped']);
  expectThat(state?.status === 'stopped', clauses.stateStatus, () => `the probe did not stop within 10 s: state says ${JSON.stringify(state?.status)}`);
  const deleted = await rt.delete(id);
  expectThat(deleted.exitCode === 0, clauses.deleteResources, () => `delete of the stopped probe failed: ${describeCall(deleted)}`);
  // The probe wrote its one line to the stdout it inherited from create.
  const output = readFileSync(created.stdoutPath, 'utf8');
  const line = output.split('\n').find((l) => l.startsWith('{'));
  expectThat(line !== undefined, clauses.startRuns, () => `the probe printed no report; create's stdout: ${JSON.stringify(output.slice(0, 300))}, stderr: ${JSON.stringify(readFileSync(created.stdoutPath.replace(/\.out$/, '.err'), 'utf8').slice(0, 300))}`);
  return JSON.parse(line) as ProbeReport;
}

/** A compact JSON rendering for messages. */
export const show = (value: unknown) => JSON.stringify(value);

import { spawnSync } from 'node:child_process';
import { basename } from 'node:path';
import type { OptionalVerb } from './property.js';

/** A runtime under test, as it describes itself. */
export interface RuntimeInfo {
  path: string;
  /** From `--version` ("runc", "crun", "berth"), else the file name. */
  name: string;
  version: string;
  /** The optional verbs its `--help` lists. */
  verbs: OptionalVerb[];
  /** The config ociVersions it says it accepts: `features` when it has it, else `--version`'s "spec:". */
  ociVersions: OciVersionRange;
}

/** Both bounds inclusive; an absent bound is not known. */
export interface OciVersionRange {
  min?: string;
  max?: string;
}

function run(path: string, args: string[]): { status: number | null; stdout: string } {
  const r = spawnSync(path, args, { encoding: 'utf8', timeout: 15_000 });
  return { status: r.status, stdout: `${r.stdout ?? ''}` };
}

export function describeRuntime(path: string): RuntimeInfo {
  const version = run(path, ['--version']);
  if (version.status !== 0) throw new Error(`${path} --version failed (exit ${version.status}): is it an OCI runtime?`);
  const first = version.stdout.split('\n')[0] ?? '';
  const named = /^(\S+) version (\S+)/.exec(first);
  const help = run(path, ['--help']).stdout;
  const verbs = (['run', 'exec', 'pause', 'update'] as const).filter((v) => new RegExp(`^\\s+${v}\\b`, 'm').test(help));
  return {
    path,
    name: named?.[1] ?? basename(path),
    version: named?.[2] ?? first.trim(),
    verbs,
    ociVersions: ociVersionsOf(path, version.stdout),
  };
}

function ociVersionsOf(path: string, versionText: string): OciVersionRange {
  const features = run(path, ['features']);
  if (features.status === 0) {
    try {
      const f = JSON.parse(features.stdout) as { ociVersionMin?: string; ociVersionMax?: string };
      if (f.ociVersionMin && f.ociVersionMax) return { min: f.ociVersionMin, max: f.ociVersionMax };
    } catch {
      // not JSON: fall back to --version
    }
  }
  const spec = /^spec: (\S+)/m.exec(versionText)?.[1];
  // "spec: 1.0.0" names the version implemented; the spec promises compatibility within a minor line.
  return spec ? { max: `${spec.split('.').slice(0, 2).join('.')}.999` } : {};
}

/** [major, minor, patch], ignoring pre-release and build suffixes (runc says "1.0.2-dev" and accepts "1.0.2"). */
function parts(version: string): [number, number, number] {
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(version);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [0, 0, 0];
}

export function compareVersions(a: string, b: string): number {
  const [x, y] = [parts(a), parts(b)];
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return 0;
}

const candidates = ['1.0.2', '1.0.0', '1.1.0', '1.2.0', '1.3.0'];

/**
 * The config ociVersion to write for every runtime under test: one they all accept, so a case
 * is the same bundle on each. 1.0.2 first: runc 1.1 and crun 1.8 (which refuses 1.2 and later)
 * both take it.
 */
export function chooseOciVersion(ranges: readonly OciVersionRange[]): string {
  const fits = (v: string, r: OciVersionRange) => (!r.min || compareVersions(v, r.min) >= 0) && (!r.max || compareVersions(v, r.max) <= 0);
  return candidates.find((v) => ranges.every((r) => fits(v, r))) ?? candidates[0];
}

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** The built CLI (npm test builds it first). Tests drive it as a manager would: argv in, exit code and output out. */
export const berthBin = join(import.meta.dirname, '..', '..', '..', 'dist', 'berth.cjs');

export interface BerthResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runBerth(args: readonly string[], options: { cwd?: string; input?: string } = {}): BerthResult {
  if (!existsSync(berthBin)) throw new Error(`${berthBin} is missing: run \`npm run build\` first`);
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  const r = spawnSync(process.execPath, [berthBin, ...args], { cwd: options.cwd, input: options.input, encoding: 'utf8', env, timeout: 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The built CLI (npm test builds it first). Tests drive it as a manager would: argv in, exit code and output out. */
export const berthBin = join(import.meta.dirname, '..', '..', '..', 'dist', 'berth.cjs');

export interface BerthResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run berth and wait for it to exit. */
export function runBerth(args: readonly string[], options: { cwd?: string; input?: string } = {}): BerthResult {
  return withOutputFiles((out, err, env) => {
    const r = spawnSync(process.execPath, [berthBin, ...args], {
      cwd: options.cwd,
      input: options.input,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', out, err],
      env,
      timeout: 60_000,
    });
    return r.status ?? -1;
  });
}

/** runBerth without blocking the test process, for concurrent invocations. */
export async function runBerthAsync(args: readonly string[]): Promise<BerthResult> {
  return withOutputFiles((out, err, env) => {
    const child = spawn(process.execPath, [berthBin, ...args], { stdio: ['ignore', out, err], env });
    // 'exit', not 'close': a container may hold berth's stdio open long after berth is gone.
    return new Promise<number>((resolve) => child.once('exit', (c) => resolve(c ?? -1)));
  });
}

/**
 * berth's stdout and stderr go to files, not pipes: a container inherits berth's stdio (as with
 * runc), and waiting for a pipe to close would wait for the container too.
 */
function withOutputFiles(run: (out: number, err: number, env: NodeJS.ProcessEnv) => number): BerthResult;
function withOutputFiles(run: (out: number, err: number, env: NodeJS.ProcessEnv) => Promise<number>): Promise<BerthResult>;
function withOutputFiles(run: (out: number, err: number, env: NodeJS.ProcessEnv) => number | Promise<number>): BerthResult | Promise<BerthResult> {
  if (!existsSync(berthBin)) throw new Error(`${berthBin} is missing: run \`npm run build\` first`);
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  const dir = mkdtempSync(join(tmpdir(), 'berth-out-'));
  const out = openSync(join(dir, 'stdout'), 'w+');
  const err = openSync(join(dir, 'stderr'), 'w+');
  const finish = (code: number): BerthResult => {
    closeSync(out);
    closeSync(err);
    const result = { code, stdout: readFileSync(join(dir, 'stdout'), 'utf8'), stderr: readFileSync(join(dir, 'stderr'), 'utf8') };
    rmSync(dir, { recursive: true, force: true });
    return result;
  };
  const code = run(out, err, env);
  return typeof code === 'number' ? finish(code) : code.then(finish);
}

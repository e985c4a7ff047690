import { spawn } from 'node:child_process';
import { RuntimeError } from '../errors/runtime-error.js';
import type { Hook, HookKind } from '../spec/config.js';
import { pointerOf } from '../spec/json-pointer.js';
import type { HookState, Status } from '../spec/state.js';

/** A hook's program after a backend's `enter` wrapper (if any) has been applied. */
export interface HookCommand {
  path: string;
  args: string[];
  /** Exactly this environment; undefined inherits berth's own, as runc does (Go's nil Env). */
  env?: string[];
}

/** Wraps a hook's program so it runs elsewhere, e.g. inside the container's namespaces. */
export type HookEnter = (command: { path: string; args: string[] }) => { path: string; args: string[] };

/** Output kept from a failing hook for the error message. */
const maxCapturedOutput = 4096;

/** The status a hook of each kind sees in its state JSON (runtime.md lifecycle). */
export function statusSeenBy(kind: HookKind): Status {
  switch (kind) {
    case 'prestart':
    case 'createRuntime':
    case 'createContainer':
      return 'creating';
    case 'startContainer':
      return 'created';
    case 'poststart':
      return 'running';
    case 'poststop':
      return 'stopped';
  }
}

/**
 * Run hooks one after another, in config order, each with the state JSON on stdin. A hook
 * fails when it exits non-zero, is killed, cannot be started, or outlives its `timeout`
 * (seconds; it is then killed). The first failure stops the sequence and is thrown: the caller
 * decides, per the spec, whether that is an error or a warning.
 */
export async function runHooks(
  kind: HookKind,
  hooks: readonly Hook[],
  state: HookState,
  enter?: HookEnter,
): Promise<void> {
  const stdin = JSON.stringify(state);
  for (const [index, hook] of hooks.entries()) {
    // args has execv's argv semantics (args[0] is argv[0]); without it the program sees its path.
    const direct = { path: hook.path, args: hook.args && hook.args.length > 0 ? hook.args : [hook.path] };
    const command: HookCommand = { ...(enter ? enter(direct) : direct), env: hook.env };
    await runOne(kind, index, hook, command, stdin);
  }
}

/**
 * runtime.md step 13: every poststop hook runs; one that fails is only a warning ("the remaining
 * hooks and lifecycle continue as if the hook had succeeded"), so the next one still runs.
 */
export async function runPoststopHooks(hooks: readonly Hook[], state: HookState, warn: (message: string) => void): Promise<void> {
  const stdin = JSON.stringify(state);
  for (const [index, hook] of hooks.entries()) {
    const args = hook.args && hook.args.length > 0 ? hook.args : [hook.path];
    try {
      await runOne('poststop', index, hook, { path: hook.path, args, env: hook.env }, stdin);
    } catch (e) {
      warn(e instanceof Error ? e.message : String(e));
    }
  }
}

function runOne(kind: HookKind, index: number, hook: Hook, command: HookCommand, stdin: string): Promise<void> {
  // The hook's field first (as every config error names its field), then what it is.
  const where = `${pointerOf('hooks', kind, index)}: ${kind} hook #${index} (${hook.path})`;
  return new Promise((resolve, reject) => {
    let output = '';
    const keep = (chunk: Buffer) => {
      if (output.length < maxCapturedOutput) output += chunk.toString('utf8').slice(0, maxCapturedOutput - output.length);
    };
    const env = command.env === undefined ? process.env : Object.fromEntries(command.env.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
    const child = spawn(command.path, command.args.slice(1), {
      argv0: command.args[0],
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let timedOut = false;
    const timer =
      hook.timeout !== undefined
        ? setTimeout(() => {
            timedOut = true;
            child.kill('SIGKILL');
          }, hook.timeout * 1000)
        : undefined;
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    // A hook that does not read its stdin must not fail the write (EPIPE).
    child.stdin.on('error', () => {});
    child.stdin.end(stdin);
    child.once('error', (e) => {
      if (timer) clearTimeout(timer);
      reject(new RuntimeError('HOOK_FAILED', `${where}: cannot run: ${e.message}`, { cause: e }));
    });
    child.once('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      const tail = output.trim() === '' ? '' : `: ${output.trim()}`;
      if (timedOut) reject(new RuntimeError('HOOK_FAILED', `${where}: timed out after ${hook.timeout}s and was killed${tail}`));
      else if (signal) reject(new RuntimeError('HOOK_FAILED', `${where}: killed by ${signal}${tail}`));
      else if (code !== 0) reject(new RuntimeError('HOOK_FAILED', `${where}: exited with status ${code}${tail}`));
      else resolve();
    });
  });
}

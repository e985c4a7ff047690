import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { baseConfig, probeInRootfs, writeBundle } from '../bundle.js';
import { clauses } from '../clauses.js';
import { expectThat, property, type CaseContext } from '../property.js';
import { executableOf } from '../residue.js';
import { sleep } from '../runtime-driver.js';
import { describeCall } from './calls.js';
import { show } from './probe-run.js';

/**
 * Signals: kill by name, SIG-name and number must reach the container process (a shell that
 * traps them all and writes down which one came), a kill without a signal sends TERM, and `run`
 * exits with the program's status (or 128+N when signal N ended it).
 */

/** Signals a shell can trap whose default action would end it. */
const trappable = ['HUP', 'INT', 'QUIT', 'USR1', 'USR2', 'ALRM', 'TERM'] as const;
type Trappable = (typeof trappable)[number];
const signalNumber = (name: string) => constants.signals[`SIG${name}` as NodeJS.Signals];

/** Whether every signal in `names` is caught by process `pid` (SigCgt in /proc/PID/status). */
function catches(pid: number, names: readonly string[]): boolean {
  try {
    const mask = BigInt(`0x${/^SigCgt:\s*([0-9a-f]+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]}`);
    return names.every((n) => ((mask >> BigInt(signalNumber(n) - 1)) & 1n) === 1n);
  } catch {
    return false;
  }
}

/**
 * A container whose program traps every trappable signal, writes the one it got to
 * /marks/signal (a bind mount of the bundle's marks/) and exits; started, with the traps set.
 */
async function trappingContainer(ctx: CaseContext): Promise<{ marks: string; pid: number }> {
  const traps = trappable.map((s) => `trap 'echo ${s} > /marks/signal; exit 0' ${s}`).join('; ');
  const config = baseConfig(ctx.assets.ociVersion, ['/bin/sh', '-c', `${traps}; while :; do /bin/sleep 1 & wait $!; done`]);
  config.mounts!.push({ destination: '/marks', type: 'none', source: join(ctx.dir, 'marks'), options: ['bind', 'rw'] });
  writeBundle(ctx.dir, config, ctx.assets, [{ path: 'marks' }, { path: 'rootfs/marks' }]);
  const rt = ctx.runtime;
  for (const call of [await rt.create('c1', ctx.dir), await rt.start('c1')]) {
    expectThat(call.exitCode === 0, call.args[0] === 'create' ? clauses.createApplies : clauses.startRuns, () => `${call.args[0]} failed: ${describeCall(call)}`);
  }
  const pid = Number((await rt.stateOf('c1')).state?.pid);
  for (let i = 0; i < 100 && !catches(pid, trappable); i++) await sleep(50);
  rt.recordWait(0.5, 'the payload traps the signals once its shell has started (the suite waits for SigCgt in /proc/PID/status)');
  return { marks: join(ctx.dir, 'marks'), pid };
}

/** After a kill: the container stops, and the program says which signal it got. */
async function received(ctx: CaseContext, marks: string): Promise<string | undefined> {
  const state = await ctx.runtime.waitForStatus('c1', ['stopped']);
  expectThat(state?.status === 'stopped', clauses.killSends, () => `the program traps the signal and exits, but the container is ${show(state?.status)} 10 s later`);
  try {
    return readFileSync(join(marks, 'signal'), 'utf8').trim();
  } catch {
    return undefined;
  }
}

interface KillCase {
  signal: Trappable;
  form: 'name' | 'SIG-name' | 'number';
}

const spelled = (c: KillCase) => (c.form === 'name' ? c.signal : c.form === 'SIG-name' ? `SIG${c.signal}` : String(signalNumber(c.signal)));

export const killDelivers = property({
  id: 'signals/kill-delivers',
  group: 'signals',
  title: 'kill by name (TERM), SIG-name (SIGTERM) or number (15) delivers exactly that signal to the container process',
  clauses: [clauses.killSends, clauses.cliKillSignals],
  needsBusybox: true,
  arbitrary: () => fc.record({ signal: fc.constantFrom(...trappable), form: fc.constantFrom<KillCase['form']>('name', 'SIG-name', 'number') }),
  describe: (c: KillCase) => `kill c1 ${spelled(c)}`,
  check: async (c: KillCase, ctx) => {
    const { marks } = await trappingContainer(ctx);
    const call = await ctx.runtime.kill('c1', spelled(c));
    // The draft CLI requires the name TERM; any other spelling falls under "MUST send the specified signal".
    expectThat(call.exitCode === 0, c.form === 'name' && c.signal === 'TERM' ? clauses.cliKillSignals : clauses.killSends, () => `kill c1 ${spelled(c)} failed: ${describeCall(call)}`);
    const got = await received(ctx, marks);
    expectThat(got === c.signal, clauses.killSends, () => `kill c1 ${spelled(c)}: the program got ${got === undefined ? 'no trappable signal' : `SIG${got}`}, not SIG${c.signal}`);
    await ctx.runtime.delete('c1');
  },
});

export const killDefaultsToTerm = property({
  id: 'signals/kill-default-term',
  group: 'signals',
  title: 'kill without a signal sends TERM',
  clauses: [clauses.cliKillSignals],
  needsBusybox: true,
  arbitrary: () => fc.constant(null),
  describe: () => 'kill c1',
  check: async (_c: null, ctx) => {
    const { marks } = await trappingContainer(ctx);
    const call = await ctx.runtime.kill('c1');
    expectThat(call.exitCode === 0, clauses.cliKillSignals, () => `kill c1 failed: ${describeCall(call)}`);
    const got = await received(ctx, marks);
    expectThat(got === 'TERM', clauses.cliKillSignals, () => `kill c1 without a signal: the program got ${got === undefined ? 'no trappable signal' : `SIG${got}`}, not SIGTERM`);
    await ctx.runtime.delete('c1');
  },
});

type RunCase = { kind: 'exit'; code: number } | { kind: 'signal'; signal: 'KILL' | Trappable };

export const runExitStatus = property({
  id: 'signals/run-exit-status',
  group: 'signals',
  title: '`run` exits with the program\'s exit status, or 128+N when signal N ended it',
  clauses: [clauses.runExitStatus],
  needs: ['run'],
  arbitrary: () =>
    fc.oneof(
      fc.integer({ min: 0, max: 255 }).map((code): RunCase => ({ kind: 'exit', code })),
      fc.constantFrom<'KILL' | Trappable>('KILL', ...trappable).map((signal): RunCase => ({ kind: 'signal', signal })),
    ),
  describe: (c: RunCase) => (c.kind === 'exit' ? `run c1, the program exits ${c.code}` : `run c1, then kill c1 ${c.signal} (the program does not trap it)`),
  check: async (c: RunCase, ctx) => {
    // The probe, not a shell: busybox sh ignores SIGQUIT, and an exec'd program keeps what it ignores.
    const config = baseConfig(ctx.assets.ociVersion, c.kind === 'exit' ? [probeInRootfs, '--exit', String(c.code)] : [probeInRootfs, '--sleep', '600']);
    // Without a pid namespace of its own the program is not an init, so an untrapped signal ends it as usual.
    config.linux!.namespaces = config.linux!.namespaces!.filter((n) => n.type !== 'pid');
    writeBundle(ctx.dir, config, ctx.assets);
    const running = ctx.runtime.spawn(['run', '--bundle', ctx.dir, ctx.runtime.id('c1')]);
    if (c.kind === 'signal') {
      let pid = 0;
      for (let i = 0; i < 200 && pid === 0; i++) {
        const state = (await ctx.runtime.stateOf('c1')).state;
        if (state?.status === 'running' && executableOf(Number(state.pid)).endsWith(probeInRootfs)) pid = Number(state.pid);
        else await sleep(50);
      }
      const killed = await ctx.runtime.kill('c1', c.signal);
      expectThat(killed.exitCode === 0, clauses.killSends, () => `kill c1 ${c.signal} of the running container failed: ${describeCall(killed)}`);
    }
    const done = await running.done(30_000);
    const wanted = c.kind === 'exit' ? c.code : 128 + signalNumber(c.signal);
    expectThat(done.exitCode === wanted, clauses.runExitStatus, () => `run exited ${done.exitCode}${done.timedOut ? ' (timed out)' : ''}; the program ${c.kind === 'exit' ? `exited ${c.code}` : `was ended by SIG${c.signal}`}, so ${wanted}; stderr ${show(done.stderr.trim().slice(0, 200))}`);
  },
});

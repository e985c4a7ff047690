import { clauses, type Clause } from '../clauses.js';
import { expectThat } from '../property.js';
import type { Invocation } from '../runtime-driver.js';

/** A runtime call as a failure message shows it: its exit and the start of its stderr. */
export const describeCall = (i: Invocation) => `exit ${i.exitCode}${i.timedOut ? ' (timed out)' : ''}, stderr ${JSON.stringify(i.stderr.trim().slice(0, 300))}`;

/** A refusal must fail (not time out) and say why on stderr. */
export function expectRefused(call: Invocation, clause: Clause, what: string): void {
  expectThat(call.exitCode !== 0 && !call.timedOut, clause, () => `${what}: ${call.timedOut ? 'timed out' : 'exit 0, an error was required'}`);
  expectThat(call.stderr.trim() !== '', clauses.errorMessage, () => `${what}: exit ${call.exitCode} but nothing on stderr`);
}

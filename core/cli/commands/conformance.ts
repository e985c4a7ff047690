import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { RuntimeError } from '../../errors/runtime-error.js';
import type { CommandHandler } from '../command-context.js';

/** What dist/conformance.cjs exports (spec-tests/conformance/main.ts). */
interface ConformanceSuite {
  conformanceMain(argv: readonly string[], io: { stdout: (text: string) => void; stderr: (text: string) => void }): Promise<number>;
}

/** The suite's flags, in the form its own command line takes them. */
const passedOn = ['runtime', 'seed', 'budget', 'runs', 'out', 'only', 'probe', 'busybox', 'deviations', 'docs', 'from-results'];

/**
 * `conformance`: the OCI conformance suite of spec-tests/conformance. It is its own program
 * (dist/conformance.cjs), loaded here only when asked for, so berth.cjs carries none of it and
 * the suite tests berth from the outside like any other runtime.
 */
const conformance: CommandHandler = async (ctx) => {
  const suitePath = typeof __dirname === 'string' ? join(__dirname, '..', 'conformance.cjs') : '';
  if (!suitePath || !existsSync(suitePath)) throw new RuntimeError('UNSUPPORTED', `the conformance suite ${suitePath || 'dist/conformance.cjs'} is not built: run \`npm run build\``);
  const argv = passedOn.flatMap((name) => {
    const value = ctx.flags[name];
    if (value === undefined || value === false) return [];
    return (Array.isArray(value) ? value : [String(value)]).flatMap((v) => [`--${name}`, v]);
  });
  const suite = createRequire(suitePath)(suitePath) as ConformanceSuite;
  return suite.conformanceMain(argv, { stdout: ctx.stdout, stderr: ctx.stderr });
};
export { conformance as command };

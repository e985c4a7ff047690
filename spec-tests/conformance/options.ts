import { groups, type Group } from './property.js';

export interface SuiteOptions {
  runtimes: string[];
  seed: number;
  budgetSeconds: number;
  /** Most cases per property and runtime (the budget may stop it earlier). */
  runs: number;
  out: string;
  only: Group[];
  probe?: string;
  busybox: string;
  deviations?: string;
  /** Also render the results as the committed docs page (docs/conformance.md). */
  docs?: string;
  /** Run nothing: render results.md (and --docs) again from this results.json, with today's deviations.md. */
  fromResults?: string;
}

export type ParsedArgs = { kind: 'run'; options: SuiteOptions } | { kind: 'help' } | { kind: 'usage-error'; message: string };

export const usage = `usage: conformance --runtime PATH [--runtime PATH ...] [options]

Checks OCI runtimes against properties of the runtime-spec with generated cases, through their
command line only (create, start, state, kill, delete; run, exec, pause, resume and update
where the runtime lists them).

  --runtime PATH     a runtime binary to test (repeat it to compare runtimes: differential mode)
  --seed N           seed of the case generators (default: random; printed, and kept in results.json)
  --budget SECONDS   time for the whole run (default 300); each property gets its share
  --runs N           most cases per property and runtime (default 30)
  --out DIR          where results.json, results.md and failing cases go (default ./conformance-results)
  --only GROUP       only these groups (repeatable, or comma-separated): ${groups.join(', ')}
  --probe PATH       the berth-probe payload (default: berth-probe beside this program)
  --busybox PATH     a static busybox for payload shells and hooks (default /bin/busybox)
  --deviations FILE  known deviations, explained (default: deviations.md of the suite)
  --docs FILE        also write the results as a documentation page
  --from-results F   run nothing: render results.md (and --docs) again from results.json F, with
                     the explanations deviations.md has now
  --help             this text

Exit status: 0 when every failure is a deviation deviations.md explains, 1 otherwise, 2 on usage errors.
`;

function positiveInteger(flag: string, value: string, allowZero = false): number | string {
  if (!/^\d+$/.test(value) || (!allowZero && Number(value) === 0) || !Number.isSafeInteger(Number(value))) {
    return `${flag}: expected a ${allowZero ? 'non-negative' : 'positive'} integer, got ${JSON.stringify(value)}`;
  }
  return Number(value);
}

/** Parses the suite's arguments (`--flag value` and `--flag=value`); pure. */
export function parseArgs(argv: readonly string[], randomSeed: () => number): ParsedArgs {
  const options: SuiteOptions = { runtimes: [], seed: -1, budgetSeconds: 300, runs: 30, out: 'conformance-results', only: [], busybox: '/bin/busybox' };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') return { kind: 'help' };
    const eq = arg.indexOf('=');
    const flag = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    const known = ['--runtime', '--seed', '--budget', '--runs', '--out', '--only', '--probe', '--busybox', '--deviations', '--docs', '--from-results'];
    if (!known.includes(flag)) return { kind: 'usage-error', message: arg.startsWith('-') ? `unknown flag ${arg}` : `unexpected argument ${JSON.stringify(arg)}` };
    let value: string;
    if (flag !== arg) value = arg.slice(eq + 1);
    else if (i + 1 < argv.length) value = argv[++i];
    else return { kind: 'usage-error', message: `${flag} needs a value` };
    switch (flag) {
      case '--runtime':
        options.runtimes.push(value);
        break;
      case '--out':
        options.out = value;
        break;
      case '--probe':
        options.probe = value;
        break;
      case '--busybox':
        options.busybox = value;
        break;
      case '--deviations':
        options.deviations = value;
        break;
      case '--docs':
        options.docs = value;
        break;
      case '--from-results':
        options.fromResults = value;
        break;
      case '--only':
        for (const g of value.split(',').filter(Boolean)) {
          if (!(groups as readonly string[]).includes(g)) return { kind: 'usage-error', message: `--only: unknown group ${JSON.stringify(g)} (groups: ${groups.join(', ')})` };
          if (!options.only.includes(g as Group)) options.only.push(g as Group);
        }
        break;
      default: {
        const n = positiveInteger(flag, value, flag === '--seed');
        if (typeof n === 'string') return { kind: 'usage-error', message: n };
        if (flag === '--seed') {
          if (n > 0x7fffffff) return { kind: 'usage-error', message: `--seed: at most ${0x7fffffff}, got ${n}` };
          options.seed = n;
        } else if (flag === '--budget') options.budgetSeconds = n;
        else options.runs = n;
      }
    }
  }
  if (options.runtimes.length === 0 && !options.fromResults) return { kind: 'usage-error', message: 'at least one --runtime PATH is needed' };
  if (options.seed < 0) options.seed = randomSeed();
  return { kind: 'run', options };
}

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseArgs } from './options.js';

const seed = () => 42;

describe('parseArgs', () => {
  it('reads every flag, repeated runtimes and --only lists, both as "--flag value" and "--flag=value"', () => {
    const parsed = parseArgs(['--runtime', '/a', '--runtime=/b', '--seed', '7', '--budget=60', '--runs', '3', '--out', 'o', '--only', 'hooks,config', '--only=hooks', '--probe', 'p', '--busybox', 'bb', '--deviations', 'd.md', '--docs', 'doc.md'], seed);
    expect(parsed).toEqual({
      kind: 'run',
      options: { runtimes: ['/a', '/b'], seed: 7, budgetSeconds: 60, runs: 3, out: 'o', only: ['hooks', 'config'], probe: 'p', busybox: 'bb', deviations: 'd.md', docs: 'doc.md' },
    });
  });

  it('defaults: a random seed, 300 s, 30 runs, ./conformance-results, every group, /bin/busybox', () => {
    expect(parseArgs(['--runtime', 'r'], seed)).toEqual({
      kind: 'run',
      options: { runtimes: ['r'], seed: 42, budgetSeconds: 300, runs: 30, out: 'conformance-results', only: [], busybox: '/bin/busybox' },
    });
  });

  it('--from-results needs no runtime: it only renders', () => {
    expect(parseArgs(['--from-results', 'r.json', '--docs', 'd.md'], seed)).toMatchObject({ kind: 'run', options: { runtimes: [], fromResults: 'r.json', docs: 'd.md' } });
  });

  it('seed 0 is a seed, not "pick one"', () => {
    expect(parseArgs(['--runtime', 'r', '--seed', '0'], seed)).toMatchObject({ options: { seed: 0 } });
  });

  it.each([
    [[], 'at least one --runtime PATH is needed'],
    [['--runtime'], '--runtime needs a value'],
    [['--runtime', 'r', '--budget', '0'], '--budget: expected a positive integer, got "0"'],
    [['--runtime', 'r', '--runs', '-1'], '--runs: expected a positive integer, got "-1"'],
    [['--runtime', 'r', '--seed', '1.5'], '--seed: expected a non-negative integer, got "1.5"'],
    [['--runtime', 'r', '--seed', '4294967296'], '--seed: at most 2147483647, got 4294967296'],
    [['--runtime', 'r', '--only', 'everything'], '--only: unknown group "everything" (groups: lifecycle, config, invalid, hooks, signals, verbs)'],
    [['--runtime', 'r', '--verbose'], 'unknown flag --verbose'],
    [['--runtime', 'r', 'extra'], 'unexpected argument "extra"'],
  ])('%j is a usage error: %s', (argv, message) => {
    expect(parseArgs(argv, seed)).toEqual({ kind: 'usage-error', message });
  });

  it('--help wins wherever it stands', () => {
    expect(parseArgs(['--runtime', 'r', '--bogus', '--help'], seed).kind).toBe('usage-error');
    expect(parseArgs(['--help', '--bogus'], seed)).toEqual({ kind: 'help' });
  });

  it('any seed it prints is accepted back', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0x7fffffff }), (n) => {
        const first = parseArgs(['--runtime', 'r'], () => n);
        expect(first.kind === 'run' && parseArgs(['--runtime', 'r', '--seed', String(first.options.seed)], seed)).toMatchObject({ options: { seed: n } });
      }),
    );
  });
});

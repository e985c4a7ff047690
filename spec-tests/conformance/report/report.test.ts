import { describe, expect, it } from 'vitest';
import { clauses } from '../clauses.js';
import { renderDocsPage } from '../docs.js';
import { renderMarkdown } from './markdown.js';
import type { PropertyResult, SuiteResults } from './results.js';
import { tapHeader, tapLine } from './tap.js';

const pass: PropertyResult = { runtime: 'runc', property: 'config/hostname', group: 'config', verdict: 'pass', numRuns: 12, seed: 5, durationMs: 900, interrupted: true, explained: false };
const fail: PropertyResult = {
  runtime: 'crun',
  property: 'config/hostname',
  group: 'config',
  verdict: 'fail',
  numRuns: 3,
  seed: 5,
  durationMs: 900,
  interrupted: false,
  explained: false,
  failure: { clause: clauses.hostname, message: 'hostname is "a|b"', counterexample: 'hostname "x"', numShrinks: 4, path: '2:1', bundle: 'failures/crun/config-hostname', reproduced: true },
};
const skip: PropertyResult = { ...pass, runtime: 'berth', verdict: 'skip', numRuns: 0, skipReason: 'berth does not list run in its --help' };

const results: SuiteResults = {
  suite: 'berth-conformance',
  seed: 5,
  budgetSeconds: 60,
  runs: 20,
  startedAt: '2026-01-02T03:04:05.000Z',
  durationMs: 61_000,
  ociVersion: '1.0.2',
  runtimes: ['runc', 'crun', 'berth'].map((name) => ({ path: `/bin/${name}`, name, version: '1.0', verbs: ['run'], ociVersions: {} })),
  properties: [{ id: 'config/hostname', group: 'config', title: 'the hostname | is set', clauses: [clauses.hostname] }],
  results: [pass, fail, skip],
  disagreements: [{ property: 'config/hostname', clause: clauses.hostname, counterexample: 'hostname "x"', foundOn: 'crun', bundle: 'failures/crun/config-hostname', verdicts: { crun: 'fail', runc: 'pass' } }],
};

describe('TAP', () => {
  it('announces the plan and the seed to run again with', () => {
    expect(tapHeader(3, 5)).toBe('TAP version 14\n# seed 5 (run again with --seed 5)\n1..3\n');
  });

  it('a pass counts its cases, a skip gives its reason', () => {
    expect(tapLine(1, pass, 'out')).toBe('ok 1 - runc: config/hostname (12 cases, budget reached)\n');
    expect(tapLine(3, skip, 'out')).toBe('ok 3 - berth: config/hostname # SKIP berth does not list run in its --help\n');
  });

  it('a failure carries the clause, the shrunk case, the seed and the replay command as YAML; an explained one is a TODO', () => {
    const line = tapLine(2, fail, 'out');
    expect(line.split('\n')).toEqual([
      'not ok 2 - crun: config/hostname (3 cases)',
      '  ---',
      `  clause: ${JSON.stringify(`config.md, Hostname: "${clauses.hostname.quote}"`)}`,
      '  message: "hostname is \\"a|b\\""',
      '  counterexample: "hostname \\"x\\""',
      '  seed: 5',
      '  shrinks: 4',
      '  bundle: "out/failures/crun/config-hostname"',
      '  replay: "sh out/failures/crun/config-hostname/replay.sh"',
      '  ...',
      '',
    ]);
    expect(tapLine(2, { ...fail, explained: true }, 'out').split('\n')[0]).toBe('not ok 2 - crun: config/hostname (3 cases) # TODO known deviation, explained in deviations.md');
  });
});

describe('markdown', () => {
  const md = renderMarkdown({ ...results, results: [pass, { ...fail, explained: true }, skip] }, [{ runtime: 'crun', property: 'config/hostname', text: 'crun has its reasons.' }], { title: 'Results', bundleBase: 'out' });

  it('has a row per property and a column per runtime, pipes escaped', () => {
    expect(md).toContain('| property | checks | runc | crun | berth |');
    expect(md).toContain('| `config/hostname` | the hostname \\| is set | pass (12) | deviation (explained) | skip |');
  });

  it('explains each deviation under its clause, case and replay command', () => {
    expect(md).toContain('### crun\n\n#### `config/hostname`\n\n- Clause: config.md, Hostname:');
    expect(md).toContain('- Replay: `sh out/failures/crun/config-hostname/replay.sh`\n\ncrun has its reasons.');
    expect(renderMarkdown(results, [], { title: 'R', bundleBase: 'out' })).toContain('**Not explained yet**');
  });

  it('quotes every sentence each property checks', () => {
    expect(md).toContain(`- \`config/hostname\`: the hostname | is set\n  - config.md, Hostname: "${clauses.hostname.quote}"`);
  });

  it('lists disagreements with the clause, the case, every runtime\'s verdict and the bundle', () => {
    expect(md).toContain('| property | clause | case | runc | crun | berth | bundle |');
    expect(md).toMatch(/\| `config\/hostname` \| config\.md, Hostname: .* \| `hostname "x"` \| pass \| fail \| skip \| `out\/failures\/crun\/config-hostname` \|/);
  });
});

describe('the docs page', () => {
  it('shows paths in the checkout relative to it, in the runtime table and in what was observed', () => {
    const checkout = '/home/dev/berth';
    const located: SuiteResults = {
      ...results,
      runtimes: results.runtimes.map((r) => (r.name === 'berth' ? { ...r, path: `${checkout}/spec-tests/conformance/berth-runtime.sh` } : r)),
      results: [{ ...fail, failure: { ...fail.failure!, message: `delete removed ${checkout}/.tmp/conformance/victim` } }],
    };
    const page = renderDocsPage(located, [], ['--runtime', 'x'], '.tmp/conformance', checkout);
    expect(page).toContain('`spec-tests/conformance/berth-runtime.sh`');
    expect(page).toContain('delete removed .tmp/conformance/victim');
    expect(page).not.toContain(checkout);
  });
});

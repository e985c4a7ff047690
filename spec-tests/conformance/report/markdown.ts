import { citeClause } from '../clauses.js';
import { findNote, type DeviationNote } from '../deviations.js';
import type { PropertyResult, SuiteResults } from './results.js';

/** A table cell: no pipes or newlines may break the row. */
const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');
const code = (text: string) => `\`${text.replaceAll('`', "'")}\``;

function verdictCell(r: PropertyResult | undefined): string {
  if (!r) return '';
  if (r.verdict === 'skip') return 'skip';
  if (r.verdict === 'pass') return `pass (${r.numRuns})`;
  return r.explained ? 'deviation (explained)' : '**deviation**';
}

export interface MarkdownOptions {
  title: string;
  /** Paragraphs placed after the title. */
  intro?: string;
  /** How bundle paths are shown: prefixed with this (the --out directory). */
  bundleBase: string;
}

/**
 * The results as markdown: which runtimes and how the run was made, a table of every property
 * on every runtime, then each deviation with its clause, shrunk case, bundle and (from
 * deviations.md) explanation, then the cases on which runtimes disagree.
 */
export function renderMarkdown(results: SuiteResults, notes: readonly DeviationNote[], options: MarkdownOptions): string {
  const names = results.runtimes.map((r) => r.name);
  const out: string[] = [`# ${options.title}`, ''];
  if (options.intro) out.push(options.intro.trim(), '');
  out.push(
    `Seed ${results.seed}, budget ${results.budgetSeconds} s, at most ${results.runs} cases per property and runtime, bundles written with ociVersion ${results.ociVersion}; ${results.startedAt.slice(0, 10)}, ${Math.round(results.durationMs / 1000)} s.`,
    '',
    '| runtime | version | path | optional verbs |',
    '|---|---|---|---|',
    ...results.runtimes.map((r) => `| ${r.name} | ${cell(r.version)} | ${code(r.path)} | ${r.verbs.join(', ') || 'none'} |`),
    '',
    '## Results',
    '',
    `A cell counts the generated cases that passed; a deviation is a shrunk case on which the runtime does not do what the clause says.`,
    '',
    `| property | checks | ${names.join(' | ')} |`,
    `|---|---|${names.map(() => '---|').join('')}`,
  );
  for (const p of results.properties) {
    const row = names.map((n) => verdictCell(results.results.find((r) => r.runtime === n && r.property === p.id)));
    out.push(`| ${code(p.id)} | ${cell(p.title)} | ${row.join(' | ')} |`);
  }
  out.push('');

  const failures = results.results.filter((r) => r.verdict === 'fail');
  out.push('## Deviations', '');
  if (failures.length === 0) out.push('None found.', '');
  for (const name of names) {
    const mine = failures.filter((r) => r.runtime === name);
    if (mine.length === 0) continue;
    out.push(`### ${name}`, '');
    for (const r of mine) {
      const f = r.failure!;
      const note = findNote(notes, r.runtime, r.property);
      out.push(
        `#### ${code(r.property)}`,
        '',
        `- Clause: ${citeClause(f.clause)}`,
        `- Observed: ${f.message}`,
        `- Shrunk case: ${code(f.counterexample)}${f.reproduced ? '' : ' (did not fail again when re-run to write its bundle: timing-dependent)'}`,
        ...(f.bundle ? [`- Replay: ${code(`sh ${options.bundleBase}/${f.bundle}/replay.sh`)}`] : []),
        '',
        note ? note.text : '**Not explained yet** (add a `### RUNTIME: PROPERTY` note to spec-tests/conformance/deviations.md).',
        '',
      );
    }
  }

  if (results.runtimes.length > 1) {
    out.push('## Disagreements', '');
    if (results.disagreements.length === 0) out.push('The runtimes agree on every shrunk case.', '');
    else {
      out.push(`Each shrunk case that failed somewhere was run on every runtime.`, '', `| property | clause | case | ${names.join(' | ')} | bundle |`, `|---|---|---|${names.map(() => '---|').join('')}---|`);
      for (const d of results.disagreements) {
        out.push(`| ${code(d.property)} | ${cell(`${d.clause.source}, ${d.clause.section}: "${d.clause.quote}"`)} | ${code(cell(d.counterexample))} | ${names.map((n) => d.verdicts[n] ?? 'skip').join(' | ')} | ${d.bundle ? code(`${options.bundleBase}/${d.bundle}`) : ''} |`);
      }
      out.push('');
    }
  }

  out.push('## The sentences each property checks', '', 'Quoted from runtime-spec v1.3.0 (links and markup removed; `[...]` marks a cut). "cli (draft)" is the command-line-interface draft the runtimes follow; "runc convention" marks behaviour no spec text covers.', '');
  for (const p of results.properties) {
    out.push(`- ${code(p.id)}: ${p.title}`, ...p.clauses.map((c) => `  - ${c.source}, ${c.section}: "${c.quote}"`));
  }
  return `${out.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd()}\n`;
}

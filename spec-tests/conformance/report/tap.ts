import { citeClause } from '../clauses.js';
import type { PropertyResult } from './results.js';

/** TAP 14: the version line and the plan, printed before the first result. */
export function tapHeader(count: number, seed: number): string {
  return `TAP version 14\n# seed ${seed} (run again with --seed ${seed})\n1..${count}\n`;
}

/** A YAML block scalar line: any string is safe inside a JSON string. */
const yamlString = (s: string) => JSON.stringify(s);

/**
 * One test point. A failure carries a YAML block with the clause, the message, the shrunk case
 * and how to replay it; an explained deviation is `not ok ... # TODO`, which TAP consumers do
 * not count as a failure.
 */
export function tapLine(n: number, r: PropertyResult, outDir: string): string {
  const name = `${r.runtime}: ${r.property}`;
  if (r.verdict === 'skip') return `ok ${n} - ${name} # SKIP ${r.skipReason ?? ''}\n`;
  const runs = `${r.numRuns} case${r.numRuns === 1 ? '' : 's'}${r.interrupted ? ', budget reached' : ''}`;
  if (r.verdict === 'pass') return `ok ${n} - ${name} (${runs})\n`;
  const f = r.failure!;
  const directive = r.explained ? ' # TODO known deviation, explained in deviations.md' : '';
  const yaml = [
    '  ---',
    `  clause: ${yamlString(citeClause(f.clause))}`,
    `  message: ${yamlString(f.message)}`,
    `  counterexample: ${yamlString(f.counterexample)}`,
    `  seed: ${r.seed}`,
    `  shrinks: ${f.numShrinks}`,
    ...(f.bundle ? [`  bundle: ${yamlString(`${outDir}/${f.bundle}`)}`, `  replay: ${yamlString(`sh ${outDir}/${f.bundle}/replay.sh`)}`] : []),
    ...(f.reproduced ? [] : ['  note: "the shrunk case passed when run again to write its bundle: the failure may be timing-dependent"']),
    '  ...',
  ];
  return `not ok ${n} - ${name} (${runs})${directive}\n${yaml.join('\n')}\n`;
}

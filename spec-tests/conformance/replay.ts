import { citeClause, type Clause } from './clauses.js';
import type { TraceStep } from './runtime-driver.js';

/** Everything replay.sh says about the failure it replays. */
export interface ReplayInput {
  runtimePath: string;
  runtimeName: string;
  /** The directory replay.sh lives in; every path below it is written relative to "$here". */
  caseDir: string;
  root: string;
  propertyId: string;
  clause: Clause;
  message: string;
  seed: number;
  counterexample: string;
  /** Container ids the case used: replay.sh force-deletes them when it ends. */
  ids: readonly string[];
  trace: readonly TraceStep[];
}

/** POSIX sh single-quoting. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** A word with the case directory replaced by "$here", so the bundle can be replayed where it lies. */
function hereWord(word: string, caseDir: string): string {
  if (word === caseDir) return '"$here"';
  if (word.startsWith(`${caseDir}/`)) return `"$here"${shellQuote(word.slice(caseDir.length))}`;
  return shellQuote(word);
}

const comment = (text: string) => text.split('\n').map((line) => `# ${line}`.trimEnd()).join('\n');

/**
 * replay.sh: the exact runtime commands of a failing case, in order, with the exit status the
 * suite saw after each, so a runtime's developer reproduces it with `sh replay.sh` (or
 * `sh replay.sh /path/to/another/runtime` to compare). Each call's stdio goes to io/N.out and
 * io/N.err, as in the suite, and is shown after the call.
 */
export function renderReplay(input: ReplayInput): string {
  const lines: string[] = [
    '#!/bin/sh',
    comment(`Replays a counter-example of ${input.propertyId} found on ${input.runtimeName} (seed ${input.seed}).`),
    comment(`Spec: ${citeClause(input.clause)}`),
    comment(`Violation: ${input.message}`),
    comment(`Case: ${input.counterexample}`),
    '# Usage: sh replay.sh [RUNTIME]   (default: the runtime that failed)',
    'here=$(cd "$(dirname "$0")" && pwd)',
    `RUNTIME=\${1:-${shellQuote(input.runtimePath)}}`,
    `root=${hereWord(input.root, input.caseDir)}`,
    'io="$here/io"',
    'rm -rf "$root" "$io" && mkdir -p "$io"',
    '# The suite ran every call in the case\'s directory (relative arguments resolve there).',
    'cd "$here"',
    'n=0; background=',
    '# step ARGS...: one runtime call as the suite made it; prints its exit status and output.',
    'step() {',
    '  n=$((n + 1))',
    '  "$RUNTIME" --root "$root" "$@" </dev/null >"$io/$n.out" 2>"$io/$n.err"',
    '  rc=$?',
    '  echo "[$n] $* -> exit $rc"',
    '  awk \'{ print "    stdout: " $0 }\' "$io/$n.out"; awk \'{ print "    stderr: " $0 }\' "$io/$n.err"',
    '}',
    '# step_bg ARGS...: a call that lasts as long as the container (run in the foreground), in the background.',
    'step_bg() {',
    '  n=$((n + 1))',
    '  ( "$RUNTIME" --root "$root" "$@" </dev/null >"$io/$n.out" 2>"$io/$n.err"; echo "[background] $* -> exit $?" ) &',
    '  background="$background $!"',
    '}',
    '# wait_status ID STATUS...: polls state until the status is one of those given (10 s at most).',
    'wait_status() {',
    '  id=$1; shift; i=0',
    '  while [ $i -lt 200 ]; do',
    '    s=$("$RUNTIME" --root "$root" state "$id" 2>/dev/null | tr -d " \\n" | sed -n "s/.*\\"status\\":\\"\\([a-z]*\\)\\".*/\\1/p")',
    '    for want in "$@"; do [ "$s" = "$want" ] && echo "    $id is $s" && return 0; done',
    '    i=$((i + 1)); sleep 0.05',
    '  done',
    '  echo "    $id: gave up waiting for $*: status \'$s\'"',
    '}',
    `cleanup() { for id in ${input.ids.map(shellQuote).join(' ')}; do "$RUNTIME" --root "$root" delete --force "$id" >/dev/null 2>&1; done; }`,
    'trap cleanup EXIT',
    '',
  ];
  for (const step of input.trace) {
    if (step.kind === 'note') lines.push(comment(step.text));
    else if (step.kind === 'sleep') lines.push(`sleep ${step.seconds}  # ${step.why}`);
    else if (step.kind === 'shell') lines.push(step.command);
    else if (step.kind === 'wait-status') lines.push(`wait_status ${shellQuote(step.id)} ${step.statuses.map(shellQuote).join(' ')}`);
    else {
      const args = step.args.map((a) => hereWord(a, input.caseDir)).join(' ');
      const seen = step.exitCode === null ? 'no exit status (killed or still running)' : `exit ${step.exitCode}`;
      lines.push(`${step.background ? 'step_bg' : 'step'} ${args}  # the suite saw ${seen}`);
    }
  }
  // Only the runtime's own background calls: a helper a shell step started (a namespace holder) lives on until cleanup.
  lines.push('[ -z "$background" ] || wait $background', '');
  return lines.join('\n');
}

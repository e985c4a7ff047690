/**
 * What a refusal must say: the field (a JSON pointer into config.json) or the argument that is
 * wrong. Pure; the campaign and the root tests judge every refused call with it.
 */

/** Top-level members of config.json (runtime-spec v1.3.0): a pointer starting elsewhere names no field of it. */
const configMembers = ['ociVersion', 'process', 'root', 'hostname', 'domainname', 'mounts', 'hooks', 'annotations', 'linux', 'windows', 'solaris', 'vm', 'zos'];

const pointerPattern = new RegExp(`(?:^|[\\s:;,'"(\`])(/(?:${configMembers.join('|')})(?:/[^\\s:;,'")\`]*)?)(?=$|[\\s:;,'")\`])`, 'm');
const flagPattern = /(?:^|[\s:;,'"(`])(--?[a-z][a-z0-9-]*)(?=$|[\s:;,'")`=])/m;
/** Words berth (and runc) use for a positional argument. */
const argumentPattern = /\b(container id|<container-id>|\d+ arguments?|signal|command)\b/;

/** Texts of a program that failed rather than refused: a JS exception, a stack, a bug report. */
const crashPatterns = [/internal error/i, /Maximum call stack/, /\b(TypeError|RangeError|ReferenceError|SyntaxError):/, /^\s+at .+\(.*:\d+:\d+\)$/m, /Invalid array length/, /heap out of memory/i, /Assertion .* failed/, /Segmentation fault|core dumped/];

export type Named = { kind: 'pointer' | 'flag' | 'argument'; name: string };

/**
 * The field or argument a refusal names: a JSON pointer into config.json, a flag, or a
 * positional argument (the container id, when the message is about it: `ID: container does
 * not exist`; a message that merely starts with the id, as every create error does, is not).
 */
export function namedField(message: string, ids: readonly string[] = []): Named | undefined {
  // The whole document ("/: is not valid JSON", as berth shows the root pointer "") is a field too.
  const pointer = pointerPattern.exec(message)?.[1] ?? (/(?:^\s*|problems?: |; )\/: /m.test(message) ? '/' : undefined);
  if (pointer) return { kind: 'pointer', name: pointer };
  const flag = flagPattern.exec(message)?.[1];
  if (flag) return { kind: 'flag', name: flag };
  const argument = argumentPattern.exec(message)?.[1];
  if (argument) return { kind: 'argument', name: argument };
  // The id is the argument when the refusal is about it: no such container, or not in a state the verb takes.
  const aboutId = (rest: string) => /^(container does not exist|container with given ID already exists|container not running|cannot \w+ (a|in a) \w+ container|.* is (created|running|stopped|paused|creating)\b)/.test(rest);
  const id = ids.find((i) => i !== '' && ((message.startsWith(`${i}: `) && aboutId(message.slice(i.length + 2))) || message.includes(`"${i}"`)));
  return id === undefined ? undefined : { kind: 'argument', name: 'container id' };
}

/** Why a failed call is a crash rather than a refusal, or undefined when it looks like a refusal. */
export function crashSign(message: string): string | undefined {
  return crashPatterns.find((p) => p.test(message))?.source;
}

/** The kind of a refusal, for the campaign's totals. */
export function refusalKind(exitCode: number | null, message: string): string {
  if (exitCode === 2) return 'usage (bad or missing arguments)';
  // berth's CLI lists the problems one a line under "invalid FILE:"; its library form counts them on one line.
  if (/^invalid [^\n]*?:( \d+ problems?:|\s*$)/m.test(message)) return 'invalid config (validation, every problem at its pointer)';
  if (/failed in the (pre|parent|child|plan) step/.test(message)) return 'refused by the kernel (a helper op, at its field)';
  if (/invalid container id/.test(message)) return 'invalid container id';
  if (/^--[a-z-]+/m.test(message)) return 'bad flag value';
  return 'other refusal';
}

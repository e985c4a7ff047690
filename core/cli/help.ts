import { commands, findCommand, globalFlags, type FlagSpec } from './command-table.js';

/** `berth --help` or `berth help <verb>`. */
export function helpText(command?: string): string {
  if (command) {
    const spec = findCommand(command)!;
    const lines = [`berth ${spec.name} - ${spec.summary}`, '', `usage: berth [global flags] ${spec.name} ${spec.usage}`.trimEnd()];
    if (spec.description) lines.push('', spec.description);
    const flags = spec.flags.filter((f) => !f.hidden);
    if (flags.length > 0) lines.push('', 'flags:', ...formatFlags(flags));
    return `${lines.join('\n')}\n`;
  }
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'berth - an OCI container runtime with per-container backends',
    '',
    'usage: berth [global flags] <command> [flags] [arguments]',
    '',
    'commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width + 2)}${c.summary}`),
    '',
    'global flags:',
    ...formatFlags(globalFlags.filter((f) => !f.hidden)),
    '',
    'Run "berth help <command>" for a command\'s flags.',
    '',
  ].join('\n');
}

function formatFlags(flags: readonly FlagSpec[]): string[] {
  const left = flags.map((f) => `${f.short ? `-${f.short}, ` : '    '}--${f.name}${f.value ? ` ${f.value}` : ''}`);
  const width = Math.max(...left.map((l) => l.length));
  return flags.map((f, i) => `  ${left[i]!.padEnd(width + 2)}${f.description}`);
}

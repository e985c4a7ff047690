import { RuntimeError } from '../errors/runtime-error.js';
import { commands, findCommand, globalFlags, type CommandSpec, type FlagSpec } from './command-table.js';

export type FlagValues = Record<string, string | boolean | number | string[]>;

export interface GlobalOptions {
  root?: string;
  log?: string;
  logFormat: 'text' | 'json';
  debug: boolean;
  systemdCgroup: boolean;
  rootless: 'true' | 'false' | 'auto';
  backend?: string;
}

export type ParsedArgv =
  | { kind: 'version'; globals: GlobalOptions }
  | { kind: 'help'; globals: GlobalOptions; command?: string }
  | { kind: 'command'; globals: GlobalOptions; command: string; flags: FlagValues; args: string[] };

/**
 * Parse berth's argv (without node and script) the way runc's urfave/cli does: global flags
 * before the verb, then the verb's flags and arguments. Accepts `--flag value`, `--flag=value`,
 * Go's single-dash long form `-flag value`, short forms `-b DIR`, and `--` to end flags.
 * Pure: a bad command line throws a USAGE RuntimeError (exit 2).
 */
export function parseArgv(argv: readonly string[]): ParsedArgv {
  const { values, rest } = parseFlags(argv, globalFlags, 'berth', true);
  const globals = toGlobals(values);
  return parseCommand(globals, values, rest);
}

/** The global flags alone, so that a later usage error can still be logged where --log says. */
export function parseGlobals(argv: readonly string[]): GlobalOptions {
  return toGlobals(parseFlags(argv, globalFlags, 'berth', true).values);
}

function parseCommand(globals: GlobalOptions, values: FlagValues, rest: string[]): ParsedArgv {
  if (values.version === true) return { kind: 'version', globals };
  if (values.help === true) return { kind: 'help', globals, command: rest[0] };
  const verb = rest[0];
  if (verb === undefined) return { kind: 'help', globals };
  const command = findCommand(verb);
  if (!command) {
    throw RuntimeError.usage(`unknown command ${JSON.stringify(verb)}; commands: ${commands.map((c) => c.name).join(', ')}`);
  }
  const helpFlag: FlagSpec = { name: 'help', short: 'h', type: 'bool', description: 'show help' };
  const parsed = parseFlags(rest.slice(1), [...command.flags, helpFlag], command.name, command.flagsBeforeArgsOnly === true);
  if (parsed.values.help === true) return { kind: 'help', globals, command: command.name };
  if (command.name === 'help') {
    if (parsed.rest[0] !== undefined && !findCommand(parsed.rest[0])) throw RuntimeError.usage(`no help for unknown command ${JSON.stringify(parsed.rest[0])}`);
    return { kind: 'help', globals, command: parsed.rest[0] };
  }
  checkArgCount(command, parsed.rest);
  return { kind: 'command', globals, command: command.name, flags: parsed.values, args: parsed.rest };
}

/** Read flags from `argv`; with `stopAtPositional`, everything from the first positional on is left as is. */
function parseFlags(argv: readonly string[], specs: readonly FlagSpec[], where: string, stopAtPositional: boolean): { values: FlagValues; rest: string[] } {
  const values: FlagValues = {};
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === '--') {
      rest.push(...argv.slice(i + 1));
      break;
    }
    if (!token.startsWith('-') || token === '-') {
      if (stopAtPositional) {
        rest.push(...argv.slice(i));
        break;
      }
      rest.push(token);
      continue;
    }
    const body = token.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq < 0 ? body : body.slice(0, eq);
    const inline = eq < 0 ? undefined : body.slice(eq + 1);
    const spec = specs.find((f) => f.name === name || f.short === name);
    if (!spec) throw RuntimeError.usage(`flag provided but not defined: ${token.split('=')[0]} (see berth ${where === 'berth' ? '' : `${where} `}--help)`);
    const flag = `--${spec.name}`;
    if (spec.type === 'bool') {
      if (inline === undefined) values[spec.name] = true;
      else if (inline === 'true' || inline === 'false') values[spec.name] = inline === 'true';
      else throw RuntimeError.usage(`${flag} takes no value or true/false, got ${JSON.stringify(inline)}`);
      continue;
    }
    let value = inline;
    if (value === undefined && spec.optionalValue) {
      const next = argv[i + 1];
      if (next !== undefined && spec.choices?.includes(next)) {
        value = next;
        i++;
      } else value = 'true';
    }
    if (value === undefined) {
      if (i + 1 >= argv.length) throw RuntimeError.usage(`${flag} needs a value${spec.value ? ` (${spec.value})` : ''}`);
      value = argv[++i]!;
    }
    if (spec.choices && !spec.choices.includes(value)) {
      throw RuntimeError.usage(`${flag} must be one of ${spec.choices.map((c) => JSON.stringify(c)).join(', ')}, got ${JSON.stringify(value)}`);
    }
    if (spec.type === 'uint') {
      if (!/^[0-9]+$/.test(value) || !Number.isSafeInteger(Number(value))) throw RuntimeError.usage(`${flag} must be a non-negative integer, got ${JSON.stringify(value)}`);
      values[spec.name] = Number(value);
    } else if (spec.repeatable) {
      values[spec.name] = [...((values[spec.name] as string[] | undefined) ?? []), value];
    } else {
      values[spec.name] = value;
    }
  }
  return { values, rest };
}

function checkArgCount(command: CommandSpec, args: readonly string[]): void {
  const { minArgs, maxArgs } = command;
  if (args.length >= minArgs && args.length <= maxArgs) return;
  const wanted = minArgs === maxArgs ? `exactly ${minArgs}` : maxArgs === Infinity ? `at least ${minArgs}` : `${minArgs} to ${maxArgs}`;
  // The noun agrees with the last number said: "exactly 1 argument", "at least 1 argument", "0 to 2 arguments".
  const plural = (maxArgs === Infinity ? minArgs : maxArgs) !== 1;
  const usage = command.usage.replace('[flags] ', '');
  throw RuntimeError.usage(`"${command.name}" requires ${wanted} argument${plural ? 's' : ''}${usage ? `: ${usage}` : ''}, got ${args.length}`);
}

function toGlobals(values: FlagValues): GlobalOptions {
  return {
    root: values.root as string | undefined,
    log: values.log as string | undefined,
    logFormat: (values['log-format'] as 'text' | 'json' | undefined) ?? 'text',
    debug: values.debug === true,
    systemdCgroup: values['systemd-cgroup'] === true,
    rootless: (values.rootless as GlobalOptions['rootless'] | undefined) ?? 'auto',
    backend: values.backend as string | undefined,
  };
}

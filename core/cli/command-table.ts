/**
 * berth's command-line grammar, as data: runc's verbs and flags, so managers call berth exactly
 * as they call runc. The parser (parse-argv.ts) and the help text (help.ts) both read it.
 */

export interface FlagSpec {
  /** Long name without dashes. */
  name: string;
  short?: string;
  /** bool flags take no value (but accept --x=true/false); string and uint flags need one. */
  type: 'bool' | 'string' | 'uint';
  description: string;
  /** Shown in help as the value's placeholder. */
  value?: string;
  /** Accepted for compatibility but not listed in help (runc's hidden flags). */
  hidden?: boolean;
  /** A string flag that may stand alone (then "true"), as runc's --rootless. */
  optionalValue?: boolean;
  /** For string flags: the allowed values. */
  choices?: readonly string[];
}

export interface CommandSpec {
  name: string;
  summary: string;
  /** After the verb, e.g. `<container-id> [signal]`. */
  usage: string;
  flags: readonly FlagSpec[];
  /** Positional arguments: how many are required and allowed (Infinity for a command and its args). */
  minArgs: number;
  maxArgs: number;
  /** Stop reading flags at the first positional (for commands whose trailing args belong to a program). */
  flagsBeforeArgsOnly?: boolean;
  description?: string;
}

export const globalFlags: readonly FlagSpec[] = [
  { name: 'root', type: 'string', value: 'DIR', description: 'directory for container state (default "/run/berth")' },
  { name: 'log', type: 'string', value: 'FILE', description: 'write log lines to FILE instead of stderr' },
  { name: 'log-format', type: 'string', value: 'FORMAT', choices: ['text', 'json'], description: 'log line format: "text" or "json"' },
  { name: 'debug', type: 'bool', description: 'log debug lines too' },
  { name: 'systemd-cgroup', type: 'bool', description: 'cgroupsPath is "slice:prefix:name" for systemd' },
  { name: 'rootless', type: 'string', optionalValue: true, value: 'true|false|auto', choices: ['true', 'false', 'auto'], description: 'ignore cgroup permission errors (default "auto")' },
  { name: 'backend', type: 'string', value: 'NAME', description: 'run created containers with this backend (an annotation choosing another is an error)' },
  { name: 'criu', type: 'string', hidden: true, description: 'accepted for runc compatibility; unused' },
  { name: 'help', short: 'h', type: 'bool', description: 'show help' },
  { name: 'version', short: 'v', type: 'bool', description: 'print the version' },
];

const bundleFlag: FlagSpec = { name: 'bundle', short: 'b', type: 'string', value: 'DIR', description: 'path to the bundle directory (default: the current directory)' };
const createFlags: readonly FlagSpec[] = [
  bundleFlag,
  { name: 'console-socket', type: 'string', value: 'PATH', description: 'AF_UNIX socket to receive the pseudoterminal master fd' },
  { name: 'pid-file', type: 'string', value: 'FILE', description: 'write the container process id (host pid) to FILE' },
  { name: 'no-pivot', type: 'bool', description: 'do not use pivot_root (for a rootfs on ramfs)' },
  { name: 'no-new-keyring', type: 'bool', description: 'do not create a new session keyring' },
  { name: 'preserve-fds', type: 'uint', value: 'N', description: 'pass N extra fds (3 .. 3+N-1) to the container process' },
];

export const commands: readonly CommandSpec[] = [
  { name: 'create', summary: 'create a container', usage: '[flags] <container-id>', flags: createFlags, minArgs: 1, maxArgs: 1,
    description: 'Creates the container from the bundle without running its program: `start` does that.' },
  { name: 'start', summary: 'run the program of a created container', usage: '<container-id>', flags: [], minArgs: 1, maxArgs: 1 },
  { name: 'state', summary: 'print the state of a container as JSON', usage: '<container-id>', flags: [], minArgs: 1, maxArgs: 1 },
  { name: 'kill', summary: 'send a signal to a container', usage: '[flags] <container-id> [signal]',
    flags: [{ name: 'all', short: 'a', type: 'bool', hidden: true, description: 'signal every process of the container' }], minArgs: 1, maxArgs: 2,
    description: 'The signal is a name (KILL, SIGKILL) or a number (9); the default is SIGTERM.' },
  { name: 'delete', summary: 'delete a container and what create made for it', usage: '[flags] <container-id>',
    flags: [{ name: 'force', short: 'f', type: 'bool', description: 'kill the container first if it is still running' }], minArgs: 1, maxArgs: 1 },
  { name: 'run', summary: 'create and start a container, and wait for it', usage: '[flags] <container-id>',
    flags: [
      ...createFlags,
      { name: 'detach', short: 'd', type: 'bool', description: 'return once the container is started' },
      { name: 'keep', type: 'bool', description: 'do not delete the container after it exits' },
      { name: 'no-subreaper', type: 'bool', hidden: true, description: 'accepted for runc compatibility' },
    ], minArgs: 1, maxArgs: 1,
    description: 'Exits with the container\'s exit status (128+N when killed by signal N).' },
  { name: 'list', summary: 'list containers', usage: '[flags]',
    flags: [
      { name: 'format', short: 'f', type: 'string', value: 'FORMAT', choices: ['table', 'json'], description: '"table" or "json"' },
      { name: 'quiet', short: 'q', type: 'bool', description: 'print only container ids' },
    ], minArgs: 0, maxArgs: 0 },
  { name: 'spec', summary: 'write a default config.json', usage: '[flags]',
    flags: [bundleFlag, { name: 'rootless', type: 'bool', description: 'a config for an unprivileged user' }], minArgs: 0, maxArgs: 0 },
  { name: 'features', summary: 'print the OCI features berth implements, as JSON', usage: '', flags: [], minArgs: 0, maxArgs: 0 },
  { name: 'check', summary: 'validate a bundle and print every problem with its JSON pointer', usage: '[flags]',
    flags: [bundleFlag], minArgs: 0, maxArgs: 0,
    description: 'Exits 1 when there is any problem. Changes nothing.' },
  { name: 'plan', summary: 'show what create would do for a bundle, without doing it', usage: '[flags]',
    flags: [bundleFlag], minArgs: 0, maxArgs: 0,
    description: 'Prints the selected backend and its plan as JSON (for native: every namespace, mount and syscall, in order).' },
  { name: 'help', summary: 'show help for berth or one command', usage: '[command]', flags: [], minArgs: 0, maxArgs: 1 },
];

export function findCommand(name: string): CommandSpec | undefined {
  return commands.find((c) => c.name === name);
}

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
  /** A string flag that may be given several times; its value is the list (runc's StringSlice). */
  repeatable?: boolean;
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
  { name: 'exec', summary: 'run another process in a container', usage: '[flags] <container-id> [command [args...]]',
    flags: [
      { name: 'process', short: 'p', type: 'string', value: 'FILE', description: 'the process as process.json (config.json\'s process object); as in runc, the flags that shape a process are then ignored' },
      { name: 'console-socket', type: 'string', value: 'PATH', description: 'AF_UNIX socket to receive the pseudoterminal master fd' },
      { name: 'tty', short: 't', type: 'bool', description: 'allocate a pseudoterminal' },
      { name: 'detach', short: 'd', type: 'bool', description: 'return once the process is running' },
      { name: 'pid-file', type: 'string', value: 'FILE', description: 'write the process id (host pid) to FILE' },
      { name: 'cwd', type: 'string', value: 'DIR', description: 'working directory inside the container' },
      { name: 'env', short: 'e', type: 'string', value: 'KEY=VALUE', repeatable: true, description: 'set an environment variable (repeatable)' },
      { name: 'user', short: 'u', type: 'string', value: 'UID[:GID]', description: 'run as this numeric user and group' },
      { name: 'additional-gids', short: 'g', type: 'string', value: 'GID', repeatable: true, description: 'an additional group (repeatable)' },
      { name: 'cap', short: 'c', type: 'string', value: 'CAP', repeatable: true, description: 'add a capability to the bounding, effective and permitted sets (repeatable)' },
      { name: 'no-new-privs', type: 'bool', description: 'set no_new_privs' },
      { name: 'apparmor', type: 'string', value: 'PROFILE', description: 'AppArmor profile for the process' },
      { name: 'process-label', type: 'string', value: 'LABEL', description: 'SELinux label for the process' },
      { name: 'preserve-fds', type: 'uint', value: 'N', description: 'pass N extra fds (3 .. 3+N-1) to the process' },
      { name: 'cgroup', type: 'string', value: '[CONTROLLER[,CONTROLLER]:]PATH', repeatable: true, description: 'join this sub-cgroup of the container (repeatable)' },
      { name: 'ignore-paused', type: 'bool', description: 'allow exec in a paused container (the process starts frozen and runs once the container is resumed)' },
      { name: 'no-subreaper', type: 'bool', hidden: true, description: 'accepted for runc compatibility' },
    ], minArgs: 1, maxArgs: Infinity, flagsBeforeArgsOnly: true,
    description: 'Exits with the process\'s exit status unless --detach. Without -p the command comes after the id.' },
  { name: 'ps', summary: 'list the processes of a container', usage: '[flags] <container-id> [ps options]',
    flags: [{ name: 'format', short: 'f', type: 'string', value: 'FORMAT', choices: ['table', 'json'], description: '"table" (ps(1) output, default options -ef) or "json" (host pids)' }],
    minArgs: 1, maxArgs: Infinity, flagsBeforeArgsOnly: true },
  { name: 'pause', summary: 'freeze every process of a container', usage: '<container-id>', flags: [], minArgs: 1, maxArgs: 1 },
  { name: 'resume', summary: 'thaw a paused container', usage: '<container-id>', flags: [], minArgs: 1, maxArgs: 1 },
  { name: 'update', summary: 'change the resource limits of a container', usage: '[flags] <container-id>',
    flags: [
      { name: 'resources', short: 'r', type: 'string', value: 'FILE|-', description: 'linux.resources as JSON, from FILE or stdin ("-"); the other flags override it' },
      { name: 'memory', type: 'string', value: 'BYTES', description: 'memory limit (units allowed: 64m, 1g)' },
      { name: 'memory-reservation', type: 'string', value: 'BYTES', description: 'memory soft limit' },
      { name: 'memory-swap', type: 'string', value: 'BYTES', description: 'memory plus swap limit, -1 for unlimited' },
      { name: 'kernel-memory', type: 'string', value: 'BYTES', hidden: true, description: 'kernel memory limit (deprecated)' },
      { name: 'kernel-memory-tcp', type: 'string', value: 'BYTES', description: 'kernel TCP buffer limit' },
      { name: 'cpu-shares', type: 'string', value: 'N', description: 'CPU shares (relative weight)' },
      { name: 'cpu-share', type: 'string', value: 'N', hidden: true, description: 'alias of --cpu-shares' },
      { name: 'cpu-quota', type: 'string', value: 'USEC', description: 'CPU CFS quota per period, -1 for none' },
      { name: 'cpu-period', type: 'string', value: 'USEC', description: 'CPU CFS period' },
      { name: 'cpu-burst', type: 'string', value: 'USEC', description: 'CPU CFS burst' },
      { name: 'cpu-rt-period', type: 'string', value: 'USEC', description: 'CPU realtime period' },
      { name: 'cpu-rt-runtime', type: 'string', value: 'USEC', description: 'CPU realtime runtime' },
      { name: 'cpu-idle', type: 'string', value: '0|1', description: 'SCHED_IDLE for the cgroup' },
      { name: 'cpuset-cpus', type: 'string', value: 'LIST', description: 'CPUs to use (0-3,7)' },
      { name: 'cpuset-mems', type: 'string', value: 'LIST', description: 'memory nodes to use' },
      { name: 'pids-limit', type: 'string', value: 'N', description: 'maximum number of tasks, -1 for unlimited (0 leaves the limit as it is, as in runc)' },
      { name: 'blkio-weight', type: 'string', value: 'N', description: 'block IO weight (10-1000)' },
      { name: 'l3-cache-schema', type: 'string', value: 'SCHEMA', hidden: true, description: 'Intel RDT L3 cache schema' },
      { name: 'mem-bw-schema', type: 'string', value: 'SCHEMA', hidden: true, description: 'Intel RDT memory bandwidth schema' },
    ], minArgs: 1, maxArgs: 1 },
  { name: 'events', summary: 'print resource usage (and OOM kills) of a container as JSON lines', usage: '[flags] <container-id>',
    flags: [
      { name: 'stats', type: 'bool', description: 'print one stats record and exit' },
      { name: 'interval', type: 'string', value: 'DURATION', description: 'time between stats records (default 5s)' },
    ], minArgs: 1, maxArgs: 1 },
  { name: 'conformance', summary: 'check OCI runtimes against the runtime-spec with generated cases', usage: '--runtime PATH [flags]',
    flags: [
      { name: 'runtime', type: 'string', value: 'PATH', repeatable: true, description: 'a runtime binary to test (repeat it to compare runtimes case by case)' },
      { name: 'seed', type: 'uint', value: 'N', description: 'seed of the case generators (default: random, printed)' },
      { name: 'budget', type: 'uint', value: 'SECONDS', description: 'time for the whole run (default 300)' },
      { name: 'runs', type: 'uint', value: 'N', description: 'most cases per property and runtime (default 30)' },
      { name: 'out', type: 'string', value: 'DIR', description: 'where results.json, results.md and failing cases go (default ./conformance-results)' },
      { name: 'only', type: 'string', value: 'GROUP', repeatable: true, description: 'only these groups: lifecycle, config, invalid, hooks, signals (repeatable)' },
      { name: 'probe', type: 'string', value: 'PATH', description: 'the berth-probe payload (default: the one built beside berth)' },
      { name: 'busybox', type: 'string', value: 'PATH', description: 'a static busybox for payload shells and hooks (default /bin/busybox)' },
      { name: 'deviations', type: 'string', value: 'FILE', description: 'explanations of known deviations (default: the suite\'s deviations.md)' },
      { name: 'docs', type: 'string', value: 'FILE', description: 'also write the results as a documentation page' },
      { name: 'from-results', type: 'string', value: 'FILE', description: 'run nothing: render the reports again from an earlier results.json, with the explanations deviations.md has now' },
    ], minArgs: 0, maxArgs: 0,
    description: 'Drives each runtime through its command line only, as root. Prints TAP; failing cases are shrunk and written as bundles with a replay.sh. Exits 1 when a deviation is not explained in deviations.md.' },
  { name: 'help', summary: 'show help for berth or one command', usage: '[command]', flags: [], minArgs: 0, maxArgs: 1 },
];

export function findCommand(name: string): CommandSpec | undefined {
  return commands.find((c) => c.name === name);
}

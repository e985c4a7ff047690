/**
 * The sentences the suite checks, quoted from the OCI runtime-spec v1.3.0 (links and markup
 * removed). Every property and every violation names one of these, so a report line always says
 * which sentence a runtime did not honour. `cli` clauses come from the draft
 * command-line-interface.md that runc, crun and berth follow but that was never released as
 * part of the spec: deviations from them are conventions broken, not spec violations.
 */

export type ClauseSource = 'runtime.md' | 'config.md' | 'config-linux.md' | 'bundle.md' | 'cli (draft)' | 'runc convention';

export interface Clause {
  /** Stable key, used in results.json and deviations.md. */
  id: string;
  source: ClauseSource;
  /** The section (heading) the sentence stands under. */
  section: string;
  quote: string;
}

const clause = (id: string, source: ClauseSource, section: string, quote: string): Clause => ({ id, source, section, quote });

export const clauses = {
  stateStatus: clause('state.status', 'runtime.md', 'State',
    '`created`: the runtime has finished the `create` operation (after step 2 in the lifecycle), and the container process has neither exited nor executed the user-specified program; `running`: the container process has executed the user-specified program but has not exited (after step 8 in the lifecycle); `stopped`: the container process has exited (step 10 in the lifecycle)'),
  stateFields: clause('state.fields', 'runtime.md', 'State',
    '`pid` (int, REQUIRED when `status` is `created` or `running` on Linux, OPTIONAL on other platforms) is the ID of the container process. `bundle` (string, REQUIRED) is the absolute path to the container\'s bundle directory.'),
  hookStatePid: clause('state.pid-in-hooks', 'runtime.md', 'State',
    'For hooks executed in the runtime namespace, it is the pid as seen by the runtime. For hooks executed in the container namespace, it is the pid as seen by the container.'),
  errorsNoEffect: clause('errors.no-effect', 'runtime.md', 'Errors',
    'Unless otherwise stated, generating an error MUST leave the state of the environment as if the operation were never attempted - modulo any possible trivial ancillary changes such as logging.'),
  queryUnknown: clause('state.unknown-id', 'runtime.md', 'Query State',
    'Attempting to query a container that does not exist MUST generate an error.'),
  queryNoId: clause('state.no-id', 'runtime.md', 'Query State',
    'This operation MUST generate an error if it is not provided the ID of a container.'),
  queryReturnsState: clause('state.returns-state', 'runtime.md', 'Query State',
    'This operation MUST return the state of a container as specified in the State section.'),
  createArguments: clause('create.arguments', 'runtime.md', 'Create',
    'This operation MUST generate an error if it is not provided a path to the bundle and the container ID to associate with the container.'),
  createUniqueId: clause('create.unique-id', 'runtime.md', 'Create',
    'If the ID provided is not unique across all containers within the scope of the runtime, or is not valid in any other way, the implementation MUST generate an error and a new container MUST NOT be created.'),
  createNoProgram: clause('create.program-not-run', 'runtime.md', 'Lifecycle',
    'While the resources requested in the config.json MUST be created, the user-specified program (from process) MUST NOT be run at this time.'),
  createApplies: clause('create.applies-config', 'runtime.md', 'Create',
    'All of the properties configured in config.json except for process MUST be applied. process.args MUST NOT be applied until triggered by the start operation.'),
  createCannotApply: clause('create.cannot-apply', 'runtime.md', 'Create',
    'If the runtime cannot apply a property as specified in the configuration, it MUST generate an error and a new container MUST NOT be created.'),
  startNotCreated: clause('start.not-created', 'runtime.md', 'Start',
    'Attempting to `start` a container that is not `created` MUST have no effect on the container and MUST generate an error.'),
  startNoId: clause('start.no-id', 'runtime.md', 'Start', 'This operation MUST generate an error if it is not provided the container ID.'),
  startRuns: clause('start.runs-program', 'runtime.md', 'Start', 'This operation MUST run the user-specified program as specified by `process`.'),
  startNoProcess: clause('start.no-process', 'runtime.md', 'Start', 'This operation MUST generate an error if `process` was not set.'),
  killNotRunning: clause('kill.not-running', 'runtime.md', 'Kill',
    'Attempting to send a signal to a container that is neither `created` nor `running` MUST have no effect on the container and MUST generate an error.'),
  killNoId: clause('kill.no-id', 'runtime.md', 'Kill', 'This operation MUST generate an error if it is not provided the container ID.'),
  killSends: clause('kill.sends-signal', 'runtime.md', 'Kill', 'This operation MUST send the specified signal to the container process.'),
  deleteNotStopped: clause('delete.not-stopped', 'runtime.md', 'Delete',
    'Attempting to `delete` a container that is not `stopped` MUST have no effect on the container and MUST generate an error.'),
  deleteNoId: clause('delete.no-id', 'runtime.md', 'Delete', 'This operation MUST generate an error if it is not provided the container ID.'),
  deleteResources: clause('delete.resources', 'runtime.md', 'Delete',
    'Deleting a container MUST delete the resources that were created during the `create` step. Note that resources associated with the container, but not created by this container, MUST NOT be deleted.'),
  deleteIdReusable: clause('delete.id-reusable', 'runtime.md', 'Delete', 'Once a container is deleted its ID MAY be used by a subsequent container.'),

  lifecycleCreateHookFails: clause('lifecycle.create-hook-fails', 'runtime.md', 'Lifecycle',
    'If any `prestart` hook fails, the runtime MUST generate an error, stop the container, and continue the lifecycle at step 12. (The same sentence stands for `createRuntime` and `createContainer` hooks.)'),
  lifecycleStartContainerFails: clause('lifecycle.startcontainer-hook-fails', 'runtime.md', 'Lifecycle',
    'If any `startContainer` hook fails, the runtime MUST generate an error, stop the container, and continue the lifecycle at step 12.'),
  lifecyclePoststartFails: clause('lifecycle.poststart-hook-fails', 'runtime.md', 'Lifecycle',
    'If any `poststart` hook fails, the runtime MUST generate an error, stop the container, and continue the lifecycle at step 12.'),
  lifecycleDestroy: clause('lifecycle.destroy', 'runtime.md', 'Lifecycle',
    '12. The container MUST be destroyed by undoing the steps performed during create phase (step 2). 13. The `poststop` hooks MUST be invoked by the runtime.'),
  lifecyclePoststopFails: clause('lifecycle.poststop-hook-fails', 'runtime.md', 'Lifecycle',
    'If any `poststop` hook fails, the runtime MUST log a warning, but the remaining hooks and lifecycle continue as if the hook had succeeded.'),

  hooksOrder: clause('hooks.order', 'config.md', 'POSIX-platform Hooks', 'Hooks MUST be called in the listed order.'),
  hooksState: clause('hooks.state-on-stdin', 'config.md', 'POSIX-platform Hooks',
    'The state of the container MUST be passed to hooks over stdin so that they may do work appropriate to the current state of the container.'),
  hooksNamespaces: clause('hooks.namespaces', 'config.md', 'POSIX-platform Hooks',
    'The `prestart` hooks MUST be executed in the runtime namespace. [...] The `createRuntime` hooks MUST be executed in the runtime namespace. [...] The `createContainer` hooks MUST be executed in the container namespace. [...] The `startContainer` hooks MUST be executed in the container namespace. [...] The `poststart` hooks MUST be executed in the runtime namespace. [...] The `poststop` hooks MUST be executed in the runtime namespace.'),
  hooksWhen: clause('hooks.when', 'config.md', 'POSIX-platform Hooks',
    'The `createRuntime` hooks MUST be called as part of the `create` operation [...]. The `startContainer` hooks MUST be called before the user-specified process is executed as part of the `start` operation. The `poststart` hooks MUST be called after the user-specified process is executed but before the `start` operation returns. The `poststop` hooks MUST be called after the container is deleted but before the `delete` operation returns.'),
  hooksTimeout: clause('hooks.timeout', 'config.md', 'POSIX-platform Hooks', '`timeout` (int, OPTIONAL) is the number of seconds before aborting the hook.'),

  processArgsEnv: clause('process.args-env', 'config.md', 'Process',
    '`env` (array of strings, OPTIONAL) with the same semantics as IEEE Std 1003.1-2008\'s `environ`. `args` (array of strings, OPTIONAL) with similar semantics to IEEE Std 1003.1-2008 `execvp`\'s argv.'),
  processCwd: clause('process.cwd', 'config.md', 'Process', '`cwd` (string, REQUIRED) is the working directory that will be set for the executable.'),
  processUser: clause('process.user', 'config.md', 'POSIX-platform User',
    '`uid` (int, REQUIRED) specifies the user ID in the container namespace. `gid` (int, REQUIRED) specifies the group ID in the container namespace. `additionalGids` (array of ints, OPTIONAL) specifies additional group IDs in the container namespace to be added to the process.'),
  processUmask: clause('process.umask', 'config.md', 'POSIX-platform User', '`umask` (int, OPTIONAL) specifies the umask of the user.'),
  processCapabilities: clause('process.capabilities', 'config.md', 'Linux Process',
    'the `bounding` field is an array of bounding capabilities that are kept for the process. [...] the `inheritable` field is an array of inheritable capabilities that are kept for the process. [...] the `ambient` field is an array of ambient capabilities that are kept for the process.'),
  processRlimits: clause('process.rlimits', 'config.md', 'POSIX process',
    '`soft` (uint64, REQUIRED) [...] `rlim.rlim_cur` MUST match the configured value. `hard` (uint64, REQUIRED) [...] `rlim.rlim_max` MUST match the configured value.'),
  processRlimitsInvalid: clause('process.rlimits-invalid', 'config.md', 'POSIX process',
    'The runtime MUST generate an error for any values which cannot be mapped to a relevant kernel interface. [...] If `rlimits` contains duplicated entries with same `type`, the runtime MUST generate an error.'),
  processOomScoreAdj: clause('process.oom-score-adj', 'config.md', 'Linux Process', 'If `oomScoreAdj` is set, the runtime MUST set `oom_score_adj` to the given value.'),
  hostname: clause('hostname', 'config.md', 'Hostname', '`hostname` (string, OPTIONAL) specifies the container\'s hostname as seen by processes running inside the container.'),
  domainname: clause('domainname', 'config.md', 'Domainname', '`domainname` (string, OPTIONAL) specifies the container\'s domainname as seen by processes running inside the container.'),
  rootReadonly: clause('root.readonly', 'config.md', 'Root', '`readonly` (bool, OPTIONAL) If true then the root filesystem MUST be read-only inside the container, defaults to false.'),
  rootPathExists: clause('root.path', 'config.md', 'Root', 'A directory MUST exist at the path declared by the field.'),
  mountsApplied: clause('mounts', 'config.md', 'Mounts',
    'The runtime MUST mount entries in the listed order. For Linux, the parameters are as documented in mount(2) system call man page. [Linux mount options: `ro`, `nosuid`, `nodev`, `noexec`, `bind`, `rbind` are MUST.]'),
  bundleConfig: clause('bundle.config', 'bundle.md', 'Filesystem Bundle',
    '`config.json`: contains configuration data. This REQUIRED file MUST reside in the root of the bundle directory and MUST be named `config.json`.'),

  namespacesNew: clause('linux.namespaces', 'config-linux.md', 'Namespaces',
    'If `path` is not specified, the runtime MUST create a new container namespace of type `type`. If a namespace type is not specified in the `namespaces` array, the container MUST inherit the runtime namespace of that type.'),
  namespacesPath: clause('linux.namespaces-path', 'config-linux.md', 'Namespaces',
    'The runtime MUST place the container process in the namespace associated with that `path`. The runtime MUST generate an error if `path` is not associated with a namespace of type `type`.'),
  namespacesDuplicate: clause('linux.namespaces-duplicate', 'config-linux.md', 'Namespaces',
    'If a `namespaces` field contains duplicated namespaces with same `type`, the runtime MUST generate an error.'),
  defaultDevices: clause('linux.default-devices', 'config-linux.md', 'Default Devices',
    'In addition to any devices configured with this setting, the runtime MUST also supply default devices. [/dev/null, /dev/zero, /dev/full, /dev/random, /dev/urandom, /dev/tty, /dev/ptmx]'),
  devices: clause('linux.devices', 'config-linux.md', 'Devices', '`devices` (array of objects, OPTIONAL) lists devices that MUST be available in the container.'),
  sysctl: clause('linux.sysctl', 'config-linux.md', 'Sysctl', '`sysctl` (object, OPTIONAL) allows kernel parameters to be modified at runtime for the container.'),
  maskedPaths: clause('linux.masked-paths', 'config-linux.md', 'Masked Paths',
    '`maskedPaths` (array of strings, OPTIONAL) will mask over the provided paths inside the container so that they cannot be read.'),
  readonlyPaths: clause('linux.readonly-paths', 'config-linux.md', 'Readonly Paths',
    '`readonlyPaths` (array of strings, OPTIONAL) will set the provided paths as readonly inside the container.'),

  cliKillSignals: clause('cli.kill-signal', 'cli (draft)', 'kill',
    'The signal to send (defaults to `TERM`). The runtime MUST support `TERM` and `KILL` signals with the POSIX semantics. The runtime MAY support additional signal names.'),
  // Not a quote: runtime.md leaves open "how, or even if" an error is exposed; the draft CLI says
  // the runtime MAY print diagnostics on stderr. Every runtime here does, and callers show it.
  errorMessage: clause('error.message', 'runc convention', 'errors',
    'A call that fails exits non-zero and says why on stderr (runtime.md: the spec "does not mandate how, or even if, that error is returned or exposed").'),
  // Not a quote: `run` is in neither the spec nor the draft. runc's `run` documents it as
  // "exits with the container's exit status"; managers and scripts rely on it.
  runExitStatus: clause('run.exit-status', 'runc convention', 'run',
    '`run` (not in the spec) exits with the container process\'s exit status, or 128+N when signal N ended it.'),
  // Not quotes: exec, pause, resume and update are runc's verbs, in neither the spec nor the
  // draft CLI. Their behaviour as runc documents it is what managers (conmon, containerd's shim)
  // rely on, so the suite holds every runtime that lists them to it.
  execRuns: clause('exec.runs-process', 'runc convention', 'exec',
    '`exec` (not in the spec) runs a new process in a running container: in all of its namespaces and cgroups, exactly as the process given (`--process` process.json, an OCI `process`; or the container\'s own with `--env` added and `--cwd`, `--user` replaced), with the caller\'s stdio, and exits with the process\'s exit status.'),
  execNotRunning: clause('exec.not-running', 'runc convention', 'exec',
    '`exec` in a container that has stopped, or that does not exist, fails ("cannot exec in a stopped container") and changes nothing.'),
  execPaused: clause('exec.paused', 'runc convention', 'exec',
    '`exec` in a paused container fails ("cannot exec in a paused container (use --ignore-paused to override)") and changes nothing: the new process would only freeze.'),
  pauseResume: clause('pause.suspends', 'runc convention', 'pause, resume',
    '`pause` (not in the spec) suspends every process of a running container (the cgroup freezer) and `state` then says `paused`; `resume` lets them go on and `state` says `running` again. `pause` of a container that is not running, and `resume` of one that is not paused, fail and change nothing.'),
  updateResources: clause('update.resources', 'runc convention', 'update',
    '`update` (not in the spec) sets a running container\'s cgroup resources as `linux.resources` would have at create (`--memory`, `--pids-limit`, `--cpu-share`, or `-r` a LinuxResources JSON); what it is not given stays as it was.'),
} as const satisfies Record<string, Clause>;

export type ClauseKey = keyof typeof clauses;

/** `runtime.md, Delete: "Attempting to ..."`: how a report names a clause. */
export function citeClause(c: Clause): string {
  return `${c.source}, ${c.section}: "${c.quote}"`;
}

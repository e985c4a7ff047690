/**
 * The one surface plugins may import from berth's core: the backend contract, the config and
 * state types, and the error type. Nothing else in core/ is for plugins.
 */
export type {
  Backend,
  BackendDescriptor,
  ContainerContext,
  CreateContext,
  CreatedContainer,
  CreateProgress,
  CreateOptions,
  ExecRequest,
  ExecStarted,
  Descriptor,
  HookPoint,
  JsonObject,
  PayloadHandler,
  PayloadHandlerDescriptor,
  PassedFds,
  PayloadLaunch,
  PlanContext,
  UndoRegistrar,
} from './backend/backend.js';
export type { Capabilities, Hook, HookKind, Hooks, IdMapping, Integer64, Linux, Mount, Namespace, Process, Rlimit, Root, Scheduler, Seccomp, Spec, User } from './spec/config.js';
export type { BackendFeatures, LinuxFeatures } from './spec/features.js';
export type { BlockIoResources, CpuResources, DeviceRule, LinuxResources, MemoryResources, ThrottleDevice, WeightDevice } from './spec/resources.js';
export type { BlkioEntry, ContainerEvent, ContainerStats, MemoryEntry } from './spec/stats.js';
export type { ContainerState, HookState, Status } from './spec/state.js';
export type { Logger } from './log/logger.js';
export { describeCause, RuntimeError, type Diagnostic, type ErrorKind } from './errors/runtime-error.js';
export { pointerOf, valueAt } from './spec/json-pointer.js';
export { parseExactJson, stringifyExactJson } from './spec/exact-json.js';
export { signalIfAlive, waitGone } from './lifecycle/process-control.js';
export { noPassedFds, passedFdStdio, releasePassedFds } from './lifecycle/passed-fds.js';
export { identify, type ProcessIdentity } from './state/process-identity.js';
export { faultFor, faultPoint } from './lifecycle/fault-injection.js';
export { rpcCodeOf, kindOfRpcCode } from './errors/exit-codes.js';
export { unsupportedVerb, type OptionalVerb } from './backend/optional-verbs.js';
export { linuxCapabilities } from './spec/capabilities.js';

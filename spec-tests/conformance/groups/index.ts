import type { ConformanceProperty } from '../property.js';
import * as config from './config.js';
import * as hooks from './hooks.js';
import * as invalid from './invalid.js';
import * as signals from './signals.js';
import * as verbs from './verbs.js';
import { lifecycleStateMachine, lifecycleStateMachineSparingCreated } from './lifecycle.js';

/** Every property, in report order: lifecycle, config, invalid, hooks, signals, verbs. */
export const allProperties: readonly ConformanceProperty[] = [
  lifecycleStateMachine,
  lifecycleStateMachineSparingCreated,
  config.processArgsEnv,
  config.processEnvVerbatim,
  config.processCwd,
  config.processUser,
  config.processUmask,
  config.processCapabilities,
  config.processRlimits,
  config.hostAndDomainName,
  config.mounts,
  config.readonlyRoot,
  config.maskedPaths,
  config.readonlyPaths,
  config.namespaces,
  config.oomScoreAdj,
  config.sysctl,
  config.devices,
  invalid.invalidConfig,
  invalid.invalidArguments,
  invalid.invalidSignal,
  invalid.idEscapingRoot,
  invalid.startWithoutProcess,
  hooks.hooksOrder,
  hooks.hooksState,
  hooks.hooksNamespaces,
  ...hooks.hookFailures,
  hooks.hooksTimeout,
  signals.killDelivers,
  signals.killDefaultsToTerm,
  signals.runExitStatus,
  verbs.execProcess,
  verbs.execRefused,
  verbs.execPaused,
  verbs.pauseResume,
  verbs.updateResources,
];

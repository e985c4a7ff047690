import type { ConformanceProperty } from '../property.js';
import { lifecycleStateMachine, lifecycleStateMachineSparingCreated } from './lifecycle.js';

/** Every property, in report order: lifecycle, config, invalid, hooks, signals. */
export const allProperties: readonly ConformanceProperty[] = [lifecycleStateMachine, lifecycleStateMachineSparingCreated];

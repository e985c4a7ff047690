import type { Descriptor } from '../core/plugin-api.js';
import { nativeDescriptor } from './native/descriptor.js';
import { delegateDescriptor } from './delegate/descriptor.js';
import { rpcDescriptor } from './rpc/descriptor.js';

/**
 * The backends built into berth, in selection-probe order. Descriptors only: each engine is
 * imported when a container selects it. A new backend is one more line here.
 */
export const builtinDescriptors: readonly Descriptor[] = [nativeDescriptor, delegateDescriptor, rpcDescriptor];

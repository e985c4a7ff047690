import type { Spec } from '../spec/config.js';
import type { BackendChoice } from '../state/container-record.js';
import { RuntimeError } from '../errors/runtime-error.js';
import type { Backend, Descriptor, PayloadHandler } from './backend.js';
import { selectBackend } from './select-backend.js';

export const BackendRegistry = Symbol('BackendRegistry');

/**
 * The descriptors berth knows, in registration order (canHandle probing follows it), and the
 * engines loaded from them on first use. Holds no concrete plugin: the composition root
 * registers them.
 */
export interface BackendRegistry {
  descriptors(): readonly Descriptor[];
  select(spec: Spec, cliBackend?: string): BackendChoice;
  backend(name: string): Promise<Backend>;
  payloadHandler(name: string): Promise<PayloadHandler>;
}

export class DescriptorRegistry implements BackendRegistry {
  private readonly loaded = new Map<string, Promise<unknown>>();

  constructor(private readonly all: readonly Descriptor[]) {
    const names = new Set<string>();
    for (const d of all) {
      if (names.has(d.name)) throw new Error(`backend ${d.name} registered twice`);
      names.add(d.name);
    }
  }

  descriptors(): readonly Descriptor[] {
    return this.all;
  }

  select(spec: Spec, cliBackend?: string): BackendChoice {
    return selectBackend(spec, this.all, cliBackend);
  }

  backend(name: string): Promise<Backend> {
    return this.load(name, 'backend') as Promise<Backend>;
  }

  payloadHandler(name: string): Promise<PayloadHandler> {
    return this.load(name, 'payload') as Promise<PayloadHandler>;
  }

  private load(name: string, kind: Descriptor['kind']): Promise<unknown> {
    const descriptor = this.all.find((d) => d.name === name && d.kind === kind);
    if (!descriptor) {
      return Promise.reject(new RuntimeError('BACKEND', `${kind === 'backend' ? 'backend' : 'payload handler'} ${JSON.stringify(name)} is not registered in this berth build`));
    }
    let engine = this.loaded.get(name);
    if (!engine) {
      engine = descriptor.load();
      this.loaded.set(name, engine);
    }
    return engine;
  }
}

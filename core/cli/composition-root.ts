import 'reflect-metadata';
import { Container } from 'inversify';
import { builtinDescriptors } from '../../plugins/builtin.js';
import { BackendRegistry, DescriptorRegistry } from '../backend/backend-registry.js';
import { lifecycleModule } from '../lifecycle/lifecycle-module.js';
import { RuntimeOptions, defaultRoot } from '../lifecycle/runtime-options.js';
import { LineLogger, Logger } from '../log/logger.js';
import { StateStore } from '../state/state-store.js';
import type { GlobalOptions } from './parse-argv.js';

/**
 * The one place berth is wired: global flags become RuntimeOptions, the plugins' descriptors
 * fill the registry (engines stay unloaded until selected), and the lifecycle module binds the
 * operations. Only commands that change containers pay for this; `state` and `list` do not.
 */
export function buildContainer(globals: GlobalOptions): Container {
  const container = new Container({ defaultScope: 'Singleton' });
  const options: RuntimeOptions = {
    root: rootOf(globals),
    backend: globals.backend,
    systemdCgroup: globals.systemdCgroup,
    rootless: globals.rootless === 'true' || (globals.rootless === 'auto' && process.getuid?.() !== 0),
  };
  container.bind(RuntimeOptions).toConstantValue(options);
  container.bind(StateStore).toConstantValue(new StateStore(options.root));
  container.bind(Logger).toConstantValue(new LineLogger({ file: globals.log, format: globals.logFormat, debug: globals.debug }));
  container.bind(BackendRegistry).toConstantValue(new DescriptorRegistry(builtinDescriptors));
  container.load(lifecycleModule);
  return container;
}

export function rootOf(globals: GlobalOptions): string {
  return globals.root ?? defaultRoot;
}

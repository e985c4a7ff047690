import { ContainerModule } from 'inversify';
import { CreateOperation } from './create.js';
import { DeleteOperation } from './delete.js';
import { KillOperation } from './kill.js';
import { PlanOperation } from './plan.js';
import { RunOperation } from './run.js';
import { StartOperation } from './start.js';

/** The lifecycle operations; they need StateStore, BackendRegistry, Logger and RuntimeOptions bound. */
export const lifecycleModule = new ContainerModule((options) => {
  options.bind(CreateOperation).toSelf().inSingletonScope();
  options.bind(StartOperation).toSelf().inSingletonScope();
  options.bind(KillOperation).toSelf().inSingletonScope();
  options.bind(DeleteOperation).toSelf().inSingletonScope();
  options.bind(RunOperation).toSelf().inSingletonScope();
  options.bind(PlanOperation).toSelf().inSingletonScope();
});

import { ContainerModule } from 'inversify';
import { CreateOperation } from './create.js';
import { DeleteOperation } from './delete.js';
import { EventsOperation } from './events.js';
import { ExecOperation } from './exec.js';
import { KillOperation } from './kill.js';
import { PauseOperation } from './pause.js';
import { PlanOperation } from './plan.js';
import { PsOperation } from './ps.js';
import { RunOperation } from './run.js';
import { StartOperation } from './start.js';
import { UpdateOperation } from './update.js';

/** The lifecycle operations; they need StateStore, BackendRegistry, Logger and RuntimeOptions bound. */
export const lifecycleModule = new ContainerModule((options) => {
  options.bind(CreateOperation).toSelf().inSingletonScope();
  options.bind(StartOperation).toSelf().inSingletonScope();
  options.bind(KillOperation).toSelf().inSingletonScope();
  options.bind(DeleteOperation).toSelf().inSingletonScope();
  options.bind(RunOperation).toSelf().inSingletonScope();
  options.bind(PlanOperation).toSelf().inSingletonScope();
  options.bind(PauseOperation).toSelf().inSingletonScope();
  options.bind(UpdateOperation).toSelf().inSingletonScope();
  options.bind(EventsOperation).toSelf().inSingletonScope();
  options.bind(PsOperation).toSelf().inSingletonScope();
  options.bind(ExecOperation).toSelf().inSingletonScope();
});

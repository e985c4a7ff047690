/** The global flags every operation may depend on (runc's global flags plus --backend). */
export const RuntimeOptions = Symbol('RuntimeOptions');
export interface RuntimeOptions {
  /** --root: where container state lives. */
  root: string;
  /** --backend: force a backend for create/run (conflicting annotations are an error). */
  backend?: string;
  systemdCgroup: boolean;
  rootless: boolean;
}

export const defaultRoot = '/run/berth';

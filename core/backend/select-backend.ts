import { RuntimeError } from '../errors/runtime-error.js';
import { pointerOf } from '../spec/json-pointer.js';
import type { Spec } from '../spec/config.js';
import type { BackendChoice } from '../state/container-record.js';
import type { Descriptor } from './backend.js';

export const backendAnnotation = 'run.berth.backend';
export const crunHandlerAnnotation = 'run.oci.handler';
export const wasmVariantAnnotation = 'module.wasm.image/variant';
export const criContainerTypeAnnotation = 'io.kubernetes.cri.container-type';
export const defaultBackend = 'native';

/**
 * Which backend runs a container. Pure; the first rule that decides wins:
 *  1. a CRI sandbox (pause) container always gets native;
 *  2. `--backend` together with a different selecting annotation is an error;
 *  3. berth's own annotation run.berth.backend (or --backend);
 *  4. crun's keys: run.oci.handler (wasm, wasm-smart) and module.wasm.image/variant
 *     (compat, compat-smart); a -smart value selects wasm only when process.args[0] ends in
 *     .wasm or .wat, as crun does;
 *  5. the first descriptor whose canHandle(spec) is true;
 *  6. native.
 * Annotations that disagree with each other are an error too: an explicit choice beats
 * detection, and two explicit choices that conflict have no right answer.
 */
export function selectBackend(spec: Spec, descriptors: readonly Descriptor[], cliBackend?: string): BackendChoice {
  const annotations = spec.annotations ?? {};
  const known = new Map(descriptors.map((d) => [d.name, d]));
  const choose = (name: string, reason: string, pointer?: string): BackendChoice => {
    const descriptor = known.get(name);
    if (!descriptor) {
      throw selectionError(`${reason} selects backend ${JSON.stringify(name)}, which is not available; available: ${[...known.keys()].join(', ')}`, pointer);
    }
    if (descriptor.kind === 'payload') return { name: descriptor.isolation ?? defaultBackend, payload: descriptor.name, reason };
    return { name, reason };
  };

  if (annotations[criContainerTypeAnnotation] === 'sandbox') {
    return choose(defaultBackend, `annotation ${criContainerTypeAnnotation}=sandbox`);
  }

  // Every explicit request, in order of precedence, with where it came from.
  const requests: Request[] = [];
  const own = annotations[backendAnnotation];
  if (own !== undefined) {
    const pointer = pointerOf('annotations', backendAnnotation);
    requests.push({ name: own, source: `annotation ${backendAnnotation}`, pointer });
  }
  const crunChoice = crunSelection(spec);
  if (crunChoice) requests.push(crunChoice);

  if (cliBackend !== undefined) {
    const conflict = requests.find((r) => r.name !== cliBackend);
    if (conflict) {
      throw selectionError(`--backend ${cliBackend} conflicts with ${conflict.source}, which selects ${conflict.name}`, conflict.pointer);
    }
    return choose(cliBackend, `--backend ${cliBackend}`);
  }
  if (requests.length > 0) {
    const [first, ...rest] = requests;
    const conflict = rest.find((r) => r.name !== first!.name);
    if (conflict) {
      throw selectionError(`${first!.source} selects ${first!.name} but ${conflict.source} selects ${conflict.name}`, conflict.pointer);
    }
    return choose(first!.name, first!.source, first!.pointer);
  }

  for (const descriptor of descriptors) {
    if (descriptor.name !== defaultBackend && descriptor.canHandle?.(spec)) return choose(descriptor.name, `${descriptor.name} can handle this config`);
  }
  return choose(defaultBackend, 'default');
}

interface Request {
  name: string;
  /** Where the request came from, for messages: the annotation's name (its pointer leads the error's diagnostic). */
  source: string;
  /** The annotation's JSON pointer, when it came from config.json. */
  pointer?: string;
}

/** A selection problem; one rooted in an annotation carries its pointer as a diagnostic. */
function selectionError(message: string, pointer?: string): RuntimeError {
  return new RuntimeError('INVALID_ARGUMENT', message, pointer ? { diagnostics: [{ pointer, message }] } : {});
}

/** crun's selection keys, mapped to berth's wasm backend; undefined when they ask for nothing. */
function crunSelection(spec: Spec): Request | undefined {
  const annotations = spec.annotations ?? {};
  const program = spec.process?.args?.[0] ?? '';
  const isWasmProgram = /\.(wasm|wat)$/.test(program);
  const handler = annotations[crunHandlerAnnotation];
  if (handler !== undefined) {
    const pointer = pointerOf('annotations', crunHandlerAnnotation);
    const source = `annotation ${crunHandlerAnnotation}`;
    if (handler === 'wasm') return { name: 'wasm', source, pointer };
    if (handler === 'wasm-smart') return isWasmProgram ? { name: 'wasm', source, pointer } : undefined;
    throw selectionError(`${source}: handler ${JSON.stringify(handler)} is not supported; berth supports "wasm" and "wasm-smart"`, pointer);
  }
  const variant = annotations[wasmVariantAnnotation];
  if (variant !== undefined) {
    const pointer = pointerOf('annotations', wasmVariantAnnotation);
    const source = `annotation ${wasmVariantAnnotation}`;
    if (variant === 'compat') return { name: 'wasm', source, pointer };
    if (variant === 'compat-smart') return isWasmProgram ? { name: 'wasm', source, pointer } : undefined;
    throw selectionError(`${source}: variant ${JSON.stringify(variant)} is not supported; berth supports "compat" and "compat-smart"`, pointer);
  }
  return undefined;
}

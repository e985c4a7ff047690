import type { ErrorKind } from './runtime-error.js';

/**
 * Exit codes follow runc: a usage error exits 2 (urfave/cli's convention that managers rely
 * on to tell "you called me wrong" from "it failed"); every operational failure exits 1.
 */
export function exitCodeOf(kind: ErrorKind): number {
  return kind === 'USAGE' ? 2 : 1;
}

/**
 * JSON-RPC error codes. -32768..-32000 is reserved by JSON-RPC itself, so berth's codes live
 * in 1000..1099, one per kind, stable across releases.
 */
const rpcCodes: Record<ErrorKind, number> = {
  USAGE: 1000,
  INVALID_ARGUMENT: 1001,
  CONTAINER_NOT_FOUND: 1002,
  CONTAINER_EXISTS: 1003,
  INVALID_STATE: 1004,
  INVALID_SPEC: 1005,
  UNSUPPORTED: 1006,
  HOOK_FAILED: 1007,
  LOCKED: 1008,
  BACKEND: 1009,
  SYSTEM: 1010,
};

export function rpcCodeOf(kind: ErrorKind): number {
  return rpcCodes[kind];
}

export function kindOfRpcCode(code: number): ErrorKind | undefined {
  return (Object.keys(rpcCodes) as ErrorKind[]).find((k) => rpcCodes[k] === code);
}

import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Spec } from '../../../core/plugin-api.js';
import { valueAt } from '../../../core/spec/json-pointer.js';
import { arbitraryValidConfig } from '../../../core/spec/test-support/arbitrary-config.js';
import { applyMutations, arbitraryIndependentMutations, arbitraryMutation } from '../../../core/spec/test-support/config-mutations.js';
import { baseConfig, writeBundle } from '../../../spec-tests/conformance/bundle.js';
import { probeArgs } from '../../../spec-tests/conformance/groups/probe-run.js';
import { readHostFacts } from '../../../spec-tests/conformance/host-facts.js';
import type { SuiteAssets } from '../../../spec-tests/conformance/property.js';
import { RuntimeDriver } from '../../../spec-tests/conformance/runtime-driver.js';
import { crashSign, namedField } from '../../../spec-tests/fuzz/refusal.js';
import { cgroupCandidates, cleanUp, residue } from '../../../spec-tests/fuzz/run-case.js';

/**
 * Mutated and generated configs through a real `create` (root): every refusal names its field
 * (a JSON pointer that the config has, or a part of it that is missing) or an argument, the
 * kernel's refusals included (the helper's failing op is mapped back to its field), and a
 * refused create leaves nothing: no state entry, process, mount or cgroup directory. A config
 * that is created is deleted, and leaves nothing either.
 */
const repo = join(import.meta.dirname, '..', '..', '..');
const runtime = join(repo, 'spec-tests', 'conformance', 'berth-runtime.sh');
const probe = join(repo, 'dist', 'berth-probe');
const busybox = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p));
const skipReason = process.getuid?.() !== 0 ? 'needs root' : !busybox ? 'needs busybox-static' : !existsSync(probe) ? 'needs the build (npm run build)' : '';
const suite = skipReason ? describe.skip : describe;

const tag = `fz${randomBytes(3).toString('hex')}`;
let work: string;
let assets: SuiteAssets;
let n = 0;
beforeAll(() => {
  if (skipReason) return;
  work = mkdtempSync(join(tmpdir(), 'berth-refusals-'));
  assets = { probe, busybox: busybox!, host: readHostFacts(), ociVersion: '1.2.0' };
});
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/**
 * A generated config made safe to create on a shared host: no namespace joined by path (the
 * host's own mount or UTS namespace would be changed), hooks that do not exist, the probe as
 * the program half of the time, a cgroupsPath of the case's own.
 */
function harmless(spec: Spec, cgroupsPath: string, probeProgram: boolean): Spec {
  const s = structuredClone(spec);
  s.root = { ...s.root, path: 'rootfs' };
  for (const ns of s.linux?.namespaces ?? []) delete ns.path;
  for (const list of Object.values(s.hooks ?? {})) for (const hook of list ?? []) hook.path = '/nonexistent-berth-test/hook';
  for (const m of s.mounts ?? []) if (m.source?.startsWith('/')) m.source = `/nonexistent-berth-test${m.source}`;
  if (probeProgram) s.process!.args = probeArgs();
  (s.linux ??= {}).cgroupsPath = cgroupsPath;
  return s;
}

/**
 * Also past validation, so the kernel has its say: what the native backend refuses before any
 * system call is taken out (the validation's pointers are checked by the mutations above).
 */
function pastValidation(spec: Spec): Spec {
  const s = structuredClone(spec);
  const linux = (s.linux ??= {});
  const namespaces = (linux.namespaces ??= []);
  if (!namespaces.some((n) => n.type === 'mount')) namespaces.push({ type: 'mount' });
  if ((s.hostname !== undefined || s.domainname !== undefined) && !namespaces.some((n) => n.type === 'uts')) namespaces.push({ type: 'uts' });
  const fresh = (type: string) => namespaces.some((n) => n.type === type);
  linux.sysctl = Object.fromEntries(Object.entries(linux.sysctl ?? {}).filter(([k]) => k.startsWith('net.') && fresh('network')));
  s.process!.terminal = false;
  delete s.process!.consoleSize;
  delete s.process!.apparmorProfile;
  delete linux.mountLabel;
  for (const m of s.mounts ?? []) m.options = (m.options ?? []).filter((o) => o !== 'idmap');
  return s;
}

/** create, then what the outcome must be: a named refusal, or a container that delete removes; nothing left either way. */
async function createAndJudge(config: Spec, cgroupsPath: string): Promise<void> {
  const dir = join(work, `case-${++n}`);
  const id = `${tag}-${n}`;
  writeBundle(dir, baseConfig(assets.ociVersion, probeArgs()), assets);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  const driver = new RuntimeDriver(runtime, join(dir, 'root'), join(dir, 'io'), dir);
  const cgroups = [...cgroupCandidates(cgroupsPath, id), ...cgroupCandidates(undefined, id)];
  try {
    const created = await driver.invoke(['create', '--bundle', dir, id]);
    const message = created.stderr.trim();
    expect({ timedOut: created.timedOut, signal: created.signal, crash: crashSign(message) }).toEqual({ timedOut: false, signal: null, crash: undefined });
    if (created.exitCode === 0) {
      expect((await driver.invoke(['delete', '--force', id])).exitCode).toBe(0);
    } else {
      const named = namedField(message, [id]);
      expect({ message, named: named !== undefined }).toEqual({ message, named: true });
      // A pointer names the config's field, or the missing part of one it has.
      if (named!.kind === 'pointer') expect({ message, resolves: valueAt(config, named!.name.replace(/\/[^/]*$/, '')) !== undefined }).toEqual({ message, resolves: true });
    }
    expect({ message, left: await residue(dir, driver.root, cgroups) }).toEqual({ message, left: [] });
  } finally {
    await cleanUp(driver, dir, cgroups);
  }
}

suite(`refused creates name their field and leave nothing${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  const base = () => baseConfig('1.2.0', probeArgs()) as unknown as Spec;

  it('one or several mutations of a valid config', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(arbitraryMutation.map((m) => [m]), arbitraryIndependentMutations), async (mutations) => {
        const cgroupsPath = `/berth-refusals-${tag}-${n + 1}`;
        const { doc } = applyMutations(harmless(base(), cgroupsPath, true), mutations);
        await createAndJudge(doc, cgroupsPath);
      }),
      { numRuns: 25 },
    );
  }, 120_000);

  it('generated configs the host may not grant (rlimits, ids, mounts, devices, sysctls, namespaces): the kernel\'s refusals name their field too', async () => {
    await fc.assert(
      fc.asyncProperty(arbitraryValidConfig, fc.boolean(), async (spec, probeProgram) => {
        const cgroupsPath = `/berth-refusals-${tag}-${n + 1}`;
        await createAndJudge(pastValidation(harmless(spec, cgroupsPath, probeProgram)), cgroupsPath);
      }),
      { numRuns: 25 },
    );
  }, 120_000);
});

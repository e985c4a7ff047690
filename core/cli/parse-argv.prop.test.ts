import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RuntimeError } from '../errors/runtime-error.js';
import { commands, globalFlags, type FlagSpec } from './command-table.js';
import { parseArgv } from './parse-argv.js';

/** A flag and a value it accepts, written in one of the forms urfave/cli accepts. */
function flagToken(spec: FlagSpec): fc.Arbitrary<{ tokens: string[]; value: string | boolean | number | string[] }> {
  const names = [`--${spec.name}`, `-${spec.name}`, ...(spec.short ? [`-${spec.short}`] : [])];
  const name = fc.constantFrom(...names);
  if (spec.type === 'bool') {
    return fc.oneof(
      name.map((n) => ({ tokens: [n], value: true })),
      fc.tuple(name, fc.boolean()).map(([n, b]) => ({ tokens: [`${n}=${b}`], value: b })),
    );
  }
  const value: fc.Arbitrary<string> = spec.choices
    ? fc.constantFrom(...spec.choices)
    : spec.type === 'uint'
      ? fc.nat({ max: 1000 }).map(String)
      : fc.stringMatching(/^[a-z0-9/._]{1,12}$/);
  // A repeatable flag's value is the list of what was given (here once).
  const parsed = (v: string) => (spec.type === 'uint' ? Number(v) : spec.repeatable ? [v] : v);
  return fc.oneof(
    fc.tuple(name, value).map(([n, v]) => ({ tokens: [n, v], value: parsed(v) })),
    fc.tuple(name, value).map(([n, v]) => ({ tokens: [`${n}=${v}`], value: parsed(v) })),
  );
}

const containerId = fc.stringMatching(/^[a-z0-9][a-z0-9_.-]{0,20}$/);
const runnable = commands.filter((c) => c.name !== 'help');

describe('parseArgv', () => {
  it('reads every command with its flags in any accepted form and order', () => {
    const scenario = fc.constantFrom(...runnable).chain((command) =>
      fc.record({
        command: fc.constant(command),
        flags: (command.flags.length === 0
          ? fc.constant([])
          : fc.uniqueArray(fc.constantFrom(...command.flags), { selector: (f) => f.name }).chain((specs) => fc.tuple(...specs.map((s) => flagToken(s).map((t) => ({ spec: s, ...t })))))) as fc.Arbitrary<{ spec: FlagSpec; tokens: string[]; value: string | boolean | number | string[] }[]>,
        args: fc.array(containerId, { minLength: command.minArgs, maxLength: Math.min(command.maxArgs, 2) }),
        globals: fc.uniqueArray(fc.constantFrom(...globalFlags.filter((g) => g.name !== 'help' && g.name !== 'version')), { selector: (f) => f.name }).chain((specs) =>
          fc.tuple(...specs.map((s) => flagToken(s).map((t) => ({ spec: s, ...t })))),
        ),
      }),
    );
    fc.assert(
      fc.property(scenario, ({ command, flags, args, globals }) => {
        // Flags first (as managers send them), then positionals; the rootless global may stand alone.
        const argv = [...globals.flatMap((g) => g.tokens), command.name, ...flags.flatMap((f) => f.tokens), ...args];
        const parsed = parseArgv(argv);
        expect(parsed.kind).toBe('command');
        if (parsed.kind !== 'command') return;
        expect(parsed.command).toBe(command.name);
        expect(parsed.args).toEqual(args);
        for (const f of flags) expect(parsed.flags[f.spec.name]).toEqual(f.value);
        for (const g of globals) {
          const key = { root: 'root', log: 'log', 'log-format': 'logFormat', debug: 'debug', 'systemd-cgroup': 'systemdCgroup', rootless: 'rootless', backend: 'backend', criu: undefined }[g.spec.name];
          if (key) expect((parsed.globals as unknown as Record<string, unknown>)[key]).toEqual(g.spec.name === 'rootless' ? String(g.value) : g.value);
        }
      }),
    );
  });

  it('keeps every value of a repeatable flag, in the order given, across forms and other flags', () => {
    const exec = commands.find((c) => c.name === 'exec')!;
    const repeatable = exec.flags.filter((f) => f.repeatable);
    expect(repeatable.map((f) => f.name).sort()).toEqual(['additional-gids', 'cap', 'cgroup', 'env']);
    const given = fc.array(
      fc.oneof(
        fc.constantFrom(...repeatable).chain((spec) => flagToken(spec).map((t) => ({ spec, ...t }))),
        flagToken(exec.flags.find((f) => f.name === 'cwd')!).map((t) => ({ spec: undefined, ...t })),
      ),
      { maxLength: 10 },
    );
    fc.assert(
      fc.property(given, (tokens) => {
        const parsed = parseArgv(['exec', ...tokens.flatMap((t) => t.tokens), 'c1', 'sh', '-c', 'true']);
        if (parsed.kind !== 'command') throw new Error('not a command');
        expect(parsed.args).toEqual(['c1', 'sh', '-c', 'true']);
        for (const spec of repeatable) {
          const values = tokens.filter((t) => t.spec === spec).flatMap((t) => t.value as string[]);
          expect(parsed.flags[spec.name]).toEqual(values.length > 0 ? values : undefined);
        }
      }),
      // Generating the values is the slow part; 50 sequences cover the forms and interleavings.
      { numRuns: 50 },
    );
  });

  it('a repeatable flag given twice keeps both values in order; a plain flag given twice keeps the last (as urfave/cli)', () => {
    expect(parseArgv(['exec', '-e', 'A=1', '--env=B=2', '--cwd', '/a', '--cwd', '/b', 'c1', 'sh'])).toMatchObject({ flags: { env: ['A=1', 'B=2'], cwd: '/b' } });
    expect(parseArgv(['exec', '--cap', 'CAP_KILL', '-c', 'CAP_KILL', 'c1', 'sh'])).toMatchObject({ flags: { cap: ['CAP_KILL', 'CAP_KILL'] } });
  });

  it('refuses unknown flags and wrong argument counts as usage errors (exit 2)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...runnable), fc.stringMatching(/^[a-z]{3,10}$/), (command, junk) => {
        fc.pre(!command.flags.some((f) => f.name === junk || f.short === junk) && junk !== 'help');
        const unknown = () => parseArgv([command.name, `--${junk}`, ...Array(command.minArgs).fill('id')]);
        expect(unknown).toThrowError(/flag provided but not defined/);
        if (command.minArgs > 0) expect(() => parseArgv([command.name])).toThrowError(/requires/);
        if (command.maxArgs < 3) expect(() => parseArgv([command.name, 'a', 'b', 'c'])).toThrowError(/requires/);
        try {
          unknown();
        } catch (e) {
          expect((e as RuntimeError).kind).toBe('USAGE');
        }
      }),
    );
  });

  it('accepts the shapes managers send', () => {
    const conmon = parseArgv(['--log-format=json', '--log', '/l.json', '--systemd-cgroup', 'create', '--bundle', '/b', '--pid-file', '/p', '--console-socket', '/s', 'c1']);
    expect(conmon).toMatchObject({ kind: 'command', command: 'create', args: ['c1'], flags: { bundle: '/b', 'pid-file': '/p', 'console-socket': '/s' }, globals: { log: '/l.json', logFormat: 'json', systemdCgroup: true } });
    expect(parseArgv(['--root', '/run/containerd/runc/default', '--log', '/b/log.json', '--log-format', 'json', 'delete', '--force', 'c1'])).toMatchObject({ command: 'delete', flags: { force: true } });
    expect(parseArgv(['kill', '--all', 'c1', 'KILL'])).toMatchObject({ command: 'kill', flags: { all: true }, args: ['c1', 'KILL'] });
    expect(parseArgv(['kill', '-a', 'c1', '9'])).toMatchObject({ flags: { all: true }, args: ['c1', '9'] });
    expect(parseArgv(['--rootless', 'create', 'c1'])).toMatchObject({ command: 'create', globals: { rootless: 'true' } });
    expect(parseArgv(['--rootless', 'false', 'state', 'c1'])).toMatchObject({ command: 'state', globals: { rootless: 'false' } });
    expect(parseArgv(['create', '--', '-dash-id'])).toMatchObject({ args: ['-dash-id'] });
  });

  it('answers --version, --help, help <verb> and <verb> --help', () => {
    expect(parseArgv(['--version']).kind).toBe('version');
    expect(parseArgv(['-v']).kind).toBe('version');
    const bare = parseArgv([]);
    expect(bare.kind === 'help' && bare.command === undefined).toBe(true);
    expect(parseArgv(['--help'])).toMatchObject({ kind: 'help' });
    expect(parseArgv(['help', 'kill'])).toMatchObject({ kind: 'help', command: 'kill' });
    expect(parseArgv(['create', '--help'])).toMatchObject({ kind: 'help', command: 'create' });
    expect(() => parseArgv(['help', 'frobnicate'])).toThrowError(/no help for unknown command/);
    expect(() => parseArgv(['frobnicate'])).toThrowError(/unknown command "frobnicate"/);
  });

  it('names the flag and the expected value when a value is wrong', () => {
    expect(() => parseArgv(['--log-format', 'xml', 'list'])).toThrowError('--log-format must be one of "text", "json", got "xml"');
    expect(() => parseArgv(['create', '--preserve-fds', '-1', 'c'])).toThrowError(/--preserve-fds must be a non-negative integer/);
    expect(() => parseArgv(['create', 'c', '--bundle'])).toThrowError('--bundle needs a value (DIR)');
    expect(() => parseArgv(['delete', '--force=maybe', 'c'])).toThrowError(/--force takes no value or true\/false/);
  });
});

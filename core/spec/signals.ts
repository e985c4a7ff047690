/**
 * Linux signal names and numbers (x86_64/arm64 numbering, as runc's table), and the parser that
 * `kill` uses: `TERM`, `SIGTERM`, `sigterm`, `15` and the real-time forms `RTMIN+3`/`SIGRTMAX-1`.
 */

export const signalNumbers: Readonly<Record<string, number>> = {
  SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGILL: 4, SIGTRAP: 5, SIGABRT: 6, SIGIOT: 6, SIGBUS: 7,
  SIGFPE: 8, SIGKILL: 9, SIGUSR1: 10, SIGSEGV: 11, SIGUSR2: 12, SIGPIPE: 13, SIGALRM: 14,
  SIGTERM: 15, SIGSTKFLT: 16, SIGCHLD: 17, SIGCLD: 17, SIGCONT: 18, SIGSTOP: 19, SIGTSTP: 20,
  SIGTTIN: 21, SIGTTOU: 22, SIGURG: 23, SIGXCPU: 24, SIGXFSZ: 25, SIGVTALRM: 26, SIGPROF: 27,
  SIGWINCH: 28, SIGIO: 29, SIGPOLL: 29, SIGPWR: 30, SIGSYS: 31,
};

export const SIGRTMIN = 34;
export const SIGRTMAX = 64;

/** The canonical name of a signal number (`15` → `SIGTERM`, `36` → `SIGRTMIN+2`), if any. */
export function signalName(signal: number): string | undefined {
  for (const [name, n] of Object.entries(signalNumbers)) {
    if (n === signal && name !== 'SIGIOT' && name !== 'SIGCLD' && name !== 'SIGPOLL') return name;
  }
  if (signal === SIGRTMIN) return 'SIGRTMIN';
  if (signal === SIGRTMAX) return 'SIGRTMAX';
  if (signal > SIGRTMIN && signal < SIGRTMAX) return `SIGRTMIN+${signal - SIGRTMIN}`;
  return undefined;
}

/** Parse a signal as `kill` takes it; undefined when it is not a Linux signal (0 is not accepted). */
export function parseSignal(text: string): number | undefined {
  const trimmed = text.trim();
  if (/^[0-9]+$/.test(trimmed)) {
    const n = Number(trimmed);
    return n >= 1 && n <= SIGRTMAX ? n : undefined;
  }
  let name = trimmed.toUpperCase();
  if (!name.startsWith('SIG')) name = `SIG${name}`;
  const known = signalNumbers[name];
  if (known !== undefined) return known;
  const rt = /^SIGRT(MIN|MAX)(?:([+-])([0-9]+))?$/.exec(name);
  if (!rt) return undefined;
  const base = rt[1] === 'MIN' ? SIGRTMIN : SIGRTMAX;
  const offset = rt[3] === undefined ? 0 : Number(rt[3]) * (rt[2] === '-' ? -1 : 1);
  const n = base + offset;
  return n >= SIGRTMIN && n <= SIGRTMAX ? n : undefined;
}

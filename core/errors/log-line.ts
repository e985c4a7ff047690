/**
 * runc's `--log` lines. With `--log-format json` every line is one JSON object
 * `{"level":"error","msg":"...","time":"2024-01-02T03:04:05Z"}` (logrus' shape): containerd and
 * podman read a failed call's message from the last error line. Pure: callers do the writing.
 */

export type LogLevel = 'debug' | 'info' | 'warning' | 'error';
export type LogFormat = 'text' | 'json';

export function formatLogLine(format: LogFormat, level: LogLevel, msg: string, time: Date, fields: Record<string, string | number> = {}): string {
  const stamp = rfc3339(time);
  if (format === 'json') {
    return JSON.stringify({ level, msg, ...fields, time: stamp }) + '\n';
  }
  const extra = Object.entries(fields)
    .map(([k, v]) => ` ${k}=${quoteIfNeeded(String(v))}`)
    .join('');
  return `time="${stamp}" level=${level} msg=${quoteIfNeeded(msg)}${extra}\n`;
}

/** RFC 3339 with seconds and the local offset, as logrus prints it. */
export function rfc3339(time: Date): string {
  const pad = (n: number) => String(Math.abs(n)).padStart(2, '0');
  const offsetMin = -time.getTimezoneOffset();
  const sign = offsetMin >= 0 ? '+' : '-';
  const zone = offsetMin === 0 ? 'Z' : `${sign}${pad(Math.trunc(offsetMin / 60))}:${pad(offsetMin % 60)}`;
  return (
    `${time.getFullYear()}-${pad(time.getMonth() + 1)}-${pad(time.getDate())}` +
    `T${pad(time.getHours())}:${pad(time.getMinutes())}:${pad(time.getSeconds())}${zone}`
  );
}

function quoteIfNeeded(s: string): string {
  return /^[A-Za-z0-9_./:@-]+$/.test(s) ? s : JSON.stringify(s);
}

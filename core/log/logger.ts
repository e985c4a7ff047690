import { appendFileSync } from 'node:fs';
import { formatLogLine, type LogFormat, type LogLevel } from '../errors/log-line.js';

export const Logger = Symbol('Logger');
/** Where berth's warnings and errors go: the `--log` file in runc's line format, else stderr. */
export interface Logger {
  debug(msg: string, fields?: Record<string, string | number>): void;
  info(msg: string, fields?: Record<string, string | number>): void;
  warn(msg: string, fields?: Record<string, string | number>): void;
  error(msg: string, fields?: Record<string, string | number>): void;
}

export interface LogTarget {
  /** `--log FILE`; without it lines go to stderr. */
  file?: string;
  format: LogFormat;
  debug: boolean;
}

/**
 * runc writes its log lines to --log when given, and to stderr otherwise. An error is also
 * printed on stderr by the CLI's exit site, so a person running berth by hand sees it either way.
 */
export class LineLogger implements Logger {
  constructor(
    private readonly target: LogTarget,
    private readonly now: () => Date = () => new Date(),
  ) {}

  debug(msg: string, fields?: Record<string, string | number>): void {
    if (this.target.debug) this.write('debug', msg, fields);
  }
  info(msg: string, fields?: Record<string, string | number>): void {
    this.write('info', msg, fields);
  }
  warn(msg: string, fields?: Record<string, string | number>): void {
    this.write('warning', msg, fields);
  }
  error(msg: string, fields?: Record<string, string | number>): void {
    this.write('error', msg, fields);
  }

  private write(level: LogLevel, msg: string, fields?: Record<string, string | number>): void {
    const line = formatLogLine(this.target.format, level, msg, this.now(), fields);
    if (this.target.file === undefined) {
      // Only errors and warnings are worth a person's stderr; info is for log files.
      if (level !== 'info' && level !== 'debug') process.stderr.write(line);
      else if (this.target.debug) process.stderr.write(line);
      return;
    }
    try {
      appendFileSync(this.target.file, line);
    } catch {
      process.stderr.write(line);
    }
  }
}

/** A logger that keeps lines in memory: for tests and for callers that report warnings themselves. */
export class MemoryLogger implements Logger {
  readonly lines: { level: LogLevel; msg: string }[] = [];
  debug(msg: string): void {
    this.lines.push({ level: 'debug', msg });
  }
  info(msg: string): void {
    this.lines.push({ level: 'info', msg });
  }
  warn(msg: string): void {
    this.lines.push({ level: 'warning', msg });
  }
  error(msg: string): void {
    this.lines.push({ level: 'error', msg });
  }
}

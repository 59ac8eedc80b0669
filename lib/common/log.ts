/**
 * Structured logging: every line the server writes about its work is one JSON object on stderr,
 * `{"time":…,"level":…,"msg":…, …fields}`, so that a log shipper can parse it without rules.
 *
 * `logger` is the process-wide instance: the access log (one `request` line per response), auth
 * events and warnings all go through it. `--log-level` (or the `logLevel` option) decides which
 * levels are written; `silent` writes nothing.
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

/** The levels, least severe first; a logger writes lines at or above its own level. */
export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent'];

/** Fields of a log line beside time, level and msg; undefined values are left out. */
export type LogFields = Readonly<Record<string, unknown>>;

/** One response, as the access log records it. */
export interface AccessRecord {
  readonly method: string;
  /** The request path with its query string, as received. */
  readonly path: string;
  readonly status: number;
  /** Body bytes written (after compression). */
  readonly bytes: number;
  /** Milliseconds from the request's arrival to the end of the response (or the client leaving). */
  readonly ms: number;
  /** The project's full path, when the request named one the caller may read. */
  readonly project?: string;
  readonly module?: string;
  readonly version?: string;
  /** Name of the access token that authenticated the request. */
  readonly token?: string;
  /** The client's address as the socket sees it. */
  readonly client?: string;
  /** The response ended before all of it was sent (client gone or stream failed). */
  readonly aborted?: boolean;
}

export interface LoggerOptions {
  /** Lowest level written; default `info`. */
  readonly level?: LogLevel;
  /** Where complete lines (with their newline) go; default stderr. */
  readonly write?: (line: string) => void;
}

export class Logger {
  #level: LogLevel;
  readonly #write: (line: string) => void;

  constructor(options: LoggerOptions = {}) {
    this.#level = options.level ?? 'info';
    this.#write = options.write ?? ((line) => process.stderr.write(line));
  }

  get level(): LogLevel {
    return this.#level;
  }

  set level(level: LogLevel) {
    if (!LOG_LEVELS.includes(level)) throw new RangeError(`unknown log level ${JSON.stringify(level)}`);
    this.#level = level;
  }

  /** Whether a line at `level` would be written. */
  enabled(level: Exclude<LogLevel, 'silent'>): boolean {
    return LOG_LEVELS.indexOf(level) >= LOG_LEVELS.indexOf(this.#level);
  }

  debug(msg: string, fields?: LogFields): void {
    this.#line('debug', msg, fields);
  }

  info(msg: string, fields?: LogFields): void {
    this.#line('info', msg, fields);
  }

  warn(msg: string, fields?: LogFields): void {
    this.#line('warn', msg, fields);
  }

  /** An error line; an `Error` in `fields.error` is written as its stack (or message). */
  error(msg: string, fields?: LogFields): void {
    this.#line('error', msg, fields);
  }

  /** The access-log line of one response, at level `info`. */
  access(record: AccessRecord): void {
    this.#line('info', 'request', { ...record });
  }

  #line(level: Exclude<LogLevel, 'silent'>, msg: string, fields: LogFields | undefined): void {
    if (!this.enabled(level)) return;
    const line: Record<string, unknown> = { time: new Date().toISOString(), level, msg };
    for (const [name, value] of Object.entries(fields ?? {})) {
      if (value !== undefined && !(name in line)) line[name] = value instanceof Error ? describeError(value) : value;
    }
    this.#write(`${JSON.stringify(line)}\n`);
  }
}

function describeError(error: Error): string {
  return error.stack ?? `${error.name}: ${error.message}`;
}

/** The process-wide logger (stderr, level `info` until `--log-level` or the `logLevel` option says otherwise). */
export const logger = new Logger();

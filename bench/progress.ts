/**
 * The benchmark's progress on stderr: one line per phase saying what runs, how far it is and how
 * long the phase has taken. On a terminal the line is rewritten in place as the phase moves on (and
 * every second, so that the seconds tick during a long step) and left standing when the next phase
 * starts; into a file or pipe every step is a plain line.
 */

export class Progress {
  readonly #out: NodeJS.WriteStream;
  readonly #tty: boolean;
  #phase = '';
  #phaseStarted = 0;
  /** The current step's text, repainted every second on a terminal. */
  #line: (() => string) | undefined;
  #ticker: NodeJS.Timeout | undefined;

  constructor(out: NodeJS.WriteStream = process.stderr) {
    this.#out = out;
    this.#tty = out.isTTY === true;
  }

  /** Starts a phase (ending the one before) and shows `what` runs first. */
  phase(name: string, what = ''): void {
    this.end();
    this.#phase = name;
    this.#phaseStarted = performance.now();
    this.step(what);
  }

  /** Shows what runs now in the current phase, `done` of `total` steps when given. */
  step(what: string, done?: number, total?: number): void {
    const count = done === undefined || total === undefined ? '' : ` [${done}/${total}]`;
    const line = () =>
      `bench: ${this.#phase}${count}${what === '' ? '' : `: ${what}`} (${
        ((performance.now() - this.#phaseStarted) / 1000).toFixed(0)
      } s)`;
    if (!this.#tty) {
      this.#out.write(`${line()}\n`);
      return;
    }
    this.#line = line;
    this.#paint();
    this.#ticker ??= setInterval(() => this.#paint(), 1000).unref();
  }

  /** A line of its own (a result file written, a warning), after the current progress line. */
  note(message: string): void {
    this.end();
    this.#out.write(`bench: ${message}\n`);
  }

  /** Ends the current progress line, leaving it on the terminal (before the tables are printed). */
  end(): void {
    if (this.#line !== undefined) this.#out.write('\n');
    this.#line = undefined;
    clearInterval(this.#ticker);
    this.#ticker = undefined;
  }

  #paint(): void {
    if (this.#line !== undefined) this.#out.write(`\r\x1b[K${this.#line()}`);
  }
}

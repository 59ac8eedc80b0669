/**
 * The benchmark's progress on stderr: one line per phase saying what runs, how far it is, how long
 * the phase has taken and about how long the whole run has left. On a terminal the line is rewritten
 * in place as the phase moves on (and every second, so that the seconds tick during a long step) and
 * left standing when the next phase starts; into a file or pipe every step is a plain line. Lines are
 * cut to the report's width.
 *
 * The time left is the current phase's (from its steps done so far, or from what it took last time)
 * plus what the phases still to come took last time: the plan, from the previous result file of the
 * same kind, or from typical figures before there is one.
 */

/** A phase the run will go through, and about how long it takes. */
export interface PlannedPhase {
  readonly key: string;
  readonly expectedSeconds: number;
}

const WIDTH = 100;

export class Progress {
  readonly #out: NodeJS.WriteStream;
  readonly #tty: boolean;
  readonly #plan: readonly PlannedPhase[];
  readonly #seconds: Record<string, number> = {};
  #key = '';
  #label = '';
  #phaseStarted = 0;
  /** The current step's text, repainted every second on a terminal. */
  #line: (() => string) | undefined;
  #ticker: NodeJS.Timeout | undefined;

  constructor(plan: readonly PlannedPhase[] = [], out: NodeJS.WriteStream = process.stderr) {
    this.#plan = plan;
    this.#out = out;
    this.#tty = out.isTTY === true;
  }

  /** Starts the phase `key` of the plan (ending the one before), shown as `label`, and shows `what` runs first. */
  phase(key: string, label: string, what = ''): void {
    this.end();
    this.#key = key;
    this.#label = label;
    this.#phaseStarted = performance.now();
    this.step(what);
  }

  /** Shows what runs now in the current phase, `done` of `total` steps when given. */
  step(what: string, done?: number, total?: number): void {
    const count = done === undefined || total === undefined ? '' : ` [${done}/${total}]`;
    const line = () => {
      const elapsed = (performance.now() - this.#phaseStarted) / 1000;
      const left = secondsLeft(this.#plan, this.#key, elapsed, done, total);
      const time = `${elapsed.toFixed(0)} s${left === undefined ? '' : `; ${aboutLeft(left)}`}`;
      return fit(`bench: ${this.#label}${count}${what === '' ? '' : `: ${what}`}`, ` (${time})`);
    };
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

  /** Ends the current phase and its progress line, leaving it on the terminal. */
  end(): void {
    if (this.#key !== '') this.#seconds[this.#key] = (performance.now() - this.#phaseStarted) / 1000;
    this.#key = '';
    if (this.#line !== undefined) this.#out.write('\n');
    this.#line = undefined;
    clearInterval(this.#ticker);
    this.#ticker = undefined;
  }

  /** Seconds each phase that ended took, by key: the plan of the next run. */
  get phaseSeconds(): Readonly<Record<string, number>> {
    return { ...this.#seconds };
  }

  #paint(): void {
    if (this.#line !== undefined) this.#out.write(`\r\x1b[K${this.#line()}`);
  }
}

/**
 * Seconds the run has left in phase `key` after `elapsed` seconds of it: from the steps when some
 * are done, else from the plan; plus the plan's phases after it. undefined for a phase not in the plan.
 */
export function secondsLeft(
  plan: readonly PlannedPhase[],
  key: string,
  elapsed: number,
  done?: number,
  total?: number,
): number | undefined {
  const index = plan.findIndex((phase) => phase.key === key);
  if (index === -1) return undefined;
  const current = done !== undefined && total !== undefined && done > 0
    ? (elapsed / done) * (total - done)
    : Math.max(0, plan[index].expectedSeconds - elapsed);
  return current + plan.slice(index + 1).reduce((sum, phase) => sum + phase.expectedSeconds, 0);
}

/** `about 40 s left`, `about 3 min left`. */
export function aboutLeft(seconds: number): string {
  if (seconds < 90) return `about ${Math.max(5, Math.round(seconds / 5) * 5)} s left`;
  return `about ${Math.round(seconds / 60)} min left`;
}

/** `text` then `tail`, `text` cut short with `…` so that the whole fits the width. */
function fit(text: string, tail: string): string {
  const room = WIDTH - tail.length;
  return `${text.length > room ? `${text.slice(0, room - 1)}…` : text}${tail}`;
}

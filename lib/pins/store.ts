/**
 * The pin store seam: what the pin guard and the operator commands need of a pin record, whatever
 * keeps it. `file-store.ts` (JSON lines in the data directory) is today's implementation; every
 * implementation must pass the compliance suite in `test/support/pin-store-compliance.ts`.
 *
 * A pin belongs to the project that owns its module path (access/module-service.ts: the project
 * with the longest matching module path), so it is keyed by (project, module, version): nothing
 * pinned under one project is visible or enforceable through another.
 */
import { isFullObjectId } from '../git/object-id.ts';

/** What was served under one module version. */
export interface Pin {
  /**
   * Full path of the project that owned the module path when it was pinned (`group/name`), or
   * `UNOWNED` for a pin recorded before pins named their project (an old `pins.jsonl` line): such a
   * pin belongs to whichever project owns the module path now.
   */
  readonly project: string;
  readonly module: string;
  readonly version: string;
  /** Full object id of the commit the files came from. */
  readonly commit: string;
  /** The `.info` `Time`: the commit's committer time, RFC 3339 in UTC, whole seconds. */
  readonly time: string;
  /** `h1:` of the `.mod` answer (go.sum's `/go.mod` line). */
  readonly mod: string;
  /** `h1:` of the module zip (go.sum's first line); absent until the zip has been served. */
  readonly zip?: string;
}

/** The `project` of a pin recorded before pins named their project. */
export const UNOWNED = '';

/**
 * The `project` of a pin of a version served from an upstream proxy (lib/upstream/): never a
 * project's full path, which has no empty element. Such a pin has `NO_COMMIT` as its commit.
 */
export const UPSTREAM = '/upstream';

/** The `commit` of an upstream version's pin: its files come from no repository of this server (git's null object id). */
export const NO_COMMIT = '0'.repeat(40);

/** The in-memory key of a pin: JSON, so no project, module or version text can make two keys meet. */
export function pinKey(project: string, module: string, version: string): string {
  return JSON.stringify([project, module, version]);
}

/** The in-memory key of a project's module (all its pins), made as `pinKey` is. */
export function moduleKey(project: string, module: string): string {
  return JSON.stringify([project, module]);
}

/** The pin record of one proxy (shared by its workers, and by every instance for a shared store). */
export interface PinStore {
  /**
   * The pin of a version of a project's module (including one still being written), or undefined;
   * an `UNOWNED` pin of the module version when the project has none of its own.
   */
  get(project: string, module: string, version: string): Promise<Pin | undefined>;
  /**
   * The pinned versions of a project's module that `list` shows (pseudo-versions never are), in
   * semver order, `UNOWNED` pins included. Kept sorted by the store: a request never sorts every pinned version.
   */
  versions(project: string, module: string): Promise<readonly string[]>;
  /**
   * Pins a version, resolving once it is durable. Recording what is already pinned changes nothing;
   * a zip hash may be added to a pin that has none; anything else that differs throws
   * `PinConflictError` (also when another process or instance pinned it first).
   */
  record(pin: Pin): Promise<void>;
  /** Every pin, in no particular order (operator commands). */
  all(): AsyncIterable<Pin>;
  /** Waits for pending writes and releases the store; later records fail. Closing twice is fine. */
  close(): Promise<void>;
  /** How a store that lives elsewhere (a database) is doing; absent for one that is always at hand. */
  readonly health?: PinStoreHealth;
}

/** For `/-/ready` and `/metrics`: whether the store can be reached, and what its calls cost. */
export interface PinStoreHealth {
  /** False while the store cannot be reached: no new pins can be made. */
  available: boolean;
  /** Calls that failed since start. */
  errors: number;
  /** Calls made since start, and the seconds they took in all. */
  calls: number;
  seconds: number;
}

/** A second, different answer for a version that is already pinned. */
export class PinConflictError extends Error {
  constructor(pinned: Pin, offered: Pin) {
    super(`${pinned.module}@${pinned.version}: pinned ${describe(pinned)}, now ${describe(offered)}`);
    this.name = 'PinConflictError';
  }
}

function describe(pin: Pin): string {
  return `commit ${pin.commit} time ${pin.time} mod ${pin.mod}${pin.zip === undefined ? '' : ` zip ${pin.zip}`}`;
}

/** Whether `later` can be recorded over `earlier`: same commit, time and go.mod; a zip hash may be added, not changed. */
export function agrees(earlier: Pin, later: Pin): boolean {
  return (
    earlier.commit === later.commit &&
    earlier.time === later.time &&
    earlier.mod === later.mod &&
    (earlier.zip === undefined || later.zip === undefined || earlier.zip === later.zip)
  );
}

const H1 = /^h1:[A-Za-z0-9+/]{43}=$/;
const INFO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

/** Throws a `TypeError` naming the first field of `pin` that is missing or malformed (`UNOWNED` is refused). */
export function assertPin(pin: Pin): void {
  assertPinFields(pin);
  if (pin.project === UNOWNED) throw new TypeError('pin: bad project ""');
}

/** `assertPin`, `UNOWNED` allowed: for pins read from an old record. */
export function assertPinFields(pin: Pin): void {
  if (typeof pin !== 'object' || pin === null) throw new TypeError('pin: not an object');
  const bad = (field: string) =>
    new TypeError(`pin: bad ${field} ${JSON.stringify((pin as unknown as Record<string, unknown>)[field])}`);
  if (typeof pin.project !== 'string') throw bad('project');
  if (typeof pin.module !== 'string' || pin.module === '') throw bad('module');
  if (typeof pin.version !== 'string' || pin.version === '') throw bad('version');
  if (typeof pin.commit !== 'string' || !isFullObjectId(pin.commit)) throw bad('commit');
  if (typeof pin.time !== 'string' || !INFO_TIME.test(pin.time)) throw bad('time');
  if (typeof pin.mod !== 'string' || !H1.test(pin.mod)) throw bad('mod');
  if (pin.zip !== undefined && (typeof pin.zip !== 'string' || !H1.test(pin.zip))) throw bad('zip');
}

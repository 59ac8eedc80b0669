/**
 * Versions served from an upstream are immutable too: the first `.mod` and zip served for a
 * version are pinned in the pin store (lib/pins/, the same record as local versions) under the
 * project `UPSTREAM`, with no commit, and the `.info` time. When an upstream later answers other
 * bytes for a pinned version (after the cache let its copy go), they are refused: the go command
 * would report a checksum mismatch for them anyway, and a go.sum written from the first answer
 * would break every build.
 */
import { ProxyError } from '../common/errors.ts';
import { infoTime } from '../modules/module-repo.ts';
import { NO_COMMIT, type Pin, PinConflictError, type PinStore, UPSTREAM } from '../pins/store.ts';

/** The pin time when an upstream gives no usable `.info` time. */
const NO_TIME = '1970-01-01T00:00:00Z';

export class UpstreamPins {
  readonly #store: PinStore;
  readonly #warn: (message: string) => void;
  /** Upstream answers refused because they differ from the pin: for `/metrics`. */
  refused = 0;

  constructor(store: PinStore, warn: (message: string) => void) {
    this.#store = store;
    this.#warn = warn;
  }

  /** What has been served under an upstream version, if anything. */
  get(module: string, version: string): Promise<Pin | undefined> {
    return this.#store.get(UPSTREAM, module, version);
  }

  /** Pins a version's `.mod` hash (with the time of its `.info`), or refuses one that differs from the pin. */
  async recordMod(
    module: string,
    version: string,
    mod: string,
    timeOfInfo: () => Promise<string | undefined>,
  ): Promise<void> {
    const pinned = await this.#store.get(UPSTREAM, module, version);
    if (pinned !== undefined) return this.#check(pinned, 'go.mod', pinned.mod, mod);
    const time = pinTime(await timeOfInfo().catch(() => undefined));
    await this.#record({ project: UPSTREAM, module, version, commit: NO_COMMIT, time, mod });
  }

  /** Adds a version's zip hash to its pin (made by `recordMod` first), or refuses one that differs from the pin. */
  async recordZip(module: string, version: string, zip: string, pinMod: () => Promise<void>): Promise<void> {
    let pinned = await this.#store.get(UPSTREAM, module, version);
    if (pinned === undefined) {
      await pinMod();
      pinned = (await this.#store.get(UPSTREAM, module, version))!;
    }
    if (pinned.zip !== undefined) return this.#check(pinned, 'zip', pinned.zip, zip);
    await this.#record({ ...pinned, zip });
  }

  #check(pin: Pin, what: string, pinned: string, offered: string): void {
    if (pinned !== offered) {
      throw this.#refusal(`${pin.module}@${pin.version}: upstream ${what} is ${offered}, pinned ${pinned}`);
    }
  }

  async #record(pin: Pin): Promise<void> {
    try {
      await this.#store.record(pin);
    } catch (error) {
      if (!(error instanceof PinConflictError)) throw error;
      throw this.#refusal(error.message);
    }
  }

  #refusal(detail: string): ProxyError {
    this.refused++;
    this.#warn(`refused an upstream answer that differs from what this proxy served before: ${detail}`);
    const [module] = detail.split(':');
    return new ProxyError(
      'content-changed',
      `${module}: the upstream now answers other content than this proxy served before; refusing to serve it`,
    );
  }
}

/** An `.info` Time as a pin keeps it (RFC 3339 in UTC, whole seconds). */
function pinTime(time: string | undefined): string {
  const date = time === undefined ? undefined : new Date(time);
  if (date === undefined || Number.isNaN(date.getTime())) return NO_TIME;
  return infoTime(date);
}

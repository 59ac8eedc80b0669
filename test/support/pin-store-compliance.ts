/**
 * The compliance suite of the pin store seam (lib/pins/store.ts), as Athens tests its storage
 * backends: every `PinStore` implementation runs these same tests through its own `open`, so the
 * pin guard can rely on any of them alike. `open(place)` opens a store over a fresh, empty
 * `place` (a temp dir the store may use or name its storage after); opening the same place again
 * is a restart, or a second process or instance sharing the record.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Pin, PinConflictError, type PinStore } from '../../lib/pins/store.ts';
import { withTempDir } from './temp.ts';

/** Opens a store over `place`; called again with the same place, a second handle on the same record. */
export type OpenPinStore = (place: string) => Promise<PinStore>;

const PROJECT = 'group/mod';
const OTHER_PROJECT = 'group';
const MODULE = 'go.example.com/group/mod';
const COMMIT_A = 'a'.repeat(40);
const COMMIT_B = 'b'.repeat(40);
const MOD = `h1:${'M'.repeat(43)}=`;
const ZIP = `h1:${'Z'.repeat(43)}=`;
const OTHER_ZIP = `h1:${'Y'.repeat(43)}=`;

/** A valid pin of `version` of MODULE under PROJECT, with fields overridden by `extra`. */
export const compliancePin = (version: string, extra: Partial<Pin> = {}): Pin => ({
  project: PROJECT,
  module: MODULE,
  version,
  commit: COMMIT_A,
  time: '2020-01-02T03:04:05Z',
  mod: MOD,
  ...extra,
});
const pin = compliancePin;

async function collect(pins: AsyncIterable<Pin>): Promise<Pin[]> {
  const all: Pin[] = [];
  for await (const each of pins) all.push(each);
  return all;
}

/** Registers the suite under `name`. */
export function pinStoreCompliance(name: string, open: OpenPinStore): void {
  /** Runs `work` with stores opened on one fresh place; every store opened is closed afterwards. */
  const withPlace = (work: (openHere: () => Promise<PinStore>) => Promise<void>) =>
    withTempDir('pin-store', async (place) => {
      const opened: PinStore[] = [];
      try {
        await work(async () => {
          const store = await open(place);
          opened.push(store);
          return store;
        });
      } finally {
        await Promise.all(opened.map((store) => store.close()));
      }
    });

  describe(`pin store compliance: ${name}`, () => {
    test('a recorded pin is read back, listed and iterated, also after a restart', async () => {
      await withPlace(async (openHere) => {
        const store = await openHere();
        assert.equal(await store.get(PROJECT, MODULE, 'v1.0.0'), undefined);
        await store.record(pin('v1.0.0', { zip: ZIP }));
        await store.close();
        const reopened = await openHere();
        assert.deepEqual(await reopened.get(PROJECT, MODULE, 'v1.0.0'), pin('v1.0.0', { zip: ZIP }));
        assert.equal(await reopened.get(PROJECT, MODULE, 'v1.0.1'), undefined);
        assert.deepEqual(await reopened.versions(PROJECT, MODULE), ['v1.0.0']);
        assert.deepEqual(await collect(reopened.all()), [pin('v1.0.0', { zip: ZIP })]);
      });
    });

    test('a zip hash is added to a pin that has none; recording what is pinned changes nothing', async () => {
      await withPlace(async (openHere) => {
        const store = await openHere();
        await store.record(pin('v1.0.0'));
        await store.record(pin('v1.0.0'));
        assert.deepEqual(await store.get(PROJECT, MODULE, 'v1.0.0'), pin('v1.0.0'));
        await store.record(pin('v1.0.0', { zip: ZIP }));
        await store.record(pin('v1.0.0'));
        assert.deepEqual(await store.get(PROJECT, MODULE, 'v1.0.0'), pin('v1.0.0', { zip: ZIP }));
        await store.close();
        const reopened = await openHere();
        assert.deepEqual(await reopened.get(PROJECT, MODULE, 'v1.0.0'), pin('v1.0.0', { zip: ZIP }));
        assert.equal((await collect(reopened.all())).length, 1);
      });
    });

    test('a different commit, time, go.mod or zip hash for a pinned version is refused', async () => {
      await withPlace(async (openHere) => {
        const store = await openHere();
        await store.record(pin('v1.0.0', { zip: ZIP }));
        await assert.rejects(store.record(pin('v1.0.0', { commit: COMMIT_B, zip: ZIP })), PinConflictError);
        await assert.rejects(store.record(pin('v1.0.0', { time: '2021-01-02T03:04:05Z' })), PinConflictError);
        await assert.rejects(store.record(pin('v1.0.0', { mod: ZIP })), PinConflictError);
        await assert.rejects(store.record(pin('v1.0.0', { zip: OTHER_ZIP })), (error: PinConflictError) => {
          assert.match(error.message, /go\.example\.com\/group\/mod@v1\.0\.0: pinned .* zip h1:Z+=, now .* zip h1:Y+=/);
          return true;
        });
        assert.deepEqual(await store.get(PROJECT, MODULE, 'v1.0.0'), pin('v1.0.0', { zip: ZIP }));
      });
    });

    test('malformed pins are refused and nothing is recorded', async () => {
      await withPlace(async (openHere) => {
        const store = await openHere();
        await assert.rejects(store.record(pin('v1.0.0', { commit: 'abc' })), /bad commit "abc"/);
        await assert.rejects(store.record(pin('v1.0.0', { time: '2020-01-02' })), /bad time/);
        await assert.rejects(store.record(pin('v1.0.0', { mod: 'h1:short' })), /bad mod/);
        await assert.rejects(store.record(pin('v1.0.0', { zip: 'sha256:x' })), /bad zip/);
        await assert.rejects(store.record(pin('')), /bad version/);
        await assert.rejects(store.record(pin('v1.0.0', { module: '' })), /bad module/);
        await assert.rejects(store.record(pin('v1.0.0', { project: '' })), /bad project/);
        assert.deepEqual(await collect(store.all()), []);
      });
    });

    test('pins belong to their project: the same module version under another project is another pin', async () => {
      await withPlace(async (openHere) => {
        const store = await openHere();
        await store.record(pin('v1.3.0', { project: OTHER_PROJECT, commit: COMMIT_B }));
        assert.equal(await store.get(PROJECT, MODULE, 'v1.3.0'), undefined);
        assert.deepEqual(await store.versions(PROJECT, MODULE), []);
        await store.record(pin('v1.3.0'));
        assert.equal((await store.get(PROJECT, MODULE, 'v1.3.0'))?.commit, COMMIT_A);
        assert.equal((await store.get(OTHER_PROJECT, MODULE, 'v1.3.0'))?.commit, COMMIT_B);
        assert.deepEqual(await store.versions(OTHER_PROJECT, MODULE), ['v1.3.0']);
        assert.equal((await collect(store.all())).length, 2);
      });
    });

    test('versions: semver order whatever the order of recording, per module, pseudo-versions left out', async () => {
      await withPlace(async (openHere) => {
        const store = await openHere();
        for (
          const version of [
            'v1.10.0',
            'v1.2.0',
            'v1.2.0-rc.1',
            'v0.0.0-20200102030405-abcdefabcdef',
            'v2.0.0+incompatible',
            'v1.9.1',
          ]
        ) {
          await store.record(pin(version));
        }
        await store.record(pin('v0.1.0', { module: `${MODULE}/sub` }));
        assert.deepEqual(await store.versions(PROJECT, MODULE), [
          'v1.2.0-rc.1',
          'v1.2.0',
          'v1.9.1',
          'v1.10.0',
          'v2.0.0+incompatible',
        ]);
        await store.record(pin('v1.3.0'));
        assert.deepEqual(await store.versions(PROJECT, MODULE), [
          'v1.2.0-rc.1',
          'v1.2.0',
          'v1.3.0',
          'v1.9.1',
          'v1.10.0',
          'v2.0.0+incompatible',
        ]);
        assert.deepEqual(await store.versions(PROJECT, `${MODULE}/sub`), ['v0.1.0']);
        assert.ok(
          await store.get(PROJECT, MODULE, 'v0.0.0-20200102030405-abcdefabcdef'),
          'a pseudo-version is pinned, just not listed',
        );
      });
    });

    test('concurrent records all land, and a pin is seen while it is being written', async () => {
      await withPlace(async (openHere) => {
        const store = await openHere();
        const versions = Array.from({ length: 200 }, (_, i) => `v1.0.${i}`);
        const writes = versions.map((version) => store.record(pin(version)));
        assert.deepEqual(await store.get(PROJECT, MODULE, 'v1.0.7'), pin('v1.0.7'));
        await assert.rejects(store.record(pin('v1.0.7', { commit: COMMIT_B })), PinConflictError);
        await Promise.all(writes);
        await store.close();
        const reopened = await openHere();
        assert.equal((await reopened.versions(PROJECT, MODULE)).length, 200);
        assert.equal((await collect(reopened.all())).length, 200);
      });
    });

    test("two handles on one record (processes, instances) see each other's pins; the first of a race wins", async () => {
      await withPlace(async (openHere) => {
        const one = await openHere();
        const two = await openHere();
        await one.record(pin('v1.0.0', { zip: ZIP }));
        assert.deepEqual(await two.get(PROJECT, MODULE, 'v1.0.0'), pin('v1.0.0', { zip: ZIP }));
        assert.deepEqual(await two.versions(PROJECT, MODULE), ['v1.0.0']);
        await assert.rejects(two.record(pin('v1.0.0', { commit: COMMIT_B })), PinConflictError);

        const results = await Promise.allSettled([
          one.record(pin('v1.0.1')),
          two.record(pin('v1.0.1', { commit: COMMIT_B })),
        ]);
        assert.deepEqual(results.map((result) => result.status).sort(), ['fulfilled', 'rejected']);
        assert.ok(
          (results.find((result) => result.status === 'rejected') as PromiseRejectedResult).reason instanceof
            PinConflictError,
        );
        const winner = results[0]!.status === 'fulfilled' ? COMMIT_A : COMMIT_B;
        assert.equal((await one.get(PROJECT, MODULE, 'v1.0.1'))?.commit, winner);
        assert.equal((await two.get(PROJECT, MODULE, 'v1.0.1'))?.commit, winner);
      });
    });

    test('close waits for pending records; a record after close fails', async () => {
      await withPlace(async (openHere) => {
        const store = await openHere();
        const pending = store.record(pin('v1.0.0'));
        await store.close();
        await pending;
        await assert.rejects(store.record(pin('v1.0.1')), /closed/);
        const reopened = await openHere();
        assert.deepEqual(await reopened.get(PROJECT, MODULE, 'v1.0.0'), pin('v1.0.0'));
      });
    });
  });
}

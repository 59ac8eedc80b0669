/**
 * `node --import tsx bench/pin-load.ts [count]`: how long the file pin store takes to load a record
 * of `count` (default 1,000,000) pseudo-version pins over 1,000 modules, the record `bench/scale.ts`
 * starts a server with (written once to the temporary directory and reused), in this process: CPU
 * time and the heap and RSS it leaves. Quicker to iterate with than the whole scale benchmark
 * (issue #16).
 */
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FilePinStore, PINS_FILE } from '../lib/pins/file-store.ts';
import { writePinRecord } from './scale-repos.ts';

const count = Number(process.argv[2] ?? 1_000_000);
const dir = join(tmpdir(), `pin-load-${count}`);
if (!existsSync(join(dir, PINS_FILE))) await writePinRecord(dir, count, 'go.localhost');
const before = process.cpuUsage();
const started = performance.now();
const store = FilePinStore.open(dir);
const cpu = process.cpuUsage(before);
const wall = performance.now() - started;
const memory = process.memoryUsage();
process.stdout.write(
  `${store.size} pins: ${wall.toFixed(0)} ms wall, ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms CPU, heap ${
    (memory.heapUsed / 1e6).toFixed(0)
  } MB, RSS ${(memory.rss / 1e6).toFixed(0)} MB\n`,
);
await store.close();

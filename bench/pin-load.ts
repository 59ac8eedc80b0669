/**
 * `node --import tsx bench/pin-load.ts [count]`: how long the file pin store takes to load a record
 * of `count` (default 1,000,000) pseudo-version pins over 1,000 modules, as `bench/scale.ts` writes
 * it, in this process: CPU time and the heap and RSS it leaves. Quicker to iterate with than the
 * whole scale benchmark (issue #16).
 */
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FilePinStore, PINS_FILE, pinLine } from '../lib/pins/file-store.ts';

const count = Number(process.argv[2] ?? 1_000_000);
const dir = join(tmpdir(), `pin-load-${count}`);
const file = join(dir, PINS_FILE);
if (!existsSync(file)) {
  mkdirSync(dir, { recursive: true });
  const hash = Buffer.alloc(32);
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    hash.writeUInt32BE(i);
    const h1 = `h1:${hash.toString('base64')}`;
    const stamp = new Date(Date.UTC(2020, 0, 1) + i * 1000).toISOString();
    const project = `group${i % 100}/module${i % 1000}`;
    const version = `v0.0.0-${stamp.replace(/[-:T]/g, '').slice(0, 14)}-${i.toString(16).padStart(12, '0')}`;
    lines.push(`${pinLine({ project, module: `go.localhost/${project}`, version, commit: i.toString(16).padStart(40, '0'), time: stamp.replace(/\.\d+Z$/, 'Z'), mod: h1, zip: h1 })}\n`);
  }
  writeFileSync(file, lines.join(''));
}
const before = process.cpuUsage();
const started = performance.now();
const store = FilePinStore.open(dir);
const cpu = process.cpuUsage(before);
const wall = performance.now() - started;
const memory = process.memoryUsage();
process.stdout.write(
  `${store.size} pins: ${wall.toFixed(0)} ms wall, ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms CPU, heap ${(memory.heapUsed / 1e6).toFixed(0)} MB, RSS ${(memory.rss / 1e6).toFixed(0)} MB\n`,
);
await store.close();

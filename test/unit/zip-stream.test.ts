/**
 * The streaming module zip (lib/zip/module-zip.ts, reader.ts, writer.ts, crc32.ts): module zips
 * made from real `git archive` output in every variant, backpressure, truncated and garbled archives,
 * data descriptors, Zip64 past 65,535 entries and 4 GiB, and writer misuse.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { unzipSync } from 'fflate';
import { crc32 } from '../../lib/zip/crc32.ts';
import { moduleZip, type ModuleZipOptions, type ModuleZipSummary } from '../../lib/zip/module-zip.ts';
import { readZipEntries, type ZipEntryHeader, ZipFormatError, type ZipReadEvent } from '../../lib/zip/reader.ts';
import { ZipWriter } from '../../lib/zip/writer.ts';
import { createRepo, type FileEntry, type FixtureRepo } from '../support/git-fixture.ts';
import { makeTempDir, removeDir } from '../support/temp.ts';
import { seededRandom } from '../support/random.ts';

const PREFIX = 'example.com/m@v1.0.0/';
const COMMIT_DATE = '2023-04-05T06:07:08Z';
const DESCRIPTOR_SIG = Buffer.from('PK\x07\x08', 'latin1');
const LOCAL_SIG = Buffer.from('PK\x03\x04', 'latin1');

function randomBytes(seed: number, length: number): Buffer {
  const next = seededRandom(seed);
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) bytes[i] = Math.floor(next() * 256);
  return bytes;
}

/**
 * Data that looks like the end of a streamed entry: a descriptor signature, a plausible CRC and
 * sizes, then a local header signature; once at an odd offset and once straddling many offsets.
 */
function descriptorLookalike(): Buffer {
  const fake = Buffer.alloc(16);
  DESCRIPTOR_SIG.copy(fake, 0);
  fake.writeUInt32LE(0x12345678, 4);
  fake.writeUInt32LE(5003, 8);
  fake.writeUInt32LE(5003, 12);
  return Buffer.concat([
    randomBytes(7, 5003),
    fake,
    LOCAL_SIG,
    randomBytes(8, 3000),
    DESCRIPTOR_SIG,
    DESCRIPTOR_SIG,
    Buffer.from('PK\x07'),
  ]);
}

const FILES: Record<string, Uint8Array> = {
  'go.mod': Buffer.from('module example.com/m\n\ngo 1.19\n'),
  'm.go': Buffer.from('package m\n\nconst Answer = 42\n'),
  'empty.txt': Buffer.alloc(0),
  'dir/sub/deep.go': Buffer.from('package sub\n'),
  'ünïcode/файл.txt': Buffer.from('héllo\n'),
  'big/random.bin': randomBytes(1, 200_000),
  'big/text.txt': Buffer.from('all work and no play makes jack a dull boy\n'.repeat(7000)),
  'big/lookalike.bin': descriptorLookalike(),
  'drop/me.txt': Buffer.from('dropped by rename\n'),
};
const LICENSE = Buffer.from('Copyright 2023 The Authors\n');

/** Archive name (`prefix/<path>`) → module zip name; `drop/` is left out. */
function rename(archivePath: string): string | undefined {
  assert.ok(archivePath.startsWith('prefix/'), archivePath);
  const path = archivePath.slice('prefix/'.length);
  return path.startsWith('drop/') ? undefined : PREFIX + path;
}

/** The module zip's expected files: every fixture file but `drop/`, renamed, plus the LICENSE. */
function expectedFiles(): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  for (const [path, data] of Object.entries(FILES)) if (!path.startsWith('drop/')) files.set(PREFIX + path, data);
  files.set(`${PREFIX}LICENSE`, LICENSE);
  return files;
}

let root: string;
let repo: FixtureRepo;
let commit: string;

before(async () => {
  root = await makeTempDir('zip-stream');
  repo = await createRepo(root, 'group/m');
  commit = await repo.commit(FILES, { date: COMMIT_DATE });
});

after(async () => {
  await removeDir(root);
});

/** Runs git in `gitDir` with a clean config and returns its stdout as bytes. */
function runGit(gitDir: string, args: readonly string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', [`--git-dir=${gitDir}`, ...args], {
      env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out));
      else reject(new Error(`git ${args.join(' ')}: exit ${code}: ${Buffer.concat(err).toString()}`));
    });
  });
}

/** `git archive` the way the go command runs it, with extra `-c` settings and a compression flag. */
function gitArchive(
  gitDir: string,
  rev: string,
  config: readonly string[],
  level: string | undefined,
): Promise<Buffer> {
  const configArgs = config.flatMap((setting) => ['-c', setting]);
  const levelArgs = level === undefined ? [] : [level];
  return runGit(gitDir, [
    ...configArgs,
    'archive',
    '--format=zip',
    ...levelArgs,
    '--prefix=prefix/',
    '--end-of-options',
    rev,
  ]);
}

/** Feeds `bytes` in pieces of 1 byte to 64 KiB (log-uniform, so small pieces are common), seeded. */
async function* chunked(bytes: Uint8Array, seed: number): AsyncGenerator<Uint8Array> {
  const next = seededRandom(seed);
  for (let at = 0; at < bytes.length;) {
    const size = Math.max(1, Math.floor(2 ** (next() * 16)));
    yield bytes.subarray(at, at + size);
    at += size;
  }
}

interface Result {
  bytes: Buffer;
  summary: ModuleZipSummary;
  digests: Map<string, string>;
}

async function runModuleZip(options: Omit<ModuleZipOptions, 'onFileDigest'>): Promise<Result> {
  const digests = new Map<string, string>();
  const generator = moduleZip({ ...options, onFileDigest: (name, hex) => digests.set(name, hex) });
  const parts: Uint8Array[] = [];
  for (;;) {
    const step = await generator.next();
    if (step.done) return { bytes: Buffer.concat(parts), summary: step.value, digests };
    parts.push(step.value);
  }
}

/** The reader's events with each whole `entry` spelled out as its `header`, `data` and `end`. */
async function* entrySteps(
  source: AsyncIterable<Uint8Array>,
): AsyncGenerator<Exclude<ZipReadEvent, { kind: 'entry' }>> {
  for await (const event of readZipEntries(source)) {
    if (event.kind !== 'entry') {
      yield event;
      continue;
    }
    yield { kind: 'header', header: event.header };
    if (event.chunk.length > 0) yield { kind: 'data', chunk: event.chunk };
    yield { kind: 'end', trailer: event.trailer };
  }
}

async function readHeaders(zip: Uint8Array): Promise<ZipEntryHeader[]> {
  const headers: ZipEntryHeader[] = [];
  for await (const event of entrySteps(chunked(zip, 99))) if (event.kind === 'header') headers.push(event.header);
  return headers;
}

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** `python3 -m zipfile -t`: an independent reader that checks every CRC. */
async function pythonZipTest(zip: Uint8Array): Promise<void> {
  const dir = await makeTempDir('zip-python');
  try {
    const file = join(dir, 'm.zip');
    await writeFile(file, zip);
    await new Promise<void>((resolve, reject) => {
      const child = spawn('python3', ['-m', 'zipfile', '-t', file], { stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.on('error', reject);
      child.on(
        'close',
        (
          code,
        ) => (code === 0 && output.includes('Done testing')
          ? resolve()
          : reject(new Error(`python3 zipfile: ${output}`))),
      );
    });
  } finally {
    await removeDir(dir);
  }
}

const VARIANTS = [
  { label: 'stored (-0)', config: [], level: '-0' },
  { label: 'default level', config: [], level: undefined },
  { label: 'best (-9)', config: [], level: '-9' },
  { label: 'stored, streamed with data descriptors', config: ['core.bigFileThreshold=1k'], level: '-0' },
  { label: 'deflated, streamed with data descriptors', config: ['core.bigFileThreshold=1k'], level: undefined },
];

for (const variant of VARIANTS) {
  test(`module zip from git archive, ${variant.label}`, async () => {
    const archive = await gitArchive(repo.gitDir, commit, variant.config, variant.level);
    const extra = [{ name: `${PREFIX}LICENSE`, data: LICENSE }];
    const first = await runModuleZip({ sources: [chunked(archive, 1)], rename, extra });
    for (const seed of [2, 3]) {
      const again = await runModuleZip({ sources: [chunked(archive, seed)], rename, extra });
      assert.ok(again.bytes.equals(first.bytes), `output differs with chunking seed ${seed}`);
    }

    const expected = expectedFiles();
    const unzipped = unzipSync(first.bytes);
    assert.deepEqual(Object.keys(unzipped).sort(), [...expected.keys()].sort());
    for (const [name, data] of expected) {
      assert.ok(Buffer.from(unzipped[name]).equals(data), `content of ${name}`);
      assert.equal(first.digests.get(name), sha256(data), `digest of ${name}`);
    }
    assert.equal(first.digests.size, expected.size);
    assert.deepEqual(first.summary, { entryCount: expected.size, byteCount: first.bytes.length });

    const headers = await readHeaders(first.bytes);
    const streamed = variant.config.length > 0;
    for (const header of headers) {
      assert.equal(header.flags & 0x800, 0x800, `UTF-8 flag on ${header.name}`);
      const big = header.name.startsWith(`${PREFIX}big/`);
      assert.equal(header.hasDataDescriptor, streamed && big, `data descriptor on ${header.name}`);
    }
    await pythonZipTest(first.bytes);
  });
}

test('the live git archive pipe gives the same module zip as the buffered archive', async () => {
  const config = ['core.bigFileThreshold=1k'];
  const archive = await gitArchive(repo.gitDir, commit, config, undefined);
  const buffered = await runModuleZip({ sources: [chunked(archive, 5)], rename });
  const child = spawn('git', [
    `--git-dir=${repo.gitDir}`,
    '-c',
    config[0],
    'archive',
    '--format=zip',
    '--prefix=prefix/',
    commit,
  ], {
    env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  const live = await runModuleZip({ sources: [child.stdout], rename });
  assert.equal(await exited, 0);
  assert.ok(live.bytes.equals(buffered.bytes));
});

test('the source is read only as fast as output is taken, and closed when the consumer stops', async () => {
  const archive = await gitArchive(repo.gitDir, commit, [], '-0');
  const chunkSize = 1024;
  let pulled = 0;
  let closed = false;
  async function* source(): AsyncGenerator<Uint8Array> {
    try {
      for (let at = 0; at < archive.length; at += chunkSize) {
        pulled++;
        yield archive.subarray(at, at + chunkSize);
      }
    } finally {
      closed = true;
    }
  }
  const chunkBytes = 4096;
  const output = moduleZip({ sources: [source()], rename }, chunkBytes)[Symbol.asyncIterator]();
  let delivered = 0;
  for (let taken = 1; taken <= 10; taken++) {
    const step = await output.next();
    assert.equal(step.done, false);
    const chunk = step.value as Uint8Array;
    assert.ok(chunk.length >= chunkBytes, `chunk ${taken} of ${chunk.length} bytes`);
    delivered += chunk.length;
    // Held at most: one output chunk being filled, one input chunk, a header straddling chunks.
    assert.ok(
      pulled * chunkSize <= delivered + chunkBytes + 2 * chunkSize,
      `pulled ${pulled} input chunks for ${delivered} bytes out`,
    );
  }
  assert.ok(pulled < archive.length / chunkSize / 2, 'most of the archive is still unread');
  await output.return?.(undefined as never);
  assert.equal(closed, true);
});

test('an archive without files gives an empty module zip plus extra entries', async () => {
  const empty = await createRepo(root, 'group/empty');
  const rev = await empty.commit({}, { date: COMMIT_DATE });
  const archive = await gitArchive(empty.gitDir, rev, [], undefined);
  const bare = await runModuleZip({ sources: [chunked(archive, 1)], rename });
  assert.deepEqual(Object.keys(unzipSync(bare.bytes)), []);
  assert.equal(bare.summary.entryCount, 0);
  const withLicense = await runModuleZip({
    sources: [chunked(archive, 1)],
    rename,
    extra: [{ name: `${PREFIX}LICENSE`, data: LICENSE }],
  });
  assert.deepEqual(Object.keys(unzipSync(withLicense.bytes)), [`${PREFIX}LICENSE`]);
  await pythonZipTest(withLicense.bytes);
});

async function rejectsFormat(archive: Uint8Array, message: RegExp, withDigests = true): Promise<void> {
  const options = { sources: [chunked(archive, 4)], rename };
  const run = withDigests ? runModuleZip(options) : drain(moduleZip(options));
  await assert.rejects(run, (error: unknown) => error instanceof ZipFormatError && message.test(error.message));
}

async function drain(generator: AsyncGenerator<Uint8Array, ModuleZipSummary>): Promise<number> {
  let bytes = 0;
  for await (const chunk of generator) bytes += chunk.length;
  return bytes;
}

test('truncated archives are errors wherever they are cut', async () => {
  const archive = await gitArchive(repo.gitDir, commit, ['core.bigFileThreshold=1k'], undefined);
  const centralStart = archive.lastIndexOf(Buffer.from('PK\x01\x02', 'latin1'));
  const cuts = [
    0,
    2,
    10,
    40,
    200,
    Math.floor(archive.length / 2),
    centralStart - 10,
    centralStart + 20,
    archive.length - 30,
    archive.length - 1,
  ];
  for (const cut of cuts) {
    await rejectsFormat(archive.subarray(0, cut), /truncated archive|central directory lists/);
  }
});

test('garbled archives are errors', async () => {
  const archive = await gitArchive(repo.gitDir, commit, ['core.bigFileThreshold=1k'], undefined);
  const badStart = Buffer.from(archive);
  badStart[0] = 0x51;
  await rejectsFormat(badStart, /bad record signature/);

  await rejectsFormat(Buffer.concat([archive, Buffer.from('junk')]), /trailing bytes after the end record/);

  // A name that is not UTF-8 reaches `rename` with U+FFFD in it; here it is dropped like `drop/`.
  const notUtf8 = Buffer.from(archive);
  notUtf8[notUtf8.indexOf(Buffer.from('prefix/drop/me.txt')) + 'prefix/drop/m'.length] = 0xff;
  const seen: string[] = [];
  const renameAndRecord = (path: string): string | undefined => (seen.push(path), rename(path));
  const dropped = await runModuleZip({ sources: [chunked(notUtf8, 4)], rename: renameAndRecord });
  assert.ok(seen.includes('prefix/drop/m\ufffd.txt'), 'name given to rename');
  assert.ok(dropped.bytes.equals((await runModuleZip({ sources: [chunked(archive, 4)], rename })).bytes));

  const badMethod = Buffer.from(archive);
  const goModHeader = badMethod.indexOf(Buffer.from('prefix/go.mod')) - 30;
  badMethod.writeUInt16LE(12, goModHeader + 8);
  await rejectsFormat(badMethod, /unsupported compression method 12/);

  const badExtra = Buffer.from(archive);
  const goModExtra = goModHeader + 30 + 'prefix/go.mod'.length;
  badExtra.writeUInt16LE(200, goModExtra + 2);
  await rejectsFormat(badExtra, /extra field overruns its header in prefix\/go\.mod/);

  const badDirectory = Buffer.from(archive);
  badDirectory[badDirectory.lastIndexOf(Buffer.from('PK\x01\x02', 'latin1'))] = 0;
  await rejectsFormat(badDirectory, /central directory lists \d+ entries, the archive holds \d+/);

  // Flip a byte inside the deflated data of the streamed text file: its CRC check must fail.
  const badData = Buffer.from(archive);
  const text = badData.indexOf(Buffer.from('prefix/big/text.txt'));
  badData[text + 100] ^= 0x55;
  await rejectsFormat(badData, /does not match its CRC-32 or size|bad deflate data/);
});

test('deflate data that does not inflate is an error when digests are asked for', async () => {
  const archive = Buffer.from(await gitArchive(repo.gitDir, commit, [], undefined));
  const name = Buffer.from('prefix/big/text.txt');
  const header = archive.indexOf(name) - 30;
  assert.equal(archive.readUInt16LE(header + 8), 8, 'deflated');
  archive[header + 30 + name.length + archive.readUInt16LE(header + 28)] = 0x07; // final block of reserved type 3
  await rejectsFormat(archive, /bad deflate data in example\.com\/m@v1\.0\.0\/big\/text\.txt/);
  assert.ok(
    (await drain(moduleZip({ sources: [chunked(archive, 4)], rename }))) > 0,
    'without digests the bytes pass through',
  );
});

test('a streamed stored entry must be followed by its data descriptor', async () => {
  const archive = await gitArchive(repo.gitDir, commit, ['core.bigFileThreshold=1k'], '-0');
  const garbled = Buffer.from(archive);
  const name = Buffer.from('prefix/big/random.bin');
  const dataStart = garbled.indexOf(name) + name.length + garbled.readUInt16LE(garbled.indexOf(name) - 2);
  const descriptor = dataStart + (FILES['big/random.bin'] as Buffer).length;
  assert.equal(garbled.readUInt32LE(descriptor), 0x08074b50);
  garbled[descriptor] = 0;
  await rejectsFormat(garbled, /no data descriptor after the data of prefix\/big\/random\.bin/, false);
});

test('more than 65,535 entries give a Zip64 module zip that independent readers accept', async () => {
  const many = await createRepo(root, 'group/many');
  const count = 66_000;
  const [blobA, blobB] = await Promise.all([many.writeBlob('a\n'), many.writeBlob('b\n')]);
  const files: Record<string, FileEntry> = {};
  for (let i = 0; i < count; i++) files[`f/${Math.floor(i / 1000)}/${i}.txt`] = { blob: i % 2 ? blobA : blobB };
  const rev = await many.commit(files, { date: COMMIT_DATE, message: 'many' });
  // Packed objects and -0 keep git fast here: loose objects and a deflate state per entry make
  // this archive take tens of seconds.
  await many.git(['repack', '-a', '-d', '-q']);
  const archive = await gitArchive(many.gitDir, rev, [], '-0');
  const result = await runModuleZip({
    sources: [chunked(archive, 6)],
    rename,
    extra: [{ name: `${PREFIX}LICENSE`, data: LICENSE }],
  });
  assert.equal(result.summary.entryCount, count + 1);
  assert.ok(result.bytes.includes(Buffer.from('PK\x06\x06', 'latin1')), 'Zip64 end record');
  const unzipped = unzipSync(result.bytes);
  assert.equal(Object.keys(unzipped).length, count + 1);
  assert.equal(Buffer.from(unzipped[`${PREFIX}f/65/65999.txt`]).toString(), 'a\n');
  assert.equal(result.digests.get(`${PREFIX}f/0/0.txt`), sha256(Buffer.from('b\n')));
  await pythonZipTest(result.bytes);
});

test('reader: a data descriptor is found by content, whatever the chunk boundaries', async () => {
  // Declared like git's deflated streams: no compressed size, so the reader searches for the
  // descriptor; the uncompressed size tells the real descriptor from the lookalike in the data.
  const data = descriptorLookalike();
  const trailer = { crc32: crc32(data), compressedSize: data.length, uncompressedSize: data.length };
  const writer = new ZipWriter();
  const declared = { crc32: 0, compressedSize: 0, uncompressedSize: data.length };
  const zip = Buffer.concat([
    writer.startEntry({ name: 'scan.bin', method: 0, dosTime: 0, dosDate: 33, hasDataDescriptor: true, declared }),
    writer.data(data),
    writer.endEntry(trailer),
    ...writer.storedEntry('next.txt', Buffer.from('next\n')),
    ...writer.finish(),
  ]);
  for (const size of [1, 2, 3, 4, 5, 7, 16, 17, 1000]) {
    const pieces = async function* (): AsyncGenerator<Uint8Array> {
      for (let at = 0; at < zip.length; at += size) yield zip.subarray(at, at + size);
    };
    const contents = new Map<string, Buffer[]>();
    const trailers: unknown[] = [];
    let current: Buffer[] = [];
    for await (const event of entrySteps(pieces())) {
      if (event.kind === 'header') contents.set(event.header.name, current = []);
      else if (event.kind === 'data') current.push(Buffer.from(event.chunk));
      else trailers.push(event.trailer);
    }
    assert.ok(Buffer.concat(contents.get('scan.bin')!).equals(data), `data with ${size}-byte chunks`);
    assert.deepEqual(trailers[0], trailer, `descriptor with ${size}-byte chunks`);
    assert.equal(Buffer.concat(contents.get('next.txt')!).toString(), 'next\n');
  }
});

test('writer: sizes and offsets past 4 GiB get Zip64 fields the reader understands', async () => {
  const writer = new ZipWriter();
  const block = new Uint8Array(1 << 20);
  const blocks = 4097; // 4 GiB + 1 MiB of zeros, passed through without copying
  const size = blocks * block.length;
  const known = { crc32: 0x1234abcd, compressedSize: size, uncompressedSize: size };
  const pieces: Uint8Array[] = [
    writer.startEntry({ name: 'huge', method: 0, dosTime: 0, dosDate: 33, hasDataDescriptor: false, declared: known }),
  ];
  for (let i = 0; i < blocks; i++) pieces.push(writer.data(block));
  pieces.push(writer.endEntry());
  pieces.push(...writer.storedEntry('after', Buffer.from('after\n')));
  pieces.push(...writer.finish());
  assert.equal(writer.byteCount, pieces.reduce((sum, piece) => sum + piece.length, 0));

  const headers: ZipEntryHeader[] = [];
  const ends: unknown[] = [];
  async function* source(): AsyncGenerator<Uint8Array> {
    yield* pieces;
  }
  for await (const event of entrySteps(source())) {
    if (event.kind === 'header') headers.push(event.header);
    if (event.kind === 'end') ends.push(event.trailer);
  }
  assert.deepEqual(
    headers.map((h) => [h.name, h.zip64, h.uncompressedSize]),
    [
      ['huge', true, size],
      ['after', false, 6],
    ],
  );
  assert.deepEqual(ends[0], known);
  const tail = pieces.at(-1)!;
  assert.ok(
    Buffer.from(tail).includes(Buffer.from('PK\x06\x06', 'latin1')),
    'Zip64 end record for an offset past 4 GiB',
  );
});

test('writer: a Zip64 data-descriptor entry gets a 64-bit descriptor that readers accept', async () => {
  const writer = new ZipWriter();
  const data = Buffer.from('streamed content\n');
  const trailer = { crc32: crc32(data), compressedSize: data.length, uncompressedSize: data.length };
  const zip = Buffer.concat([
    writer.startEntry({
      name: 'd.txt',
      method: 0,
      dosTime: 0,
      dosDate: 33,
      hasDataDescriptor: true,
      zip64: true,
      declared: { crc32: 0, compressedSize: 0, uncompressedSize: 0 },
    }),
    writer.data(data),
    writer.endEntry(trailer),
    ...writer.finish(),
  ]);
  assert.equal(
    zip.readUInt32LE(zip.indexOf(DESCRIPTOR_SIG) + 8),
    data.length,
    'low half of the 64-bit compressed size',
  );
  assert.equal(zip.readUInt32LE(zip.indexOf(DESCRIPTOR_SIG) + 12), 0, 'high half');
  const events = [];
  for await (const event of entrySteps(chunked(zip, 3))) if (event.kind === 'end') events.push(event.trailer);
  assert.deepEqual(events, [trailer]);
  assert.ok(Buffer.from(unzipSync(zip)['d.txt']).equals(data));
  await pythonZipTest(zip);
});

test('writer: a central directory over several blocks, one record larger than a block, reads back whole', () => {
  const writer = new ZipWriter();
  const longName = `${'d/'.repeat(32_000)}${'n'.repeat(1535)}`; // 65,535 bytes: its record alone passes 64 KiB
  const names = [...Array.from({ length: 1500 }, (_, i) => `f${i}.txt`), longName, 'last.txt'];
  const pieces = names.flatMap((name) => writer.storedEntry(name, Buffer.from(name.slice(0, 20))));
  const directory = writer.finish();
  assert.ok(directory.length >= 3, `central directory in ${directory.length} pieces`);
  const zip = Buffer.concat([...pieces, ...directory]);
  assert.equal(writer.byteCount, zip.length);
  const unzipped = unzipSync(zip);
  assert.deepEqual(Object.keys(unzipped).sort(), [...names].sort());
  assert.equal(Buffer.from(unzipped[longName]!).toString(), longName.slice(0, 20));
  assert.equal(Buffer.from(unzipped['last.txt']!).toString(), 'last.txt');
});

test('writer: misuse is refused', () => {
  const writer = new ZipWriter();
  assert.throws(() => writer.data(new Uint8Array(1)), /data outside an entry/);
  const nothing = { crc32: 0, compressedSize: 0, uncompressedSize: 0 };
  const long = {
    name: 'n'.repeat(70_000),
    method: 0,
    dosTime: 0,
    dosDate: 33,
    hasDataDescriptor: true,
    declared: nothing,
  };
  assert.throws(() => writer.startEntry(long), /longer than 65535/);
  writer.startEntry({
    name: 'x',
    method: 0,
    dosTime: 0,
    dosDate: 33,
    hasDataDescriptor: false,
    declared: { crc32: 0, compressedSize: 2, uncompressedSize: 2 },
  });
  writer.data(new Uint8Array(1));
  assert.throws(() => writer.endEntry(), /declares 2 bytes, got 1/);
  assert.throws(() => writer.finish(), /cannot finish now/);
  const streamed = new ZipWriter();
  streamed.startEntry({ name: 'y', method: 8, dosTime: 0, dosDate: 33, hasDataDescriptor: true, declared: nothing });
  assert.throws(() => streamed.endEntry(), /needs its data descriptor values/);
});

test('crc32 matches known values and continues across chunks', () => {
  assert.equal(crc32(new Uint8Array(0)), 0);
  assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
  const data = randomBytes(11, 1000);
  assert.equal(crc32(data.subarray(13), crc32(data.subarray(0, 13))), crc32(data));
});

test('reader: an entry whose bytes are at hand comes as one event, the same entry split comes in steps', async () => {
  const writer = new ZipWriter();
  const zip = Buffer.concat([
    ...writer.storedEntry('a.txt', Buffer.from('alpha\n')),
    ...writer.storedEntry('empty', new Uint8Array(0)),
    ...writer.storedEntry('b.txt', Buffer.from('beta\n')),
    ...writer.finish(),
  ]);
  const kinds = async (chunkSize: number) => {
    const seen: string[] = [];
    for await (const event of readZipEntries(fixedChunks(zip, chunkSize))) seen.push(event.kind);
    return seen;
  };
  assert.deepEqual(await kinds(zip.length), ['entry', 'entry', 'entry']);
  assert.deepEqual(await kinds(1), [
    'header',
    'data',
    'data',
    'data',
    'data',
    'data',
    'data',
    'end',
    'entry',
    'header',
    'data',
    'data',
    'data',
    'data',
    'data',
    'end',
  ]);
  const steps = async (chunkSize: number) => {
    const seen: unknown[] = [];
    for await (const event of entrySteps(fixedChunks(zip, chunkSize))) {
      seen.push(event.kind === 'data' ? Buffer.from(event.chunk) : event);
    }
    return seen;
  };
  const whole = await steps(zip.length);
  for (const size of [1, 3, 40]) assert.deepEqual(joinData(await steps(size)), joinData(whole), `${size}-byte chunks`);
});

/** Consecutive data steps joined, so that step lists from different chunkings compare. */
function joinData(steps: unknown[]): unknown[] {
  const out: unknown[] = [];
  for (const step of steps) {
    const last = out.at(-1);
    if (Buffer.isBuffer(step) && Buffer.isBuffer(last)) out[out.length - 1] = Buffer.concat([last, step]);
    else out.push(step);
  }
  return out;
}

async function* fixedChunks(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

test('deflated entries hash the same whole (zlib) or in pieces (fflate); bad or oversized data is refused either way', async () => {
  const content = Buffer.from('hello deflate\n'.repeat(200));
  const entry = (data: Uint8Array, declaredSize: number) => {
    const writer = new ZipWriter();
    const declared = { crc32: crc32(content), compressedSize: data.length, uncompressedSize: declaredSize };
    return Buffer.concat([
      writer.startEntry({ name: 'd.txt', method: 8, dosTime: 0, dosDate: 33, hasDataDescriptor: false, declared }),
      writer.data(data),
      writer.endEntry(),
      ...writer.storedEntry('empty.txt', new Uint8Array(0)),
      ...writer.finish(),
    ]);
  };
  const zip = entry(deflateRawSync(content), content.length);
  const digests = async (chunkSize: number, archive = zip) =>
    (await runModuleZip({ sources: [fixedChunks(archive, chunkSize)], rename: (path) => path })).digests;
  const whole = await digests(zip.length);
  assert.equal(whole.get('d.txt'), sha256(content));
  assert.deepEqual(await digests(7), whole);

  const corrupt = entry(Buffer.from([0x07, 0, 0, 0]), content.length); // a final block of reserved type 3
  for (const size of [corrupt.length, 1]) {
    await assert.rejects(digests(size, corrupt), /bad deflate data in d\.txt/, `${size}-byte chunks`);
  }
  for (const declaredSize of [content.length - 1, 10]) {
    // One byte short: zlib fills its limit exactly; far short: zlib stops at its limit.
    const understated = entry(deflateRawSync(content), declaredSize);
    for (const size of [understated.length, 1]) {
      await assert.rejects(
        digests(size, understated),
        /content of d\.txt does not match its CRC-32 or size/,
        `${declaredSize} declared, ${size}-byte chunks`,
      );
    }
  }
  const empty = entry(new Uint8Array(0), 0);
  for (const size of [empty.length, 1]) {
    await assert.rejects(digests(size, empty), /bad deflate data in d\.txt/, `no deflate data, ${size}-byte chunks`);
  }
});

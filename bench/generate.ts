/**
 * Deterministic large Go modules as bare git repositories, for the benchmark.
 *
 * Each module is written by one `git fast-import` run (no work tree, no per-file git process) with
 * fixed dates, so the same spec gives the same commits on every machine. File contents read like Go
 * source (lines drawn by a seeded PRNG from Go-shaped templates): they deflate about as well as real
 * code, unlike random bytes (incompressible) or zeros (free). Every file is distinct.
 *
 * Each repository `<root>/bench/<name>.git` has two commits on `main`: `v1.0.0` (all files) and
 * `v1.1.0` (the last file changed). Generated repositories are cached: a repository whose marker file
 * records the same spec is reused as is.
 */
import { spawn } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { seededRandom } from '../test/support/random.ts';

/** The shape of one generated module. */
export interface ModuleSpec {
  /** Repository name: `bench/<name>.git`, module `<moduleHost>/bench/<name>`. */
  readonly name: string;
  /** What it stands for, for the results table. */
  readonly description: string;
  /** Groups of files, generated in order. */
  readonly groups: readonly FileGroup[];
}

/** `count` files of about `bytes` bytes each (±50%, deterministic), spread over a directory layout. */
export interface FileGroup {
  readonly count: number;
  readonly bytes: number;
  /** `flat`: 200 files per directory under `pkg/`; `deep`: one directory level per 8 files; `data`: exact size, under `testdata/`. */
  readonly layout: 'flat' | 'deep' | 'data';
}

/** A generated repository. */
export interface GeneratedModule {
  readonly spec: ModuleSpec;
  readonly gitDir: string;
  readonly modulePath: string;
  /** Number of files in the module (go.mod included). */
  readonly fileCount: number;
  /** Sum of the file sizes in bytes. */
  readonly totalBytes: number;
  /** Reused from the cache rather than generated now. */
  readonly cached: boolean;
}

/** Bump when the generated content changes, so caches are rebuilt. */
const GENERATOR_VERSION = 2;
const MARKER = 'git-goproxy-bench.json';
/** 2023-11-14T22:13:20Z and a day later: fixed commit dates. */
const FIRST_DATE = 1_700_000_000;
const SECOND_DATE = FIRST_DATE + 86_400;
const MiB = 1 << 20;

/** The modules of a full run (issue #6) and of a `--quick` run. */
export function moduleSpecs(quick: boolean): ModuleSpec[] {
  const scale = quick ? 10 : 1;
  return [
    {
      name: 'many-small',
      description: `${20_000 / scale} files, ~${220 / scale} MB`,
      groups: [{ count: 20_000 / scale, bytes: 11_000, layout: 'flat' }],
    },
    {
      name: 'tiny',
      description: `${100_000 / scale} tiny files`,
      groups: [{ count: 100_000 / scale, bytes: 200, layout: 'flat' }],
    },
    {
      name: 'huge',
      description: `one ${128 / scale} MB file + two of ${24 / scale} MB`,
      groups: [
        { count: 1, bytes: (128 * MiB) / scale, layout: 'data' },
        { count: 2, bytes: (24 * MiB) / scale, layout: 'data' },
        { count: 20, bytes: 4_000, layout: 'flat' },
      ],
    },
    {
      name: 'deep',
      description: `${2_000 / scale} files, ${2_000 / scale / 8} levels deep`,
      groups: [{ count: 2_000 / scale, bytes: 3_000, layout: 'deep' }],
    },
  ];
}

/** Generates (or reuses from the cache under `root`) the repository of `spec`. */
export async function generateModule(root: string, spec: ModuleSpec, moduleHost: string): Promise<GeneratedModule> {
  const gitDir = join(root, 'bench', `${spec.name}.git`);
  const modulePath = `${moduleHost}/bench/${spec.name}`;
  const key = JSON.stringify({ GENERATOR_VERSION, spec, modulePath });
  const cached = await readFile(join(gitDir, MARKER), 'utf8').catch(() => undefined);
  if (cached !== undefined) {
    const marker = JSON.parse(cached) as { key: string; fileCount: number; totalBytes: number };
    if (marker.key === key) {
      return { spec, gitDir, modulePath, fileCount: marker.fileCount, totalBytes: marker.totalBytes, cached: true };
    }
  }
  await rm(gitDir, { recursive: true, force: true });
  await mkdir(gitDir, { recursive: true });
  await git(gitDir, ['init', '--quiet', '--bare', '--initial-branch=main', gitDir]);
  const { fileCount, totalBytes } = await fastImport(gitDir, spec, modulePath);
  await writeFile(join(gitDir, MARKER), JSON.stringify({ key, fileCount, totalBytes }));
  return { spec, gitDir, modulePath, fileCount, totalBytes, cached: false };
}

/** Streams the whole repository into `git fast-import` and waits for it. */
async function fastImport(
  gitDir: string,
  spec: ModuleSpec,
  modulePath: string,
): Promise<{ fileCount: number; totalBytes: number }> {
  // No deltas (every blob is over the threshold): fast-import would chain each blob to the previous,
  // unrelated one, 50 deep, which makes reading them far slower than in a repacked repository.
  // glibc would return freed heap to the kernel after every blob (a brk call each) unless told to
  // keep some: that made 100,000 tiny blobs take minutes.
  const args = [`--git-dir=${gitDir}`, 'fast-import', '--quiet', '--done', '--big-file-threshold=1'];
  const env = { ...process.env, MALLOC_TOP_PAD_: String(64 << 20) };
  const child = spawn('git', args, { stdio: ['pipe', 'ignore', 'inherit'], env });
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  // Small writes are batched: one pipe write per blob would make 100,000 tiny files slow.
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const flush = async (): Promise<void> => {
    const ready = child.stdin.write(Buffer.concat(pending));
    pending = [];
    pendingBytes = 0;
    if (!ready) await new Promise((resolve) => child.stdin.once('drain', resolve));
  };
  const write = async (chunk: string | Uint8Array): Promise<void> => {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    pending.push(bytes as Buffer);
    pendingBytes += bytes.length;
    if (pendingBytes >= 1 << 20) await flush();
  };
  const random = seededRandom(hashName(spec.name));
  const paths: string[] = [];
  let totalBytes = 0;
  const blob = async (path: string, content: Uint8Array): Promise<void> => {
    paths.push(path);
    totalBytes += content.length;
    await write(`blob\nmark :${paths.length}\ndata ${content.length}\n`);
    await write(content);
    await write('\n');
  };
  await blob('go.mod', Buffer.from(`module ${modulePath}\n\ngo 1.19\n`));
  for (const group of spec.groups) {
    for (let i = 0; i < group.count; i++) {
      const size = group.layout === 'data' ? group.bytes : Math.round(group.bytes * (0.5 + random()));
      await blob(filePath(group, paths.length, i), goSource(random, size, paths.length));
    }
  }
  const changed = goSource(random, 2_000, paths.length + 1);
  const [first, changedBlob, second] = [paths.length + 1, paths.length + 2, paths.length + 3];
  await write(
    commitCommand(
      first,
      FIRST_DATE,
      'v1.0.0: generated module',
      undefined,
      paths.map((path, i) => `M 100644 :${i + 1} ${path}\n`),
    ),
  );
  await write(`reset refs/tags/v1.0.0\nfrom :${first}\n\n`);
  await write(`blob\nmark :${changedBlob}\ndata ${changed.length}\n`);
  await write(changed);
  await write('\n');
  await write(
    commitCommand(second, SECOND_DATE, 'v1.1.0: change one file', first, [
      `M 100644 :${changedBlob} ${paths.at(-1)}\n`,
    ]),
  );
  await write(`reset refs/tags/v1.1.0\nfrom :${second}\n\ndone\n`);
  await flush();
  child.stdin.end();
  const code = await exited;
  if (code !== 0) throw new Error(`git fast-import for ${spec.name} exited with ${code}`);
  return { fileCount: paths.length, totalBytes };
}

/** A fast-import `commit` on main with a fixed author and committer. */
function commitCommand(
  mark: number,
  date: number,
  message: string,
  parentMark: number | undefined,
  changes: string[],
): string {
  const who = `Bench <bench@example.com> ${date} +0000`;
  const header = `commit refs/heads/main\nmark :${mark}\nauthor ${who}\ncommitter ${who}\ndata ${
    message.length + 1
  }\n${message}\n`;
  return `${header}${parentMark === undefined ? '' : `from :${parentMark}\n`}${changes.join('')}\n`;
}

/** Where the `i`th file of a group goes; `index` (over all files) keeps names unique. */
function filePath(group: FileGroup, index: number, i: number): string {
  switch (group.layout) {
    case 'flat':
      return `pkg/p${String(Math.floor(index / 200)).padStart(4, '0')}/file${index}.go`;
    case 'deep': {
      const depth = Math.floor(i / 8);
      const dirs = Array.from({ length: depth + 1 }, (_, level) => `d${level}`).join('/');
      return `${dirs}/file${index}.go`;
    }
    case 'data':
      return `testdata/blob${index}.txt`;
  }
}

const IDENTS = [
  'ctx',
  'req',
  'resp',
  'err',
  'buf',
  'conn',
  'cfg',
  'opts',
  'result',
  'items',
  'key',
  'value',
  'name',
  'path',
  'count',
  'offset',
  'limit',
  'client',
  'server',
  'cache',
  'entry',
  'node',
  'tree',
  'state',
  'token',
  'header',
];
const TYPES = [
  'string',
  'int',
  'int64',
  'bool',
  'error',
  '[]byte',
  '*Request',
  '*Response',
  'context.Context',
  'map[string]int',
  'io.Reader',
];
const NAMES = [
  'Handle',
  'Parse',
  'Load',
  'Store',
  'Fetch',
  'Resolve',
  'Encode',
  'Decode',
  'Validate',
  'Open',
  'Close',
  'Flush',
  'Walk',
  'Merge',
];
const NOUNS = [
  'Module',
  'Version',
  'Request',
  'Config',
  'Entry',
  'Index',
  'Header',
  'Record',
  'Stream',
  'Cache',
  'Ref',
  'Tree',
];

/** Go-looking text of exactly `size` bytes (a unique header comment, then generated functions). */
function goSource(random: () => number, size: number, unique: number): Uint8Array {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
  const parts: string[] = [`// Code generated for the git-goproxy benchmark; file ${unique}.\n\npackage bench\n\n`];
  let length = parts[0].length;
  while (length < size) {
    const fn = `${pick(NAMES)}${pick(NOUNS)}${Math.floor(random() * 1000)}`;
    const [a, b] = [pick(IDENTS), pick(IDENTS)];
    const lines = [
      `// ${fn} ${pick(NAMES).toLowerCase()}s the ${pick(NOUNS).toLowerCase()} named by ${a}.\n`,
      `func (s *${pick(NOUNS)}) ${fn}(${a} ${pick(TYPES)}, ${b} ${pick(TYPES)}) (${pick(TYPES)}, error) {\n`,
      `\tif ${a} == nil {\n\t\treturn nil, fmt.Errorf("${fn.toLowerCase()}: missing ${a}")\n\t}\n`,
      `\tfor i := 0; i < len(s.${pick(IDENTS)}); i += ${1 + Math.floor(random() * 8)} {\n`,
      `\t\t${b} = append(${b}, s.${pick(IDENTS)}[i])\n\t}\n`,
      `\treturn s.${pick(NAMES).toLowerCase()}${pick(NOUNS)}(${a}, ${b})\n}\n\n`,
    ];
    for (const line of lines) {
      parts.push(line);
      length += line.length;
    }
  }
  return Buffer.from(parts.join('').slice(0, size - 1) + '\n');
}

function hashName(name: string): number {
  let hash = 2166136261;
  for (let i = 0; i < name.length; i++) hash = Math.imul(hash ^ name.charCodeAt(i), 16777619);
  return hash;
}

function git(gitDir: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, { stdio: ['ignore', 'ignore', 'inherit'], cwd: gitDir });
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`git ${args[0]} exited with ${code}`))));
  });
}

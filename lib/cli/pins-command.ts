/**
 * The pin record's operator commands, with the server's flags (`--repos`, `--data`, `--pins`,
 * `--config`, …), so they work on whichever store the server uses:
 *
 * - `pins` lists the pinned versions;
 * - `pins verify` recomputes every pinned version's `.mod` and `.zip` hashes from git (at the pinned
 *   commit) and reports the ones that differ or cannot be made any more, e.g. after a repository was
 *   restored from a backup;
 * - `pins export` writes every pin to stdout as JSON lines, in the format of `pins.jsonl`;
 * - `pins import FILE` records the pins of such a file (an export, or a data directory's
 *   `pins.jsonl`) into the configured store: idempotent; where the store already pins a version
 *   otherwise, the store's pin stays (the first pin wins) and the conflict is reported. A line
 *   written before pins named their project is given the project that owns its module path now.
 */
import { readFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import type { CommandOutput, OperatorCommand } from './operator.ts';
import { type Pin, PinConflictError, UNOWNED, UPSTREAM } from '../pins/store.ts';
import { parseLine, pinLine } from '../pins/record-line.ts';
import * as semver from '../modules/semver.ts';
import type { ModuleService } from '../access/module-service.ts';
import { hashGoMod } from '../zip/hash.ts';

/** What `verify` found for one pin: undefined when it matches. */
type Finding = string | undefined;

/** The subcommands of `pins`, by name (`''` lists). */
const SUBCOMMANDS: Readonly<
  Record<
    string,
    {
      operands: number;
      run: (service: ModuleService, output: CommandOutput, operands: readonly string[]) => Promise<number>;
    }
  >
> = {
  '': { operands: 0, run: async (service, output) => listPins(await allPins(service), output) },
  verify: { operands: 0, run: async (service, output) => verifyPins(service, await allPins(service), output) },
  export: { operands: 0, run: async (service, output) => exportPins(service, output) },
  import: { operands: 1, run: (service, output, operands) => importPins(service, operands[0]!, output) },
};

/** `pins`, `pins verify`, `pins export` or `pins import FILE`. */
export const pinsCommand: OperatorCommand = async (operands, service, output) => {
  const name = operands[0] ?? '';
  const subcommand = Object.hasOwn(SUBCOMMANDS, name) ? SUBCOMMANDS[name] : undefined;
  if (subcommand === undefined || operands.length !== (name === '' ? 0 : 1 + subcommand.operands)) {
    output.stderr(
      `git-goproxy: pins: unexpected ${
        JSON.stringify(operands.join(' '))
      }: expected "pins", "pins verify", "pins export" or "pins import FILE"\n`,
    );
    return 2;
  }
  return subcommand.run(service, output, operands.slice(1));
};

async function allPins(service: ModuleService): Promise<Pin[]> {
  const pins: Pin[] = [];
  for await (const pin of service.pins.store.all()) pins.push(pin);
  return sortPins(pins);
}

function listPins(pins: readonly Pin[], output: CommandOutput): number {
  for (const pin of pins) output.stdout(`${formatPin(pin)}\n`);
  return 0;
}

/** Streams the store as JSON lines (no sorting: a large record need not fit in memory). */
async function exportPins(service: ModuleService, output: CommandOutput): Promise<number> {
  for await (const pin of service.pins.store.all()) output.stdout(`${pinLine(pin)}\n`);
  return 0;
}

/** Records every pin of `file`; exit 1 when any conflicted with the store or could not be placed. */
async function importPins(service: ModuleService, file: string, output: CommandOutput): Promise<number> {
  const text = await readFile(file, 'utf8');
  const counts = { added: 0, present: 0, conflicts: 0, skipped: 0 };
  const lines = text.split('\n');
  for (const [i, line] of lines.entries()) {
    if (line.trim() === '') continue;
    const read = parseLine(line, `${file}:${i + 1}`, (warning) => output.stderr(`git-goproxy: ${warning}\n`));
    const pin = await ownedPin(service, read);
    if (pin === undefined) {
      counts.skipped++;
      output.stdout(`${file}:${i + 1}: skipped: no project serves ${read.module} any more\n`);
      continue;
    }
    counts[await importPin(service, pin, output)]++;
  }
  output.stdout(
    `pins import: ${counts.added} added, ${counts.present} already pinned, ${counts.conflicts} conflicting, ${counts.skipped} skipped\n`,
  );
  return counts.conflicts + counts.skipped === 0 ? 0 : 1;
}

/** Records one pin: whether it was new, already there, or refused because the store pins the version otherwise. */
async function importPin(
  service: ModuleService,
  pin: Pin,
  output: CommandOutput,
): Promise<'added' | 'present' | 'conflicts'> {
  const before = await service.pins.store.get(pin.project, pin.module, pin.version);
  try {
    await service.pins.store.record(pin);
  } catch (error) {
    if (!(error instanceof PinConflictError)) throw error;
    output.stdout(`conflict, kept the store's pin: ${error.message}\n`);
    return 'conflicts';
  }
  return before !== undefined && before.project === pin.project && (pin.zip === undefined || before.zip === pin.zip)
    ? 'present'
    : 'added';
}

/** The pin with its owning project: as recorded, or for an old line without one, the project that owns its module path now. */
async function ownedPin(service: ModuleService, pin: Pin): Promise<Pin | undefined> {
  if (pin.project !== UNOWNED) return pin;
  const owner = (await service.operatorTarget(pin.module))?.project.fullPath;
  return owner === undefined ? undefined : { ...pin, project: owner };
}

/**
 * One line per pin: module, version, commit, time, zip hash (`-` until served), go.mod hash, and
 * the project that owns it (`-` for a pin recorded before pins named their project).
 */
function formatPin(pin: Pin): string {
  return `${pin.module} ${pin.version} ${pin.commit} ${pin.time} ${pin.zip ?? '-'} ${pin.mod} ${
    pin.project === UNOWNED ? '-' : pin.project
  }`;
}

function sortPins(pins: Pin[]): Pin[] {
  const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return pins.sort((a, b) =>
    byText(a.module, b.module) || byText(a.project, b.project) || semver.compare(a.version, b.version)
  );
}

async function verifyPins(service: ModuleService, all: readonly Pin[], output: CommandOutput): Promise<number> {
  // An upstream version's files come from no repository here: they are checked against the pin when fetched again.
  const pins = all.filter((pin) => pin.project !== UPSTREAM);
  const upstream = all.length - pins.length;
  const findings: Finding[] = new Array(pins.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < pins.length; i = next++) {
      findings[i] = await verifyPin(service, pins[i]!).catch((error: Error) => `cannot check: ${error.message}`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(cpus().length, pins.length) }, worker));
  let bad = 0;
  findings.forEach((finding, i) => {
    if (finding === undefined) return;
    bad++;
    output.stdout(`${pins[i]!.module}@${pins[i]!.version}: ${finding}\n`);
  });
  output.stdout(
    `pins verify: ${pins.length} pinned, ${pins.length - bad} match, ${bad} ${bad === 1 ? 'does' : 'do'} not${
      upstream === 0 ? '' : `; ${upstream} from the upstream not checked`
    }\n`,
  );
  return bad === 0 ? 0 : 1;
}

async function verifyPin(service: ModuleService, pin: Pin): Promise<Finding> {
  const target = await service.operatorTarget(pin.module);
  if (target === undefined) return 'no project serves this module any more';
  const owner = target.project.fullPath;
  if (pin.project !== UNOWNED && pin.project !== owner) {
    return `pinned under project ${pin.project}, but project ${owner} owns the module path now`;
  }
  const version = await target.module.atCommit(pin.version, pin.commit);
  if (version === undefined) return `commit ${pin.commit} is no longer in the repository`;
  const mod = hashGoMod(version.goMod);
  if (mod !== pin.mod) return `go.mod is ${mod}, pinned ${pin.mod}`;
  if (pin.zip === undefined) return undefined;
  const digest = await service.zipHash(target, version);
  return digest === pin.zip ? undefined : `zip is ${digest}, pinned ${pin.zip}`;
}

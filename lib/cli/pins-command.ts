/**
 * `node lib/server.js pins [flags]` lists the pinned versions; `node lib/server.js pins verify
 * [flags]` recomputes every pinned version's `.mod` and `.zip` hashes from git (at the pinned
 * commit) and reports the ones that differ or cannot be made any more, e.g. after a repository was
 * restored from a backup. The flags are the server's (`--repos`, `--data`, `--config`, …).
 */
import { cpus } from 'node:os';
import type { CommandOutput, OperatorCommand } from './operator.ts';
import { UNOWNED, type Pin } from '../pins/store.ts';
import * as semver from '../modules/semver.ts';
import type { ModuleService } from '../access/module-service.ts';
import { hashGoMod } from '../zip/hash.ts';

/** What `verify` found for one pin: undefined when it matches. */
type Finding = string | undefined;

/** `pins` or `pins verify`. */
export const pinsCommand: OperatorCommand = async (operands, service, output) => {
  const verify = operands[0] === 'verify';
  if (operands.length > (verify ? 1 : 0)) {
    output.stderr(`git-goproxy: pins: unexpected ${JSON.stringify(operands.at(-1))}: expected "pins" or "pins verify"\n`);
    return 2;
  }
  const pins: Pin[] = [];
  for await (const pin of service.pins.store.all()) pins.push(pin);
  sortPins(pins);
  if (!verify) {
    for (const pin of pins) output.stdout(`${formatPin(pin)}\n`);
    return 0;
  }
  return verifyPins(service, pins, output);
};

/**
 * One line per pin: module, version, commit, time, zip hash (`-` until served), go.mod hash, and
 * the project that owns it (`-` for a pin recorded before pins named their project).
 */
function formatPin(pin: Pin): string {
  return `${pin.module} ${pin.version} ${pin.commit} ${pin.time} ${pin.zip ?? '-'} ${pin.mod} ${pin.project === UNOWNED ? '-' : pin.project}`;
}

function sortPins(pins: Pin[]): void {
  const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  pins.sort((a, b) => byText(a.module, b.module) || byText(a.project, b.project) || semver.compare(a.version, b.version));
}

async function verifyPins(service: ModuleService, pins: readonly Pin[], output: CommandOutput): Promise<number> {
  const findings: Finding[] = new Array(pins.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < pins.length; i = next++) findings[i] = await verifyPin(service, pins[i]!).catch((error: Error) => `cannot check: ${error.message}`);
  };
  await Promise.all(Array.from({ length: Math.min(cpus().length, pins.length) }, worker));
  let bad = 0;
  findings.forEach((finding, i) => {
    if (finding === undefined) return;
    bad++;
    output.stdout(`${pins[i]!.module}@${pins[i]!.version}: ${finding}\n`);
  });
  output.stdout(`pins verify: ${pins.length} pinned, ${pins.length - bad} match, ${bad} ${bad === 1 ? 'does' : 'do'} not\n`);
  return bad === 0 ? 0 : 1;
}

async function verifyPin(service: ModuleService, pin: Pin): Promise<Finding> {
  const target = await service.operatorTarget(pin.module);
  if (target === undefined) return 'no project serves this module any more';
  const owner = target.project.fullPath;
  if (pin.project !== UNOWNED && pin.project !== owner) return `pinned under project ${pin.project}, but project ${owner} owns the module path now`;
  const version = await target.module.atCommit(pin.version, pin.commit);
  if (version === undefined) return `commit ${pin.commit} is no longer in the repository`;
  const mod = hashGoMod(version.goMod);
  if (mod !== pin.mod) return `go.mod is ${mod}, pinned ${pin.mod}`;
  if (pin.zip === undefined) return undefined;
  const digest = await service.zipHash(target, version);
  return digest === pin.zip ? undefined : `zip is ${digest}, pinned ${pin.zip}`;
}

/**
 * Groups named in the config, to give them GitLab's numeric ids: with `{ "path": "acme", "id": 12 }`
 * the group endpoint `/api/v4/groups/12/-/packages/go/…` answers as `/api/v4/groups/acme/-/…` does.
 * An id the config does not name is no group at all (the same 404 as a group with nothing readable).
 */

/** A group of the config file's `groups` list. */
export interface GroupConfig {
  /** Full path of the group, e.g. `acme` or `acme/platform`. */
  path: string;
  /** GitLab's numeric id of the group. */
  id: number;
}

/** Numeric group id → group path. */
export type GroupIds = ReadonlyMap<number, string>;

export function groupIdsOf(groups: readonly GroupConfig[]): GroupIds {
  return new Map(groups.map((group) => [group.id, group.path]));
}

/** The group path a request's group id names: a path as it is, a number through `ids`; undefined when unknown. */
export function groupPathOf(id: string, ids: GroupIds): string | undefined {
  return /^[0-9]+$/.test(id) ? ids.get(Number(id)) : id;
}

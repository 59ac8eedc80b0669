/**
 * Full git object ids: the name of a resolved commit, tree or blob, SHA-1 (40 lowercase hex digits)
 * or SHA-256 (64). Only a full id names fixed content; anything shorter is a prefix git must resolve.
 */

/** A full object id, unanchored, for patterns of lines that carry one. */
export const OBJECT_ID_PATTERN = '[0-9a-f]{40}|[0-9a-f]{64}';

const FULL_OBJECT_ID = new RegExp(`^(?:${OBJECT_ID_PATTERN})$`);

/** Whether `text` is a full object id. */
export function isFullObjectId(text: string): boolean {
  return FULL_OBJECT_ID.test(text);
}

/**
 * Which request strings could name a branch or tag at all. A query that no ref can carry is an
 * unknown revision without asking git anything, so revision syntax (`HEAD~1`, `v1.0.0^{tree}`,
 * `@{-1}`, `:/text`, `a..b`) and option look-alikes (`--upload-pack=x`, `-c`) never reach a git
 * process, not even the long-lived object reader.
 */

/** Characters no ref name may hold (git's `check_refname_component`): controls, space and `~^:?*[\`. */
// deno-lint-ignore no-control-regex -- control characters are what is forbidden
const FORBIDDEN_CHARACTER = /[\x00-\x20\x7f~^:?*[\\]/;

/**
 * Whether `name` is a valid ref name below `refs/heads/` or `refs/tags/`, by the rules of
 * `git check-ref-format` (refs.c `check_refname_component`, `check_refname_format`): slash-separated
 * components, none empty, none starting with `.` or ending with `.lock`; no `..`, no `@{`, not `@`,
 * not ending with `.`, none of the forbidden characters. One rule is ours: no component starts with
 * `-`. git itself refuses such branch and tag names (`strbuf_check_branch_ref`, `git tag`); a ref
 * made with plumbing that starts with `-` is not served, so nothing option-like is ever looked up.
 */
export function couldBeRefName(name: string): boolean {
  if (name === '' || name === '@' || name.endsWith('.')) return false;
  if (name.includes('..') || name.includes('@{') || FORBIDDEN_CHARACTER.test(name)) return false;
  return name.split('/').every((component) =>
    component !== '' && !component.startsWith('.') && !component.startsWith('-') && !component.endsWith('.lock')
  );
}

/**
 * The one stylesheet of the web pages, served at `/-/style.css` (the pages' Content-Security-Policy
 * allows styles from this server only, never inline). System fonts, light and dark by
 * `prefers-color-scheme`, readable on a phone.
 */
export const STYLESHEET = `:root {
  color-scheme: light dark;
  --fg: #1b1f24; --muted: #57606a; --bg: #ffffff; --panel: #f6f8fa; --line: #d0d7de;
  --link: #0550ae; --accent: #007d9c; --warn-bg: #fff1e5; --warn-fg: #8a3700; --ok: #1a7f37; --bad: #cf222e;
}
@media (prefers-color-scheme: dark) {
  :root {
    --fg: #e6edf3; --muted: #9198a1; --bg: #0d1117; --panel: #161b22; --line: #30363d;
    --link: #6cb6ff; --accent: #39c5e0; --warn-bg: #3d1d00; --warn-fg: #ffb77c; --ok: #57ab5a; --bad: #f47067;
  }
}
* { box-sizing: border-box; }
html { font-family: system-ui, "DejaVu Sans", sans-serif; font-size: 15px; line-height: 1.5; color: var(--fg); background: var(--bg); }
body { margin: 0; }
a { color: var(--link); text-underline-offset: 2px; }
a:focus-visible, input:focus-visible, button:focus-visible, summary:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.skip { position: absolute; left: -999px; }
.skip:focus { left: 1rem; top: .5rem; background: var(--bg); padding: .25rem .5rem; }
header.site { display: flex; gap: 1.5rem; align-items: baseline; flex-wrap: wrap; padding: .75rem max(1rem, calc(50% - 36rem)); border-bottom: 1px solid var(--line); background: var(--panel); }
header.site .brand { font-weight: 700; font-size: 1.15rem; color: var(--fg); text-decoration: none; }
header.site .brand span { color: var(--accent); }
header.site nav { display: flex; gap: 1rem; flex-wrap: wrap; }
header.site .who { margin-left: auto; color: var(--muted); font-size: .9rem; }
main { padding: 1rem max(1rem, calc(50% - 36rem)) 2rem; }
footer { padding: 1rem max(1rem, calc(50% - 36rem)); color: var(--muted); font-size: .85rem; border-top: 1px solid var(--line); }
h1 { font-size: 1.6rem; margin: .5rem 0 .25rem; overflow-wrap: anywhere; }
h2 { font-size: 1.2rem; margin: 2rem 0 .5rem; padding-bottom: .25rem; border-bottom: 1px solid var(--line); }
h3 { font-size: 1rem; margin: 1.25rem 0 .25rem; }
p.lead { color: var(--muted); margin-top: 0; }
.crumbs { font-size: .9rem; color: var(--muted); margin: 0; overflow-wrap: anywhere; }
.crumbs ol { list-style: none; display: flex; flex-wrap: wrap; gap: .4rem; margin: 0; padding: 0; }
.crumbs li + li::before { content: "›"; margin-right: .4rem; }
code, pre, kbd { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: .9em; }
pre { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: .6rem .8rem; overflow-x: auto; margin: .4rem 0 1rem; }
pre.copy { user-select: all; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; }
caption { text-align: left; color: var(--muted); font-size: .9rem; padding-bottom: .25rem; }
th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; background: var(--panel); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.path { overflow-wrap: anywhere; }
td.nowrap { white-space: nowrap; }
.mark { display: inline-block; font-size: .75rem; font-weight: 600; padding: 0 .45rem; border-radius: 999px; border: 1px solid currentColor; margin-right: .25rem; white-space: nowrap; }
.mark.latest { color: var(--ok); }
.mark.pinned { color: var(--accent); }
.mark.retracted, .mark.refused { color: var(--bad); }
.mark.public, .mark.local, .mark.private { color: var(--muted); }
.refusal { background: var(--warn-bg); color: var(--warn-fg); border-left: 4px solid var(--bad); padding: .5rem .8rem; border-radius: 4px; overflow-wrap: anywhere; }
td .refusal { margin: .25rem 0 0; font-size: .9rem; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; margin: .5rem 0 1rem; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
form.search { display: flex; gap: .5rem; align-items: center; flex-wrap: wrap; margin: .5rem 0; }
form.search input { flex: 1 1 16rem; font: inherit; padding: .35rem .5rem; border: 1px solid var(--line); border-radius: 6px; background: var(--bg); color: var(--fg); }
form.search button { font: inherit; padding: .35rem .9rem; border: 1px solid var(--line); border-radius: 6px; background: var(--panel); color: var(--fg); cursor: pointer; }
nav.pager { display: flex; gap: 1rem; align-items: center; color: var(--muted); }
ul.links { padding-left: 1.2rem; }
.muted { color: var(--muted); }
.mark.license { color: var(--ok); }
.scroll { overflow-x: auto; max-width: 100%; }
.readme { border: 1px solid var(--line); border-radius: 6px; padding: 0 1rem; overflow-wrap: anywhere; }
.readme img { max-width: 100%; }
.readme table { width: auto; }
.readme-text { white-space: pre-wrap; }
`;

/**
 * Tables of the benchmark's report, as text. Narrow (the default): columns shrink, widest first,
 * until the table fits the width, and a cell too long for its column wraps onto more lines. Wide
 * (`--wide`): a Markdown table with one line per row, whatever its width, to paste into
 * bench/README.md.
 */

export interface TableStyle {
  /** Columns at most, or undefined for a Markdown table of any width. */
  readonly width?: number;
}

/** Narrowest a column is shrunk to before the table is allowed past the width. */
const MIN_COLUMN = 6;

export function table(header: readonly string[], rows: readonly (readonly string[])[], style: TableStyle = {}): string {
  const all = [header, ...rows];
  const widths = header.map((_, column) => Math.max(...all.map((row) => row[column].length)));
  if (style.width === undefined) {
    const line = (cells: readonly string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i])).join(' | ')} |`;
    return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
  }
  const frame = 3 * widths.length + 1;
  while (frame + widths.reduce((sum, w) => sum + w, 0) > style.width) {
    const widest = widths.indexOf(Math.max(...widths));
    if (widths[widest] <= MIN_COLUMN) break;
    widths[widest]--;
  }
  const rule = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+`;
  const lines = (cells: readonly string[]): string[] => {
    const wrapped = cells.map((cell, i) => wrap(cell, widths[i]));
    const height = Math.max(...wrapped.map((parts) => parts.length));
    return Array.from(
      { length: height },
      (_, at) => `| ${wrapped.map((parts, i) => (parts[at] ?? '').padEnd(widths[i])).join(' | ')} |`,
    );
  };
  return [rule, ...lines(header), rule, ...rows.flatMap(lines), rule].join('\n');
}

/** `text` in lines of at most `width`, broken at spaces where it can be, else inside a word. */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    let rest = word;
    while (rest.length > 0) {
      const joined = line === '' ? rest : `${line} ${rest}`;
      if (joined.length <= width) {
        line = joined;
        rest = '';
      } else if (line !== '') {
        lines.push(line);
        line = '';
      } else {
        lines.push(rest.slice(0, width));
        rest = rest.slice(width);
      }
    }
  }
  return [...lines, line];
}

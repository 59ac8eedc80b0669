/**
 * The one way text reaches HTML: `escapeHtml` for a value, and the `html` template tag, which
 * escapes every interpolated value unless it is itself `Html` made by the tag. Everything a
 * repository or a request controls (tag and file names, go.mod text, module paths, search terms)
 * goes through here, so a page can hold hostile names and still run no script.
 */

/** A fragment of markup that is safe to insert as it is (made only by `html`, or `trustedMarkup` from a safe renderer). */
export class Html {
  readonly text: string;
  private constructor(text: string) {
    this.text = text;
  }

  /** Wraps markup already escaped: only for this file's tag and joiner. */
  static trusted(text: string): Html {
    return new Html(text);
  }

  toString(): string {
    return this.text;
  }
}

/**
 * Markup made elsewhere by a renderer that escapes everything it is given (markdown-it with raw
 * HTML off, facts/readme.ts): inserted as it is. Never for text from a repository or a request.
 */
export function trustedMarkup(markup: string): Html {
  return Html.trusted(markup);
}

/** What may be interpolated: text and numbers are escaped; `Html` is inserted; arrays are joined; nothing is left out. */
export type HtmlValue = Html | string | number | undefined | null | false | readonly HtmlValue[];

/** Escapes text for an element's content or a quoted attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => ENTITIES[character]!);
}

const ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** `html\`<p>${name}</p>\``: markup with every value escaped. */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): Html {
  let text = strings[0]!;
  values.forEach((value, i) => {
    text += render(value) + strings[i + 1]!;
  });
  return Html.trusted(text);
}

function render(value: HtmlValue): string {
  if (value instanceof Html) return value.text;
  if (value === undefined || value === null || value === false) return '';
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

/**
 * A README for the web page tests: a heading, a table, fenced code, raw HTML, a relative link and
 * image, links that must not survive (`javascript:`, outside the module, a file that is not there),
 * an autolink and an image from elsewhere; and the image it shows.
 */

/** The smallest PNG there is: one transparent pixel. */
export const PIXEL = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);

export const README = `# Readme module

A module with **documentation**.

| Name | Value |
|------|-------|
| one  | 1     |

\`\`\`go
fmt.Println("<b>hello</b>")
\`\`\`

<script>alert("readme")</script>

See [the guide](docs/guide.md), [outside](../../../etc/passwd), [missing](nope.md),
[bad](javascript:alert(1)), [go](https://go.dev) and https://pkg.go.dev/std.

![logo](img/logo.png) ![remote](https://example.com/logo.png)
`;

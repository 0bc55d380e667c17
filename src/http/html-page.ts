/** Minimal server-rendered pages (setup wizard, sign-in outcomes) that work before the dashboard exists. */

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A complete page; `body` must already be escaped HTML. */
export function htmlPage(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${escapeHtml(title)} · Switchyard</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem; }
  h1 { font-size: 1.6rem; }
  button, .button { font: inherit; padding: .5rem 1rem; border-radius: .4rem; border: 1px solid currentColor; background: #1f6feb; color: #fff; cursor: pointer; text-decoration: none; display: inline-block; }
  input { font: inherit; padding: .4rem; }
  code { background: rgba(127,127,127,.15); padding: .1rem .3rem; border-radius: .2rem; }
  .muted { opacity: .75; }
  .error { color: #d1242f; }
</style>
</head>
<body>
${body}
</body>
</html>`;
}

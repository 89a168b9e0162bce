import { createHash } from 'node:crypto';

/**
 * The pages' only styles, one `<style>` element each, allowed by the CSP through their SHA-256 (no 'unsafe-inline',
 * so injected style elements or attributes would not apply either). Colours meet WCAG AA (text at least 4.5:1,
 * controls at least 3:1) in the light and the dark scheme.
 */
const COMMON = `
:root{color-scheme:light dark;--bg:#f3f3f3;--card:#fff;--text:#1b1b1b;--muted:#474747;--accent:#0f5ea8;--on-accent:#fff;--line:#767676;--error:#a4262c;--error-bg:#fdf3f4;--focus:#1b1b1b}
@media (prefers-color-scheme:dark){:root{--bg:#121212;--card:#1f1f1f;--text:#f2f2f2;--muted:#c8c8c8;--accent:#7cc0f8;--on-accent:#0b0b0b;--line:#9a9a9a;--error:#ffaaa8;--error-bg:#3a1d1f;--focus:#f2f2f2}}
*,*::before,*::after{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--text);font:1rem/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
h1{font-size:1.5rem;line-height:1.25;margin:0 0 .75rem;overflow-wrap:anywhere}
p{margin:0 0 .75rem}
a{color:var(--accent)}
a:focus-visible,button:focus-visible,input:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
.name{overflow-wrap:anywhere}
.error{color:var(--error);background:var(--error-bg);border-left:4px solid var(--error);padding:.5rem .75rem}
`;

export const PAGE_CSS = `${COMMON}
header,footer{padding:.75rem 1rem}
header p{margin:0;font-weight:600}
footer{color:var(--muted);font-size:.875rem;text-align:center}
main{display:block;max-width:40rem;margin:0 auto;padding:0 1rem 1rem}
.card{background:var(--card);border:1px solid var(--line);border-radius:.5rem;padding:1.25rem}
.lead{color:var(--muted)}
dl{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:.5rem 1rem;margin:1rem 0 0}
dt{font-weight:600}
dd{margin:0;overflow-wrap:anywhere}
form{margin-top:1rem}
label{display:block;font-weight:600;margin-bottom:.25rem}
input{display:block;width:100%;min-height:2.75rem;padding:.5rem .75rem;font:inherit;color:var(--text);background:var(--card);border:1px solid var(--line);border-radius:.25rem}
input[aria-invalid="true"]{border:2px solid var(--error)}
button{margin-top:1rem;min-height:2.75rem;padding:.5rem 1.25rem;font:inherit;font-weight:600;color:var(--on-accent);background:var(--accent);border:0;border-radius:.25rem;cursor:pointer}
@media (max-width:30rem){dl{grid-template-columns:minmax(0,1fr);gap:0}dd{margin-bottom:.5rem}button{width:100%}main{padding:0 .5rem .5rem}.card{padding:1rem}}
`;

/** The embed page fills whatever frame it gets, down to the 98×120 of Graph's `webHtml`. */
export const EMBED_CSS = `${COMMON}
body{background:var(--card);font-size:clamp(.6875rem,4vw,1rem)}
main{display:block;padding:.5em}
h1{font-size:1.125em;margin-bottom:.25em}
p{margin-bottom:.25em}
.meta{color:var(--muted)}
label{display:block;font-weight:600}
input{width:100%;font:inherit;padding:.25em;color:var(--text);background:var(--card);border:1px solid var(--line)}
button{margin-top:.25em;font:inherit;font-weight:600;color:var(--on-accent);background:var(--accent);border:0;padding:.25em .75em;border-radius:.25em}
`;

export const styleHash = (css: string) => `'sha256-${createHash('sha256').update(css, 'utf8').digest('base64')}'`;

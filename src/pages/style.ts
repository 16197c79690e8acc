/**
 * The one stylesheet of every gateway page, served at STYLESHEET_PATH so the pages' CSP needs
 * no inline style. Light and dark follow the browser (`prefers-color-scheme`); the brand color
 * is the accent, lightened for text on the dark background so it keeps its contrast (axe-core
 * checks both schemes: test/e2e/browser.test.ts).
 */
import type { Brand } from "./brand";

export const STYLESHEET_PATH = "/_gateway/assets/gateway.css";

export function stylesheet(brand: Brand): string {
  return `:root{color-scheme:light dark;--bg:#f7f7f8;--card:#fff;--text:#1f2328;--muted:#59636e;--line:#d1d9e0;--accent:${brand.color};--accent-text:var(--accent);--danger:#b42318}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--card:#161b22;--text:#e6edf3;--muted:#9198a1;--line:#3d444d;--danger:#ff7b72;--accent-text:color-mix(in srgb,var(--accent) 35%,#fff)}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--text);font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif}
header{display:flex;align-items:center;gap:.6rem;max-width:44rem;margin:0 auto;padding:1.2rem 1rem;font-weight:600}
header img{height:2rem;width:auto}
main{max-width:44rem;margin:0 auto 3rem;padding:1.5rem;background:var(--card);border:1px solid var(--line);border-radius:.75rem}
h1{font-size:1.5rem;margin:0 0 .75rem}
p{margin:.5rem 0 1rem}
.muted{color:var(--muted)}
a{color:var(--accent-text)}
.actions{display:flex;flex-wrap:wrap;gap:.75rem;align-items:center;margin-top:1rem}
button,.button{display:inline-block;font:inherit;padding:.5rem 1rem;border-radius:.5rem;border:1px solid var(--accent);background:var(--accent);color:#fff;text-decoration:none;cursor:pointer}
button.secondary,.button.secondary{background:transparent;color:var(--text);border-color:var(--line)}
button.danger{background:transparent;color:var(--danger);border-color:var(--danger)}
form{display:inline}
table{width:100%;border-collapse:collapse;margin:1rem 0}
th,td{text-align:left;padding:.5rem;border-bottom:1px solid var(--line);vertical-align:top}
th{font-size:.85rem;color:var(--muted);font-weight:600}
.tag{display:inline-block;font-size:.75rem;padding:0 .4rem;border-radius:.3rem;border:1px solid var(--accent-text);color:var(--accent-text)}
label{display:block;margin:.5rem 0 .25rem}
input[type=text],input[type=number],select{font:inherit;padding:.45rem;border-radius:.4rem;border:1px solid var(--line);background:var(--bg);color:var(--text);width:100%;max-width:24rem}
textarea.token{font:1rem ui-monospace,monospace;padding:.45rem;border-radius:.4rem;border:1px solid var(--line);background:var(--bg);color:var(--text);width:100%;word-break:break-all;resize:none}
.error{color:var(--danger);font-weight:600}
section.item{border-top:1px solid var(--line);margin-top:1rem;padding-top:.25rem}
h3{font-size:1.1rem;margin:.5rem 0}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;margin:.5rem 0}
dl.facts dt{color:var(--muted)}
dl.facts dd{margin:0}
`;
}

import { Marked } from 'marked';

// Template previews render Markdown in the browser. Raw HTML in a template
// is shown as text and only http(s) and mailto links survive, so a preview
// can hold no markup the vendor did not mean (the CSP blocks script anyway).
const md = new Marked({
  gfm: true,
  renderer: {
    html({ text }) {
      return escapeHTML(text);
    },
    link({ href, text }) {
      if (!/^(https?:|mailto:)/i.test(href)) return escapeHTML(text);
      return `<a href="${escapeHTML(href)}" rel="noopener noreferrer">${escapeHTML(text)}</a>`;
    },
    image({ text }) {
      return escapeHTML(text);
    },
  },
});

export function escapeHTML(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export function renderMarkdown(src: string): string {
  return md.parse(src, { async: false }) as string;
}

// fill substitutes {{ name }} placeholders as the server's Render does.
export function fill(body: string, value: (name: string) => string): string {
  return body.replace(/\{\{\s*([A-Za-z0-9_.]+)\s*\}\}/g, (_, n: string) => value(n));
}

/**
 * Export and import helpers: file names and kinds, link addresses, and the conversion of
 * plain text to the editor's HTML input.
 */

export type ExportFormat = 'txt' | 'md' | 'html' | 'odt';
export type ImportKind = 'txt' | 'md' | 'html';

export const EXPORT_FORMATS: readonly ExportFormat[] = ['txt', 'md', 'html', 'odt'];

/** Largest file the import accepts (the server refuses bigger pads anyway). */
export const MAX_IMPORT_BYTES = 4 * 1024 * 1024;

/** A file name for an export: the title made safe for every file system, and the extension. */
export function exportFilename(title: string, format: ExportFormat, fallback = 'pad'): string {
  const base = title
    .normalize('NFC')
    .replace(/[\\/:*?"<>|\u0000-\u001f\u007f]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^\.+/, '')
    .slice(0, 80)
    .trim();
  return `${base || fallback}.${format}`;
}

/** What kind of document a chosen file is, from its name, then its type; null if unsupported. */
export function importKind(name: string, type = ''): ImportKind | null {
  const extension = /\.([a-z0-9]+)$/i.exec(name)?.[1]?.toLowerCase();
  if (extension === 'txt' || extension === 'text') return 'txt';
  if (extension === 'md' || extension === 'markdown') return 'md';
  if (extension === 'html' || extension === 'htm' || extension === 'xhtml') return 'html';
  const mime = type.split(';')[0]?.trim().toLowerCase();
  if (mime === 'text/plain') return 'txt';
  if (mime === 'text/markdown' || mime === 'text/x-markdown') return 'md';
  if (mime === 'text/html' || mime === 'application/xhtml+xml') return 'html';
  return null;
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A complete HTML file around the editor's HTML. */
export function htmlDocument(title: string, body: string): string {
  return `<!doctype html>\n<html>\n<head>\n<meta charset="utf-8">\n<title>${escapeHtml(title)}</title>\n</head>\n<body>\n${body}\n</body>\n</html>\n`;
}

/** Plain text as editor HTML: one paragraph per line, empty lines kept. */
export function textToHtml(text: string): string {
  const lines = text.replace(/\r\n?/g, '\n').replace(/\n$/, '').split('\n');
  return lines.map((line) => (line === '' ? '<p></p>' : `<p>${escapeHtml(line)}</p>`)).join('');
}

/**
 * The address of a link typed by someone: http(s) and mailto only (never `javascript:` or
 * `data:`); a bare host gets `https://`. Null when it is not a usable address.
 */
export function normalizeLink(input: string): string | null {
  const value = input.trim();
  if (value === '' || /\s/.test(value)) return null;
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(value)?.[1]?.toLowerCase();
  if (scheme === undefined) {
    if (/^[^/?#@]+@[^/?#@]+\.[^/?#@]+$/.test(value)) return `mailto:${value}`;
    if (/^(\/\/)?[a-z0-9-]+(\.[a-z0-9-]+)+(:\d+)?([/?#].*)?$/i.test(value)) return `https://${value.replace(/^\/\//, '')}`;
    return null;
  }
  if (scheme !== 'http' && scheme !== 'https' && scheme !== 'mailto') return null;
  try {
    const url = new URL(value);
    return scheme === 'mailto' ? value : url.href;
  } catch {
    return null;
  }
}

import { describe, expect, it } from 'vitest';
import { exportFilename, htmlDocument, importKind, normalizeLink, textToHtml } from './transfer';

describe('export and import helpers', () => {
  it('names exported files after the title', () => {
    expect(exportFilename('Compte rendu : AG 2026', 'md')).toBe('Compte rendu AG 2026.md');
    expect(exportFilename('a/b\\c?', 'txt')).toBe('a b c.txt');
    expect(exportFilename('   ', 'html')).toBe('pad.html');
    expect(exportFilename('Compte rendu', 'odt')).toBe('Compte rendu.odt');
    expect(exportFilename('...hidden', 'txt')).toBe('hidden.txt');
    expect(exportFilename('x'.repeat(200), 'txt')).toBe(`${'x'.repeat(80)}.txt`);
  });

  it('recognises the importable kinds by extension, then type', () => {
    expect(importKind('notes.TXT')).toBe('txt');
    expect(importKind('README.md')).toBe('md');
    expect(importKind('page.htm')).toBe('html');
    expect(importKind('blob', 'text/markdown; charset=utf-8')).toBe('md');
    expect(importKind('photo.png', 'image/png')).toBeNull();
    expect(importKind('doc.odt')).toBeNull();
  });

  it('turns plain text into escaped paragraphs', () => {
    expect(textToHtml('a < b\r\n\r\n"c" & d\n')).toBe('<p>a &lt; b</p><p></p><p>&quot;c&quot; &amp; d</p>');
    expect(textToHtml('<script>alert(1)</script>')).toBe('<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>');
  });

  it('wraps exported HTML in a document with an escaped title', () => {
    const html = htmlDocument('<AG> & co', '<p>x</p>');
    expect(html).toContain('<title>&lt;AG&gt; &amp; co</title>');
    expect(html).toContain('<body>\n<p>x</p>\n</body>');
  });

  it('accepts web and email links only', () => {
    expect(normalizeLink('https://example.org/a?b#c')).toBe('https://example.org/a?b#c');
    expect(normalizeLink('framasoft.org')).toBe('https://framasoft.org');
    expect(normalizeLink('chatons.org/fr/find')).toBe('https://chatons.org/fr/find');
    expect(normalizeLink('ana@example.org')).toBe('mailto:ana@example.org');
    expect(normalizeLink('mailto:ana@example.org')).toBe('mailto:ana@example.org');
    expect(normalizeLink('javascript:alert(1)')).toBeNull();
    expect(normalizeLink('JavaScript:alert(1)')).toBeNull();
    expect(normalizeLink('data:text/html,x')).toBeNull();
    expect(normalizeLink('not a link')).toBeNull();
    expect(normalizeLink('')).toBeNull();
  });
});

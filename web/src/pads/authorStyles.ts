/**
 * The colour behind each author's text. Colours are per author and change at run time, yet the
 * Content-Security-Policy forbids <style> elements and `style` attributes added at run time:
 * the rules go into a constructed stylesheet through the CSSOM, which the policy allows.
 */
import { isColor } from './colors';

/** CSS rules giving each author's text a translucent background of their colour. */
export function authorRules(authors: ReadonlyArray<{ id: string; color: string }>, escape: (id: string) => string): string[] {
  return authors
    .filter((author) => isColor(author.color))
    .map(
      (author) =>
        `.show-authors .pad-content span.author[data-author="${escape(author.id)}"] { background-color: ${author.color}38; }`,
    );
}

/** Escapes a value for a double-quoted CSS attribute selector (what CSS.escape does, for tests). */
export function escapeAttribute(value: string): string {
  return value.replace(/[\\"]/g, '\\$&').replace(/[\n\r\f]/g, (c) => `\\${c.charCodeAt(0).toString(16)} `);
}

export class AuthorStyles {
  #sheet: CSSStyleSheet | null = null;

  update(authors: ReadonlyArray<{ id: string; color: string }>): void {
    if (typeof CSSStyleSheet === 'undefined' || !('adoptedStyleSheets' in document)) return;
    if (!this.#sheet) {
      this.#sheet = new CSSStyleSheet();
      document.adoptedStyleSheets = [...document.adoptedStyleSheets, this.#sheet];
    }
    const sheet = this.#sheet;
    while (sheet.cssRules.length > 0) sheet.deleteRule(0);
    for (const rule of authorRules(authors, escapeAttribute)) sheet.insertRule(rule, sheet.cssRules.length);
  }

  destroy(): void {
    const sheet = this.#sheet;
    if (sheet) document.adoptedStyleSheets = document.adoptedStyleSheets.filter((s) => s !== sheet);
    this.#sheet = null;
  }
}

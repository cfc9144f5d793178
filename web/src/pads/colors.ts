/**
 * Author colours: one per person, used for their caret, their name in the presence list and
 * the chat, and (lighter) behind the text they wrote. Carets need `#rrggbb` (the collaboration
 * caret extension ignores anything else).
 */

/** Saturated enough for a caret, readable as a translucent highlight in light and dark themes. */
export const AUTHOR_COLORS = [
  '#d9480f',
  '#2b8a3e',
  '#1c7ed6',
  '#ae3ec9',
  '#e67700',
  '#0c8599',
  '#c2255c',
  '#5f3dc4',
  '#66a80f',
  '#1864ab',
  '#a61e4d',
  '#087f5b',
] as const;

/** A stable colour for an author id (the same id always gets the same colour). */
export function colorFor(id: string): string {
  let hash = 2166136261;
  for (let i = 0; i < id.length; i += 1) {
    hash ^= id.charCodeAt(i);
    hash = Math.imul(hash, 16777619);
  }
  return AUTHOR_COLORS[(hash >>> 0) % AUTHOR_COLORS.length] ?? AUTHOR_COLORS[0];
}

/** True for a colour we accept from the shared document (anything else could inject CSS). */
export function isColor(value: unknown): value is string {
  return typeof value === 'string' && /^#[0-9a-fA-F]{6}$/.test(value);
}

/** The colour to use for a value read from the document: itself if valid, else one from the id. */
export function safeColor(value: unknown, id: string): string {
  return isColor(value) ? value.toLowerCase() : colorFor(id);
}

/**
 * My colour in a pad: the one I already have there, else my usual colour unless someone else
 * in the pad has it, else the first free colour of the palette after it (all taken: my usual).
 */
export function pickColor(preferred: string, taken: ReadonlySet<string>, already?: string): string {
  if (already && isColor(already)) return already.toLowerCase();
  const usual = preferred.toLowerCase();
  if (!taken.has(usual)) return usual;
  const start = Math.max(0, AUTHOR_COLORS.indexOf(usual as (typeof AUTHOR_COLORS)[number]));
  for (let step = 1; step <= AUTHOR_COLORS.length; step += 1) {
    const candidate = AUTHOR_COLORS[(start + step) % AUTHOR_COLORS.length] ?? usual;
    if (!taken.has(candidate)) return candidate;
  }
  return usual;
}

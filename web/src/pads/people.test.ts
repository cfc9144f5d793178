import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { readAuthors, readPresence } from './people';
import { AUTHOR_COLORS, colorFor, pickColor, safeColor } from './colors';
import { authorRules, escapeAttribute } from './authorStyles';

describe('presence and authors', () => {
  it('lists each person once, me first, with safe colours', () => {
    const states = new Map<number, Record<string, unknown>>([
      [1, { user: { id: 'u-b', name: 'Bob', color: '#1c7ed6' } }],
      [2, { user: { id: 'u-a', name: 'Ana', color: 'red' } }],
      [3, { user: { id: 'u-b', name: 'Bob', color: '#1c7ed6' } }],
      [4, {}],
      [5, { user: { id: 'u-me', name: 'Zoé', color: '#ae3ec9' } }],
    ]);
    const people = readPresence(states, 5);
    expect(people.map((p) => [p.name, p.me])).toEqual([
      ['Zoé', true],
      ['Ana', false],
      ['Bob', false],
    ]);
    expect(people[1]?.color).toBe(colorFor('u-a'));
  });

  it('reads the authors map', () => {
    const doc = new Y.Doc();
    const authors = doc.getMap<unknown>('authors');
    authors.set('u-2', { name: 'Zoé', color: '#AE3EC9' });
    authors.set('u-1', { name: 'Ana', color: 'url(evil)' });
    authors.set('bad', 7);
    expect(readAuthors(authors)).toEqual([
      { id: 'u-1', name: 'Ana', color: colorFor('u-1') },
      { id: 'u-2', name: 'Zoé', color: '#ae3ec9' },
    ]);
  });
});

describe('colours', () => {
  it('gives each id a stable colour from the palette', () => {
    expect(colorFor('a-123')).toBe(colorFor('a-123'));
    expect(AUTHOR_COLORS).toContain(colorFor('anything'));
    expect(new Set(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map(colorFor)).size).toBeGreaterThan(3);
    expect(safeColor('#ABCDEF', 'x')).toBe('#abcdef');
    expect(safeColor('#abc', 'x')).toBe(colorFor('x'));
  });

  it('picks a colour nobody else in the pad has', () => {
    const [first, second, third] = AUTHOR_COLORS;
    expect(pickColor(first, new Set())).toBe(first);
    expect(pickColor(first, new Set([first]))).toBe(second);
    expect(pickColor(first, new Set([first, second]))).toBe(third);
    expect(pickColor(first, new Set([first]), '#ABCDEF')).toBe('#abcdef');
    expect(pickColor(first, new Set(AUTHOR_COLORS))).toBe(first);
  });

  it('writes one highlight rule per author, with ids escaped', () => {
    const rules = authorRules(
      [
        { id: 'u-1', color: '#1c7ed6' },
        { id: 'a"]{}*{x', color: '#2b8a3e' },
        { id: 'u-2', color: 'red' },
      ],
      escapeAttribute,
    );
    expect(rules).toEqual([
      '.show-authors .pad-content span.author[data-author="u-1"] { background-color: #1c7ed638; }',
      '.show-authors .pad-content span.author[data-author="a\\"]{}*{x"] { background-color: #2b8a3e38; }',
    ]);
  });
});

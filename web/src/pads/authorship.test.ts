import { describe, expect, it } from 'vitest';
import { Schema } from '@tiptap/pm/model';
import { EditorState, PluginKey } from '@tiptap/pm/state';
import { fromYjs, insertedRanges, markInserted } from './authorship';

const schema = new Schema({
  nodes: {
    doc: { content: 'block+' },
    paragraph: { group: 'block', content: 'inline*', toDOM: () => ['p', 0] },
    code_block: { group: 'block', content: 'text*', marks: '', toDOM: () => ['pre', 0] },
    text: { group: 'inline' },
  },
  marks: {
    author: { attrs: { id: { default: null } }, inclusive: false, toDOM: () => ['span', 0] },
    bold: { toDOM: () => ['b', 0] },
  },
});

const p = (...content: Parameters<typeof schema.text>[]) =>
  schema.node('paragraph', null, content.map(([text, marks]) => schema.text(text, marks)));
const by = (id: string) => [schema.marks.author.create({ id })];

/** The author of each run of text, as [text, author id or null]. */
function runs(state: EditorState): Array<[string, string | null]> {
  const out: Array<[string, string | null]> = [];
  state.doc.descendants((node) => {
    if (node.isText) {
      const author = node.marks.find((m) => m.type.name === 'author');
      out.push([node.text ?? '', author ? (author.attrs.id as string) : null]);
    }
  });
  return out;
}

function apply(state: EditorState, edit: (tr: ReturnType<EditorState['tr']['insertText']>) => void, author = 'bob'): EditorState {
  const tr = state.tr;
  edit(tr);
  let next = state.apply(tr);
  const marking = markInserted([tr], next, schema.marks.author, author);
  if (marking) next = next.apply(marking);
  return next;
}

describe('insertedRanges', () => {
  it('finds typed text in the final document, through later steps', () => {
    const state = EditorState.create({ schema, doc: schema.node('doc', null, [p(['hello', undefined])]) });
    const tr = state.tr.insertText('XY', 3).insertText('Z', 2).delete(6, 7);
    // "hello" -> "heXYllo" -> "hZeXYllo" -> "hZeXYlo"; inserted: Z at 2, XY at 4-6.
    expect(tr.doc.textContent).toBe('hZeXYlo');
    expect(insertedRanges(tr.steps)).toEqual([
      { from: 2, to: 3 },
      { from: 4, to: 6 },
    ]);
  });

  it('ignores deletions and formatting', () => {
    const state = EditorState.create({ schema, doc: schema.node('doc', null, [p(['hello', undefined])]) });
    const tr = state.tr.delete(1, 3).addMark(1, 3, schema.marks.bold.create());
    expect(insertedRanges(tr.steps)).toEqual([]);
  });
});

describe('markInserted', () => {
  const start = () => EditorState.create({ schema, doc: schema.node('doc', null, [p(['Hello ', by('ana')], ['world', undefined])]) });

  it('marks what I type with my id, and only that', () => {
    const next = apply(start(), (tr) => tr.insertText('dear ', 7));
    expect(runs(next)).toEqual([
      ['Hello ', 'ana'],
      ['dear ', 'bob'],
      ['world', null],
    ]);
  });

  it('replaces another author’s mark on text I type inside theirs', () => {
    const next = apply(start(), (tr) => tr.insertText('X', 3, 3).addStoredMark(by('ana')[0]!));
    expect(runs(next)).toEqual([
      ['He', 'ana'],
      ['X', 'bob'],
      ['llo ', 'ana'],
      ['world', null],
    ]);
  });

  it('leaves formatting changes and deletions without a new author', () => {
    const next = apply(start(), (tr) => tr.addMark(1, 6, schema.marks.bold.create()).delete(7, 9));
    expect(runs(next)).toEqual([
      ['Hello', 'ana'],
      [' ', 'ana'],
      ['rld', null],
    ]);
  });

  it('does nothing where marks are not allowed', () => {
    const state = EditorState.create({ schema, doc: schema.node('doc', null, [schema.node('code_block', null, [schema.text('x')])]) });
    const tr = state.tr.insertText('y', 2);
    const next = state.apply(tr);
    expect(markInserted([tr], next, schema.marks.author, 'bob')).toBeNull();
  });

  it('recognises transactions that come from Yjs', () => {
    const key = new PluginKey('y-sync');
    const state = start();
    expect(fromYjs(state.tr.setMeta(key, { isChangeOrigin: true }), key)).toBe(true);
    expect(fromYjs(state.tr.setMeta(key, { snapshot: null }), key)).toBe(false);
    expect(fromYjs(state.tr, key)).toBe(false);
  });
});

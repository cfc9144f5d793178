/**
 * Authorship as Etherpad shows it: the text each person inserts carries a mark `author` whose
 * attribute `id` names them; the id's name and colour live in the shared map "authors". The
 * mark is stored in the Yjs document like any other formatting, so every editor (and the
 * server's export) sees who wrote what.
 */
import { Mark, mergeAttributes } from '@tiptap/core';
import { Plugin, PluginKey, type EditorState, type Transaction } from '@tiptap/pm/state';
import type { Step } from '@tiptap/pm/transform';
import type { MarkType } from '@tiptap/pm/model';

export const AUTHOR_MARK = 'author';

/** The ranges of the final document that these steps inserted (text typed, pasted, imported). */
export function insertedRanges(steps: readonly Step[]): Array<{ from: number; to: number }> {
  const ranges: Array<{ from: number; to: number }> = [];
  const maps = steps.map((step) => step.getMap());
  maps.forEach((map, index) => {
    map.forEach((_oldStart, _oldEnd, newStart, newEnd) => {
      if (newEnd <= newStart) return;
      let from = newStart;
      let to = newEnd;
      // Carry the range through the steps that came after it.
      for (const later of maps.slice(index + 1)) {
        from = later.map(from, 1);
        to = later.map(to, -1);
      }
      if (to > from) ranges.push({ from, to });
    });
  });
  ranges.sort((a, b) => a.from - b.from);
  const merged: Array<{ from: number; to: number }> = [];
  for (const range of ranges) {
    const last = merged[merged.length - 1];
    if (last && range.from <= last.to) last.to = Math.max(last.to, range.to);
    else merged.push({ ...range });
  }
  return merged;
}

/** True when a transaction came from Yjs (a remote edit, undo, or the first rendering). */
export function fromYjs(tr: Transaction, syncKey: PluginKey): boolean {
  const meta: unknown = tr.getMeta(syncKey);
  return typeof meta === 'object' && meta !== null && (meta as { isChangeOrigin?: boolean }).isChangeOrigin === true;
}

/**
 * A transaction that marks the text these local transactions inserted as written by
 * `authorId`, or null when there is nothing to mark.
 */
export function markInserted(
  transactions: readonly Transaction[],
  state: EditorState,
  type: MarkType,
  authorId: string,
): Transaction | null {
  const steps = transactions.flatMap((tr) => tr.steps);
  const ranges = insertedRanges(steps);
  if (ranges.length === 0) return null;
  const mark = type.create({ id: authorId });
  const tr = state.tr;
  let changed = false;
  for (const { from, to } of ranges) {
    const end = Math.min(to, state.doc.content.size);
    state.doc.nodesBetween(from, end, (node, pos, parent) => {
      if (!node.isText || mark.isInSet(node.marks) || !parent?.type.allowsMarkType(type)) return;
      tr.addMark(Math.max(from, pos), Math.min(end, pos + node.nodeSize), mark);
      changed = true;
    });
  }
  if (!changed) return null;
  // Part of the edit it completes: no separate undo step, no separate update.
  tr.setMeta('addToHistory', false);
  return tr;
}

export interface AuthorshipOptions {
  /** Who is typing; null (read-only, or not known yet) marks nothing. */
  authorId: () => string | null;
  /** The key of the Yjs sync plugin, whose transactions are never marked. */
  syncKey: PluginKey | null;
}

/** The `author` mark, and the plugin that applies it to what I insert. */
export const Authorship = Mark.create<AuthorshipOptions>({
  name: AUTHOR_MARK,
  // Typing at the edge of someone's text does not take their mark: the plugin adds mine.
  inclusive: false,
  // Lowest priority: the author span wraps the other marks.
  priority: 10,

  addOptions() {
    return { authorId: () => null, syncKey: null };
  },

  addAttributes() {
    return {
      id: {
        default: null,
        parseHTML: (element) => element.getAttribute('data-author'),
        renderHTML: (attributes) => (attributes.id ? { 'data-author': String(attributes.id) } : {}),
      },
    };
  },

  parseHTML() {
    return [{ tag: 'span[data-author]' }];
  },

  renderHTML({ HTMLAttributes }) {
    return ['span', mergeAttributes({ class: 'author' }, HTMLAttributes), 0];
  },

  addProseMirrorPlugins() {
    const options = this.options;
    const type = this.type;
    return [
      new Plugin({
        key: new PluginKey('authorship'),
        appendTransaction(transactions, _oldState, newState) {
          const authorId = options.authorId();
          if (!authorId) return null;
          const syncKey = options.syncKey;
          const local = transactions.filter((tr) => tr.docChanged && !(syncKey && fromYjs(tr, syncKey)));
          if (local.length !== transactions.filter((tr) => tr.docChanged).length || local.length === 0) return null;
          return markInserted(local, newState, type, authorId);
        },
      }),
    ];
  },
});

/**
 * The TipTap editor of a pad, bound to the pad's Yjs document: rich text (StarterKit:
 * headings, bold, italic, underline, strike-through, lists, quotes, code, links), check lists,
 * tables, named coloured carets, and authorship marks.
 *
 * Everything here runs under `style-src 'self'`: TipTap's injected <style> is off (its rules are
 * in styles.css), and every style set at run time goes through the CSSOM (element.style), which
 * the Content-Security-Policy allows, never through a `style` attribute or element.
 */
import { Editor } from '@tiptap/core';
import StarterKit from '@tiptap/starter-kit';
import { TaskItem, TaskList } from '@tiptap/extension-list';
import { TableKit } from '@tiptap/extension-table';
import { Placeholder } from '@tiptap/extensions';
import { Markdown } from '@tiptap/markdown';
import Collaboration from '@tiptap/extension-collaboration';
import CollaborationCaret from '@tiptap/extension-collaboration-caret';
import { ySyncPluginKey } from '@tiptap/y-tiptap';
import { Authorship } from './authorship';
import type { PadConnection } from './live.svelte';

export interface EditorTexts {
  placeholder: string;
  task: (checked: boolean, text: string) => string;
}

/** The caret of another person: a coloured bar with their name above it. */
export function renderCaret(user: { name?: string; color?: string }): HTMLElement {
  const caret = document.createElement('span');
  caret.classList.add('collaboration-carets__caret');
  caret.style.borderColor = user.color ?? 'transparent';
  const label = document.createElement('span');
  label.classList.add('collaboration-carets__label');
  label.style.backgroundColor = user.color ?? 'transparent';
  label.textContent = user.name || '…';
  caret.append(label);
  return caret;
}

/** The extensions that define the document's schema, shared by the editor and the viewer. */
function contentExtensions(texts: EditorTexts, editable: boolean) {
  return [
    StarterKit.configure({
      // The Collaboration extension brings its own undo, which only undoes my own edits.
      undoRedo: false,
      // A reader must not write anything, not even the empty paragraph kept at the end.
      ...(editable ? {} : { trailingNode: false as const }),
      heading: { levels: [1, 2, 3] },
      link: {
        openOnClick: false,
        autolink: true,
        defaultProtocol: 'https',
        HTMLAttributes: { rel: 'noopener noreferrer nofollow', target: '_blank' },
      },
    }),
    TaskList,
    TaskItem.configure({
      nested: true,
      a11y: { checkboxLabel: (node, checked) => texts.task(checked, node.textContent) },
    }),
    TableKit.configure({ table: { resizable: false } }),
  ];
}

/**
 * A read-only view of a version from the history, from the HTML the server renders. TipTap
 * parses it in an inert document and keeps only what the schema knows: no script, no handler.
 */
export function createViewer(element: HTMLElement, html: string, texts: EditorTexts, label: string): Editor {
  return new Editor({
    element,
    injectCSS: false,
    editable: false,
    content: html,
    editorProps: { attributes: { class: 'pad-content', 'aria-label': label, 'aria-readonly': 'true', 'data-testid': 'version-view' } },
    extensions: [...contentExtensions(texts, false), Authorship],
  });
}

export function createPadEditor(element: HTMLElement, pad: PadConnection, texts: EditorTexts, label: string): Editor {
  const identity = pad.identity;
  return new Editor({
    element,
    injectCSS: false,
    editable: pad.editable,
    editorProps: {
      attributes: {
        class: 'pad-content',
        'aria-label': label,
        'aria-multiline': 'true',
        role: 'textbox',
        spellcheck: 'true',
        'data-testid': 'pad-editor',
      },
    },
    extensions: [
      ...contentExtensions(texts, pad.editable),
      Placeholder.configure({ placeholder: texts.placeholder }),
      // Reads Markdown for the import (the export is the server's).
      Markdown,
      Collaboration.configure({ document: pad.doc, field: 'default' }),
      CollaborationCaret.configure({
        provider: pad.provider,
        user: { id: identity.id, name: identity.name, color: identity.color },
        render: renderCaret,
      }),
      Authorship.configure({
        authorId: () => (pad.editable ? pad.identity.id : null),
        syncKey: ySyncPluginKey,
      }),
    ],
  });
}

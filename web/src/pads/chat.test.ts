import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { MAX_CHAT_LENGTH, readChat, readMessage, sendMessage } from './chat';

describe('chat', () => {
  it('appends messages that other replicas read back', () => {
    const a = new Y.Doc();
    const b = new Y.Doc();
    a.on('update', (update: Uint8Array) => Y.applyUpdate(b, update));
    expect(sendMessage(a.getArray('chat'), { name: 'Ana', color: '#1c7ed6' }, '  Bonjour !  ', 1_700_000_000)).toBe(true);
    expect(sendMessage(a.getArray('chat'), { name: 'Ana', color: '#1c7ed6' }, '   ')).toBe(false);
    const [message] = readChat(b.getArray('chat'));
    expect(message).toMatchObject({ author: 'Ana', color: '#1c7ed6', text: 'Bonjour !', at: 1_700_000_000 });
    expect(message?.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('reads Y.Map entries too, and refuses what it cannot show safely', () => {
    const doc = new Y.Doc();
    const chat = doc.getArray<unknown>('chat');
    const map = new Y.Map<unknown>();
    chat.push([map, { text: '' }, 42, { id: 'x', text: 'hi', color: 'red; background: url(x)', author: 'Eve' }, { id: 'x', text: 'again' }]);
    map.set('id', 'm1');
    map.set('text', 'from a map');
    map.set('author', 'Léa');
    map.set('color', '#2B8A3E');
    map.set('at', 5);
    const messages = readChat(chat);
    expect(messages.map((m) => m.text)).toEqual(['from a map', 'hi', 'again']);
    expect(messages[0]?.color).toBe('#2b8a3e');
    expect(messages[1]?.color).toMatch(/^#[0-9a-f]{6}$/);
    // Duplicate ids still render with unique keys.
    expect(new Set(messages.map((m) => m.id)).size).toBe(3);
  });

  it('cuts messages that are too long', () => {
    expect(readMessage({ id: 'a', text: 'x'.repeat(MAX_CHAT_LENGTH + 10) })?.text.length).toBe(MAX_CHAT_LENGTH);
  });
});

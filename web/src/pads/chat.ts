/**
 * The chat beside a pad, stored in the pad's own document (Y.Array "chat"), so it is kept,
 * synced and exported with the pad. Entries come from other people's browsers: they are
 * checked before they are shown.
 */
import * as Y from 'yjs';
import { safeColor } from './colors';
import { randomId } from './identity';

export const CHAT_FIELD = 'chat';
export const MAX_CHAT_LENGTH = 2000;

export interface ChatMessage {
  id: string;
  /** The author's name at the time of writing. */
  author: string;
  /** The author's colour (`#rrggbb`). */
  color: string;
  text: string;
  /** When it was written: seconds since the Unix epoch, as in the rest of the API. */
  at: number;
}

function field(entry: unknown, name: string): unknown {
  if (entry instanceof Y.Map) return entry.get(name);
  if (entry && typeof entry === 'object') return (entry as Record<string, unknown>)[name];
  return undefined;
}

/** A valid message from an entry of the array (a Y.Map or a plain object), or null. */
export function readMessage(entry: unknown): ChatMessage | null {
  const text = field(entry, 'text');
  const id = field(entry, 'id');
  if (typeof text !== 'string' || text.trim() === '') return null;
  const author = field(entry, 'author');
  const at = field(entry, 'at');
  const messageId = typeof id === 'string' && id !== '' ? id : '';
  return {
    id: messageId,
    author: typeof author === 'string' ? author.slice(0, 60) : '',
    color: safeColor(field(entry, 'color'), typeof author === 'string' ? author : ''),
    text: text.slice(0, MAX_CHAT_LENGTH),
    at: typeof at === 'number' && Number.isFinite(at) ? at : 0,
  };
}

/** The messages of a chat array, oldest first, with unique keys for rendering. */
export function readChat(chat: Y.Array<unknown>): ChatMessage[] {
  const seen = new Set<string>();
  const messages: ChatMessage[] = [];
  chat.toArray().forEach((entry, index) => {
    const message = readMessage(entry);
    if (!message) return;
    if (message.id === '' || seen.has(message.id)) message.id = `#${index}`;
    seen.add(message.id);
    messages.push(message);
  });
  return messages;
}

/** Appends a message; returns false when there is nothing to send. */
export function sendMessage(
  chat: Y.Array<unknown>,
  from: { name: string; color: string },
  text: string,
  now: number = Math.floor(Date.now() / 1000),
): boolean {
  const clean = text.trim().slice(0, MAX_CHAT_LENGTH);
  if (clean === '') return false;
  const message: ChatMessage = { id: randomId(), author: from.name, color: from.color, text: clean, at: now };
  chat.push([message]);
  return true;
}

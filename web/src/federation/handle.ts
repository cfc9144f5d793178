/** Handles (`@name@host`) and the feed's small pieces of logic, kept apart from the pages to be tested. */
import type { FeedItem, Follow } from './api';

/** `@name@host` (or `name@host`) split in two; null when it is not of that shape. */
export function parseHandle(text: string): { name: string; host: string } | null {
  const trimmed = text.trim().replace(/^@/, '');
  const match = /^([^@\s/]+)@([^@\s/]+)$/.exec(trimmed);
  if (!match) return null;
  const [, name, host] = match;
  if (!name || !host || !/^[a-z0-9.-]+(:\d+)?$/i.test(host) || host.startsWith('.') || host.endsWith('.')) return null;
  return { name, host: host.toLowerCase() };
}

/** The handle as it is written and sent: `@name@host`. */
export function formatHandle(name: string, host: string): string {
  return `@${name}@${host}`;
}

/** Followers waiting for approval first, then the others; newest first in each group. */
export function sortFollows(follows: Follow[]): Follow[] {
  return [...follows].sort((a, b) => {
    if (a.state !== b.state) return a.state === 'pending' ? -1 : 1;
    return b.created_at - a.created_at;
  });
}

/** Adds a page of the feed to what is shown: each item once, newest first. */
export function mergeFeed(shown: FeedItem[], page: FeedItem[]): FeedItem[] {
  const byId = new Map<string, FeedItem>();
  for (const item of [...shown, ...page]) {
    if (!byId.has(item.id)) byId.set(item.id, item);
  }
  return [...byId.values()].sort((a, b) => b.published_at - a.published_at);
}

/** Where the next page of the feed starts: the oldest item shown, if a full page came. */
export function nextBefore(page: FeedItem[], pageSize: number): number | undefined {
  if (page.length < pageSize) return undefined;
  return page.reduce((oldest, item) => Math.min(oldest, item.published_at), Number.POSITIVE_INFINITY);
}

/** Only http(s) links are followed; anything else (a `javascript:` URL) is not a link. */
export function safeLink(url: string): string | null {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.href : null;
  } catch {
    return null;
  }
}

/** The text of an actor's `summary` (HTML): tags dropped, entities decoded by the browser's parser. */
export function htmlToText(html: string): string {
  const withBreaks = html.replace(/<\s*(br|\/p)\s*\/?>/gi, '\n');
  const doc = new DOMParser().parseFromString(withBreaks, 'text/html');
  return (doc.body.textContent ?? '').replace(/\n{3,}/g, '\n\n').trim();
}

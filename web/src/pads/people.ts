/** Who is in a pad (awareness) and who wrote in it (the shared "authors" map). */
import * as Y from 'yjs';
import { safeColor } from './colors';

/** A person in the pad right now (one entry per author, however many tabs they have open). */
export interface Presence {
  id: string;
  name: string;
  color: string;
  me: boolean;
}

/** A name and colour from the shared "authors" map, for the legend and the highlight. */
export interface Author {
  id: string;
  name: string;
  color: string;
}

export const AUTHORS_FIELD = 'authors';

/** The authors map as a list, with names and colours checked. */
export function readAuthors(map: Y.Map<unknown>): Author[] {
  const authors: Author[] = [];
  map.forEach((value, id) => {
    const entry = value instanceof Y.Map ? value.toJSON() : value;
    if (!entry || typeof entry !== 'object') return;
    const { name, color } = entry as { name?: unknown; color?: unknown };
    authors.push({ id, name: typeof name === 'string' ? name.slice(0, 60) : '', color: safeColor(color, id) });
  });
  return authors.sort((a, b) => a.name.localeCompare(b.name));
}

/** The people present, from awareness states, one per author id. */
export function readPresence(states: Map<number, Record<string, unknown>>, myClientId: number): Presence[] {
  const people = new Map<string, Presence>();
  for (const [clientId, state] of states) {
    const user = state.user as { id?: unknown; name?: unknown; color?: unknown } | undefined;
    if (!user || typeof user !== 'object') continue;
    const id = typeof user.id === 'string' ? user.id : `client-${clientId}`;
    const me = clientId === myClientId;
    const existing = people.get(id);
    if (existing) {
      existing.me ||= me;
      continue;
    }
    people.set(id, {
      id,
      name: typeof user.name === 'string' ? user.name.slice(0, 60) : '',
      color: safeColor(user.color, id),
      me,
    });
  }
  return [...people.values()].sort((a, b) => Number(b.me) - Number(a.me) || a.name.localeCompare(b.name));
}

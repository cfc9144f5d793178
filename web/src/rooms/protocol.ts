/**
 * The messages of the rooms signalling protocol (docs/protocols/rooms.md), and the checks
 * that turn a WebSocket text frame from the server into a typed message. Anything the server
 * sends that does not have the documented shape is dropped (and logged) rather than trusted.
 */

export type Source = 'microphone' | 'camera' | 'screen';

export type Role = 'moderator' | 'participant';
export type PeerConnectionName = 'publish' | 'subscribe';

export interface Participant {
  id: string;
  name: string;
  role: Role;
  audio_muted: boolean;
  video_muted: boolean;
  screen: boolean;
  hand: boolean;
}

export interface RoomInfo {
  id: string;
  name: string;
  locked: boolean;
  lobby: boolean;
  max_participants: number;
}

export interface IceServer {
  urls: string[];
  username?: string;
  credential?: string;
}

export interface ChatEntry {
  from: string;
  name: string;
  text: string;
  at: string;
}

export interface LobbyGuest {
  id: string;
  name: string;
}

export interface PublishTrack {
  mid: string;
  source: Source;
}

export interface SubscribeTrack {
  mid: string;
  participant_id: string;
  source: Source;
}

export interface Candidate {
  candidate: string;
  sdpMid?: string | null;
  sdpMLineIndex?: number | null;
  usernameFragment?: string | null;
}

/** What the server sends. */
export type ServerMessage =
  | { type: 'lobby' }
  | {
      type: 'joined';
      participant_id: string;
      role: Role;
      room: RoomInfo;
      participants: Participant[];
      ice_servers: IceServer[];
      chat: ChatEntry[];
    }
  | { type: 'offer'; pc: 'subscribe'; sdp: string; tracks: SubscribeTrack[] }
  | { type: 'answer'; pc: 'publish'; sdp: string }
  | { type: 'candidate'; pc: PeerConnectionName; candidate: Candidate | null }
  | { type: 'participant_joined'; participant: Participant }
  | { type: 'participant_left'; participant_id: string; reason: string }
  | { type: 'participant_updated'; participant: Participant }
  | { type: 'active_speaker'; participant_id: string | null }
  | ({ type: 'chat' } & ChatEntry)
  | { type: 'room_updated'; room: RoomInfo }
  | { type: 'lobby_waiting'; waiting: LobbyGuest[] }
  | { type: 'muted_by_moderator'; source: Source }
  | { type: 'closed'; reason: string }
  | { type: 'error'; code: string; message: string; fatal: boolean }
  | { type: 'pong' };

export type ModerateAction = 'mute' | 'remove' | 'lock' | 'unlock' | 'admit' | 'refuse' | 'end';

/** What the client sends. */
export type ClientMessage =
  | { type: 'join'; name: string; password?: string; moderator_key?: string }
  | { type: 'offer'; pc: 'publish'; sdp: string; tracks: PublishTrack[] }
  | { type: 'answer'; pc: 'subscribe'; sdp: string }
  | { type: 'candidate'; pc: PeerConnectionName; candidate: Candidate | null }
  | { type: 'restart_ice' }
  | { type: 'video_size'; participant_id: string; source: Source; width: number; height: number }
  | { type: 'mute'; source: Source; muted: boolean }
  | { type: 'hand'; raised: boolean }
  | { type: 'chat'; text: string }
  | { type: 'leave' }
  | { type: 'ping' }
  | { type: 'moderate'; action: ModerateAction; participant_id?: string; source?: Source };

/** Limits of the protocol, checked before sending so that the server never has to refuse. */
export const MAX_MESSAGE_BYTES = 64 * 1024;
export const MAX_NAME_LENGTH = 64;
export const MAX_CHAT_LENGTH = 2000;

/** WebSocket close codes of the protocol. */
export const CLOSE = {
  badMessage: 4400,
  wrongPassword: 4401,
  forbidden: 4403,
  notFound: 4404,
  fullOrLocked: 4409,
  ended: 4410,
  tooManyMessages: 4429,
  goingAway: 1001,
} as const;

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const isString = (value: unknown): value is string => typeof value === 'string';
const isBool = (value: unknown): value is boolean => typeof value === 'boolean';
const isSource = (value: unknown): value is Source => value === 'microphone' || value === 'camera' || value === 'screen';
const isPc = (value: unknown): value is PeerConnectionName => value === 'publish' || value === 'subscribe';

function participant(value: unknown): Participant | null {
  if (!isObject(value) || !isString(value.id) || !isString(value.name)) return null;
  return {
    id: value.id,
    name: value.name,
    role: value.role === 'moderator' ? 'moderator' : 'participant',
    // Missing flags read as "off": a server that adds no flag still gives a usable list.
    audio_muted: value.audio_muted === true,
    video_muted: value.video_muted === true,
    screen: value.screen === true,
    hand: value.hand === true,
  };
}

function room(value: unknown): RoomInfo | null {
  if (!isObject(value) || !isString(value.id)) return null;
  return {
    id: value.id,
    name: isString(value.name) ? value.name : '',
    locked: value.locked === true,
    lobby: value.lobby === true,
    max_participants: typeof value.max_participants === 'number' ? value.max_participants : 0,
  };
}

function chat(value: unknown): ChatEntry | null {
  if (!isObject(value) || !isString(value.from) || !isString(value.text)) return null;
  return {
    from: value.from,
    name: isString(value.name) ? value.name : '',
    text: value.text,
    at: isString(value.at) ? value.at : '',
  };
}

function iceServer(value: unknown): IceServer | null {
  if (!isObject(value)) return null;
  const urls = isString(value.urls) ? [value.urls] : Array.isArray(value.urls) ? value.urls.filter(isString) : [];
  if (urls.length === 0) return null;
  const server: IceServer = { urls };
  if (isString(value.username)) server.username = value.username;
  if (isString(value.credential)) server.credential = value.credential;
  return server;
}

function candidate(value: unknown): Candidate | null | undefined {
  if (value === null) return null;
  if (!isObject(value) || !isString(value.candidate)) return undefined;
  const result: Candidate = { candidate: value.candidate };
  if (isString(value.sdpMid) || value.sdpMid === null) result.sdpMid = value.sdpMid;
  if (typeof value.sdpMLineIndex === 'number' || value.sdpMLineIndex === null) result.sdpMLineIndex = value.sdpMLineIndex;
  if (isString(value.usernameFragment) || value.usernameFragment === null) result.usernameFragment = value.usernameFragment;
  return result;
}

/** Keeps the items that pass `check`, or null when `value` is not an array. */
function list<T>(value: unknown, check: (item: unknown) => T | null): T[] | null {
  if (!Array.isArray(value)) return null;
  const items: T[] = [];
  for (const item of value) {
    const checked = check(item);
    if (checked !== null) items.push(checked);
  }
  return items;
}

function subscribeTrack(value: unknown): SubscribeTrack | null {
  if (!isObject(value) || !isString(value.mid) || !isString(value.participant_id) || !isSource(value.source)) return null;
  return { mid: value.mid, participant_id: value.participant_id, source: value.source };
}

/**
 * Parses one text frame from the server. Returns null when it is not JSON, not an object, of
 * an unknown type, or lacks a required field.
 */
export function parseServerMessage(text: string): ServerMessage | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isObject(value) || !isString(value.type)) return null;
  switch (value.type) {
    case 'lobby':
      return { type: 'lobby' };
    case 'pong':
      return { type: 'pong' };
    case 'joined': {
      const info = room(value.room);
      const people = list(value.participants, participant);
      if (!isString(value.participant_id) || !info || !people) return null;
      return {
        type: 'joined',
        participant_id: value.participant_id,
        role: value.role === 'moderator' ? 'moderator' : 'participant',
        room: info,
        participants: people,
        ice_servers: list(value.ice_servers, iceServer) ?? [],
        chat: list(value.chat, chat) ?? [],
      };
    }
    case 'offer': {
      const tracks = list(value.tracks, subscribeTrack);
      if (value.pc !== 'subscribe' || !isString(value.sdp) || !tracks) return null;
      return { type: 'offer', pc: 'subscribe', sdp: value.sdp, tracks };
    }
    case 'answer':
      if (value.pc !== 'publish' || !isString(value.sdp)) return null;
      return { type: 'answer', pc: 'publish', sdp: value.sdp };
    case 'candidate': {
      const checked = candidate(value.candidate);
      if (!isPc(value.pc) || checked === undefined) return null;
      return { type: 'candidate', pc: value.pc, candidate: checked };
    }
    case 'participant_joined':
    case 'participant_updated': {
      const person = participant(value.participant);
      return person ? { type: value.type, participant: person } : null;
    }
    case 'participant_left':
      if (!isString(value.participant_id)) return null;
      return { type: 'participant_left', participant_id: value.participant_id, reason: isString(value.reason) ? value.reason : 'left' };
    case 'active_speaker':
      if (!isString(value.participant_id) && value.participant_id !== null) return null;
      return { type: 'active_speaker', participant_id: value.participant_id };
    case 'chat': {
      const entry = chat(value);
      return entry ? { type: 'chat', ...entry } : null;
    }
    case 'room_updated': {
      const info = room(value.room);
      return info ? { type: 'room_updated', room: info } : null;
    }
    case 'lobby_waiting': {
      const waiting = list(value.waiting, (item) =>
        isObject(item) && isString(item.id) ? { id: item.id, name: isString(item.name) ? item.name : '' } : null,
      );
      return waiting ? { type: 'lobby_waiting', waiting } : null;
    }
    case 'muted_by_moderator':
      return isSource(value.source) ? { type: 'muted_by_moderator', source: value.source } : null;
    case 'closed':
      return { type: 'closed', reason: isString(value.reason) ? value.reason : 'ended' };
    case 'error':
      if (!isString(value.code)) return null;
      return { type: 'error', code: value.code, message: isString(value.message) ? value.message : '', fatal: value.fatal === true };
    default:
      return null;
  }
}

/** Trims a display name and cuts it to the protocol's limit (counted in characters). */
export function cleanDisplayName(name: string): string {
  return [...name.trim()].slice(0, MAX_NAME_LENGTH).join('').trim();
}

/** A chat text fit to send, or null when it is empty or too long. */
export function cleanChatText(text: string): string | null {
  const trimmed = text.trim();
  if (trimmed === '' || [...trimmed].length > MAX_CHAT_LENGTH) return null;
  return trimmed;
}

/** Serialises a client message, or throws when it is over the protocol's size limit. */
export function encodeClientMessage(message: ClientMessage): string {
  const text = JSON.stringify(message);
  if (new TextEncoder().encode(text).length > MAX_MESSAGE_BYTES) {
    throw new RangeError(`a ${message.type} message is over ${MAX_MESSAGE_BYTES} bytes`);
  }
  return text;
}

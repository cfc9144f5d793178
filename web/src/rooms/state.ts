/**
 * What the room page shows, as plain immutable data, and how each server message changes it.
 * `reduce` is pure so that the page's behaviour can be tested without a browser.
 */
import type { ChatEntry, LobbyGuest, Participant, Role, RoomInfo, ServerMessage } from './protocol';

/**
 * Where the call stands. `prejoin`: choosing name and devices; `connecting`: WebSocket open,
 * `join` sent; `lobby`: waiting to be admitted; `call`: in the room; `reconnecting`: the
 * connection dropped and the client is joining again; `ended`: over (see `ended`).
 */
export type Phase = 'prejoin' | 'connecting' | 'lobby' | 'call' | 'reconnecting' | 'ended';

/** Why the call ended or could not start (a message key suffix on the page). */
export type EndReason =
  | 'left'
  | 'removed'
  | 'ended'
  | 'refused'
  | 'room_full'
  | 'locked'
  | 'not_found'
  | 'forbidden'
  | 'too_many_messages'
  | 'error';

export interface RoomState {
  phase: Phase;
  /** Set when `phase` is `ended`. */
  ended: EndReason | null;
  /** An error code to show on the pre-join screen (for example `wrong_password`). */
  joinError: string | null;
  /** A non-fatal error from the server to show for a moment (for example `forbidden`). */
  notice: string | null;
  me: string | null;
  /** The name I joined with (the server lists only the others in `joined`). */
  myName: string;
  role: Role;
  room: RoomInfo | null;
  /** Everyone in the room, me included, in order of arrival. */
  participants: Participant[];
  activeSpeaker: string | null;
  chat: ChatEntry[];
  /** Chat messages that arrived since the chat was last shown. */
  unread: number;
  /** For moderators: who waits in the lobby. */
  lobby: LobbyGuest[];
  /** Sources a moderator muted: the client mutes them locally too. */
  mutedByModerator: string[];
}

/** Chat lines kept in memory; older ones scroll away. */
export const MAX_CHAT_KEPT = 500;

export function initialState(): RoomState {
  return {
    phase: 'prejoin',
    ended: null,
    joinError: null,
    notice: null,
    me: null,
    myName: '',
    role: 'participant',
    room: null,
    participants: [],
    activeSpeaker: null,
    chat: [],
    unread: 0,
    lobby: [],
    mutedByModerator: [],
  };
}

function upsert(list: Participant[], person: Participant): Participant[] {
  const index = list.findIndex((p) => p.id === person.id);
  if (index === -1) return [...list, person];
  const copy = [...list];
  copy[index] = person;
  return copy;
}

const END_REASONS: readonly EndReason[] = ['removed', 'ended', 'refused', 'room_full', 'locked', 'not_found', 'forbidden'];

/** Maps an error code or close reason from the server to why the call ended. */
export function endReason(code: string): EndReason {
  return (END_REASONS as readonly string[]).includes(code) ? (code as EndReason) : 'error';
}

/** Errors after which joining again may work (the close code then says "retry"). */
const RETRYABLE_ERRORS: readonly string[] = ['unavailable'];

/** The state after a message from the server. `chatOpen` says whether the chat is on screen. */
export function reduce(state: RoomState, message: ServerMessage, chatOpen = false): RoomState {
  switch (message.type) {
    case 'lobby':
      return { ...state, phase: 'lobby', joinError: null };
    case 'joined': {
      const me = message.participants.find((p) => p.id === message.participant_id);
      const self: Participant = {
        id: message.participant_id,
        name: state.myName,
        role: message.role,
        audio_muted: false,
        video_muted: false,
        screen: false,
        hand: false,
      };
      return {
        ...state,
        phase: 'call',
        ended: null,
        joinError: null,
        me: message.participant_id,
        role: message.role,
        room: message.room,
        // The server lists the others: add myself (first), with my role.
        participants: me
          ? message.participants.map((p) => (p.id === message.participant_id ? { ...p, role: message.role } : p))
          : [self, ...message.participants],
        chat: message.chat.slice(-MAX_CHAT_KEPT),
        // Messages from before a reconnection are not counted again.
        unread: state.phase === 'reconnecting' ? state.unread : 0,
        lobby: [],
        activeSpeaker: null,
        mutedByModerator: [],
      };
    }
    case 'participant_joined':
    case 'participant_updated': {
      const participants = upsert(state.participants, message.participant);
      const role = message.participant.id === state.me ? message.participant.role : state.role;
      return { ...state, participants, role };
    }
    case 'participant_left':
      return {
        ...state,
        participants: state.participants.filter((p) => p.id !== message.participant_id),
        activeSpeaker: state.activeSpeaker === message.participant_id ? null : state.activeSpeaker,
      };
    case 'active_speaker':
      return { ...state, activeSpeaker: message.participant_id };
    case 'chat': {
      const entry: ChatEntry = { from: message.from, name: message.name, text: message.text, at: message.at };
      const mine = message.from === state.me;
      return {
        ...state,
        chat: [...state.chat, entry].slice(-MAX_CHAT_KEPT),
        unread: chatOpen || mine ? state.unread : state.unread + 1,
      };
    }
    case 'room_updated':
      return { ...state, room: message.room };
    case 'lobby_waiting':
      return { ...state, lobby: message.waiting };
    case 'muted_by_moderator':
      return {
        ...state,
        mutedByModerator: state.mutedByModerator.includes(message.source)
          ? state.mutedByModerator
          : [...state.mutedByModerator, message.source],
      };
    case 'closed':
      return { ...state, phase: 'ended', ended: endReason(message.reason) };
    case 'error':
      if (message.code === 'wrong_password') {
        return { ...state, phase: 'prejoin', joinError: 'wrong_password' };
      }
      // A busy or restarting server: the WebSocket closes and the client comes back.
      if (RETRYABLE_ERRORS.includes(message.code)) return state;
      if (message.fatal || state.phase === 'connecting' || state.phase === 'lobby') {
        return { ...state, phase: 'ended', ended: endReason(message.code) };
      }
      return { ...state, notice: message.code };
    default:
      return state;
  }
}

/** A participant by id. */
export function findParticipant(state: RoomState, id: string | null): Participant | undefined {
  return id === null ? undefined : state.participants.find((p) => p.id === id);
}

/** True when I may moderate. */
export function isModerator(state: RoomState): boolean {
  return state.role === 'moderator';
}

import { describe, expect, it } from 'vitest';
import type { Participant, ServerMessage } from './protocol';
import { initialState, reduce, type RoomState } from './state';

const person = (id: string, extra: Partial<Participant> = {}): Participant => ({
  id,
  name: id.toUpperCase(),
  role: 'participant',
  audio_muted: false,
  video_muted: false,
  screen: false,
  hand: false,
  ...extra,
});

const room = { id: 'r', name: 'Room', locked: false, lobby: false, max_participants: 50 };

function joinedState(): RoomState {
  const connecting = { ...initialState(), phase: 'connecting' as const };
  return reduce(connecting, {
    type: 'joined',
    participant_id: 'me',
    role: 'participant',
    room,
    participants: [person('a'), person('me')],
    ice_servers: [],
    chat: [],
  });
}

const apply = (state: RoomState, ...messages: ServerMessage[]): RoomState => messages.reduce((s, m) => reduce(s, m), state);

describe('room state', () => {
  it('enters the call on joined, after the lobby', () => {
    const lobby = reduce({ ...initialState(), phase: 'connecting' }, { type: 'lobby' });
    expect(lobby.phase).toBe('lobby');
    const state = joinedState();
    expect(state.phase).toBe('call');
    expect(state.me).toBe('me');
    expect(state.participants.map((p) => p.id)).toEqual(['a', 'me']);
  });

  it('adds myself when the server lists only the others', () => {
    const state = reduce(
      { ...initialState(), phase: 'connecting', myName: 'Camille' },
      { type: 'joined', participant_id: 'me', role: 'moderator', room, participants: [person('a')], ice_servers: [], chat: [] },
    );
    expect(state.participants.map((p) => [p.id, p.name, p.role])).toEqual([
      ['me', 'Camille', 'moderator'],
      ['a', 'A', 'participant'],
    ]);
  });

  it('follows people joining, changing and leaving', () => {
    let state = apply(joinedState(), { type: 'participant_joined', participant: person('b') });
    expect(state.participants.map((p) => p.id)).toEqual(['a', 'me', 'b']);
    state = apply(state, { type: 'participant_updated', participant: person('a', { hand: true, audio_muted: true }) });
    expect(state.participants.find((p) => p.id === 'a')).toMatchObject({ hand: true, audio_muted: true });
    expect(state.participants).toHaveLength(3);
    state = apply(state, { type: 'active_speaker', participant_id: 'b' }, { type: 'participant_left', participant_id: 'b', reason: 'left' });
    expect(state.participants.map((p) => p.id)).toEqual(['a', 'me']);
    expect(state.activeSpeaker).toBeNull();
  });

  it('takes a new role given to me', () => {
    const state = apply(joinedState(), { type: 'participant_updated', participant: person('me', { role: 'moderator' }) });
    expect(state.role).toBe('moderator');
  });

  it('counts unread chat messages only when the chat is hidden and they are not mine', () => {
    let state = joinedState();
    state = reduce(state, { type: 'chat', from: 'a', name: 'A', text: 'hi', at: '' });
    state = reduce(state, { type: 'chat', from: 'me', name: 'ME', text: 'hello', at: '' });
    expect(state.unread).toBe(1);
    state = reduce(state, { type: 'chat', from: 'a', name: 'A', text: 'seen', at: '' }, true);
    expect(state.unread).toBe(1);
    expect(state.chat.map((c) => c.text)).toEqual(['hi', 'hello', 'seen']);
  });

  it('ends with the reason the server gives', () => {
    expect(reduce(joinedState(), { type: 'closed', reason: 'removed' })).toMatchObject({ phase: 'ended', ended: 'removed' });
    expect(reduce(joinedState(), { type: 'closed', reason: 'something new' })).toMatchObject({ phase: 'ended', ended: 'error' });
    const connecting = { ...initialState(), phase: 'connecting' as const };
    expect(reduce(connecting, { type: 'error', code: 'room_full', message: '', fatal: true })).toMatchObject({ phase: 'ended', ended: 'room_full' });
  });

  it('goes back to the pre-join screen on a wrong password', () => {
    const connecting = { ...initialState(), phase: 'connecting' as const };
    expect(reduce(connecting, { type: 'error', code: 'wrong_password', message: '', fatal: true })).toMatchObject({
      phase: 'prejoin',
      joinError: 'wrong_password',
    });
  });

  it('waits for the close code after a busy server', () => {
    const connecting = { ...initialState(), phase: 'connecting' as const };
    expect(reduce(connecting, { type: 'error', code: 'unavailable', message: '', fatal: true })).toBe(connecting);
  });

  it('keeps a refused moderator command as a notice, staying in the call', () => {
    const state = reduce(joinedState(), { type: 'error', code: 'forbidden', message: '', fatal: false });
    expect(state).toMatchObject({ phase: 'call', notice: 'forbidden' });
  });

  it('lists the lobby and what a moderator muted', () => {
    let state = reduce(joinedState(), { type: 'lobby_waiting', waiting: [{ id: 'x', name: 'X' }] });
    expect(state.lobby).toEqual([{ id: 'x', name: 'X' }]);
    state = apply(state, { type: 'muted_by_moderator', source: 'microphone' }, { type: 'muted_by_moderator', source: 'microphone' });
    expect(state.mutedByModerator).toEqual(['microphone']);
    state = reduce(state, { type: 'room_updated', room: { ...room, locked: true } });
    expect(state.room?.locked).toBe(true);
  });
});

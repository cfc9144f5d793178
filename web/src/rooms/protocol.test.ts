import { describe, expect, it } from 'vitest';
import { cleanChatText, cleanDisplayName, encodeClientMessage, MAX_MESSAGE_BYTES, parseServerMessage } from './protocol';

const joined = {
  type: 'joined',
  participant_id: 'p_me',
  role: 'moderator',
  room: { id: 'r1', name: 'Weekly meeting', locked: false, lobby: true, max_participants: 50 },
  participants: [{ id: 'p_1', name: 'Dominique', role: 'participant', audio_muted: false, video_muted: true, screen: false, hand: false }],
  ice_servers: [{ urls: ['turn:turn.example.org:3478?transport=udp'], username: 'u', credential: 'c' }],
  chat: [{ from: 'p_1', name: 'Dominique', text: 'hello', at: '2026-11-22T10:00:00Z' }],
};

describe('parseServerMessage', () => {
  it('reads the documented joined message', () => {
    const message = parseServerMessage(JSON.stringify(joined));
    expect(message).toEqual(joined);
  });

  it('refuses what is not a JSON object with a known type', () => {
    for (const text of ['', 'nope', '[]', '42', 'null', '{}', '{"type":1}', '{"type":"surprise"}']) {
      expect(parseServerMessage(text), text).toBeNull();
    }
  });

  it('refuses messages that lack a required field or have the wrong type', () => {
    const bad = [
      { type: 'joined', room: joined.room, participants: [] },
      { type: 'joined', participant_id: 'p', room: 'r', participants: [] },
      { type: 'joined', participant_id: 'p', room: joined.room, participants: {} },
      { type: 'offer', pc: 'publish', sdp: 'v=0', tracks: [] },
      { type: 'offer', pc: 'subscribe', sdp: 'v=0' },
      { type: 'answer', pc: 'subscribe', sdp: 'v=0' },
      { type: 'answer', pc: 'publish' },
      { type: 'candidate', pc: 'other', candidate: null },
      { type: 'candidate', pc: 'publish', candidate: { sdpMid: '0' } },
      { type: 'participant_joined', participant: { name: 'x' } },
      { type: 'participant_left' },
      { type: 'active_speaker', participant_id: 3 },
      { type: 'chat', text: 'hi' },
      { type: 'muted_by_moderator', source: 'guitar' },
      { type: 'error', message: 'no code' },
    ];
    for (const message of bad) {
      expect(parseServerMessage(JSON.stringify(message)), JSON.stringify(message)).toBeNull();
    }
  });

  it('keeps only well-formed subscribe tracks and ice servers', () => {
    const offer = parseServerMessage(
      JSON.stringify({
        type: 'offer',
        pc: 'subscribe',
        sdp: 'v=0',
        tracks: [
          { mid: '0', participant_id: 'p_1', source: 'microphone' },
          { mid: '1', participant_id: 'p_1', source: 'guitar' },
          { mid: 2, participant_id: 'p_1', source: 'camera' },
        ],
      }),
    );
    expect(offer).toEqual({ type: 'offer', pc: 'subscribe', sdp: 'v=0', tracks: [{ mid: '0', participant_id: 'p_1', source: 'microphone' }] });
    const withServers = parseServerMessage(JSON.stringify({ ...joined, ice_servers: [{ urls: 'turn:a' }, { urls: [] }, 'x'] }));
    expect(withServers?.type === 'joined' && withServers.ice_servers).toEqual([{ urls: ['turn:a'] }]);
  });

  it('reads candidates, including the end of candidates', () => {
    expect(parseServerMessage('{"type":"candidate","pc":"subscribe","candidate":null}')).toEqual({ type: 'candidate', pc: 'subscribe', candidate: null });
    expect(
      parseServerMessage('{"type":"candidate","pc":"publish","candidate":{"candidate":"candidate:1 1 udp 1 127.0.0.1 5000 typ host","sdpMid":"0","sdpMLineIndex":0}}'),
    ).toEqual({ type: 'candidate', pc: 'publish', candidate: { candidate: 'candidate:1 1 udp 1 127.0.0.1 5000 typ host', sdpMid: '0', sdpMLineIndex: 0 } });
  });

  it('gives missing participant flags a safe default', () => {
    const message = parseServerMessage('{"type":"participant_joined","participant":{"id":"p","name":"Ana"}}');
    expect(message).toEqual({
      type: 'participant_joined',
      participant: { id: 'p', name: 'Ana', role: 'participant', audio_muted: false, video_muted: false, screen: false, hand: false },
    });
  });

  it('reads errors with their fatal flag', () => {
    expect(parseServerMessage('{"type":"error","code":"room_full","message":"full","fatal":true}')).toEqual({
      type: 'error',
      code: 'room_full',
      message: 'full',
      fatal: true,
    });
    expect(parseServerMessage('{"type":"error","code":"forbidden"}')).toEqual({ type: 'error', code: 'forbidden', message: '', fatal: false });
  });
});

describe('client messages', () => {
  it('trims names and chat texts to the protocol limits', () => {
    expect(cleanDisplayName('  Camille  ')).toBe('Camille');
    expect([...cleanDisplayName('é'.repeat(100))].length).toBe(64);
    expect(cleanChatText('  hi ')).toBe('hi');
    expect(cleanChatText('   ')).toBeNull();
    expect(cleanChatText('x'.repeat(2001))).toBeNull();
    expect(cleanChatText('😀'.repeat(2000))).toBe('😀'.repeat(2000));
  });

  it('never sends a message over 64 KiB', () => {
    expect(encodeClientMessage({ type: 'hand', raised: true })).toBe('{"type":"hand","raised":true}');
    expect(() => encodeClientMessage({ type: 'offer', pc: 'publish', sdp: 'x'.repeat(MAX_MESSAGE_BYTES), tracks: [] })).toThrow(RangeError);
  });
});

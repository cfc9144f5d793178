import { describe, expect, it } from 'vitest';
import * as encoding from 'lib0/encoding';
import * as decoding from 'lib0/decoding';
import * as Y from 'yjs';
import * as syncProtocol from 'y-protocols/sync';
import { MESSAGE_STORED, SaveTracker, carriesUpdate, isSyncStep2, toBytes } from './saving';

/** Messages as y-websocket builds them. */
function syncMessage(write: (encoder: encoding.Encoder, doc: Y.Doc) => void): Uint8Array {
  const doc = new Y.Doc();
  doc.getText('t').insert(0, 'hello');
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, 0);
  write(encoder, doc);
  return encoding.toUint8Array(encoder);
}
const step1 = syncMessage((e, d) => syncProtocol.writeSyncStep1(e, d));
const step2 = syncMessage((e, d) => syncProtocol.writeSyncStep2(e, d));
const update = syncMessage((e, d) => syncProtocol.writeUpdate(e, Y.encodeStateAsUpdate(d)));
const awareness = new Uint8Array([1, 3, 0, 0, 0]);

describe('message kinds', () => {
  it('counts sync step 2 and update, not step 1 or awareness', () => {
    expect(carriesUpdate(step1)).toBe(false);
    expect(carriesUpdate(step2)).toBe(true);
    expect(carriesUpdate(update)).toBe(true);
    expect(carriesUpdate(awareness)).toBe(false);
    expect(carriesUpdate(new Uint8Array([0]))).toBe(false);
    expect(isSyncStep2(step2)).toBe(true);
    expect(isSyncStep2(update)).toBe(false);
  });

  it('reads the acknowledgement the server sends', () => {
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, MESSAGE_STORED);
    encoding.writeVarUint(encoder, 300);
    const decoder = decoding.createDecoder(encoding.toUint8Array(encoder));
    expect(decoding.readVarUint(decoder)).toBe(100);
    expect(decoding.readVarUint(decoder)).toBe(300);
  });

  it('turns WebSocket data into bytes', () => {
    expect(toBytes(step2.buffer)).toEqual(step2);
    expect(toBytes(step2)).toBe(step2);
    expect(toBytes(new DataView(step2.buffer, 1, 2))).toEqual(step2.subarray(1, 3));
    expect(toBytes('text')).toBeNull();
  });
});

describe('SaveTracker', () => {
  it('is saved only once every update sent on the connection is acknowledged', () => {
    const tracker = new SaveTracker();
    expect(tracker.state).toBe('unsaved');
    tracker.opened();
    tracker.send(step1);
    expect(tracker.state).toBe('saving');
    tracker.send(step2); // our answer to the server's step 1: everything it lacked
    tracker.serverSynced();
    expect(tracker.state).toBe('saving');
    tracker.acknowledged(1);
    expect(tracker.state).toBe('saved');

    tracker.edited(true);
    tracker.send(update);
    tracker.send(update);
    expect(tracker.state).toBe('saving');
    tracker.acknowledged(2);
    expect(tracker.state).toBe('saving');
    tracker.acknowledged(3);
    expect(tracker.state).toBe('saved');
  });

  it('ignores acknowledgements that go backwards or beyond what was sent', () => {
    const tracker = new SaveTracker();
    tracker.opened();
    tracker.send(step2);
    tracker.serverSynced();
    tracker.acknowledged(5);
    expect(tracker.stored).toBe(1);
    tracker.send(update);
    tracker.acknowledged(0);
    expect(tracker.stored).toBe(1);
    expect(tracker.state).toBe('saving');
  });

  it('is not saved before the server has sent its state', () => {
    const tracker = new SaveTracker();
    tracker.opened();
    tracker.send(step2);
    tracker.acknowledged(1);
    expect(tracker.state).toBe('saving');
    tracker.serverSynced();
    expect(tracker.state).toBe('saved');
  });

  it('keeps offline edits pending until the next connection carries them', () => {
    const tracker = new SaveTracker();
    tracker.opened();
    tracker.send(step2);
    tracker.serverSynced();
    tracker.acknowledged(1);
    tracker.closed();
    expect(tracker.state).toBe('saved');
    tracker.edited(false);
    expect(tracker.state).toBe('unsaved');

    // A new connection counts from zero; its step 2 carries the offline edit.
    tracker.opened();
    tracker.serverSynced();
    expect(tracker.state).toBe('saving');
    tracker.send(step2);
    expect(tracker.state).toBe('saving');
    tracker.acknowledged(1);
    expect(tracker.state).toBe('saved');
  });

  it('treats what a closed connection did not acknowledge as unsaved', () => {
    const tracker = new SaveTracker();
    tracker.opened();
    tracker.send(step2);
    tracker.serverSynced();
    tracker.acknowledged(1);
    tracker.send(update);
    tracker.closed();
    expect(tracker.state).toBe('unsaved');
    tracker.opened();
    tracker.send(step2);
    tracker.serverSynced();
    tracker.acknowledged(1);
    expect(tracker.state).toBe('saved');
  });
});

// Shared helpers for the scenarios: real Yjs documents synced through the real y-websocket
// provider (or a raw WebSocket speaking the protocol), against the server under test.
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import WebSocket from 'ws'
import * as encoding from 'lib0/encoding'
import * as decoding from 'lib0/decoding'

export { Y, WebSocket, encoding, decoding }

// An editor: a Y.Doc synced with the pad `room` through a stock WebsocketProvider.
export const editor = (wsBase, room, params = {}) => {
  const doc = new Y.Doc()
  const provider = new WebsocketProvider(wsBase, room, doc, {
    WebSocketPolyfill: WebSocket,
    params,
    // Same-process providers would otherwise sync through a shared in-memory channel,
    // bypassing the server.
    disableBc: true
  })
  const text = doc.getText('t')
  return { doc, provider, text }
}

// Waits until `check()` is true, polling; fails with `what` after a generous limit (this is a
// deadlock guard, not a timing assertion).
export const until = async (what, check, limitMs = 20000) => {
  const started = Date.now()
  while (!check()) {
    if (Date.now() - started > limitMs) throw new Error(`gave up waiting: ${what}`)
    await new Promise(resolve => setTimeout(resolve, 10))
  }
}

export const synced = (e, name = 'editor') => until(`${name} synced`, () => e.provider.synced)

// A raw WebSocket to the pad, collecting the messages it receives and how it was closed.
export const raw = (url) => new Promise((resolve, reject) => {
  const ws = new WebSocket(url)
  ws.binaryType = 'arraybuffer'
  const state = { ws, messages: [], closed: null }
  ws.on('message', data => state.messages.push(new Uint8Array(data)))
  ws.on('close', (code, reason) => { state.closed = { code, reason: reason.toString() } })
  ws.on('open', () => resolve(state))
  ws.on('error', reject)
})

export const syncMessage = (kind, payload) => {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, 0)
  encoding.writeVarUint(encoder, kind)
  encoding.writeVarUint8Array(encoder, payload)
  return encoding.toUint8Array(encoder)
}

export const done = (result) => {
  console.log(JSON.stringify(result))
  process.exit(0)
}

export const fail = (error) => {
  console.error(error)
  process.exit(1)
}

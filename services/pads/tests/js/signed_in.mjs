// A person signed in with a session token (for instance someone of another instance who
// signed in with their home instance) edits a pad or joins a room; used by the `maille`
// binary's home sign-in test.
//   node signed_in.mjs write WS_BASE PAD TOKEN TEXT   -> {"text": "..."} once stored
//   node signed_in.mjs read WS_BASE PAD TOKEN         -> {"text": "..."}
//   node signed_in.mjs join WS_URL TOKEN              -> the `joined` message
import { editor, synced, until, decoding, done, fail, WebSocket } from './lib.mjs'

const [action, ...args] = process.argv.slice(2)
try {
  if (action === 'write' || action === 'read') {
    const [wsBase, pad, token, text] = args
    const e = editor(wsBase, pad, { acks: '1', token })
    let stored = 0
    e.provider.messageHandlers[100] = (_encoder, decoder) => { stored = decoding.readVarUint(decoder) }
    await synced(e, 'editor')
    if (action === 'write') {
      e.text.insert(e.text.length, text)
      // Sync step 2, then one update.
      await until('the edit stored', () => stored >= 2)
    }
    const result = e.text.toString()
    e.provider.destroy()
    done({ text: result })
  } else if (action === 'join') {
    const [url, token] = args
    const ws = new WebSocket(`${url}?token=${encodeURIComponent(token)}`)
    const reply = await new Promise((resolve, reject) => {
      ws.on('open', () => ws.send(JSON.stringify({ type: 'join' })))
      ws.on('message', data => {
        const message = JSON.parse(data.toString())
        if (message.type === 'joined' || message.type === 'error') resolve(message)
      })
      ws.on('close', (code, reason) => reject(new Error(`closed ${code} ${reason}`)))
      ws.on('error', reject)
    })
    ws.close()
    done(reply)
  } else {
    fail(new Error(`unknown action ${action}`))
  }
} catch (error) { fail(error) }

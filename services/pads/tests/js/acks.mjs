// Acknowledgements: a raw client that asked for them (acks=1) sends a sync step 2 and three
// updates, and is told when all four are stored. Then a stock provider with acks=1 also
// receives them through `messageHandlers`.
import { Y, raw, syncMessage, editor, synced, until, decoding, done, fail } from './lib.mjs'

const [wsBase, pad] = process.argv.slice(2)
try {
  const client = await raw(`${wsBase}/${pad}?acks=1`)
  const doc = new Y.Doc()
  const updates = []
  doc.on('update', update => updates.push(update))
  doc.getText('t').insert(0, 'one ')
  doc.getText('t').insert(4, 'two ')
  doc.getText('t').insert(8, 'three')
  client.ws.send(syncMessage(1, new Uint8Array([0, 0])))
  for (const update of updates) client.ws.send(syncMessage(2, update))
  const acks = () => client.messages
    .filter(m => m[0] === 100)
    .map(m => { const d = decoding.createDecoder(m); decoding.readVarUint(d); return decoding.readVarUint(d) })
  await until('four updates acknowledged', () => acks().includes(4))
  client.ws.close()

  const e = editor(wsBase, pad, { acks: '1' })
  let stored = 0
  e.provider.messageHandlers[100] = (_encoder, decoder) => { stored = decoding.readVarUint(decoder) }
  await synced(e, 'provider')
  e.text.insert(e.text.length, '!')
  await until('the provider\'s edit is acknowledged', () => stored >= 2)
  const text = e.text.toString()
  e.provider.destroy()
  done({ acks: acks(), provider_stored: stored, text })
} catch (error) { fail(error) }

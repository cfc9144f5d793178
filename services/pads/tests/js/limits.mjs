// Limits: a message that is too big, a flood of updates, and an update that would make the
// pad too large each close the connection that sent them, with their reason.
import { Y, raw, syncMessage, until, done, fail } from './lib.mjs'

const [wsBase, pad, mode] = process.argv.slice(2)
try {
  const client = await raw(`${wsBase}/${pad}`)
  const doc = new Y.Doc()
  const updates = []
  doc.on('update', update => updates.push(update))
  if (mode === 'big') {
    doc.getText('t').insert(0, 'x'.repeat(5000))
    client.ws.send(syncMessage(2, updates[0]))
  } else if (mode === 'flood') {
    for (let i = 0; i < 20; i++) doc.getText('t').insert(0, `${i}`)
    for (const update of updates) client.ws.send(syncMessage(2, update))
  } else {
    doc.getText('t').insert(0, 'y'.repeat(600))
    client.ws.send(syncMessage(2, updates[0]))
  }
  await until('closed', () => client.closed !== null)
  done(client.closed)
} catch (error) { fail(error) }

// Presence: one editor's awareness state reaches the other, and disappears when it leaves.
import { editor, synced, until, done, fail } from './lib.mjs'

const [wsBase, pad] = process.argv.slice(2)
try {
  const ada = editor(wsBase, pad)
  const bob = editor(wsBase, pad)
  await synced(ada, 'ada')
  await synced(bob, 'bob')
  ada.provider.awareness.setLocalStateField('user', { name: 'Ada', color: '#c33' })
  const adaId = ada.doc.clientID
  const names = () => [...bob.provider.awareness.getStates().values()].map(s => s.user?.name).filter(Boolean)
  await until('bob sees ada', () => names().includes('Ada'))
  const seen = names()
  // Closing the socket without a goodbye: the server must remove ada's state itself.
  ada.provider.shouldConnect = false
  ada.provider.ws.terminate()
  await until('ada is gone for bob', () => !bob.provider.awareness.getStates().has(adaId))
  bob.provider.destroy()
  ada.provider.destroy()
  done({ seen, after: names() })
} catch (error) { fail(error) }

// Several editors type until told to stop (a line "stop" on stdin), across a server crash
// and restart: y-websocket reconnects by itself. Each records the words of others it saw
// relayed. Once stopped, they wait until they all hold the same text, and report.
import readline from 'node:readline'
import { editor, synced, until, done, fail } from './lib.mjs'

const [wsBase, pad, count] = process.argv.slice(2)
try {
  const editors = [...Array(Number(count)).keys()].map(i => ({ i, ...editor(wsBase, pad), typed: [], seen: new Set() }))
  for (const e of editors) {
    await synced(e, `editor ${e.i}`)
    e.doc.on('update', (_update, origin) => {
      if (origin === e.provider) {
        for (const word of e.text.toString().split(' ')) {
          if (word && !word.startsWith(`c${e.i}w`)) e.seen.add(word)
        }
      }
    })
  }
  let typing = true
  const rl = readline.createInterface({ input: process.stdin })
  rl.on('line', line => { if (line.trim() === 'stop') typing = false })
  console.log('typing')
  let k = 0
  while (typing) {
    for (const e of editors) {
      const word = `c${e.i}w${k}`
      e.text.insert(e.text.length, word + ' ')
      e.typed.push(word)
    }
    k += 1
    await new Promise(resolve => setTimeout(resolve, 100))
  }
  rl.close()
  await until('everyone reconnected and synced', () => editors.every(e => e.provider.wsconnected && e.provider.synced), 60000)
  await until('everyone converged', () => editors.every(e => e.text.toString() === editors[0].text.toString()), 60000)
  const result = {
    text: editors[0].text.toString(),
    typed: editors.flatMap(e => e.typed),
    seen: [...new Set(editors.flatMap(e => [...e.seen]))]
  }
  for (const e of editors) e.provider.destroy()
  done(result)
} catch (error) { fail(error) }

// Two editors type at once and converge; a third joins later and receives everything.
import { editor, synced, until, done, fail } from './lib.mjs'

const [wsBase, pad] = process.argv.slice(2)
try {
  const a = editor(wsBase, pad)
  const b = editor(wsBase, pad)
  await synced(a, 'a')
  await synced(b, 'b')
  for (let i = 0; i < 20; i++) {
    a.text.insert(0, `a${i};`)
    b.text.insert(b.text.length, `b${i};`)
    await new Promise(resolve => setTimeout(resolve, 5))
  }
  const complete = t => [...Array(20).keys()].every(i => t.includes(`a${i};`) && t.includes(`b${i};`))
  await until('a and b converge', () =>
    a.text.toString() === b.text.toString() && complete(a.text.toString()))
  const c = editor(wsBase, pad)
  await synced(c, 'c')
  await until('c has everything', () => c.text.toString() === a.text.toString())
  const result = { a: a.text.toString(), b: b.text.toString(), c: c.text.toString() }
  for (const e of [a, b, c]) e.provider.destroy()
  done(result)
} catch (error) { fail(error) }

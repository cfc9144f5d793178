// Unit tests of the outbox email reader used by the browser tests (no server needed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeHeader, parseEmail } from './mail.mjs';

const link = 'http://127.0.0.1:41234/verify-email?token=Zk3_abc-DEF0123456789abcdefghijklmnopqrstuvwxyz';

test('reads a quoted-printable text part with a link split by soft line breaks', () => {
  const qp = `Bonjour Camille,\r\n\r\nConfirmez votre adresse : http://127.0.0.1:41234/verify-email?token=3DZk3_a=\r\nbc-DEF0123456789abcdefghijklmnopqrstuvwxyz\r\n\r\n=C3=80 bient=C3=B4t.\r\n`;
  const raw = [
    'From: Maille <noreply@localhost>',
    'To: camille@example.org',
    'Subject: =?utf-8?q?Confirmez_votre_adresse_=C3=A9lectronique?=',
    'MIME-Version: 1.0',
    'Content-Type: multipart/alternative;',
    ' boundary="b1_xyz"',
    '',
    '--b1_xyz',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    qp,
    '--b1_xyz',
    'Content-Type: text/html; charset=utf-8',
    'Content-Transfer-Encoding: base64',
    '',
    Buffer.from('<p><a href="http://other.example/x">x</a></p>').toString('base64'),
    '--b1_xyz--',
    '',
  ].join('\r\n');
  const mail = parseEmail(Buffer.from(raw, 'latin1'));
  assert.equal(mail.to, 'camille@example.org');
  assert.equal(mail.subject, 'Confirmez votre adresse électronique');
  assert.match(mail.text, /À bientôt\./);
  assert.deepEqual(mail.links, [link]);
});

test('reads a base64 text part', () => {
  const text = `Hello,\n\nJoin the space: ${link.replace('verify-email?token=', 'join/')}.\n`;
  const raw = [
    'To: "Ana" <ana@example.org>',
    'Subject: Invitation',
    'Content-Type: text/plain; charset="utf-8"',
    'Content-Transfer-Encoding: base64',
    '',
    Buffer.from(text).toString('base64').replace(/(.{76})/g, '$1\r\n'),
    '',
  ].join('\r\n');
  const mail = parseEmail(Buffer.from(raw, 'latin1'));
  assert.equal(mail.to, '"Ana" <ana@example.org>');
  assert.deepEqual(mail.links, [link.replace('verify-email?token=', 'join/')]);
});

test('reads a plain 8bit message and nested multiparts', () => {
  const raw = [
    'To: x@example.org',
    'Content-Type: multipart/mixed; boundary=outer',
    '',
    'preamble',
    '--outer',
    'Content-Type: multipart/alternative; boundary="inner"',
    '',
    '--inner',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    'Réinitialiser : http://h/reset-password?token=abc',
    '--inner--',
    '--outer--',
  ].join('\n');
  const mail = parseEmail(Buffer.from(raw, 'utf8'));
  assert.match(mail.text, /^Réinitialiser/);
  assert.deepEqual(mail.links, ['http://h/reset-password?token=abc']);
});

test('decodes base64 encoded words', () => {
  assert.equal(decodeHeader('=?UTF-8?B?w4AgYmllbnTDtHQ=?='), 'À bientôt');
});

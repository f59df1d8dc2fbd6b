// How form errors behave for the person filling in a form: one message per field, the
// server's answer under the field it is about, and a message gone once that field is edited.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clearEdited, editedFields, firstPerField, formErrors } from '../../web/src/forms/errors.ts';

/** An API error as web/src/api.ts builds it from `{ error: { code, message, fields? } }`. */
const refused = (code: string, message: string, fields: Record<string, string> = {}) => ({ code, message, fields });

test('a refused code without fields goes under its field, not into a second alert', () => {
  const error = refused('totp.invalid_code', "That code didn't work.");
  assert.deepEqual(formErrors(error, { 'totp.invalid_code': 'code' }), {
    fields: { code: "That code didn't work." },
    summary: null,
  });
});

test('an error about no field is the summary, and fields the server named stay under them', () => {
  const error = refused('request.invalid', 'Check the fields.', { email: 'Enter a valid email address.' });
  assert.deepEqual(formErrors(error), { fields: { email: 'Enter a valid email address.' }, summary: 'Check the fields.' });
  assert.deepEqual(formErrors(null), { fields: {}, summary: null });
});

test('a field the server named keeps its own words over the code-wide message', () => {
  const error = refused('password.current_invalid', 'Generic.', { currentPassword: 'Your current password is not correct.' });
  assert.deepEqual(formErrors(error, { 'password.current_invalid': 'currentPassword' }).fields, {
    currentPassword: 'Your current password is not correct.',
  });
});

test("a refused TOTP code shows the server's advice under the field, as its one message", () => {
  const error = refused('totp.invalid_code', "That code didn't work. Check that your phone's clock is set automatically.", {
    code: 'Incorrect or expired code.',
  });
  assert.deepEqual(formErrors(error, { 'totp.invalid_code': 'code' }, { codeMessageWins: true }), {
    fields: { code: "That code didn't work. Check that your phone's clock is set automatically." },
    summary: null,
  });
});

test('one field shows one message: the first check to name it wins', () => {
  assert.deepEqual(
    firstPerField({ code: 'Enter the 6-digit code from your authenticator app.' }, { code: "That code didn't work.", other: 'x' }),
    { code: 'Enter the 6-digit code from your authenticator app.', other: 'x' },
  );
  assert.deepEqual(firstPerField({ code: '' }, { code: 'second' }), { code: 'second' });
});

test('editing a field clears its message at once, its list items too, and nothing else', () => {
  const errors = { password: 'This password is too common and easy to guess. Choose another.', confirm: 'x', ipAllowlist: 'a', 'ipAllowlist.2': 'b', note: 'n' };
  const edited = editedFields({ password: 'Summer2024!', ipAllowlist: 'a', note: '' }, { password: 'Summer2024!x', ipAllowlist: 'b', note: '' });
  assert.deepEqual(edited.sort(), ['ipAllowlist', 'password']);
  assert.deepEqual(clearEdited(errors, edited), { confirm: 'x', note: 'n' });
});

test('a linked field loses its message with the field it depends on', () => {
  const errors = { confirm: 'The passwords do not match.' };
  assert.deepEqual(clearEdited(errors, ['password'], { password: ['confirm'] }), {});
  // Unchanged errors keep their identity, so a form does not re-render for nothing.
  assert.equal(clearEdited(errors, ['note']), errors);
});

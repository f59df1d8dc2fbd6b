// Text from people (names, a SAML answer) into HTML: every character that could end a text
// or an attribute written as a character reference. One escape for every page and mail.
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

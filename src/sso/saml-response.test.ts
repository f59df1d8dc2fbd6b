// What the ACS reads of a response before verifying it (which request it answers) and,
// after, the Response element's Destination: the root element's start tag alone, each
// attribute read whole, within a bounded prefix, so that crafted XML (anyone may post to
// the ACS) costs no more than reading those few kilobytes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { claimedInResponseTo } from './saml.ts';

const encoded = (xml: string) => Buffer.from(xml, 'utf8').toString('base64');
const PROTOCOL = 'xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"';

test('the InResponseTo of the root Response, after a declaration and comments, in either quoting', () => {
  const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<!-- from the provider -->\n<samlp:Response ${PROTOCOL} ID="_r1" InResponseTo="_req42" Destination="https://gh.example/acs"><saml:Assertion/></samlp:Response>`;
  assert.equal(claimedInResponseTo(encoded(xml)), '_req42');
  assert.equal(claimedInResponseTo(encoded(`<Response ID='_r2' InResponseTo='_req43'/>`)), '_req43');
});

test("only the root element's own attribute counts: not a nested element's, not one spelled inside another attribute's value", () => {
  const nested = `<samlp:Response ${PROTOCOL} ID="_r3"><saml:SubjectConfirmationData InResponseTo="_nested"/></samlp:Response>`;
  assert.equal(claimedInResponseTo(encoded(nested)), undefined);
  const notRoot = `<wrapper><samlp:Response ${PROTOCOL} InResponseTo="_wrapped"/></wrapper>`;
  assert.equal(claimedInResponseTo(encoded(notRoot)), undefined);
  const inValue = `<samlp:Response ${PROTOCOL} Consent=' InResponseTo="_fake"' InResponseTo="_real"/>`;
  assert.equal(claimedInResponseTo(encoded(inValue)), '_real');
});

test('a root start tag that does not end within 4 KB is not read, however the rest is made', () => {
  const padded = `<samlp:Response ${PROTOCOL} Padding="${'a'.repeat(5000)}" InResponseTo="_late"/>`;
  assert.equal(claimedInResponseTo(encoded(padded)), undefined);
  // Half a megabyte of unclosed "<Response " openings: nothing to read, and no more work
  // than the first 4 KB (a search over the whole document backtracked from each one).
  assert.equal(claimedInResponseTo(encoded('<Response '.repeat(50_000))), undefined);
  assert.equal(claimedInResponseTo(encoded('<?xml version="1.0"')), undefined, 'an unfinished declaration');
  assert.equal(claimedInResponseTo(encoded('<!-- never closed')), undefined, 'an unfinished comment');
});

// Whether text holds something a reader could follow as an address: what a mail client
// makes a link of (a scheme, www., an @, a domain), and what a browser's address bar opens
// when the text is typed or pasted into it. The second is judged by the WHATWG URL parser
// itself, the one browsers use, so every spelling it accepts counts: the full stops UTS #46
// maps to "." (U+3002, U+FF0E, U+FF61), a letter with a combining mark before the dot, an
// underscore, an IPv4 address with or without a path.

const MAIL_CLIENT_LINK = /:\/\/|www\.|@|[\p{L}\p{N}-]\.[\p{L}]{2,}|\[[\da-f:.]*:[\da-f:.]*\]/iu;

/** Where a host cannot go on: the pieces between are each tried as one. */
const NOT_IN_A_HOST = /[\s"'<>()[\]{}|\\^`,;:!?*]+/u;

/** A full stop as a browser reads one in a host name. */
const FULL_STOP = /[.\u3002\uFF0E\uFF61]/gu;

const IPV4 = /^\d+\.\d+\.\d+\.\d+$/;

export function isLinkLike(text: string): boolean {
  return MAIL_CLIENT_LINK.test(text) || text.split(NOT_IN_A_HOST).some(opensAsHost);
}

/**
 * A word the address bar takes for a host with a dot in it: at least two labels and a
 * last one of two characters or more ("a.b." and "Inc." stay names), or an IP address
 * written as four numbers. Fewer numbers ("Studio 54", "version 1.6") count for nothing,
 * though the parser reads them as an address: an address bar searches for them instead.
 */
function opensAsHost(word: string): boolean {
  const stops = (word.split(/[/?#]/u)[0] as string).match(FULL_STOP)?.length ?? 0;
  if (stops === 0) return false;
  let host: string;
  try {
    host = new URL(`http://${word}`).hostname;
  } catch {
    return false;
  }
  if (IPV4.test(host)) return stops >= 3;
  const labels = host.replace(/\.$/, '').split('.');
  return labels.length >= 2 && labels.every((label) => label !== '') && (labels.at(-1) as string).length >= 2;
}

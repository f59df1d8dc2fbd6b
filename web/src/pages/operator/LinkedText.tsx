import { Anchor } from '@mantine/core';
import type { ReactNode } from 'react';

const URL_PATTERN = /https?:\/\/[^\s<>"'()[\]]+/g;
// A sentence may end right after an address; that full stop is not part of it.
const TRAILING = /[.,;:!?]+$/;

/**
 * Plain text with its http(s) addresses turned into links; everything else stays text,
 * which React escapes. Only http and https are linked, whatever the mail contains.
 */
export function LinkedText({ text }: { text: string }) {
  const parts: ReactNode[] = [];
  let last = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    const start = match.index ?? 0;
    const url = match[0].replace(TRAILING, '');
    parts.push(text.slice(last, start));
    parts.push(
      <Anchor key={start} href={url} style={{ wordBreak: 'break-all' }}>
        {url}
      </Anchor>,
    );
    last = start + url.length;
  }
  parts.push(text.slice(last));
  return <>{parts}</>;
}

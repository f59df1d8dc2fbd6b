import type { FieldErrors } from './api';

/** One URI per line in a textarea; the line number is kept for error messages. */
export interface Line {
  value: string;
  line: number;
}

/** The non-empty lines of a textarea, trimmed, each with its 1-based line number. */
export function linesOf(text: string): Line[] {
  return text
    .split(/\r?\n/)
    .map((value, index) => ({ value: value.trim(), line: index + 1 }))
    .filter((entry) => entry.value !== '');
}

/**
 * The server names list items by their index in what was sent (`redirectUris.2`); the
 * form has one textarea per list, so each such message goes under that textarea, led by
 * the line it is about. Blank lines are not sent, hence the lookup in `sent`.
 */
export function listErrors(fields: FieldErrors, key: string, sent: Line[]): string[] {
  const messages: string[] = [];
  if (fields[key]) messages.push(fields[key]);
  const items = Object.entries(fields)
    .map(([name, message]) => ({ index: itemIndex(name, key), message }))
    .filter((item): item is { index: number; message: string } => item.index !== undefined)
    .sort((a, b) => a.index - b.index);
  for (const { index, message } of items) {
    const line = sent[index]?.line;
    messages.push(line === undefined ? message : `Line ${line}: ${message}`);
  }
  return messages;
}

function itemIndex(name: string, key: string): number | undefined {
  const match = new RegExp(`^${key}\\.(\\d+)$`).exec(name);
  return match ? Number(match[1]) : undefined;
}

/** Does this error key belong to the list field `key` (itself or one of its items)? */
export const isListKey = (name: string, key: string) => name === key || itemIndex(name, key) !== undefined;

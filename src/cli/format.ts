// Plain-text output: aligned tables, ages and times. No colour, so output reads the same
// in a terminal, a log file or a pipe.

const MAX_CELL = 40;

/** Text from the database, with control characters (terminal escapes) made visible. */
export function printable(value: string): string {
  return value.replace(/[^\P{Cc}\n\t]/gu, '?');
}

function clip(value: string, max: number): string {
  return [...value].length > max ? `${[...value].slice(0, max - 1).join('')}…` : value;
}

/** Columns padded to their widest cell; long cells are clipped (use --json for all of it). */
export function table(headers: string[], rows: string[][]): string {
  const cells = [headers, ...rows.map((row) => row.map((cell) => clip(printable(cell.replace(/\s+/g, ' ')), MAX_CELL)))];
  const widths = headers.map((_, column) => Math.max(...cells.map((row) => [...(row[column] ?? '')].length)));
  return cells
    .map((row) =>
      row
        .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** "45m", "5h", "2d 3h": how long a request has waited. */
export function age(ms: number): string {
  const minutes = Math.max(0, Math.floor(ms / 60_000));
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours}h`;
  const days = Math.floor(hours / 24);
  return hours % 24 === 0 ? `${days}d` : `${days}d ${hours % 24}h`;
}

/** "2025-03-04 09:15 UTC": one zone for every operator, whatever their machine says. */
export function time(ms: number | null): string {
  if (ms === null) return '-';
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

// ISO times for --json come from the presenters the HTTP API uses too.
export { iso } from '../presenters/index.ts';

export function shortId(id: string): string {
  return id.slice(0, 8);
}

export function duration(ms: number): string {
  const hours = Math.round(ms / 3_600_000);
  return hours % 24 === 0 ? `${hours / 24} day${hours === 24 ? '' : 's'}` : `${hours} hour${hours === 1 ? '' : 's'}`;
}

export function printJson(value: unknown): void {
  console.log(JSON.stringify(value, null, 2));
}

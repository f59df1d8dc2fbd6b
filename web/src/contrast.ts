// WCAG 2 contrast, to derive text colours from the palette that stay readable (AA: 4.5:1
// for normal text) on the backgrounds they are drawn on.

const channels = (hex: string) => (hex.replace('#', '').match(/../g) ?? []).map((pair) => parseInt(pair, 16));

const toHex = (values: number[]) => `#${values.map((v) => Math.round(v).toString(16).padStart(2, '0')).join('')}`;

function luminance(hex: string): number {
  const [r = 0, g = 0, b = 0] = channels(hex).map((v) => {
    const c = v / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

export function contrast(a: string, b: string): number {
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (light + 0.05) / (dark + 0.05);
}

/** `hex` moved towards black by `amount` (0-1). */
export function darken(hex: string, amount: number): string {
  return toHex(channels(hex).map((v) => v * (1 - amount)));
}

/**
 * `hex` as it is if it already reaches `minimum` against every background, else darkened
 * in small steps until it does. A margin over 4.5 absorbs rounding in the browser.
 */
export function readableOn(hex: string, backgrounds: string[], minimum = 4.6): string {
  let color = hex;
  for (let step = 0; step < 50 && backgrounds.some((bg) => contrast(color, bg) < minimum); step++) color = darken(color, 0.04);
  return color;
}

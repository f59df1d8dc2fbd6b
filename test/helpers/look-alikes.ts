// Generators for names that imitate a name: invisible characters inserted, letters
// swapped for their Unicode look-alikes (confusables.txt, as unhomoglyph ships it), case
// changed for the whole name or letter by letter, spacing doubled. Each is the name it
// imitates: the HTTP tests try them at every form that creates a name, the key's property
// test over any name.
import fc from 'fast-check';
import confusables from 'unhomoglyph/data.json' with { type: 'json' };

/** Every character the issue lists, and their relatives: none may hide in a name. */
export const INVISIBLES = [
  '\u00AD', '\u200B', '\u200C', '\u200D', '\u2060', '\u200E', '\u200F', '\u202A', '\u202B', '\u202C', '\u202D', '\u202E',
  '\u2066', '\u2067', '\u2068', '\u2069', '\u061C', '\u3164', '\u115F', '\u1160', '\uFFA0', '\u034F', '\u180E', '\uFE00',
  '\uFE0F', '\u{E0001}', '\u{E0041}', '\u{E007F}', '\u{E0100}', '\uFEFF', '\u2800', '\u2061', '\u2064', '\u17B4', '\u{1D159}', '\u{16FE4}',
];

/** Look-alikes of a letter as written (capital or small) from Unicode's confusables.txt. */
const table = confusables as Record<string, string>;
const lookAlikesOf = new Map<string, string[]>();
for (const [char, prototype] of Object.entries(table)) {
  // A character NFKC saves as another letter (Ϲ as Σ, ſ as s) is shown as that letter, so it
  // no longer imitates its prototype: names are keyed as they are saved (src/shared/text.ts).
  const saved = char.normalize('NFKC');
  if (/^\p{L}$/u.test(char) && (saved === char || saved.toLowerCase() === prototype.toLowerCase() || table[saved] === prototype)) {
    lookAlikesOf.set(prototype, [...(lookAlikesOf.get(prototype) ?? []), char]);
  }
}
export function lookAlikes(letter: string): string[] {
  return lookAlikesOf.get(table[letter] ?? letter) ?? [];
}

/** `name` with invisible characters at random places. */
export const withInvisibles = (name: string) =>
  fc
    .array(fc.tuple(fc.nat(name.length), fc.constantFrom(...INVISIBLES)), { minLength: 1, maxLength: 4 })
    .map((inserts) => {
      const chars = [...name];
      for (const [at, char] of inserts) chars.splice(Math.min(at, chars.length), 0, char);
      return chars.join('');
    });

/** The whole name recased, its spacing doubled, or each letter small or capital as drawn. */
const recasings = fc.oneof(
  fc.constantFrom<(s: string) => string>((s) => s, (s) => s.toUpperCase(), (s) => s.toLowerCase(), (s) => s.replace(/ /g, '  ')),
  fc.array(fc.boolean(), { minLength: 32, maxLength: 32 }).map((capitals) => (s: string) => [...s].map((c, i) => (capitals[i] ? c.toUpperCase() : c.toLowerCase())).join('')),
);

/** `name` with some letters replaced by look-alikes of the letter as it then stands, after a recasing. */
export const withLookAlikes = (name: string) =>
  fc
    .tuple(fc.array(fc.tuple(fc.nat(name.length - 1), fc.nat()), { minLength: 1, maxLength: 3 }), recasings)
    .map(([swaps, recase]) => {
      const chars = [...recase(name)];
      for (const [at, pick] of swaps) {
        const options = lookAlikes(chars[at] ?? '');
        if (options.length > 0) chars[at] = options[pick % options.length] as string;
      }
      return chars.join('');
    })
    .filter((variant) => variant.toLowerCase() !== name.toLowerCase());

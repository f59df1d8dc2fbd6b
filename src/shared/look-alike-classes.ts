// Which characters are one character when names are compared: those that look alike
// (Unicode's confusables.txt, as unhomoglyph ships it) and those that differ only by case,
// closed over both. One key per name then catches every variant however its letters were
// swapped and recased, one by one: two keys, one folding case before the look-alikes and
// one after, each missed a letter the other caught ("Acme ClﻪꞟᏧ": Cherokee "Ꮷ" looks like
// "d" and its small form does not; "ꞟ" looks like "u" and its capital does not).
//
// Closing over case has one cost, by design: a character that looks like one letter and
// is the case partner of another would make the two letters one. Long "ſ" looks like "f"
// and its capital is "S"; Greek "ν" looks like "v" and its capital "Ν" like "N". Such a
// case link is left out (the character stays what it looks like), so "safe" and "fafe"
// remain two names. The one merge kept on purpose is capital "I", which looks like "l":
// "i", "I", "l" and "1" are one letter, as "0" and "o" already were.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/**
 * Unicode's confusables.txt: character -> prototype (one or more characters). Read, not
 * required, so the table is garbage once the classes are built (require would keep it).
 */
const readPrototypes = () =>
  JSON.parse(readFileSync(createRequire(import.meta.url).resolve('unhomoglyph/data.json'), 'utf8')) as Record<string, string>;

const isOneCharacter = (value: string) => value.length === 1 || (value.length === 2 && value.codePointAt(0)! > 0xffff);
const ASCII_LETTER_OR_DIGIT = /^[A-Za-z0-9]$/;

/** Union-find over characters; each class remembers the ASCII letters and digits it holds. */
class CharacterClasses {
  readonly #parent = new Map<string, string>();
  readonly #ascii = new Map<string, string>();

  add(char: string): void {
    if (this.#parent.has(char)) return;
    this.#parent.set(char, char);
    if (ASCII_LETTER_OR_DIGIT.test(char)) this.#ascii.set(char, char.toLowerCase());
  }

  root(char: string): string {
    let root = char;
    for (let up = this.#parent.get(root); up !== undefined && up !== root; up = this.#parent.get(root)) root = up;
    for (let at = char; at !== root; ) {
      const next = this.#parent.get(at)!;
      this.#parent.set(at, root);
      at = next;
    }
    return root;
  }

  /** The ASCII letters and digits in the character's class, sorted ("" when none). */
  asciiOf(char: string): string {
    return this.#ascii.get(this.root(char)) ?? '';
  }

  join(a: string, b: string): void {
    this.add(a);
    this.add(b);
    const [rootA, rootB] = [this.root(a), this.root(b)];
    if (rootA === rootB) return;
    this.#parent.set(rootA, rootB);
    const ascii = [...new Set([...(this.#ascii.get(rootA) ?? ''), ...(this.#ascii.get(rootB) ?? '')])].sort().join('');
    if (ascii) this.#ascii.set(rootB, ascii);
    this.#ascii.delete(rootA);
  }

  members(): IterableIterator<string> {
    return this.#parent.keys();
  }
}

function buildClasses(prototypes: Record<string, string>): CharacterClasses {
  const classes = new CharacterClasses();
  for (const [char, prototype] of Object.entries(prototypes)) {
    classes.add(char);
    if (isOneCharacter(prototype)) classes.join(char, prototype);
    else for (const part of prototype) classes.add(part);
  }
  // Plain Latin case first: people type names in any case ("MILO" is "milo").
  for (let code = 0x41; code <= 0x5a; code += 1) classes.join(String.fromCharCode(code), String.fromCharCode(code + 0x20));
  // Then every other case partner of a character already in a class, unless the link
  // would make two different Latin letters (or digits) one.
  const pending = [...classes.members()].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
  for (const char of pending) {
    for (const partner of new Set([char.toLowerCase(), char.toUpperCase()])) {
      if (partner === char || !isOneCharacter(partner)) continue;
      classes.add(partner);
      const [mine, theirs] = [classes.asciiOf(char), classes.asciiOf(partner)];
      if (mine && theirs && mine !== theirs) continue;
      classes.join(char, partner);
    }
  }
  return classes;
}

/**
 * What each class of characters is written as in a key: a prototype longer than one
 * character when a member has one ("m" is "rn", as confusables.txt says), else its
 * smallest plain letter or digit, else its smallest small letter, else its smallest
 * character. Capitals therefore never appear where a small form exists.
 */
function buildSpelling(classes: CharacterClasses, prototypes: Record<string, string>): Map<string, string> {
  const byRoot = new Map<string, string[]>();
  for (const char of classes.members()) {
    const root = classes.root(char);
    const members = byRoot.get(root);
    if (members) members.push(char);
    else byRoot.set(root, [char]);
  }
  const spelling = new Map<string, string>();
  const rank = (char: string) =>
    (/^[a-z]$/.test(char) ? 0 : /^[0-9]$/.test(char) ? 1 : char !== char.toUpperCase() ? 2 : 3) * 0x110000 + char.codePointAt(0)!;
  for (const members of byRoot.values()) {
    members.sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
    const expanded = members.find((char) => prototypes[char] !== undefined && !isOneCharacter(prototypes[char]!));
    const written = expanded !== undefined ? prototypes[expanded]! : members.reduce((best, char) => (rank(char) < rank(best) ? char : best));
    for (const char of members) spelling.set(char, written);
  }
  return spelling;
}

let spelling: Map<string, string> | undefined;

/**
 * One character as it is written in a name key. Characters in no class (most of the
 * world's letters: they look like nothing else) are compared small.
 */
export function spellingOf(char: string): string {
  if (!spelling) {
    const prototypes = readPrototypes();
    spelling = buildSpelling(buildClasses(prototypes), prototypes);
  }
  return spelling.get(char) ?? spelling.get(char.toLowerCase()) ?? char.toLowerCase();
}

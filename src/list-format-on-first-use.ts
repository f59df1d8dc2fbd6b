// Imported first by the entry points (after threadpool.ts), before oidc-provider loads.
// oidc-provider makes two Intl.ListFormat objects as it loads, only to word its error
// messages ("missing required parameter 'grant_type'"), and V8's first Intl object maps
// ICU's locale data: about 4 MiB of every idle node's memory, for messages most nodes
// rarely send (docs/PERFORMANCE-LOG.md, twenty-second pass). Until the entry point calls
// restoreListFormat(), once its imports are evaluated, Intl.ListFormat makes formatters
// that build the built-in one on their first use; from then on it is the built-in again.
const BuiltIn = Intl.ListFormat;
type Args = ConstructorParameters<typeof Intl.ListFormat>;

class ListFormatOnFirstUse {
  readonly #args: Args;
  #made: Intl.ListFormat | undefined;
  constructor(...args: Args) {
    this.#args = args;
  }
  #formatter(): Intl.ListFormat {
    return (this.#made ??= new BuiltIn(...this.#args));
  }
  format(list: Iterable<string>): string {
    return this.#formatter().format(list);
  }
  formatToParts(list: Iterable<string>) {
    return this.#formatter().formatToParts(list);
  }
  resolvedOptions() {
    return this.#formatter().resolvedOptions();
  }
  static supportedLocalesOf(...args: Parameters<typeof Intl.ListFormat.supportedLocalesOf>) {
    return BuiltIn.supportedLocalesOf(...args);
  }
}

// The built-in's own attributes: writable, configurable, not enumerable.
const put = (value: unknown) => Object.defineProperty(Intl, 'ListFormat', { value, writable: true, configurable: true, enumerable: false });
put(ListFormatOnFirstUse);

/** Intl.ListFormat is the built-in again (what was made meanwhile stays on first use). */
export function restoreListFormat(): void {
  put(BuiltIn);
}

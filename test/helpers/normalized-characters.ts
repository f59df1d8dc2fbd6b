// Work counted, not timed: the characters String.prototype.normalize reads while a request
// is handled (the server runs in the test's process). Name rules and group-name keys
// normalize per character, so this is the measure of what a long or large input costs.

/** The characters String.prototype.normalize reads while `send` runs. */
export async function charactersNormalized<T>(send: () => Promise<T>): Promise<{ answer: T; read: number }> {
  const original = String.prototype.normalize;
  let read = 0;
  String.prototype.normalize = function (this: string, form?: string) {
    read += this.length;
    return original.call(this, form);
  };
  try {
    return { answer: await send(), read };
  } finally {
    String.prototype.normalize = original;
  }
}

// Whether the page holds input the user typed and has not saved: asked when the session
// ends under the page (api.ts, endedSession), which leaves by a full page load and so
// loses it. The login page then says a change was not saved; the input itself is never
// kept (a shared computer's next user must not find it). A leaf module, like tabsChannel.
//
// Typed means an `input` event from the user (typing, a click on a choice), which a page
// filling a form with what the server holds never fires; saved, the form says so.

/** Forms the user has typed into since they were last saved or started afresh. */
const typedIn = new WeakSet<HTMLFormElement>();
/** The forms that hold changes to save (useApiForm's), by their element once drawn. */
const watched = new Set<() => HTMLFormElement | null>();
let listening = false;

function noteTyping(event: Event): void {
  const form = event.target instanceof Element ? event.target.closest('form') : null;
  if (form) typedIn.add(form);
}

/** A form that saves what is typed in it; answers the function that stops watching it. */
export function watchTypedInput(formOf: () => HTMLFormElement | null): () => void {
  if (!listening) {
    listening = true;
    document.addEventListener('input', noteTyping, true);
  }
  watched.add(formOf);
  return () => watched.delete(formOf);
}

/** The form's input is saved (or the form starts afresh): nothing typed in it is at stake. */
export function typedInputSettled(form: HTMLFormElement | null): void {
  if (form) typedIn.delete(form);
}

/** Whether a watched form on screen holds input typed and not yet saved. */
export const typedInputOnPage = () =>
  [...watched].some((formOf) => {
    const form = formOf();
    return Boolean(form?.isConnected && typedIn.has(form));
  });

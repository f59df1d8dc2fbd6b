// Scripts that run inside the page, the same in all three engines (each driver takes a
// function and one JSON argument). They find elements the way a user names them (by label,
// by role and accessible name, by text) and mark the one found with `data-e2e`, so the
// engine's own driver then clicks or types into it with real input events.
//
// These functions are serialized with toString(): they must not use anything from module
// scope. The project compiles without the DOM library, so the page is reached through
// `globalThis` as `any`.

export type Role = 'button' | 'link' | 'tab' | 'checkbox' | 'radio' | 'menuitem';

export type Query =
  | { by: 'label'; label: string }
  | { by: 'role'; name: string; role?: Role }
  | { by: 'text'; text: string };

export interface LocateResult {
  ok: boolean;
  /** Why nothing usable was found yet (the caller keeps polling, then reports it). */
  reason?: string;
  selector?: string;
}

export const MARK_ATTRIBUTE = 'data-e2e';

/** Finds exactly one visible, enabled, unobscured, motionless element; marks it. */
export function locateInPage(arg: { query: Query; token: string; mark: string }): Promise<LocateResult> {
  const page = globalThis as any;
  const doc = page.document;
  const { query, token, mark } = arg;
  const norm = (text: string | null | undefined) => (text ?? '').replace(/\s+/g, ' ').trim();

  // Text a user sees as the name: skips aria-hidden parts (Mantine's required " *").
  const visibleText = (node: any): string => {
    let text = '';
    for (const child of node.childNodes) {
      if (child.nodeType === 3) text += child.textContent;
      else if (child.nodeType === 1 && child.getAttribute('aria-hidden') !== 'true') text += ` ${visibleText(child)} `;
    }
    return text;
  };

  const accessibleName = (el: any): string => {
    const label = el.getAttribute('aria-label');
    if (label) return norm(label);
    const labelledBy = el.getAttribute('aria-labelledby');
    if (labelledBy) {
      return norm(labelledBy.split(/\s+/).map((id: string) => {
        const ref = doc.getElementById(id);
        return ref ? visibleText(ref) : '';
      }).join(' '));
    }
    if (el.tagName === 'INPUT' && (el.type === 'submit' || el.type === 'button')) return norm(el.value);
    return norm(visibleText(el));
  };

  const isVisible = (el: any): boolean => {
    if (typeof el.checkVisibility === 'function' && !el.checkVisibility({ opacityProperty: true, visibilityProperty: true })) return false;
    const rect = el.getBoundingClientRect();
    return rect.width > 0 && rect.height > 0;
  };

  const roleSelectors: Record<string, string> = {
    button: 'button, [role="button"], input[type="submit"], input[type="button"]',
    link: 'a[href], [role="link"]',
    tab: '[role="tab"]',
    checkbox: 'input[type="checkbox"], [role="checkbox"]',
    radio: 'input[type="radio"], [role="radio"]',
    menuitem: '[role="menuitem"]',
  };

  let candidates: any[];
  let described: string;
  if (query.by === 'label') {
    described = `a field labelled "${query.label}"`;
    const wanted = norm(query.label);
    const fromLabels = [...doc.querySelectorAll('label')]
      .filter((label: any) => norm(visibleText(label)) === wanted)
      .map((label: any) => label.control)
      .filter(Boolean);
    const fromAria = [...doc.querySelectorAll('input, textarea, select')].filter(
      (el: any) => el.getAttribute('aria-label') && norm(el.getAttribute('aria-label')) === wanted,
    );
    candidates = [...new Set([...fromLabels, ...fromAria])];
  } else if (query.by === 'role') {
    const roles = query.role ? [query.role] : ['button', 'link', 'tab'];
    described = `a ${roles.join('/')} named "${query.name}"`;
    const wanted = norm(query.name);
    candidates = [...doc.querySelectorAll(roles.map((role) => roleSelectors[role]).join(', '))].filter(
      (el: any) => accessibleName(el) === wanted,
    );
  } else {
    described = `an element with the text "${query.text}"`;
    const wanted = norm(query.text);
    // The innermost elements whose own visible text is exactly the wanted text.
    candidates = [...doc.body.querySelectorAll('*')].filter(
      (el: any) =>
        norm(visibleText(el)) === wanted &&
        ![...el.children].some((child: any) => norm(visibleText(child)) === wanted),
    );
  }

  const visible = candidates.filter(isVisible);
  if (visible.length === 0) {
    return Promise.resolve({ ok: false, reason: `no visible ${described} (${candidates.length} hidden)` });
  }
  if (visible.length > 1) return Promise.resolve({ ok: false, reason: `${visible.length} visible matches for ${described}` });
  const el = visible[0];
  if (el.disabled || el.getAttribute('aria-disabled') === 'true' || el.hasAttribute('data-loading') || el.closest('fieldset:disabled')) {
    return Promise.resolve({ ok: false, reason: `${described} is disabled` });
  }
  el.scrollIntoView({ block: 'center', inline: 'nearest' });
  const before = el.getBoundingClientRect();
  // Two readings a moment apart: an element still moving (a dialog opening) is not clicked
  // yet. The caller polls again, so this is a condition (it stands still), not a pause.
  return new Promise((resolve) => {
    page.setTimeout(() => {
      const after = el.getBoundingClientRect();
      if (before.x !== after.x || before.y !== after.y || before.width !== after.width || before.height !== after.height) {
        return resolve({ ok: false, reason: `${described} is still moving` });
      }
      // A transition that has not moved it yet (a dialog fading in) is motion too; a
      // finite one only: a spinner elsewhere on the way would never end.
      const moving = (typeof doc.getAnimations === 'function' ? doc.getAnimations() : []).some(
        (animation: any) =>
          animation.playState === 'running' &&
          animation.effect?.getComputedTiming?.().endTime !== Infinity &&
          animation.effect?.target?.contains?.(el),
      );
      if (moving) return resolve({ ok: false, reason: `${described} is still animating` });
      const x = after.left + after.width / 2;
      const y = after.top + after.height / 2;
      const hit = doc.elementFromPoint(x, y);
      const label = hit?.closest?.('label');
      if (!hit || !(el === hit || el.contains(hit) || (label && label.control === el))) {
        const what = hit ? `${hit.tagName.toLowerCase()}.${norm(String(hit.className)).split(' ')[0] ?? ''}` : 'nothing';
        return resolve({ ok: false, reason: `${described} is covered by ${what}` });
      }
      for (const old of doc.querySelectorAll(`[${mark}]`)) old.removeAttribute(mark);
      el.setAttribute(mark, token);
      resolve({ ok: true, selector: `[${mark}="${token}"]` });
    }, 60);
  });
}

/** The value of the marked field, to confirm typing reached the page (React state). */
export function valueInPage(selector: string): string | null {
  const el = (globalThis as any).document.querySelector(selector);
  return el ? String(el.value) : null;
}

/** Selects the marked field's content, so the next keystroke replaces it. */
export function selectAllInPage(selector: string): boolean {
  const el = (globalThis as any).document.querySelector(selector);
  if (!el) return false;
  el.focus();
  el.select?.();
  return true;
}

/**
 * Whether the checkbox of the label reading `text` is checked; null while there is no such
 * label with a control.
 */
export function checkedInPage(text: string): boolean | null {
  const norm = (value: string | null | undefined) => (value ?? '').replace(/\s+/g, ' ').trim();
  const label = [...(globalThis as any).document.querySelectorAll('label')].find((el: any) => norm(el.textContent) === norm(text));
  const control = label?.control;
  return control ? Boolean(control.checked) : null;
}

/** What the user reads: the page's rendered text (CSS text-transform applied). */
export function textInPage(): string {
  return String((globalThis as any).document.body?.innerText ?? '');
}

/**
 * Scrolls an element into the middle of the viewport (before a viewport screenshot); false
 * while there is none, or while an image has not loaded and decoded yet.
 */
export function scrollToInPage(selector: string): boolean {
  const el = (globalThis as any).document.querySelector(selector);
  if (!el) return false;
  if (el.tagName === 'IMG' && !(el.complete && el.naturalWidth > 0)) return false;
  el.scrollIntoView({ block: 'center', inline: 'nearest' });
  return true;
}

/** The viewport's size in CSS pixels. */
export function viewportInPage(): { width: number; height: number } {
  const page = globalThis as any;
  return { width: page.innerWidth, height: page.innerHeight };
}

/** Resolves after two animation frames (a paint has happened), or after 1 s at most. */
export function nextPaintInPage(): Promise<boolean> {
  const page = globalThis as any;
  return new Promise((resolve) => {
    const fallback = page.setTimeout(() => resolve(false), 1000);
    page.requestAnimationFrame(() =>
      page.requestAnimationFrame(() => {
        page.clearTimeout(fallback);
        resolve(true);
      }),
    );
  });
}

/** Makes window.open return null, as a pop-up blocker does, until the page is reloaded. */
export function blockPopupsInPage(): boolean {
  (globalThis as any).open = () => null;
  return true;
}

/** The address of the document the window shows, as the document itself knows it. */
export function locationInPage(): string {
  return String((globalThis as any).location.href);
}

import { useEffect, type RefObject } from 'react';

/**
 * After a failed submit, move focus to the first field marked invalid so keyboard and
 * screen-reader users land on the problem and hear its message (aria-describedby).
 */
export function useFocusFirstInvalid(form: RefObject<HTMLElement | null>, trigger: unknown) {
  useEffect(() => {
    if (!trigger) return;
    form.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [form, trigger]);
}

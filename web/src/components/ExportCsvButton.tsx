import { Button } from '@mantine/core';
import { useRef, type MouseEvent } from 'react';
import { stillShownUser } from '../api';

/**
 * "Export CSV": a real link (an export streams and may be large, so never a Blob in the
 * page), to a URL naming the page's user (downloadUrl). A click first asks whether the
 * browser's session is still that user's: if another tab logged in as someone else, the
 * page reloads as them instead of the browser failing the refused download.
 */
export function ExportCsvButton({ href }: { href: string }) {
  // The click this button makes itself once the check passed: the browser follows it.
  const checked = useRef(false);
  const onClick = (event: MouseEvent<HTMLAnchorElement>) => {
    if (checked.current) {
      checked.current = false;
      return;
    }
    event.preventDefault();
    const link = event.currentTarget;
    void stillShownUser().then((same) => {
      if (!same) return;
      checked.current = true;
      link.click();
    });
  };
  return (
    <Button component="a" href={href} download onClick={onClick} variant="default" size="sm">
      Export CSV
    </Button>
  );
}

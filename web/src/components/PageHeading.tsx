import { Title, type TitleOrder } from '@mantine/core';
import { useEffect, useRef, type ReactNode } from 'react';

interface PageHeadingProps {
  children: ReactNode;
  order?: TitleOrder;
  /** Move focus here when shown, so a step change is announced and Tab starts from the top. */
  focus?: boolean;
  ta?: 'left' | 'center';
}

export function PageHeading({ children, order = 1, focus = false, ta = 'left' }: PageHeadingProps) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (focus) ref.current?.focus();
  }, [focus]);
  return (
    <Title ref={ref} order={order} size={order === 1 ? 'h2' : 'h3'} ta={ta} tabIndex={focus ? -1 : undefined} style={{ outline: 'none' }}>
      {children}
    </Title>
  );
}

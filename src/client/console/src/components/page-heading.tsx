import type { ComponentChildren } from "preact";
import { useEffect, useRef } from "preact/hooks";

/** A view's h1; it takes focus when the view opens, so keyboard and screen reader users start there. */
export function PageHeading({ children }: { children: ComponentChildren }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    ref.current?.focus();
  }, []);
  return (
    <h1 tabIndex={-1} ref={ref}>
      {children}
    </h1>
  );
}

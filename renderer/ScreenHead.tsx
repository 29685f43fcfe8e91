import type { ReactNode } from 'react';

/** A screen's head: its heading and lead paragraph, the screen's action buttons (children) beside them. */
export function ScreenHead({ heading, intro, children }: { heading: string; intro: string; children: ReactNode }) {
  return (
    <div className="screen-head">
      <div>
        <h1>{heading}</h1>
        <p className="lead">{intro}</p>
      </div>
      <div className="actions">{children}</div>
    </div>
  );
}

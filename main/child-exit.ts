/**
 * A child process's end as a transport reports it: once (the first of 'exit' and 'error' wins), to
 * every listener, including one that asks after the end.
 */
export interface ChildExit {
  readonly exited: boolean;
  /** The child is gone with this code; later calls are ignored. */
  end(code: number | null): void;
  onExit(listener: (code: number | null) => void): void;
}

/** `codeAfterEnd` answers a listener that asks after the end (default: the code `end` was given). */
export function childExit(codeAfterEnd?: () => number | null): ChildExit {
  let exited = false;
  let exitCode: number | null = null;
  const listeners: Array<(code: number | null) => void> = [];
  return {
    get exited() {
      return exited;
    },
    end(code) {
      if (exited) return;
      exited = true;
      exitCode = code;
      for (const l of listeners) l(code);
    },
    onExit(listener) {
      if (exited) listener(codeAfterEnd ? codeAfterEnd() : exitCode);
      else listeners.push(listener);
    },
  };
}

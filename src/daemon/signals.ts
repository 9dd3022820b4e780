/**
 * Signals to daemon actions: SIGHUP reloads, SIGTERM and SIGINT stop
 * gracefully. The target is injected (process in production, an EventEmitter in
 * tests). Returns a function that removes the handlers again.
 */
export interface SignalTarget {
  on(signal: NodeJS.Signals, listener: () => void): unknown;
  off(signal: NodeJS.Signals, listener: () => void): unknown;
}

export interface SignalActions {
  reload(): void;
  stop(signal: NodeJS.Signals): void;
}

export function installSignalHandlers(target: SignalTarget, actions: SignalActions): () => void {
  const onHup = (): void => {
    actions.reload();
  };
  const onTerm = (): void => {
    actions.stop('SIGTERM');
  };
  const onInt = (): void => {
    actions.stop('SIGINT');
  };
  target.on('SIGHUP', onHup);
  target.on('SIGTERM', onTerm);
  target.on('SIGINT', onInt);
  return () => {
    target.off('SIGHUP', onHup);
    target.off('SIGTERM', onTerm);
    target.off('SIGINT', onInt);
  };
}

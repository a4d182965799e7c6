// async-exit-hook ships no types; only the part src/database/embedded.ts uses.
declare module 'async-exit-hook' {
  const exitHook: { unhookEvent(event: string): void; hookedEvents(): string[] };
  export default exitHook;
}

// node:fs in the browser build: the lab's file readers and writers are never called there (the page
// hands uploaded bytes to tap/'s parseCapture), so every entry point says so if it ever is.
const unavailable = (name: string) => (): never => {
  throw new Error(`${name}: files are not available in the browser`);
};
export const openSync = unavailable('openSync');
export const closeSync = unavailable('closeSync');
export const readSync = unavailable('readSync');
export const writeSync = unavailable('writeSync');
export const fstatSync = unavailable('fstatSync');

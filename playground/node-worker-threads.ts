// node:worker_threads in the browser build: tap/'s writer thread serves file writers only, which the page never
// opens (see node-fs.ts), so every entry point says so if it ever is reached.
const unavailable = (name: string) => (): never => {
  throw new Error(`${name}: worker threads are not available in the browser build`);
};
export const receiveMessageOnPort = unavailable('receiveMessageOnPort');
export class Worker {
  constructor() {
    unavailable('Worker')();
  }
}
export class MessageChannel {
  constructor() {
    unavailable('MessageChannel')();
  }
}

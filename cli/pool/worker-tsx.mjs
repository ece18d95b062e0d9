// Worker-thread entry when the CLI runs from its TypeScript sources (tsx, tests): a worker does not inherit the
// loader the main thread registered, so it registers tsx itself, then serves task.ts. A built package points the
// pool at the compiled task.js instead and never loads this file.
import { register } from 'tsx/esm/api';

register();
const { runPoolJob } = await import('./task.ts');
export default runPoolJob;

// Where the real Linux captures live in the repo (copied from the lab's shared test data; see
// test/captures/README.md): TCP over veth before and after the kernel's GRO.
import { fileURLToPath } from 'node:url';

export const CAPTURES_DIR = fileURLToPath(new URL('./captures/', import.meta.url));
export const capturePath = (name: string): string => `${CAPTURES_DIR}${name}`;

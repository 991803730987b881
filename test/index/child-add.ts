/** A separate process adding one catalog (run by vite-node): for the SIGKILL and concurrency tests. */
import { openIndex } from '../../src/index/index.js';

const env = process.env;
const index = await openIndex(env.GRT_CHILD_DB!);
process.stdout.write('opened\n');
const result = await index.add(env.GRT_CHILD_CATALOG!, { backup: env.GRT_CHILD_BACKUP!, vm: env.GRT_CHILD_VM!, time: new Date(env.GRT_CHILD_TIME!) });
await index.close();
process.stdout.write(`${JSON.stringify(result)}\n`);

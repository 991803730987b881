import { it, expect } from 'vitest';
import { openIndex } from '../../src/index/index.js';
import { catalogOf, day } from './catalogs.js';
import { startPostgres } from './pg-server.js';
it('pg smoke', async () => {
  const server = await startPostgres();
  if (typeof server === 'string') throw new Error(server);
  try {
    const idx = await openIndex(await server.newDatabase());
    const a = await catalogOf({ '/docs/budget.xlsx': { data: 'v1', time: day(1) }, '/docs/notes.txt': { data: 'n' , time: day(1)} });
    const b = await catalogOf({ '/docs/budget.xlsx': { data: 'v22', time: day(2) }, '/docs/notes.txt': { data: 'n', time: day(1) }, '/new.xlsx': { data: 'x' } });
    console.log(await idx.add(a, { backup: 'A', vm: 'vm1', time: new Date('2024-02-01T00:00:00Z') }));
    console.log(await idx.add(b, { backup: 'B', vm: 'vm1', time: new Date('2024-02-02T00:00:00Z') }));
    for await (const r of idx.find('*.xlsx')) console.log(JSON.stringify(r));
    console.log(JSON.stringify(await idx.versions('/docs/budget.xlsx')));
    for await (const r of idx.diff('A', 'B')) console.log(JSON.stringify(r));
    console.log(JSON.stringify(await idx.stats()));
    await idx.close();
  } finally { server.stop(); }
  expect(1).toBe(1);
}, 60000);

/**
 * Everything a library user writes in the signatures of the root API's functions can be named
 * from the root ('grt'): restore's progress and overwrite modes, name rules, catalog options and
 * volumes, NTFS options and info. Type-level: a missing export fails the type check (tsc, and
 * vitest's typecheck of expectTypeOf), the runtime part checks the values are the same.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import * as grt from '../../src/index.js';
import type {
  BuildOptions, CatalogInput, CatalogListOptions, CatalogOpenOptions, CatalogPartition, CatalogVolume, NameRules, NtfsInfo, OpenNtfsOptions, Overwrite,
  RestoreOptions, RestoreProgress,
} from '../../src/index.js';
import type * as restoreLayer from '../../src/restore/index.js';
import type * as catalogLayer from '../../src/catalog/index.js';
import type * as ntfsLayer from '../../src/fs/ntfs/volume.js';

describe('root exports the types of its signatures', () => {
  it('restore', () => {
    expectTypeOf<RestoreProgress>().toEqualTypeOf<restoreLayer.RestoreProgress>();
    expectTypeOf<Overwrite>().toEqualTypeOf<restoreLayer.Overwrite>();
    expectTypeOf<NameRules>().toEqualTypeOf<restoreLayer.NameRules>();
    expectTypeOf<NonNullable<RestoreOptions['overwrite']>>().toEqualTypeOf<Overwrite>();
    expectTypeOf<Parameters<NonNullable<RestoreOptions['onProgress']>>[0]>().toEqualTypeOf<RestoreProgress>();
    expectTypeOf<NonNullable<RestoreOptions['nameRules']>>().toEqualTypeOf<NameRules>();
    // A user's own progress handler, typed from the root only.
    const onProgress = (p: RestoreProgress): number => p.bytesDone / Math.max(1, p.bytesTotal);
    const options: Pick<RestoreOptions, 'onProgress' | 'overwrite'> = { onProgress, overwrite: 'never' as Overwrite };
    expect(typeof options.onProgress).toBe('function');
    expect(grt.restore).toBeTypeOf('function');
  });

  it('catalog and NTFS', () => {
    expectTypeOf<Parameters<typeof grt.openCatalog>[1]>().toEqualTypeOf<CatalogOpenOptions | undefined>();
    expectTypeOf<Parameters<typeof grt.buildCatalog>[0]>().toEqualTypeOf<CatalogInput>();
    expectTypeOf<Parameters<typeof grt.buildCatalog>[1]>().toEqualTypeOf<BuildOptions | undefined>();
    expectTypeOf<CatalogListOptions>().toEqualTypeOf<catalogLayer.CatalogListOptions>();
    expectTypeOf<grt.Catalog['volumes']>().toEqualTypeOf<CatalogVolume[]>();
    expectTypeOf<grt.CatalogBinding['partitions'][number]>().toEqualTypeOf<CatalogPartition>();
    expectTypeOf<Parameters<typeof grt.openNtfs>[1]>().toEqualTypeOf<OpenNtfsOptions | undefined>();
    expectTypeOf<grt.NtfsVolume['info']>().toEqualTypeOf<NtfsInfo>();
    expectTypeOf<NtfsInfo>().toEqualTypeOf<ntfsLayer.NtfsInfo>();
    expect(grt.openCatalog).toBeTypeOf('function');
  });
});

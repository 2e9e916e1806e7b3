import { describe, expect, it } from 'vitest';
import type { DeviceRoute } from '../router/device-route.js';
import type { Release, VersionId } from '../types.js';
import type { ModelStatus } from '../update/messages.js';
import { chooseTarget, type TargetInput } from './target.js';

const release = (version: VersionId) => ({ version }) as unknown as Release;
const status = (versions: Record<VersionId, 'ready' | 'quarantined' | 'downloading'>, extra: Partial<ModelStatus> = {}): TargetInput['status'] => ({
  versions: Object.entries(versions).map(([version, state]) => ({ version, state, release: release(version) })),
  ...extra,
});
const route = (r: Partial<DeviceRoute> & { serve: VersionId }): DeviceRoute => ({ hold: [r.serve], ...r });
const input = (over: Partial<TargetInput>): TargetInput => ({
  status: status({ '1': 'ready', '2': 'ready' }),
  candidate: { version: '2', percent: 50, salt: 's' },
  killed: [],
  route: route({ serve: '2', candidate: { bucket: 1234, percent: 50 } }),
  live: '1',
  localPin: undefined,
  autoSwitch: true,
  ...over,
});

describe('chooseTarget', () => {
  it('switches to what the router serves when it is ready, and says where the device stands', () => {
    const t = chooseTarget(input({}));
    expect(t.switchTo?.version).toBe('2');
    expect(t.route).toEqual({ candidate: { version: '2', bucket: 1234, percent: 50, inside: true } });
  });

  it('stays when the router serves what serves already', () => {
    expect(chooseTarget(input({ live: '2' })).switchTo).toBeUndefined();
  });

  it('keeps serving the live version while the wanted one is still downloading', () => {
    expect(chooseTarget(input({ status: status({ '1': 'ready', '2': 'downloading' }) })).switchTo).toBeUndefined();
  });

  it('leaves a live version that may no longer serve (killed, quarantined) for the best one on the device', () => {
    const killed = chooseTarget(
      input({
        status: status({ '1': 'ready', '2': 'downloading', '0': 'ready' }, { active: '1', previous: '0' }),
        killed: ['1'],
        route: route({ serve: '2', hold: ['2', '1'] }),
      }),
    );
    expect(killed.switchTo?.version).toBe('0');
    const quarantined = chooseTarget(
      input({ status: status({ '1': 'quarantined', '2': 'downloading', '0': 'ready' }, { previous: '0' }), route: route({ serve: '2' }) }),
    );
    expect(quarantined.switchTo?.version).toBe('0');
  });

  it('at a cold start, serves the best held version that is ready', () => {
    const t = chooseTarget(input({ live: undefined, status: status({ '1': 'ready', '2': 'downloading' }), route: route({ serve: '2', hold: ['2', '1'] }) }));
    expect(t.switchTo?.version).toBe('1');
  });

  it('with autoSwitch off, moves a serving device only to its local pin', () => {
    expect(chooseTarget(input({ autoSwitch: false })).switchTo).toBeUndefined();
    expect(chooseTarget(input({ autoSwitch: false, localPin: '2' })).switchTo?.version).toBe('2');
    // Nothing serves yet: it must start with something.
    expect(chooseTarget(input({ autoSwitch: false, live: undefined })).switchTo?.version).toBe('2');
  });

  it('names the A/B arm, and the shadow only when it is ready and servable', () => {
    const ab = chooseTarget(input({ route: route({ serve: '2', arm: 'b', abBucket: 7000 }) }));
    expect(ab.arm).toEqual({ name: 'b', version: '2' });
    expect(ab.route.ab).toEqual({ bucket: 7000, arm: 'b' });
    expect(chooseTarget(input({ live: '1', route: route({ serve: '1', shadow: '2' }) })).shadow?.version).toBe('2');
    expect(chooseTarget(input({ live: '1', killed: ['2'], route: route({ serve: '1', shadow: '2' }) })).shadow).toBeUndefined();
    expect(
      chooseTarget(input({ live: '1', status: status({ '1': 'ready', '2': 'downloading' }), route: route({ serve: '1', shadow: '2' }) })).shadow,
    ).toBeUndefined();
  });

  it('has nothing to do when nothing is ready', () => {
    expect(chooseTarget(input({ live: undefined, status: status({ '2': 'downloading' }) })).switchTo).toBeUndefined();
  });
});

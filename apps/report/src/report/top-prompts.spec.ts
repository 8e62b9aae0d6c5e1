import { describe, expect, it } from 'vitest';
import { TopPrompts } from './top-prompts';

const saved = { tenantId: 't', modelId: 'm', savedUsd: 1 };

describe(TopPrompts, () => {
  it('ranks requests by what their repeats saved, showing the digest prefix as fingerprint', () => {
    const top = new TopPrompts();
    for (let i = 0; i < 3; i++) top.add('nc:v1:t:r:m:converse:aaaaaaaaaaaaaaaa1111', saved);
    top.add('nc:v1:t:r:m:converse:bbbbbbbbbbbbbbbb2222', saved);
    expect(top.top(5).map((p) => [p.fingerprint, p.repeats, p.savedUsd])).toEqual([
      ['aaaaaaaaaaaaaaaa', 3, 3],
      ['bbbbbbbbbbbbbbbb', 1, 1],
    ]);
  });

  it('asks for a preview only once per request', () => {
    const top = new TopPrompts();
    let asked = 0;
    for (let i = 0; i < 4; i++) top.add('k:1', saved, () => `preview ${++asked}`);
    expect(top.top(1)[0]!.preview).toBe('preview 1');
  });

  it('keeps the most repeated when more requests repeat than it counts', () => {
    const top = new TopPrompts(10);
    for (let r = 0; r < 50; r++) top.add('k:frequent', saved);
    for (let i = 0; i < 100; i++) top.add(`k:rare-${i}`, saved);
    expect(top.top(1)[0]).toMatchObject({ fingerprint: 'frequent', repeats: 50 });
  });
});

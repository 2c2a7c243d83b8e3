import { expect } from 'chai';
import { GroupCommit } from '../../src/shared/group-commit.js';

/** A commit that waits until released, recording the groups it was given. */
function gate() {
  const groups: string[][] = [];
  const releases: (() => void)[] = [];
  const commit = async (key: string, items: string[]) => {
    groups.push(items);
    await new Promise<void>((resolve) => releases.push(resolve));
    if (items.includes('bad')) throw new Error(`refused in ${key}`);
    return items.map((item) => `${key}:${item}`);
  };
  const releaseAll = async () => {
    while (releases.length > 0) {
      releases.shift()!();
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  return { groups, commit, releaseAll };
}

describe('group commit', () => {
  it('when an item comes alone, then it is committed at once, by itself', async () => {
    const { groups, commit, releaseAll } = gate();
    const group = new GroupCommit(commit, 1);
    const answer = group.submit('Patient', 'a');
    expect(groups).to.deep.equal([['a']]);
    await releaseAll();
    expect(await answer).to.equal('Patient:a');
  });

  it('when items come while a commit runs, then the next commit takes them together, each answered its own result', async () => {
    const { groups, commit, releaseAll } = gate();
    const group = new GroupCommit(commit, 1);
    const answers = ['a', 'b', 'c', 'd'].map((item) => group.submit('Patient', item));
    expect(groups).to.deep.equal([['a']]);
    await releaseAll();
    expect(groups).to.deep.equal([['a'], ['b', 'c', 'd']]);
    expect(await Promise.all(answers)).to.deep.equal(['Patient:a', 'Patient:b', 'Patient:c', 'Patient:d']);
  });

  it('when several commits may run at once, then no more than that many do, and keys do not wait for each other', async () => {
    const { groups, commit, releaseAll } = gate();
    const group = new GroupCommit(commit, 2);
    const answers = ['a', 'b', 'c', 'd'].map((item) => group.submit('Patient', item));
    const other = group.submit('Immunization', 'x');
    expect(groups).to.deep.equal([['a'], ['b'], ['x']]);
    await releaseAll();
    expect(groups.slice(3)).to.deep.equal([['c', 'd']]);
    expect(await Promise.all([...answers, other])).to.have.length(5);
  });

  it('when several items are submitted at once, then they are committed together, each answered its own result', async () => {
    const { groups, commit, releaseAll } = gate();
    const group = new GroupCommit(commit, 2);
    const answers = group.submitAll('Patient', ['a', 'b', 'c']);
    expect(groups).to.deep.equal([['a', 'b', 'c']]);
    await releaseAll();
    expect(await answers).to.deep.equal(['Patient:a', 'Patient:b', 'Patient:c']);
  });

  it('when a commit fails, then only the items of its group hear of it, and later ones are committed', async () => {
    const { commit, releaseAll } = gate();
    const group = new GroupCommit(commit, 1, 2);
    const first = group.submit('Patient', 'a');
    const failing = [group.submit('Patient', 'bad'), group.submit('Patient', 'b')];
    const later = group.submit('Patient', 'c');
    const settled = Promise.allSettled([first, ...failing, later]);
    await releaseAll();
    const outcomes = (await settled).map((s) => s.status);
    expect(outcomes).to.deep.equal(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
  });
});

/**
 * Every ```ts block of README.md compiles, as a package user's strict project compiles it (blocks marked
 * `<!-- fragment -->` inside a prepared context: an app, a manager, and the imports of the names they use).
 */
import { expect } from 'chai';
import { compileBlocks, readmeBlocks } from '../support/readme-blocks';

describe('README.md: every TypeScript block compiles', function () {
  this.timeout(60_000);
  const blocks = readmeBlocks();
  let errors: string[][];

  before(() => {
    errors = compileBlocks(blocks);
  });

  it('has TypeScript blocks, and every one of them is compiled (none marked not compiled)', () => {
    expect(blocks.length).to.be.greaterThan(10);
    expect(blocks.filter((block) => block.notCompiled).map((block) => block.line)).to.deep.equal([]);
  });

  for (const [index, block] of blocks.entries()) {
    const title = `the block at README.md line ${block.line} (${block.heading})${block.fragment ? ', a fragment,' : ''} compiles`;
    if (block.notCompiled) {
      it.skip(`${title}: marked not compiled`);
      continue;
    }
    it(title, () => {
      expect(errors[index], `${block.code}\n\n${errors[index].join('\n')}`).to.deep.equal([]);
    });
  }
});

// DOT → SVG through Graphviz in WASM.
import { describe, expect, it } from 'vitest';
import { renderSvg } from '../../../impl/report/svg.ts';
import { auditToDot } from '../../../impl/report/audit/dot.ts';
import { AUDIT_FIXTURES, auditFile } from '../../spec/system/audit/fixtures.ts';

describe('renderSvg', () => {
  it('renders the audit graph of a fixture as SVG with every PD in it', async () => {
    const svg = await renderSvg(
      auditToDot(auditFile(`${AUDIT_FIXTURES}/lp001-bad.system`), 'lp001'),
    );
    expect(svg).toMatch(/<svg[\s>]/);
    for (const name of ['eth', 'net_virt_rx', 'copy0', 'client1', 'eth_regs', 'net_rx_queue_drv']) {
      expect(svg).toContain(`>${name}</text>`);
    }
    expect(svg).toContain('stroke="#d62728"');
  });
  it('rejects text that is not DOT (our bug, not user input)', async () => {
    await expect(renderSvg('<svg/>')).rejects.toThrow(/DOT text/);
  });
});

// The roles file (least-privilege-policy.md "Roles"): its format, its located errors, and that it
// overrides inference.
import { expect, it } from 'vitest';
import { inferRoles } from '../../../spec/system/roles/infer.ts';
import type { RolesFile } from '../../../spec/system/roles/vocabulary.ts';
import { checkRolesAgainstModel, parseRolesFile } from '../../../impl/audit/roles-file.ts';
import { SHARED_FIXTURES, loadModel } from '../../spec/system/audit/fixtures.ts';
import { describeShared } from '../../helpers/shared.ts';

const echo = (): ReturnType<typeof loadModel> =>
  loadModel(`${SHARED_FIXTURES}/sddf_echo_server_qemu_virt_aarch64.system`);

describeShared('the roles file', () => {
  const good = `{
  "pds": { "eth": "net.driver", "benchIdle": "other" },
  "mrs": { "cyclecounters": "private",
           "net_tx_buffer_data_region_cli0": { "kind": "net.tx_data", "owner": "client0" } }
}`;

  it('parses the policy format and overrides inference', () => {
    const parsed = parseRolesFile(good, 'roles.json');
    expect(parsed.errors).toEqual([]);
    const roles = parsed.roles as RolesFile;
    expect(checkRolesAgainstModel(roles, echo())).toEqual([]);
    const r = inferRoles(echo(), roles);
    expect(r.pds.get('benchIdle')).toMatchObject({ role: 'other', source: 'roles file' });
    expect(r.mrs.get('cyclecounters')).toMatchObject({ kind: 'private', source: 'roles file' });
    expect(r.mrs.get('net_tx_buffer_data_region_cli0')).toMatchObject({
      owner: 'client0',
      source: 'roles file',
    });
  });

  it('reports JSON syntax errors at their line and column', () => {
    const { errors } = parseRolesFile('{\n  "pds": { "eth": "net.driver", }\n}', 'r.json');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ file: 'r.json', line: 2, column: 33 });
  });

  it('reports an unknown role, kind or key where it is written', () => {
    const text =
      '{\n "pds": {\n  "eth": "net.drvier"\n },\n "mrs": { "x": {"kind": "queue", "ownr": "a"} },\n "extra": 1\n}';
    const { errors, roles } = parseRolesFile(text, 'r.json');
    expect(roles).toBeUndefined();
    expect(errors.map((e) => [e.line, e.column])).toEqual([
      [3, 10],
      [5, 34],
      [6, 2],
    ]);
    expect(errors[0]?.message).toMatch(/role must be one of/);
    expect(errors[1]?.message).toMatch(/unknown key 'ownr'/);
    expect(errors[2]?.message).toMatch(/unknown key 'extra'/);
  });

  it('reports names the system does not declare', () => {
    const { roles } = parseRolesFile(
      '{"pds": {"nosuch": "other"}, "mrs": {"eth_regs": {"kind": "mmio", "owner": "ghost"}}}',
      'r.json',
    );
    const errs = checkRolesAgainstModel(roles as RolesFile, echo());
    expect(errs.map((e) => e.message)).toEqual([
      expect.stringMatching(/no PD named 'nosuch'/),
      expect.stringMatching(/owner 'ghost'/),
    ]);
    expect(errs.every((e) => e.line === 1)).toBe(true);
  });

  it('rejects a non-object and a missing kind', () => {
    expect(parseRolesFile('[]', 'r.json').errors[0]?.message).toMatch(/JSON object/);
    expect(parseRolesFile('{"mrs": {"a": {"owner": "b"}}}', 'r.json').errors[0]?.message).toMatch(
      /missing "kind"/,
    );
  });
});

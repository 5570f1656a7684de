// `pulumi-metal3 hosts`: the demo's table says what Ironic says, in Metal³'s words, and which
// Machine holds each host (the same facts the BareMetalHost objects carry).
import { expect } from "chai";
import { hostRows, HOST_COLUMNS } from "../../cli/hosts";
import type { Node } from "../../provider/ironic/types";

const node = (over: Partial<Node>): Node =>
    ({ uuid: "u", name: "n", provision_state: "available", power_state: "power off", maintenance: false, extra: {}, ...over }) as Node;

describe("cli/hosts: the hosts table", () => {
    it("a Machine's host is provisioned, powered on and held by the Machine; a spare is available and held by none", () => {
        const rows = hostRows([
            node({ uuid: "b", name: "metal3~worker-1" }),
            node({
                uuid: "a",
                name: "metal3~worker-0",
                provision_state: "active",
                power_state: "power on",
                allocation_uuid: "al-1",
                extra: { pulumi_metal3_machine: "metal3/worker-machine-0" },
            }),
        ]);
        expect(rows[0]).to.deep.equal(HOST_COLUMNS);
        const col = (r: string[], c: string) => r[HOST_COLUMNS.indexOf(c)];
        expect(rows.slice(1).map((r) => [col(r, "NAME"), col(r, "STATE"), col(r, "POWER"), col(r, "HELD BY")])).to.deep.equal([
            ["metal3~worker-0", "provisioned", "power on", "metal3/worker-machine-0"],
            ["metal3~worker-1", "available", "power off", ""],
        ]);
    });
});

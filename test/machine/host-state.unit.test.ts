// hostState (sdk/claims.ts): a host as an `up` left it — the holding Machine's view when a Machine
// of the program registered a hold on it, else the host's own outputs. Plain Outputs, no engine
// (test/e2e/quickstart.test.ts checks the same through the real engine against Ironic).
import { expect } from "chai";
import * as pulumi from "@pulumi/pulumi";
import { hostState, registerHostClaim } from "../../sdk/claims";

const value = <T>(o: pulumi.Output<T>): Promise<T> => (o as unknown as { promise(): Promise<T> }).promise();

function host(ns: string, name: string, provisioningState: string, poweredOn: boolean) {
    return {
        nodeName: pulumi.output(`${ns}~${name}`),
        nodeUuid: pulumi.output(`uuid-${name}`),
        provisioningState: pulumi.output(provisioningState),
        poweredOn: pulumi.output(poweredOn),
    };
}

describe("hostState (sdk/claims.ts)", () => {
    const ns = `hs-${process.pid}`;
    before(() => {
        registerHostClaim({
            namespace: ns,
            host: "worker-0",
            machine: `${ns}/machine-0`,
            claim: { spec: {}, online: true, provisioningState: "provisioned", nodeUuid: "uuid-worker-0", poweredOn: true },
        });
        // A Machine that holds nothing (yet) registers undefined.
        registerHostClaim(undefined);
    });

    it("a host a Machine holds: the Machine's state, power and name, not the host's stale outputs", async () => {
        expect(await value(hostState(host(ns, "worker-0", "available", false)))).to.deep.equal({
            provisioningState: "provisioned",
            poweredOn: true,
            heldBy: `${ns}/machine-0`,
        });
    });

    it("a spare, and a host of the same name in another namespace: their own outputs, no holder", async () => {
        expect(await value(hostState(host(ns, "worker-1", "available", false)))).to.deep.equal({ provisioningState: "available", poweredOn: false });
        expect(await value(hostState(host(`${ns}-other`, "worker-0", "available", false)))).to.deep.equal({ provisioningState: "available", poweredOn: false });
    });
});

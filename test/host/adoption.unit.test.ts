// adoptNode as a pure decision (issue 20): a node that is someone else's (another owner record,
// a deployment another resource recorded, a Machine's claim) is refused unless adoptForce says to
// take it; and an adopted node deployed under another key is never undeployed because the host
// declares no image. The same rules under the real engine: test/e2e/adopt.test.ts.
import { expect } from "chai";
import { hostSpecFromInputs, newDigestKey, PlainHostInputs } from "../../provider/host/desired";
import { EXTRA, nextAction } from "../../provider/host/lifecycle";
import { registrationPatch } from "../../provider/host/registration";
import { adoptionDecision } from "../../provider/host/takeover";
import type { Node } from "../../provider/ironic/types";

const base = { name: "copy", namespace: "team-b", bmc: { address: "fake://b" }, online: false, adoptNode: "u", owner: { stack: "p/team-b", resource: "copy" } };
const specOf = (extra: Record<string, unknown> = {}) =>
    hostSpecFromInputs({ ...base, ...extra } as unknown as PlainHostInputs, { apiVersion: "1.82", digestKey: newDigestKey() });

function node(extra: Record<string, unknown>, more: Partial<Node> = {}): Node {
    return {
        uuid: "u",
        name: "team-a~web-0",
        driver: "fake-hardware",
        driver_info: {},
        provision_state: "active",
        target_provision_state: null,
        power_state: "power on",
        target_power_state: null,
        maintenance: false,
        extra,
        properties: {},
        instance_info: { image_source: "http://images.example/a.iso" },
        allocation_uuid: null,
        traits: [],
        ...more,
    } as unknown as Node;
}

const teamA = { [EXTRA.owner]: "p/team-a", [EXTRA.resource]: "web-0", [EXTRA.managed]: "true" };
const deployedByA = { ...teamA, [EXTRA.deployment]: `hmac-sha256:aaaaaaaaaaaa:${"0".repeat(64)}` };

describe("host/adoption: adoptNode never takes someone else's node by mistake", () => {
    it("refuses another owner's deployed node, naming host, node, owner and adoptForce", () => {
        const d = adoptionDecision(specOf(), node(deployedByA));
        expect(d.kind).to.equal("fail");
        const message = (d as { message: string }).message;
        expect(message).to.contain("host team-b~copy").and.contain('(u, provision state "active"').and.contain("belongs to p/team-a, resource web-0");
        expect(message).to.contain("deployment another pulumi-metal3 resource recorded").and.contain("adoptForce: true");
    });

    it("refuses a node a Machine holds (an allocation) and one with another resource's deployment but no owner record", () => {
        expect(adoptionDecision(specOf(), node({}, { allocation_uuid: "alloc-1" } as Partial<Node>)).kind).to.equal("fail");
        expect(adoptionDecision(specOf(), node({ [EXTRA.deployment]: "hmac-sha256:bbbbbbbbbbbb:00" })).kind).to.equal("fail");
    });

    it("adopts a hand-enrolled node (no record of anyone), and another owner's only with adoptForce, saying what it takes", () => {
        expect(adoptionDecision(specOf(), node({}))).to.deep.equal({ kind: "adopt", takes: [] });
        const forced = adoptionDecision(specOf({ adoptForce: true }), node(deployedByA));
        expect(forced.kind).to.equal("adopt");
        expect((forced as { takes: string[] }).takes.join("; ")).to.contain("owner record (it belongs to p/team-a, resource web-0)");
    });

    it("an active node deployed under another key, no image declared: refused before the no-image undeploy; with adoptForce it is undeployed", () => {
        for (const [extra, expected] of [
            [{}, "fail"],
            [{ adoptForce: true }, "undeploy"],
        ] as const) {
            const spec = specOf(extra);
            let n = node(deployedByA);
            // Registered as the spec says (the patch a run makes first), so only the deployment is in question.
            for (const op of registrationPatch(spec, n)) {
                const keys = op.path.split("/").slice(1);
                let at = n as unknown as Record<string, any>;
                for (const k of keys.slice(0, -1)) at = at[k] = at[k] ?? {};
                if (op.op === "remove") delete at[keys[keys.length - 1]];
                else at[keys[keys.length - 1]] = (op as { value: unknown }).value;
            }
            n = { ...n, inspect_interface: "fake" } as Node;
            const action = nextAction(spec, { node: n, ports: [] });
            expect(action.kind, JSON.stringify(extra)).to.equal(expected);
            if (expected === "fail") expect((action as { message: string }).message).to.contain("another pulumi-metal3 resource");
        }
    });
});

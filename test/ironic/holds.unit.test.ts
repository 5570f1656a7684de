// States the new Ironic adds that a wait must not sit in: a `hold` step parks the node in
// "clean hold" / "deploy hold" / "service hold" until someone sends `unhold` (API 1.85). The
// local Ironic cannot produce one: fake hardware's clean and deploy skip a hold step (tried on
// ironic 39.0.0: a manual clean and a deploy with a hold step end in manageable / active), so the
// verdict is checked here on the node Ironic would return.

import { expect } from "chai";
import { Node } from "../../provider/ironic";
import { HOLD_STATES, isTransientProvisionState } from "../../provider/ironic/provision-states";
import { judgeProvisionState } from "../../provider/ironic/wait";
import { metal3State } from "../../provider/host/states";

describe("Ironic hold states (clean hold, deploy hold, service hold) (unit)", () => {
    it("are neither transient nor failed: a wait stops on one saying how to release it", () => {
        for (const state of HOLD_STATES) expect(isTransientProvisionState(state), state).to.equal(false);
        const verdict = judgeProvisionState({ uuid: "u", name: "ns~h", provision_state: "deploy hold", target_provision_state: "active" } as Node, ["active"]);
        expect(verdict).to.deep.equal({
            done: false,
            failure: 'Ironic holds ns~h in "deploy hold" (a hold step asked for it): when it may go on, run `baremetal node unhold ns~h`',
        });
        // Waiting for the hold itself is allowed.
        expect(judgeProvisionState({ uuid: "u", provision_state: "clean hold", target_provision_state: "manageable" } as Node, ["clean hold"])).to.deep.equal({
            done: true,
        });
    });

    it("map to the Metal³ state of the operation they hold", () => {
        const at = (provision_state: string) => metal3State({ uuid: "u", provision_state } as Node);
        expect(at("deploy hold")).to.equal("provisioning");
        expect(at("clean hold")).to.equal("preparing");
        expect(at("service hold")).to.equal("provisioned");
    });
});

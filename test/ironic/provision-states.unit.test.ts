// The known provision states: every one of them has a Metal³ word, and each group (transient,
// failed, hold) is a subset of them, so a typo in a set is caught here and not by a node.
import { expect } from "chai";
import { FAILED_STATES, HOLD_STATES, knownProvisionState, PROVISION_STATES, TRANSIENT_STATES } from "../../provider/ironic/provision-states";
import { metal3State } from "../../provider/host/states";
import { blankNode } from "../../provider/ironic/types";

describe("Ironic's provision states as a closed set (unit)", () => {
    it("narrows known states and leaves a state a newer Ironic may add as unknown", () => {
        expect(knownProvisionState("active")).to.equal("active");
        expect(knownProvisionState("wait call-back")).to.equal("wait call-back");
        expect(knownProvisionState("some future state")).to.equal(undefined);
        expect(knownProvisionState(undefined)).to.equal(undefined);
    });

    it("the transient, failed and hold groups name only known states, and no state is in two of them", () => {
        const groups = [TRANSIENT_STATES, FAILED_STATES, HOLD_STATES];
        for (const g of groups) for (const s of g) expect(knownProvisionState(s), s).to.equal(s);
        for (const s of PROVISION_STATES) expect(groups.filter((g) => g.has(s)).length, s).to.be.at.most(1);
    });

    it("every known state has a Metal³ provisioning state; an unknown one reads as registering", () => {
        for (const s of PROVISION_STATES) {
            expect(metal3State(blankNode({ provision_state: s })), s)
                .to.be.a("string")
                .and.not.equal("");
        }
        expect(metal3State(blankNode({ provision_state: "some future state" }))).to.equal("registering");
    });
});

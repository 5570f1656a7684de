// What a change to a Machine does (provider/machine/plan.ts): which inputs replace it, and when the
// old one must release its host before the new one claims.
import { expect } from "chai";
import { mustReleaseFirst, replacingChanges } from "../../provider/machine/plan";

describe("machine/plan: replacement and its order", () => {
    it("disk and host inputs replace; labels, description, cluster, cleaning mode, timeouts do not", () => {
        expect(replacingChanges(["labels", "image", "userData", "timeouts", "hostSelector"])).to.deep.equal(["image", "userData", "hostSelector"]);
        expect(replacingChanges(["labels", "description", "clusterName", "automatedCleaningMode", "timeouts", "ironic"])).to.deep.equal([]);
    });
    it("releases first when the new Machine names the host the old one holds, or no spare is eligible", () => {
        expect(mustReleaseFirst({ newHost: "h1", oldHostName: "h1" })).to.equal(true);
        expect(mustReleaseFirst({ newHost: "h2", oldHostName: "h1", eligibleSpares: 1 })).to.equal(false);
        expect(mustReleaseFirst({ eligibleSpares: 0 })).to.equal(true);
        expect(mustReleaseFirst({ eligibleSpares: 3 })).to.equal(false);
    });
    it("spares unknown (Ironic unreachable at preview): create-before-delete, the default", () => {
        expect(mustReleaseFirst({})).to.equal(false);
    });
});

// One unit for every resource's timeouts (provider/duration.ts): durations as customTimeouts
// writes them; plain numbers refused at check with the string they meant, and read from state of
// earlier releases in the unit they were written in (minutes on a host, seconds on a Machine).
import { expect } from "chai";
import { migrateTimeouts, parseDuration, sameTimeouts, timeoutMs } from "../provider/duration";
import { operationTimeoutMs, phaseTimeouts } from "../provider/host/desired";
import { durationMs } from "../provider/machine/spec";
import { check as hostCheck } from "../sdk/providers/host";
import { check as machineCheck, diffInputs } from "../sdk/providers/machine";

describe("timeouts: one unit (durations) for hosts and Machines", () => {
    it("parses Pulumi's duration strings, composite ones included", () => {
        expect(parseDuration("90s")).to.equal(90_000);
        expect(parseDuration("20m")).to.equal(1_200_000);
        expect(parseDuration("1h30m")).to.equal(5_400_000);
        expect(parseDuration("1.5h")).to.equal(5_400_000);
        expect(parseDuration("500ms")).to.equal(500);
        for (const bad of ["30", "", "m", "1d", "-5m", "5 m"]) expect(() => parseDuration(bad), bad).to.throw(/invalid duration/);
    });

    it("reads a number of old state in its resource's old unit", () => {
        expect(timeoutMs(30, 0, "minutes")).to.equal(1_800_000);
        expect(timeoutMs(30, 0, "seconds")).to.equal(30_000);
        expect(timeoutMs("30m", 0, "seconds")).to.equal(1_800_000);
        expect(timeoutMs(undefined, 7, "minutes")).to.equal(7);
        expect(operationTimeoutMs({ create: 30 }, "create")).to.equal(operationTimeoutMs({ create: "30m" }, "create"));
        expect(phaseTimeouts({ inspect: 10 }).inspect).to.equal(phaseTimeouts({ inspect: "10m" }).inspect);
        expect(phaseTimeouts(undefined).inspect).to.equal(30 * 60_000);
        expect(durationMs(90, 0)).to.equal(durationMs("90s", 0));
    });

    it("the same deadline written either way is no change; another deadline is", () => {
        expect(sameTimeouts({ create: 30, inspect: 10 }, { create: "30m", inspect: "10m" }, "minutes")).to.equal(true);
        expect(sameTimeouts({ create: 30 }, { create: "30s" }, "minutes")).to.equal(false);
        expect(sameTimeouts({ create: 90 }, { create: "90s" }, "seconds")).to.equal(true);
        expect(sameTimeouts({ create: "60m" }, { create: "1h" }, "seconds")).to.equal(true);
        expect(sameTimeouts(undefined, {}, "minutes")).to.equal(true);
        expect(sameTimeouts({ create: "5m" }, undefined, "minutes")).to.equal(false);
        expect(migrateTimeouts({ create: 30, delete: "5m" }, "minutes")).to.deep.equal({ create: "30m", delete: "5m" });
        expect(migrateTimeouts({ create: 90 }, "seconds")).to.deep.equal({ create: "90s" });
    });

    it("check refuses a plain number on either resource, naming the property and the string it meant", async () => {
        const host = await hostCheck({}, { name: "h", bmc: { address: "fake://" }, online: false, timeouts: { create: 30 } });
        expect(host.failures).to.have.length(1);
        expect(host.failures![0].property).to.equal("timeouts.create");
        expect(host.failures![0].reason).to.contain('write "30m"').and.contain("minutes");
        const machine = await machineCheck({}, { name: "m", image: { url: "http://x/i.iso", diskFormat: "live-iso" }, timeouts: { create: 90 } });
        expect(machine.failures).to.have.length(1);
        expect(machine.failures![0].property).to.equal("timeouts.create");
        expect(machine.failures![0].reason).to.contain('write "90s"').and.contain("seconds");
    });

    it("a Machine recorded with seconds and declared with the same duration has no change", () => {
        const olds = { name: "m", image: { url: "http://x/i.iso", diskFormat: "live-iso" }, timeouts: { create: 300, claim: 120 } };
        expect(diffInputs(olds, { ...olds, timeouts: { create: "5m", claim: "2m" } }).changed).to.deep.equal([]);
        expect(diffInputs(olds, { ...olds, timeouts: { create: "5m", claim: "3m" } }).changed).to.deep.equal(["timeouts"]);
    });
});

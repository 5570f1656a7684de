// The deploy and undeploy paths' decisions (lifecycle.ts, maintenance.ts), which provision.ts only carries out.
import { expect } from "chai";
import { deployTarget, undeployStep } from "../../provider/host/lifecycle";
import { maintenanceBeforeProvisioning, ownMaintenanceReason } from "../../provider/host/maintenance";
import { deployWaitLabel } from "../../provider/host/provision";

describe("host deploy / undeploy steps (lifecycle.ts, pure)", function () {
    it("deploy: active → rebuild; available or deploy failed → active; anywhere else Ironic cannot deploy", function () {
        expect(deployTarget("active")).to.equal("rebuild");
        expect(deployTarget("available")).to.equal("active");
        expect(deployTarget("deploy failed")).to.equal("active");
        for (const s of ["manageable", "enroll", "cleaning", "clean failed", "deploying", "wait call-back"]) expect(deployTarget(s)).to.equal(undefined);
    });

    it("undeploy: one step from each state towards available", function () {
        expect(undeployStep("available")).to.deep.equal({ kind: "done" });
        for (const s of ["active", "deploy failed", "wait call-back", "error"])
            expect(undeployStep(s)).to.deep.equal({ kind: "provision", target: "deleted", waitFor: "available" });
        for (const s of ["clean failed", "enroll"]) expect(undeployStep(s)).to.deep.equal({ kind: "provision", target: "manage", waitFor: "manageable" });
        expect(undeployStep("manageable")).to.deep.equal({ kind: "provision", target: "provide", waitFor: "available" });
        for (const s of ["cleaning", "clean wait", "deleting", "deploying"]) expect(undeployStep(s)).to.deep.equal({ kind: "wait", waitFor: "available" });
        for (const s of ["inspect failed", "adopt failed", "rescue"]) expect(undeployStep(s)).to.deep.equal({ kind: "fail" });
    });

    it("maintenance before a provision change: ours is unset, a fault or an operator's is refused", function () {
        expect(maintenanceBeforeProvisioning({ maintenance: false, maintenance_reason: null, fault: null })).to.equal("none");
        expect(maintenanceBeforeProvisioning({ maintenance: true, maintenance_reason: ownMaintenanceReason("x"), fault: null })).to.equal("unset");
        expect(maintenanceBeforeProvisioning({ maintenance: true, maintenance_reason: "clean failed", fault: "clean failure" })).to.equal("refuse-fault");
        expect(maintenanceBeforeProvisioning({ maintenance: true, maintenance_reason: "replacing a DIMM", fault: null })).to.equal("refuse-operator");
    });
});

describe("a failed deploy names the image (provision.ts deployWaitLabel, pure)", function () {
    it("the image URL and its checksum, or the custom step: Ironic's last_error names neither", function () {
        const image = { url: "http://127.0.0.1:6180/lab-images/os.qcow2", checksum: "0".repeat(64), checksumType: "sha256" as const, format: "qcow2" as const };
        expect(deployWaitLabel({ image })).to.equal(`deploy of image http://127.0.0.1:6180/lab-images/os.qcow2 (checksum ${"0".repeat(64)})`);
        expect(deployWaitLabel({ image: { url: "oci://registry.example/os:1" } })).to.equal("deploy of image oci://registry.example/os:1");
        expect(deployWaitLabel({ customDeploy: { method: "install_coreos" } })).to.equal("deploy by custom step install_coreos");
    });
});

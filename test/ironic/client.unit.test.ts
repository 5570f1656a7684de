// Pure parts of the Ironic client: error unwrapping, connection resolution (options → env →
// clouds.yaml), microversion comparison and the wait verdicts. No Ironic needed.

import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { compareMicroversions, negotiateMicroversion, patchShows } from "../../provider/ironic/client";
import { normalizeEndpoint, resolveConnection } from "../../provider/ironic/connection";
import { IronicError, isNodeLockedFault, unwrapIronicFault } from "../../provider/ironic/errors";
import { blankNode, Node } from "../../provider/ironic/types";
import { judgeAllocation, judgePowerState, judgeProvisionState, LEARNED_LOOK_MARGIN_MS, MAX_POLL_MS, plannedSleepMs } from "../../provider/ironic/wait";

function node(fields: Partial<Node>): Node {
    return blankNode({
        uuid: "3f6a0b1e-0000-4000-8000-000000000001",
        name: "default~host-0",
        driver: "fake-hardware",
        resource_class: "baremetal",
        created_at: "2026-01-01T00:00:00+00:00",
        ...fields,
    });
}

describe("ironic client (unit)", () => {
    describe("unwrapIronicFault", () => {
        it("unwraps the JSON string Ironic nests in error_message", () => {
            const body = { error_message: JSON.stringify({ faultcode: "Client", faultstring: "Node x could not be found.", debuginfo: null }) };
            expect(unwrapIronicFault(body)).to.equal("Node x could not be found.");
        });
        it("reads the description of microversion/auth rejections", () => {
            const body = { error_message: JSON.stringify({ code: 406, title: "Not Acceptable", description: "Version 1.99 was requested" }) };
            expect(unwrapIronicFault(body)).to.equal("Version 1.99 was requested");
        });
        it("reads the http_basic middleware's error object", () => {
            expect(unwrapIronicFault({ error: { message: "Incorrect username or password", code: 401 } })).to.equal("Incorrect username or password");
        });
        it("keeps plain text (e.g. from a proxy)", () => {
            expect(unwrapIronicFault("502 Bad Gateway")).to.equal("502 Bad Gateway");
            expect(unwrapIronicFault(undefined)).to.equal(undefined);
        });
        it("recognises a locked node but not a duplicate name", () => {
            expect(isNodeLockedFault(409, "Node abc is locked by host localhost, please retry after the current operation is completed.")).to.equal(true);
            expect(isNodeLockedFault(409, "A node with name h1 already exists.")).to.equal(false);
        });
    });

    describe("patchShows (did a patch cut off by a 503 or a lost connection take effect?)", () => {
        it("needs every add to show its value and every removed path to be gone", () => {
            const n = node({ extra: { a: { x: 1 }, "b/c": "y" }, description: null });
            expect(
                patchShows(n, [
                    { op: "add", path: "/extra/a", value: { x: 1 } },
                    { op: "add", path: "/extra/b~1c", value: "y" },
                ]),
            ).to.equal(true);
            expect(
                patchShows(n, [
                    { op: "remove", path: "/extra/gone" },
                    { op: "remove", path: "/description" },
                ]),
            ).to.equal(true);
            expect(patchShows(n, [{ op: "add", path: "/extra/a", value: { x: 2 } }])).to.equal(false);
            expect(
                patchShows(n, [
                    { op: "add", path: "/extra/a", value: { x: 1 } },
                    { op: "remove", path: "/extra/b~1c" },
                ]),
            ).to.equal(false);
        });
    });

    describe("resolveConnection", () => {
        let dir: string;
        beforeEach(() => {
            dir = fs.mkdtempSync(path.join(os.tmpdir(), "ironic-conn-"));
        });
        afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

        it("strips /v1 and trailing slashes", () => {
            expect(normalizeEndpoint("http://127.0.0.1:6385/v1/")).to.equal("http://127.0.0.1:6385");
            expect(() => normalizeEndpoint("127.0.0.1:6385")).to.throw(IronicError, /not an http/);
        });
        it("prefers explicit options over the environment", () => {
            const c = resolveConnection({ url: "http://a:1" }, { OS_ENDPOINT: "http://b:2", OS_AUTH_TYPE: "none" });
            expect(c.url).to.equal("http://a:1");
            expect(c.source).to.equal("options");
        });
        it("never sends credentials from the environment to an endpoint given elsewhere", () => {
            const c = resolveConnection({ url: "http://a:1" }, { OS_ENDPOINT: "http://b:2", OS_USERNAME: "u", OS_PASSWORD: "p", OS_CLOUD: "missing" });
            expect(c).to.include({ url: "http://a:1", authType: "none" });
            expect(c.password).to.equal(undefined);
        });
        it("reads OS_* variables and infers http_basic", () => {
            const c = resolveConnection({}, { IRONIC_URL: "https://b:2", OS_USERNAME: "u", OS_PASSWORD: "p" });
            expect(c).to.include({ url: "https://b:2", authType: "http_basic", username: "u", password: "p", source: "IRONIC_URL" });
        });
        it("reads a cloud from clouds.yaml under $HOME/.config/openstack", () => {
            const cfg = path.join(dir, ".config", "openstack");
            fs.mkdirSync(cfg, { recursive: true });
            fs.writeFileSync(
                path.join(cfg, "clouds.yaml"),
                "clouds:\n  lab:\n    auth_type: http_basic\n    auth:\n      endpoint: https://lab:6385\n      username: admin\n      password: s3cret\n    verify: false\n",
            );
            const c = resolveConnection({}, { HOME: dir, OS_CLOUD: "lab" });
            expect(c).to.include({ url: "https://lab:6385", authType: "http_basic", username: "admin", password: "s3cret", insecure: true });
            expect(c.source).to.contain('cloud "lab"');
            // verify: false is said on every run (the provider sends this to the engine as a warning).
            expect(c.warnings.join()).to.match(/verification of Ironic at https:\/\/lab:6385 is OFF \(insecure, from verify: false/);
            // baremetal_endpoint_override wins over auth.endpoint
            fs.writeFileSync(
                path.join(cfg, "clouds.yaml"),
                "clouds:\n  lab:\n    auth_type: none\n    baremetal_endpoint_override: http://bm:6385/v1\n    auth:\n      endpoint: http://other:1\n",
            );
            expect(resolveConnection({}, { HOME: dir, OS_CLOUD: "lab" }).url).to.equal("http://bm:6385");
        });
        it("takes IRONIC_URL and OS_CLOUD naming the same endpoint as that cloud, credentials included (what `ironic start` prints)", () => {
            const file = path.join(dir, "local-clouds.yaml");
            fs.writeFileSync(
                file,
                "clouds:\n  local:\n    auth_type: http_basic\n    auth:\n      endpoint: http://127.0.0.1:6385\n      username: pm3\n      password: gen\n",
            );
            const env = { OS_CLIENT_CONFIG_FILE: file, OS_CLOUD: "local" };
            const c = resolveConnection({}, { ...env, IRONIC_URL: "http://127.0.0.1:6385/v1/" });
            expect(c).to.include({ url: "http://127.0.0.1:6385", authType: "http_basic", username: "pm3", password: "gen" });
            expect(c.source).to.contain('cloud "local"');
            // Another endpoint in IRONIC_URL: the cloud's password never goes there (IRONIC_URL alone, as before).
            const other = resolveConnection({}, { ...env, IRONIC_URL: "http://127.0.0.1:7000" });
            expect(other).to.include({ url: "http://127.0.0.1:7000", authType: "none", source: "IRONIC_URL" });
            expect(other.password).to.equal(undefined);
            // OS_ENDPOINT still wins over OS_CLOUD, even when equal.
            expect(resolveConnection({}, { ...env, OS_ENDPOINT: "http://127.0.0.1:6385" })).to.include({ authType: "none", source: "OS_ENDPOINT" });
        });
        it("names the missing cloud and the clouds it found", () => {
            fs.writeFileSync(path.join(dir, "clouds.yaml"), "clouds:\n  lab: {auth: {endpoint: 'http://x:1'}}\n");
            expect(() => resolveConnection({ cloud: "prod" }, { OS_CLIENT_CONFIG_FILE: path.join(dir, "clouds.yaml") })).to.throw(
                IronicError,
                /cloud "prod" is not in .*clouds there: lab/,
            );
        });
        it("explains a missing endpoint and refuses Keystone auth clearly", () => {
            expect(() => resolveConnection({}, {})).to.throw(IronicError, /no Ironic endpoint given.*OS_ENDPOINT/);
            expect(() => resolveConnection({}, { OS_ENDPOINT: "http://x:1", OS_AUTH_TYPE: "password" })).to.throw(IronicError, /Keystone/);
        });
        it("checks TLS files exist", () => {
            expect(() => resolveConnection({ url: "https://x:1", caFile: path.join(dir, "nope.pem") }, {})).to.throw(
                IronicError,
                /CA file .*nope.pem does not exist/,
            );
        });
    });

    it("compares microversions numerically", () => {
        expect(compareMicroversions("1.9", "1.10")).to.be.lessThan(0);
        expect(compareMicroversions("1.82", "1.81")).to.be.greaterThan(0);
        expect(compareMicroversions("1.81", "1.81")).to.equal(0);
    });

    describe("negotiateMicroversion", () => {
        const root = (min: string, max: string) => ({ default_version: { id: "v1", min_version: min, version: max } });
        it("uses the server's max up to 1.82", () => {
            expect(negotiateMicroversion(root("1.1", "1.82"), "http://x").use).to.equal("1.82");
            expect(negotiateMicroversion(root("1.1", "1.90"), "http://x").use).to.equal("1.82");
            expect(negotiateMicroversion(root("1.1", "1.81"), "http://x").use).to.equal("1.81");
        });
        it("refuses an older Ironic naming both versions", () => {
            expect(() => negotiateMicroversion(root("1.1", "1.78"), "http://old:6385")).to.throw(
                IronicError,
                /Ironic at http:\/\/old:6385 supports API microversions 1\.1–1\.78, but pulumi-metal3 needs at least 1\.81/,
            );
        });
        it("refuses something that is not Ironic", () => {
            expect(() => negotiateMicroversion({} as any, "http://x")).to.throw(IronicError, /is this an Ironic endpoint/);
        });
    });

    describe("wait verdicts", () => {
        it("is done at the expected stable state", () => {
            expect(judgeProvisionState(node({ provision_state: "available" }), ["available"])).to.deep.equal({ done: true });
        });
        it("keeps waiting through transient states", () => {
            expect(judgeProvisionState(node({ provision_state: "cleaning", target_provision_state: "available" }), ["available"])).to.deep.equal({
                done: false,
            });
            expect(judgeProvisionState(node({ provision_state: "wait call-back", target_provision_state: "active" }), ["active"])).to.deep.equal({
                done: false,
            });
        });
        it("fails at once on failure states and on enroll with last_error", () => {
            expect(judgeProvisionState(node({ provision_state: "clean failed", last_error: "boom" }), ["available"])).to.have.property("failure");
            expect(judgeProvisionState(node({ provision_state: "enroll", last_error: "BMC unreachable" }), ["manageable"])).to.have.property("failure");
            // ...unless enroll is what we wait for
            expect(judgeProvisionState(node({ provision_state: "enroll", last_error: "x" }), ["enroll"])).to.deep.equal({ done: true });
        });
        it("fails when Ironic itself put the node in maintenance, not when an operator did", () => {
            const faulted = node({
                provision_state: "clean wait",
                target_provision_state: "available",
                maintenance: true,
                fault: "power failure",
                maintenance_reason: "BMC gone",
            });
            expect(judgeProvisionState(faulted, ["available"]))
                .to.have.property("failure")
                .that.contains("power failure");
            const manual = node({ provision_state: "clean wait", target_provision_state: "available", maintenance: true, maintenance_reason: "operator" });
            expect(judgeProvisionState(manual, ["available"])).to.deep.equal({ done: false });
        });
        it("fails when the node rests in another stable state with nothing in progress", () => {
            const v = judgeProvisionState(node({ provision_state: "manageable", target_provision_state: null }), ["available"]);
            expect(v).to.have.property("failure").that.contains('"manageable"');
        });
        it("power: done, waiting, failed", () => {
            expect(judgePowerState(node({ power_state: "power on" }), "power on")).to.deep.equal({ done: true });
            expect(judgePowerState(node({ power_state: "power off", target_power_state: "power on" }), "power on")).to.deep.equal({ done: false });
            expect(judgePowerState(node({ power_state: "power off", last_error: "BMC said no" }), "power on")).to.have.property("failure");
        });
        it("sleep schedule: aims at a near learnt end, never sleeps past the poll cap or the deadline", () => {
            const hour = 3_600_000;
            // Nothing learnt: the back-off step.
            expect(plannedSleepMs({ elapsedMs: 1_000, backoffMs: 375, timeoutMs: hour })).to.equal(375);
            // A learnt end 2 s away: aimed just after it.
            expect(plannedSleepMs({ elapsedMs: 1_000, learnedMs: 3_000, backoffMs: 375, timeoutMs: hour })).to.equal(2_000 + LEARNED_LOOK_MARGIN_MS);
            // A deploy that took 20 minutes last time: still a look every MAX_POLL_MS, so a failure at minute 1 shows at minute 1.
            for (const elapsedMs of [250, 60_000, 19 * 60_000]) {
                expect(plannedSleepMs({ elapsedMs, learnedMs: 20 * 60_000, backoffMs: 250, timeoutMs: hour })).to.equal(MAX_POLL_MS);
            }
            // Past the learnt end: back to the back-off step, itself capped.
            expect(plannedSleepMs({ elapsedMs: 5_000, learnedMs: 3_000, backoffMs: 250, timeoutMs: hour })).to.equal(250);
            expect(plannedSleepMs({ elapsedMs: 5_000, backoffMs: 60_000, timeoutMs: hour })).to.equal(MAX_POLL_MS);
            // One last look right at the deadline.
            expect(plannedSleepMs({ elapsedMs: 9_000, learnedMs: hour, backoffMs: 4_000, timeoutMs: 10_000 })).to.equal(1_000);
            expect(plannedSleepMs({ elapsedMs: 11_000, backoffMs: 4_000, timeoutMs: 10_000 })).to.equal(0);
        });
        it("allocation: active, allocating, error", () => {
            const a = { state: "active" } as any;
            expect(judgeAllocation(a)).to.deep.equal({ done: true });
            expect(judgeAllocation({ state: "allocating" } as any)).to.deep.equal({ done: false });
            expect(judgeAllocation({ state: "error" } as any)).to.have.property("failure");
        });
    });
});

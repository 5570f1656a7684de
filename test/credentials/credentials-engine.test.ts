// Credentials and addresses under the real Pulumi engine (CLI from the toolchain, file:// backend):
// what `pulumi preview` refuses before Ironic is touched, what it warns about on every run, and
// which credentials go where. Every endpoint a test names that is not on loopback (192.0.2.0/24,
// TEST-NET-1) is refused at check, so no packet is ever sent there; the Ironic is the test run's
// own, on loopback, reached through a recording proxy where the test needs to see the requests.
import { expect } from "chai";
import * as http from "http";
import { AddressInfo } from "net";
import { IronicClient } from "../../provider/ironic";
import { ensureToolchain } from "../../local/toolchain";
import { TestStack } from "../e2e/stack";

const PROGRAM = `
const pulumi = require("@pulumi/pulumi");
const { BareMetalHost } = require("pulumi-metal3/dist/sdk/baremetalhost");
const cfg = new pulumi.Config();
const own = cfg.get("ownIronicUrl");
new BareMetalHost(cfg.require("hostName"), {
    bmc: { address: cfg.require("bmcAddress"), username: "admin", password: cfg.requireSecret("bmcPassword") },
    online: false,
    bootMACAddress: cfg.require("mac"),
    ...(own ? { ironic: { url: own } } : {}),
});
`;

const RUN = Math.floor(Math.random() * 256)
    .toString(16)
    .padStart(2, "0");
let macCounter = 0;
const nextMac = () => `52:54:6c:${RUN}:00:${(macCounter++).toString(16).padStart(2, "0")}`;

/** A loopback proxy in front of the real Ironic that records each request's Authorization header. */
async function recordingProxy(target: string): Promise<{ url: string; authorizations: (string | undefined)[]; close: () => void }> {
    const to = new URL(target);
    const authorizations: (string | undefined)[] = [];
    const server = http.createServer((req, res) => {
        authorizations.push(req.headers.authorization);
        const upstream = http.request({ host: to.hostname, port: to.port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
        });
        upstream.on("error", () => res.destroy());
        req.pipe(upstream);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, authorizations, close: () => server.close() };
}

describe("credentials and addresses under the real pulumi engine", function () {
    this.timeout(900_000);
    let client: IronicClient;
    const stacks: TestStack[] = [];

    before(async () => {
        const tc = await ensureToolchain({ skipKubeApiserver: true });
        process.env.PATH = `${tc.binDir}:${process.env.PATH}`;
        client = await IronicClient.connect({ url: process.env.IRONIC_URL, authType: "none" });
    });
    after(async () => {
        for (const s of stacks) await s.run(["destroy", "--yes"]).catch(() => undefined);
        await client?.close();
    });

    /** A stack of PROGRAM; Ironic only through stack config (the environment's is removed). */
    async function stack(name: string, config: Record<string, string>, secrets: Record<string, string> = {}): Promise<TestStack> {
        const s = await TestStack.inline(
            `credentials-${name}`,
            { "Pulumi.yaml": `name: credentials-${name}\nruntime: nodejs\n`, "index.js": PROGRAM, "package.json": '{"main":"index.js"}' },
            "dev",
        );
        for (const k of ["IRONIC_URL", "OS_ENDPOINT", "OS_AUTH_TYPE", "OS_CLOUD"]) delete s.env[k];
        stacks.push(s);
        await s.setConfig("hostName", `cred-${name}-${process.pid}`);
        await s.setConfig("mac", nextMac());
        for (const [k, v] of Object.entries(config)) await s.setConfig(k, v);
        for (const [k, v] of Object.entries(secrets)) await s.setConfig(k, v, { secret: true });
        return s;
    }
    const said = (r: { stdout: string; stderr: string }) => r.stdout + r.stderr;

    it("a BMC URL carrying user:password is refused at preview, naming bmc.address and where credentials belong; Ironic is not touched", async () => {
        const s = await stack(
            "bmc-userinfo",
            {
                "pulumi-metal3:ironicUrl": process.env.IRONIC_URL!,
                bmcAddress: "redfish+https://admin:pw-in-the-url@127.0.0.1:8000/redfish/v1/Systems/1",
            },
            { bmcPassword: "bmc-pw" },
        );
        const r = await s.run(["preview"]);
        expect(r.code, said(r)).to.not.equal(0);
        expect(said(r))
            .to.match(/bmc\.address/)
            .and.match(/credentials in the URL/)
            .and.match(/bmc\.username and bmc\.password/);
        expect(await client.findNode(`default~cred-bmc-userinfo-${process.pid}`)).to.equal(undefined);
        // up refuses the same way and leaves no state holding the password.
        const up = await s.run(["up", "--yes"]);
        expect(up.code).to.not.equal(0);
        expect((await s.exportState()).text).to.not.contain("pw-in-the-url");
        expect(await client.findNode(`default~cred-bmc-userinfo-${process.pid}`)).to.equal(undefined);
    });

    it("a BMC address with white space around it or a tab inside is refused at preview, naming bmc.address", async () => {
        const s = await stack("bmc-space", { "pulumi-metal3:ironicUrl": process.env.IRONIC_URL!, bmcAddress: "fake://x" }, { bmcPassword: "bmc-pw" });
        await s.setConfig("bmcAddress", " redfish://127.0.0.1:8000/redfish/v1/Sys\ttems/1");
        const r = await s.run(["preview"]);
        expect(r.code, said(r)).to.not.equal(0);
        expect(said(r))
            .to.match(/bmc\.address/)
            .and.match(/white space around it/);
        expect(await client.findNode(`default~cred-bmc-space-${process.pid}`)).to.equal(undefined);
    });

    it("Ironic credentials over plain http to another machine are refused at preview, naming allowInsecureHttp; allowed, every run warns", async () => {
        const s = await stack(
            "plain-http",
            { "pulumi-metal3:ironicUrl": "http://192.0.2.10:6385", "pulumi-metal3:ironicUsername": "ironic", bmcAddress: "fake://plain-http" },
            { "pulumi-metal3:ironicPassword": "ironic-pw", bmcPassword: "bmc-pw" },
        );
        const r = await s.run(["preview"]);
        expect(r.code, said(r)).to.not.equal(0);
        expect(said(r))
            .to.match(/refusing to send Ironic credentials .* over plain http:\/\/ to http:\/\/192\.0\.2\.10:6385/)
            .and.match(/allowInsecureHttp/);
        await s.setConfig("pulumi-metal3:ironicAllowInsecureHttp", "true");
        const allowed = await s.must(["preview"]);
        expect(said(allowed)).to.match(/warning: .*credentials \(auth type http_basic\) go over plain http:\/\/ to http:\/\/192\.0\.2\.10:6385/);
    });

    it("TLS verification turned off (stack config insecure, OS_INSECURE) is a warning on every preview", async () => {
        const s = await stack(
            "insecure",
            { "pulumi-metal3:ironicUrl": "https://127.0.0.1:9", "pulumi-metal3:ironicInsecure": "true", bmcAddress: "fake://insecure" },
            { bmcPassword: "bmc-pw" },
        );
        for (let run = 0; run < 2; run++) {
            const r = await s.must(["preview"]);
            expect(said(r)).to.match(/warning: TLS certificate verification of Ironic at https:\/\/127\.0\.0\.1:9 is OFF \(insecure, from stack config/);
        }
        await s.must(["config", "rm", "pulumi-metal3:ironicInsecure"]);
        await s.must(["config", "rm", "pulumi-metal3:ironicUrl"]);
        Object.assign(s.env, { OS_ENDPOINT: "https://127.0.0.1:9", OS_INSECURE: "true" });
        const env = await s.must(["preview"]);
        expect(said(env)).to.match(/warning: TLS certificate verification of Ironic at https:\/\/127\.0\.0\.1:9 is OFF \(insecure, from OS_INSECURE\)/);
    });

    it("a resource's own ironic.url gets none of the stack's credentials", async () => {
        const proxy = await recordingProxy(process.env.IRONIC_URL!);
        try {
            const s = await stack(
                "layers",
                {
                    "pulumi-metal3:ironicUrl": process.env.IRONIC_URL!,
                    "pulumi-metal3:ironicUsername": "stack-user",
                    ownIronicUrl: proxy.url,
                    bmcAddress: "fake://layers",
                },
                { "pulumi-metal3:ironicPassword": "stack-pw-not-for-other-ironics", bmcPassword: "bmc-pw" },
            );
            await s.must(["up", "--yes"]);
            expect(proxy.authorizations.length, "the host was enrolled through the resource's own endpoint").to.be.greaterThan(0);
            expect(proxy.authorizations.filter((a) => a !== undefined)).to.deep.equal([]);
            await s.must(["destroy", "--yes"]);
        } finally {
            proxy.close();
        }
    });
});

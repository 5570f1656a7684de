// `pulumi-metal3 hosts` as a user runs it (README, Commands): the command spawned against the test
// run's real Ironic, aimed at it by `--ironic-url` or by the environment, listing the nodes
// pulumi-metal3 manages (or, with `--all`, every node). hosts.unit.test.ts checks the table's words.
import { execFile } from "child_process";
import { expect } from "chai";
import * as path from "path";

const CLI = path.resolve(__dirname, "../../../bin/pulumi-metal3");

function hosts(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
        execFile(process.execPath, [CLI, "hosts", ...args], { env, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
            const code = err ? (typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : 1) : 0;
            resolve({ code, stdout: stdout.toString(), stderr: stderr.toString() });
        });
    });
}

describe("pulumi-metal3 hosts (CLI, real Ironic)", function () {
    this.timeout(120_000);
    const tag = Math.random().toString(36).slice(2, 8);
    const managed = `clihosts${tag}~managed`;
    const foreign = `clihosts${tag}~foreign`;
    const uuids: string[] = [];
    let url: string;
    /** A user's shell with no Ironic settings (the run's hooks export OS_ENDPOINT and OS_AUTH_TYPE for their Ironic). */
    let bare: NodeJS.ProcessEnv;

    const api = async (method: string, urlPath: string, body?: unknown) => {
        const res = await fetch(`${url}${urlPath}`, {
            method,
            headers: { "X-OpenStack-Ironic-API-Version": "1.82", "Content-Type": "application/json" },
            body: body === undefined ? undefined : JSON.stringify(body),
        });
        const text = await res.text();
        return { status: res.status, json: text ? JSON.parse(text) : undefined };
    };
    const rowOf = (stdout: string, name: string) => stdout.split("\n").find((l) => l.startsWith(`${name} `));

    before(async () => {
        url = process.env.IRONIC_URL as string;
        expect(url, "the run's Ironic (test/support/hooks.ts)").to.be.a("string");
        bare = { ...process.env };
        for (const k of ["IRONIC_URL", "OS_ENDPOINT", "OS_AUTH_TYPE", "OS_CLOUD", "OS_CLIENT_CONFIG_FILE", "OS_USERNAME", "OS_PASSWORD", "OS_TOKEN"])
            delete bare[k];
        // One node as pulumi-metal3 marks what it manages, one enrolled by someone else.
        for (const [name, extra] of [
            [managed, { pulumi_metal3_managed: "true" }],
            [foreign, {}],
        ] as const) {
            const r = await api("POST", "/v1/nodes", { driver: "fake-hardware", name, extra });
            expect(r.status, JSON.stringify(r.json)).to.equal(201);
            uuids.push(r.json.uuid);
        }
    });

    after(async () => {
        for (const uuid of uuids) await api("DELETE", `/v1/nodes/${uuid}`);
    });

    it("--ironic-url: the table of the managed nodes (name, Metal³ state, Ironic state, power, UUID), not the others", async () => {
        const r = await hosts(["--ironic-url", url], bare);
        expect(r.code, r.stderr).to.equal(0);
        expect(r.stdout.split("\n")[0]).to.match(/^NAME\s+STATE\s+IRONIC STATE\s+POWER\s+HELD BY\s+MAINTENANCE\s+NODE UUID\s+LAST ERROR$/);
        const row = rowOf(r.stdout, managed);
        expect(row, r.stdout).to.be.a("string");
        expect(row)
            .to.match(/\senroll\s/)
            .and.include(uuids[0]);
        expect(rowOf(r.stdout, foreign), r.stdout).to.equal(undefined);
    });

    it("--all: every node", async () => {
        const r = await hosts(["--ironic-url", url, "--all"], bare);
        expect(r.code, r.stderr).to.equal(0);
        expect(rowOf(r.stdout, managed), r.stdout).to.include(uuids[0]);
        expect(rowOf(r.stdout, foreign), r.stdout).to.include(uuids[1]);
    });

    it("without --ironic-url: the Ironic the environment names (OS_ENDPOINT, OS_AUTH_TYPE)", async () => {
        const r = await hosts([], { ...bare, OS_ENDPOINT: url, OS_AUTH_TYPE: "none" });
        expect(r.code, r.stderr).to.equal(0);
        expect(rowOf(r.stdout, managed), r.stdout).to.include(uuids[0]);
    });

    it("an unknown argument fails naming it and the usage", async () => {
        const r = await hosts(["--every"], bare);
        expect(r.code).to.not.equal(0);
        expect(r.stderr).to.include('unknown argument "--every"').and.include("usage: hosts [--ironic-url URL] [--all]");
    });
});

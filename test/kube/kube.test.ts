// The local Kubernetes API (local/kube.ts) against the real binaries: etcd from Debian and the
// kube-apiserver built by local/toolchain.ts. The first run on a machine builds the toolchain
// (tens of minutes on 2 cores); later runs find it cached.

import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { kubeRequest, kubeStatus, startKube, stopKube, RunningKube } from "../../local/kube";
import { kubeCommand } from "../../cli/kube";
import { findFreePort, isProcessAlive, readPidFile } from "../../local/proc";
import { ensureToolchain, KUBE_VERSION } from "../../local/toolchain";
import { defaultCrdDir } from "../../provider/render";
import { Agent, request } from "undici";

/** The Metal³ CRDs the package ships (crds/, copied from upstream: crds/SOURCES.txt). */
const CRD_DIR = defaultCrdDir();

async function waitGone(conn: string, apiPath: string, timeoutMs: number): Promise<number> {
    const started = Date.now();
    for (;;) {
        const r = await kubeRequest(conn, "GET", apiPath);
        if (r.status === 404) return Date.now() - started;
        if (Date.now() - started > timeoutMs) throw new Error(`${apiPath} still there after ${timeoutMs} ms: ${JSON.stringify(r.body?.metadata)}`);
        await new Promise((r) => setTimeout(r, 100));
    }
}

describe("local kube-apiserver (etcd + kube-apiserver on loopback)", function () {
    let stateDir: string;
    let kubeApiserver: string;
    let kube: RunningKube;

    before(async function () {
        this.timeout(90 * 60 * 1000);
        const tc = await ensureToolchain({ log: (l) => process.stderr.write(l + "\n") });
        kubeApiserver = path.join(tc.binDir, "kube-apiserver");
        stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "pm3-kube-test-"));
        kube = await startKube({ stateDir, port: await findFreePort(), installCrds: [CRD_DIR], kubeApiserver, log: () => undefined });
    });

    after(async function () {
        if (stateDir) {
            await stopKube({ stateDir, log: () => undefined });
            fs.rmSync(stateDir, { recursive: true, force: true });
        }
    });

    it("serves a version-stamped API over TLS that the kubeconfig's CA verifies", async function () {
        const r = await kubeRequest(kube.kubeconfig, "GET", "/version");
        expect(r.status).to.equal(200);
        expect(r.body.gitVersion).to.equal(`v${KUBE_VERSION}`);
        expect(r.body.major).to.equal(KUBE_VERSION.split(".")[0]);
        expect(r.body.minor).to.equal(KUBE_VERSION.split(".")[1]);
        expect(kube.url).to.match(/^https:\/\/127\.0\.0\.1:\d+$/);
    });

    it("rejects a wrong token (token auth, not anonymous admin)", async function () {
        const conn = { ...require("../../local/kube").kubeConnection(kube.kubeconfig), token: "not-the-token" };
        const r = await kubeRequest(conn, "GET", "/api/v1/namespaces/default/secrets");
        expect(r.status).to.equal(401);
    });

    it("has the Metal³ CRDs Established", async function () {
        const r = await kubeRequest(kube.kubeconfig, "GET", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/baremetalhosts.metal3.io");
        expect(r.status).to.equal(200);
        const established = r.body.status.conditions.find((c: any) => c.type === "Established");
        expect(established?.status).to.equal("True");
        const resources = await kubeRequest(kube.kubeconfig, "GET", "/apis/metal3.io/v1alpha1");
        expect(resources.body.resources.map((x: any) => x.name)).to.include.members(["baremetalhosts", "hardwaredata"]);
        const m3m = await kubeRequest(
            kube.kubeconfig,
            "GET",
            "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/metal3machines.infrastructure.cluster.x-k8s.io",
        );
        expect(m3m.status).to.equal(200);
    });

    it("creates, reads back and deletes a BareMetalHost and its BMC Secret without hanging", async function () {
        const ns = "/api/v1/namespaces/default";
        const secret = {
            apiVersion: "v1",
            kind: "Secret",
            metadata: { name: "node-0-bmc-secret" },
            type: "Opaque",
            data: { username: Buffer.from("admin").toString("base64"), password: Buffer.from("s3cret").toString("base64") },
        };
        const createdSecret = await kubeRequest(kube.kubeconfig, "POST", `${ns}/secrets`, secret);
        expect(createdSecret.status, JSON.stringify(createdSecret.body)).to.equal(201);

        const bmhPath = "/apis/metal3.io/v1alpha1/namespaces/default/baremetalhosts";
        const host = {
            apiVersion: "metal3.io/v1alpha1",
            kind: "BareMetalHost",
            metadata: { name: "node-0", labels: { "infrastructure.cluster.x-k8s.io/failure-domain": "rack-1" } },
            spec: {
                online: true,
                bootMACAddress: "52:54:00:12:34:56",
                bmc: { address: "ipmi://127.0.0.1:6230", credentialsName: "node-0-bmc-secret" },
            },
        };
        const created = await kubeRequest(kube.kubeconfig, "POST", bmhPath, host);
        expect(created.status, JSON.stringify(created.body)).to.equal(201);

        const readHost = await kubeRequest(kube.kubeconfig, "GET", `${bmhPath}/node-0`);
        expect(readHost.status).to.equal(200);
        expect(readHost.body.spec.bmc).to.deep.equal(host.spec.bmc);
        expect(readHost.body.spec.bootMACAddress).to.equal("52:54:00:12:34:56");
        expect(readHost.body.metadata.labels["infrastructure.cluster.x-k8s.io/failure-domain"]).to.equal("rack-1");
        const readSecret = await kubeRequest(kube.kubeconfig, "GET", `${ns}/secrets/node-0-bmc-secret`);
        expect(Buffer.from(readSecret.body.data.password, "base64").toString()).to.equal("s3cret");

        // The CRD's schema is enforced: an unknown BMC field shape is refused.
        const bad = await kubeRequest(kube.kubeconfig, "POST", bmhPath, { ...host, metadata: { name: "node-bad" }, spec: { ...host.spec, online: "yes" } });
        expect(bad.status).to.equal(422);

        // Foreground propagation is what pulumi-kubernetes sends; without a garbage collector it
        // would leave the object Terminating forever unless the API server's GC is off.
        const opts = { kind: "DeleteOptions", apiVersion: "v1", propagationPolicy: "Foreground" };
        const delHost = await kubeRequest(kube.kubeconfig, "DELETE", `${bmhPath}/node-0`, opts);
        expect(delHost.status).to.be.oneOf([200, 202]);
        const delSecret = await kubeRequest(kube.kubeconfig, "DELETE", `${ns}/secrets/node-0-bmc-secret`, opts);
        expect(delSecret.status).to.be.oneOf([200, 202]);
        expect(await waitGone(kube.kubeconfig, `${bmhPath}/node-0`, 5000)).to.be.below(5000);
        expect(await waitGone(kube.kubeconfig, `${ns}/secrets/node-0-bmc-secret`, 5000)).to.be.below(5000);
    });

    it("etcd answers only TLS clients holding a certificate of its own CA; state dirs are 0700, keys 0600", async function () {
        const { etcdClientPort, etcdPeerPort } = JSON.parse(fs.readFileSync(path.join(stateDir, "state.json"), "utf8"));
        const etcdPki = path.join(stateDir, "pki", "etcd");
        const ca = fs.readFileSync(path.join(etcdPki, "ca.crt"));
        const health = async (port: number, scheme: string, tls: Record<string, Buffer>) => {
            const dispatcher = new Agent({ connect: tls });
            try {
                const r = await request(`${scheme}://127.0.0.1:${port}/health`, { dispatcher, headersTimeout: 5000, bodyTimeout: 5000 });
                return `HTTP ${r.statusCode} ${await r.body.text()}`;
            } catch (e) {
                return `refused: ${(e as Error).message}`;
            } finally {
                await dispatcher.close();
            }
        };
        // Plain HTTP, and TLS without a client certificate: refused, on the client and the peer port.
        for (const port of [etcdClientPort, etcdPeerPort]) {
            expect(await health(port, "http", {})).to.match(/^refused|HTTP 400/);
            expect(await health(port, "https", { ca })).to.match(/^refused/);
        }
        // The API server's own client certificate: served.
        const cert = fs.readFileSync(path.join(etcdPki, "apiserver-etcd-client.crt"));
        const key = fs.readFileSync(path.join(etcdPki, "apiserver-etcd-client.key"));
        expect(await health(etcdClientPort, "https", { ca, cert, key })).to.match(/HTTP 200 .*"health":\s*"true"/);
        // A certificate of the API server's CA (which kube-apiserver takes as a user) is not etcd's.
        const apiCa = fs.readFileSync(path.join(stateDir, "pki", "ca.crt"));
        const apiCert = fs.readFileSync(path.join(stateDir, "pki", "apiserver.crt"));
        const apiKey = fs.readFileSync(path.join(stateDir, "pki", "apiserver.key"));
        expect(await health(etcdClientPort, "https", { ca, cert: apiCert, key: apiKey })).to.match(/^refused/);
        void apiCa;
        const mode = (p: string) => fs.statSync(p).mode & 0o777;
        for (const dir of ["", "pki", "pki/etcd", "etcd-data", "apiserver-certs"])
            expect(mode(path.join(stateDir, dir)).toString(8), dir || "state dir").to.equal("700");
        for (const key of [
            "pki/ca.key",
            "pki/apiserver.key",
            "pki/sa.key",
            "pki/token",
            "pki/etcd/ca.key",
            "pki/etcd/server.key",
            "pki/etcd/apiserver-etcd-client.key",
            "kubeconfig",
        ]) {
            expect(mode(path.join(stateDir, key)).toString(8), key).to.equal("600");
        }
    });

    it("start is idempotent: a second start finds the running API server", async function () {
        const again = await startKube({ stateDir, kubeApiserver, log: () => undefined });
        expect(again.alreadyRunning).to.equal(true);
        expect(again.url).to.equal(kube.url);
        expect((await kubeStatus({ stateDir })).running).to.equal(true);
    });

    it("stop ends both processes, and a restart over a foreign pid file keeps the data", async function () {
        const etcdPid = readPidFile(path.join(stateDir, "etcd.pid"))!;
        const apiPid = readPidFile(path.join(stateDir, "kube-apiserver.pid"))!;
        const marker = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "survives-restart" }, data: { k: "v" } };
        expect((await kubeRequest(kube.kubeconfig, "POST", "/api/v1/namespaces/default/configmaps", marker)).status).to.equal(201);

        expect(await kubeCommand(["stop", "--state-dir", stateDir])).to.equal(0);
        expect(isProcessAlive(etcdPid)).to.equal(false);
        expect(isProcessAlive(apiPid)).to.equal(false);
        const stopped = await kubeStatus({ stateDir });
        expect(stopped.running).to.equal(false);

        // A pid file naming a live process that is not etcd (this test runner) must be ignored, not killed.
        fs.writeFileSync(path.join(stateDir, "etcd.pid"), `${process.pid}\n`);
        const restarted = await startKube({ stateDir, kubeApiserver, log: () => undefined });
        expect(restarted.alreadyRunning).to.equal(false);
        const cm = await kubeRequest(restarted.kubeconfig, "GET", "/api/v1/namespaces/default/configmaps/survives-restart");
        expect(cm.status).to.equal(200);
        expect(cm.body.data).to.deep.equal({ k: "v" });
        kube = restarted;
    });
});

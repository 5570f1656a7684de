// sdk/crds.ts: what Metal3Crds agrees to apply. CRDs are cluster-wide and applied with the
// deployer's rights, so a URL must be https, come with the sha256 of its body, and hold only
// CustomResourceDefinitions; anything else fails before a resource is registered. The https
// server is a real one on 127.0.0.1 with a throwaway CA (the fetch runs in a child node process,
// which trusts the CA through NODE_EXTRA_CA_CERTS as a user's would).
import { expect } from "chai";
import { createHash } from "crypto";
import * as fs from "fs";
import { spawn, type ChildProcess } from "child_process";
import * as os from "os";
import * as path from "path";
import { checkCrdArgs, verifiedCrdSources } from "../../sdk/crds";
import { makeTestPki, type TestPki } from "../ironic/tls-proxy";
import { crdDir } from "./crd-dir";

const sha = (b: string | Buffer) => createHash("sha256").update(b).digest("hex");

describe("sdk/crds: Metal3Crds applies only https CRDs matching their sha256", function () {
    this.timeout(60000);
    const crd = fs.readFileSync(path.join(crdDir, "metal3.io_dataimages.yaml"), "utf8");
    const withDeployment = `${crd}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: miner\n  namespace: kube-system\n`;
    const bodies: Record<string, string> = { "/crds/dataimages.yaml": crd, "/crds/mixed.yaml": withDeployment };
    let pki: TestPki;
    let server: ChildProcess;
    let base: string;
    let savedCa: string | undefined;

    before(async () => {
        pki = makeTestPki();
        // Its own process: Metal3Crds fetches synchronously, which blocks this one's event loop.
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "crds-https-"));
        for (const [p, body] of Object.entries(bodies)) fs.writeFileSync(path.join(dir, path.basename(p)), body);
        const script = `
      const fs = require("fs"), https = require("https"), path = require("path");
      const [cert, key, dir] = process.argv.slice(1);
      const server = https.createServer({ cert: fs.readFileSync(cert), key: fs.readFileSync(key) }, (req, res) => {
        if (req.url === "/redirect") return res.writeHead(302, { location: "http://127.0.0.1:9/crds/dataimages.yaml" }).end();
        const f = path.join(dir, path.basename(req.url || ""));
        if (!req.url.startsWith("/crds/") || !fs.existsSync(f)) return res.writeHead(404).end();
        res.writeHead(200, { "content-type": "application/yaml" }).end(fs.readFileSync(f));
      });
      server.listen(0, "127.0.0.1", () => console.log(server.address().port));`;
        server = spawn(process.execPath, ["-e", script, pki.serverCert, pki.serverKey, dir], { stdio: ["ignore", "pipe", "inherit"] });
        const port = await new Promise<string>((resolve, reject) => {
            server.stdout!.once("data", (d) => resolve(String(d).trim()));
            server.once("exit", (code) => reject(new Error(`https server exited ${code}`)));
        });
        base = `https://127.0.0.1:${port}`;
        savedCa = process.env.NODE_EXTRA_CA_CERTS;
        process.env.NODE_EXTRA_CA_CERTS = pki.caFile;
    });
    after(async () => {
        if (savedCa === undefined) delete process.env.NODE_EXTRA_CA_CERTS;
        else process.env.NODE_EXTRA_CA_CERTS = savedCa;
        server?.kill();
        if (pki) fs.rmSync(pki.dir, { recursive: true, force: true });
    });

    it("refuses http, a URL without sha256 or with a malformed one, and URLs among files, naming the property", () => {
        expect(() => checkCrdArgs({ url: "http://example.com/crds.yaml", sha256: sha(crd) })).to.throw(/url: .*not https/);
        expect(() => checkCrdArgs({ url: `${base}/crds/dataimages.yaml` })).to.throw(/sha256: .*64 hex characters.*got none/);
        expect(() => checkCrdArgs({ url: `${base}/crds/dataimages.yaml`, sha256: "abc" })).to.throw(/sha256: /);
        expect(() => checkCrdArgs({ files: ["https://example.com/crds.yaml"] })).to.throw(/files: .*is a URL/);
        expect(() => checkCrdArgs({})).to.not.throw();
    });

    it("applies an https body whose sha256 matches, from a local copy of exactly that body", () => {
        const [src] = verifiedCrdSources({ url: `${base}/crds/dataimages.yaml`, sha256: sha(crd) });
        expect(src.base).to.equal("dataimages.yaml");
        expect(fs.readFileSync(src.file, "utf8")).to.equal(crd);
        expect(src.file.startsWith(crdDir)).to.equal(false);
    });

    it("refuses a body whose sha256 differs, before anything is applied", () => {
        expect(() => verifiedCrdSources({ url: `${base}/crds/dataimages.yaml`, sha256: sha("something else") })).to.throw(
            new RegExp(`sha256: .*has sha256 ${sha(crd)}, not the ${sha("something else")} given; nothing applied`),
        );
    });

    it("refuses a body that holds anything but CRDs, even with its right digest", () => {
        expect(() => verifiedCrdSources({ url: `${base}/crds/mixed.yaml`, sha256: sha(withDeployment) })).to.throw(
            /document 2 is apps\/v1 Deployment miner; only apiextensions.k8s.io\/v1 CustomResourceDefinitions are applied/,
        );
    });

    it("refuses a redirect from https to http", () => {
        expect(() => verifiedCrdSources({ url: `${base}/redirect`, sha256: sha(crd) })).to.throw(
            /fetching .*failed: redirected to http:\/\/127.0.0.1:9\/crds\/dataimages.yaml, which is not https/,
        );
    });

    it("refuses a local file with anything but CRDs, and accepts the vendored set", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "crds-local-"));
        try {
            fs.writeFileSync(path.join(dir, "mixed.yaml"), withDeployment);
            expect(() => verifiedCrdSources({ files: [path.join(dir, "mixed.yaml")] })).to.throw(/mixed.yaml: document 2 is apps\/v1 Deployment/);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
        expect(verifiedCrdSources().length).to.equal(22);
    });
});

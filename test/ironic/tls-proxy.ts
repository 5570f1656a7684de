// TLS in front of a real Ironic, for the client's CA / client-certificate / insecure options:
// a throwaway CA (openssl) signs a server certificate for 127.0.0.1 and a client certificate, and
// a TLS server forwards the decrypted bytes to Ironic. Ironic itself stays plain HTTP on loopback.

import { execFileSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import * as tls from "tls";

export interface TestPki {
    dir: string;
    caFile: string;
    serverCert: string;
    serverKey: string;
    clientCert: string;
    clientKey: string;
    /** A second CA that signed nothing here: trusting it must not be enough. */
    otherCaFile: string;
}

function openssl(args: string[], cwd: string): void {
    execFileSync("openssl", args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
}

export function makeTestPki(): TestPki {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ironic-tls-"));
    const ca = (name: string) =>
        openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", `/CN=${name}`, "-keyout", `${name}.key`, "-out", `${name}.pem`], dir);
    ca("test-ca");
    ca("other-ca");
    const leaf = (name: string, ext: string) => {
        openssl(["req", "-newkey", "rsa:2048", "-nodes", "-subj", `/CN=${name}`, "-keyout", `${name}.key`, "-out", `${name}.csr`], dir);
        fs.writeFileSync(path.join(dir, `${name}.ext`), ext);
        openssl(
            [
                "x509",
                "-req",
                "-in",
                `${name}.csr`,
                "-CA",
                "test-ca.pem",
                "-CAkey",
                "test-ca.key",
                "-CAcreateserial",
                "-days",
                "2",
                "-extfile",
                `${name}.ext`,
                "-out",
                `${name}.pem`,
            ],
            dir,
        );
    };
    leaf("server", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
    leaf("client", "extendedKeyUsage=clientAuth\n");
    const f = (name: string) => path.join(dir, name);
    return {
        dir,
        caFile: f("test-ca.pem"),
        serverCert: f("server.pem"),
        serverKey: f("server.key"),
        clientCert: f("client.pem"),
        clientKey: f("client.key"),
        otherCaFile: f("other-ca.pem"),
    };
}

export interface TlsProxy {
    url: string;
    close(): Promise<void>;
}

/** HTTPS on 127.0.0.1 forwarding to `upstreamUrl`; with `requireClientCert`, only clients signed by the test CA get through. */
export async function startTlsProxy(upstreamUrl: string, pki: TestPki, requireClientCert: boolean): Promise<TlsProxy> {
    const upstream = new URL(upstreamUrl);
    const sockets = new Set<net.Socket>();
    const server = tls.createServer(
        {
            cert: fs.readFileSync(pki.serverCert),
            key: fs.readFileSync(pki.serverKey),
            ca: fs.readFileSync(pki.caFile),
            requestCert: requireClientCert,
            rejectUnauthorized: requireClientCert,
        },
        (client) => {
            const ironic = net.connect(Number(upstream.port), upstream.hostname);
            sockets.add(client).add(ironic);
            client.pipe(ironic).pipe(client);
            const end = () => {
                client.destroy();
                ironic.destroy();
                sockets.delete(client);
                sockets.delete(ironic);
            };
            client.on("error", end).on("close", end);
            ironic.on("error", end).on("close", end);
        },
    );
    server.on("tlsClientError", () => undefined);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return {
        url: `https://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
        close: () =>
            new Promise((resolve) => {
                for (const s of sockets) s.destroy();
                server.close(() => resolve());
            }),
    };
}

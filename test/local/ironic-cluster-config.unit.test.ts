// The distributed Ironic's additions to ironic.conf (pure): the shared database, JSON-RPC and the
// take-over timings; without `cluster` the single-process config is what it always was.

import { expect } from "chai";
import { renderIronicConfig, stateFiles } from "../../local/ironic";

describe("distributed Ironic config (unit)", () => {
    const files = stateFiles("/tmp/x-cluster");
    const section = (conf: string, name: string) => conf.split(`[${name}]\n`)[1]?.split("\n[")[0];

    const jsonRpcAuth = { username: "json-rpc", password: "rpc-secret" };

    it("points every process at the shared database over JSON-RPC, with take-over timings from the heartbeat timeout", () => {
        const url = "postgresql+psycopg2://ironic@/ironic?host=/tmp/x-cluster/postgresql/socket";
        const conf = renderIronicConfig({
            files,
            port: 7000,
            authStrategy: "http_basic",
            cluster: { databaseUrl: url, jsonRpcPort: 8189, jsonRpcAuth, heartbeatTimeoutS: 6 },
        });
        expect(section(conf, "DEFAULT")).to.include("rpc_transport = json-rpc").and.include("hash_ring_reset_interval = 3");
        expect(section(conf, "database")).to.include(`connection = ${url}`).and.not.include("sqlite");
        expect(section(conf, "json_rpc")).to.include("port = 8189");
        expect(section(conf, "conductor"))
            .to.include("heartbeat_timeout = 6")
            .and.include("heartbeat_interval = 2")
            .and.include("check_provision_state_interval = 3");
    });

    it("authenticates JSON-RPC: conductors check an htpasswd file, the API's client sends the internal user's password", () => {
        const conf = renderIronicConfig({
            files,
            port: 7000,
            authStrategy: "noauth",
            cluster: { databaseUrl: "postgresql://x", jsonRpcPort: 8089, jsonRpcAuth },
        });
        const rpc = section(conf, "json_rpc");
        expect(rpc).to.include("auth_strategy = http_basic").and.include(`http_basic_auth_user_file = ${files.jsonRpcHtpasswd}`);
        expect(rpc).to.include("username = json-rpc").and.include("password = rpc-secret").and.not.include("noauth");
    });

    it("lets the API send a JSON-RPC call again when the conductor had just closed the idle connection", () => {
        const conf = renderIronicConfig({
            files,
            port: 7000,
            authStrategy: "noauth",
            cluster: { databaseUrl: "postgresql://x", jsonRpcPort: 8089, jsonRpcAuth },
        });
        expect(section(conf, "json_rpc")).to.include("connect_retries = 3").and.include("connect_retry_delay = 0.2");
    });

    it("keeps Ironic's own timings when no heartbeat timeout is given", () => {
        const conf = renderIronicConfig({
            files,
            port: 7000,
            authStrategy: "noauth",
            cluster: { databaseUrl: "postgresql://x", jsonRpcPort: 8089, jsonRpcAuth },
        });
        expect(section(conf, "conductor")).to.not.include("heartbeat_timeout");
        expect(section(conf, "DEFAULT")).to.include("hash_ring_reset_interval = 15");
    });

    it("without cluster: one process on sqlite, no JSON-RPC section", () => {
        const conf = renderIronicConfig({ files, port: 7000, authStrategy: "noauth" });
        expect(section(conf, "DEFAULT")).to.include("rpc_transport = none").and.not.include("hash_ring_reset_interval");
        expect(section(conf, "database")).to.include(`connection = sqlite:///${files.database}`);
        expect(conf).to.not.include("[json_rpc]");
    });
});
